// Headless Chromium for the page tests (tests/e2e/harness.mjs), Lighthouse (tests/e2e/lighthouse.mjs,
// which adds a DevTools port) and the benchmark (bench/run.mjs): Debian's Chromium (or $CHROMIUM)
// driven by playwright-core, launched the same way for all three.
import { chromium } from "playwright-core";

/** Quiet and offline: no sandbox (containers), no GPU, no QUIC, no background traffic of its own. */
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-features=Translate,MediaRouter",
  // WebGPU on: with --disable-gpu, Chromium offers the SwiftShader adapter (a CPU: a software
  // "fallback" adapter) on Linux; the page's WebGPU option and the benchmark's WebGPU rows use it.
  "--enable-unsafe-webgpu",
];

/** Launches Chromium with CHROMIUM_ARGS plus `args` (e.g. the benchmark's timer flags). */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...args] });
}
