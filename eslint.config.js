// ESLint (pinned in package.json) for the gate, scripts/check.sh: the recommended rules over every
// JavaScript file of the repository, with the globals of where each file runs.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["target/**", "dist/**", "pkg/**", "node_modules/**"] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  // The page and the benchmark page run in the browser.
  { files: ["www/**/*.js", "bench/**/*.js"], languageOptions: { globals: globals.browser } },
  // Their Web Workers: the compute worker, the benchmark's engine, reference and model workers, the calibration.
  {
    files: ["www/js/worker.js", "bench/worker.js", "bench/reference.js", "bench/model-worker.js", "bench/calibrate.js", "bench/engines/**/*.js"],
    languageOptions: { globals: globals.worker },
  },
  // Node: the unit tests, the scripts and this file.
  {
    files: ["tests/**/*.mjs", "tests/**/*.js", "scripts/**/*.mjs", "bench/run.mjs", "eslint.config.js"],
    languageOptions: { globals: globals.node },
  },
  // The embedding tests' host page (served to the browser).
  { files: ["tests/e2e/host/**/*.js"], languageOptions: { globals: globals.browser } },
  // The page tests and the benchmark's runner are node programs whose callbacks to page.evaluate()
  // and page.waitForFunction() run in the page: both sets of globals.
  { files: ["tests/e2e/**/*.mjs", "bench/run.mjs"], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
];
