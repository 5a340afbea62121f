#!/usr/bin/env bash
# The package as a user gets it: installs target/attention-playground-<version>.tgz (`make package`)
# into an empty temporary project with `npm install --offline` (the package has no dependencies),
# then uses it
#   from node: tests/package/project/node-check.mjs (the JS API: initSync from the wasm file's
#     bytes, attention() against a direct computation, trace, maskInfo; entry points; the .d.ts
#     names the module's exports) and tsc --strict on project/check.ts (the types resolve
#     through the package's exports map);
#   from a browser: tests/package/browser.mjs serves the project and opens project/index.html,
#     which imports the installed element (js/element.js) and checks that it shows a figure.
# Prints "package: ..." lines; exits non-zero when any part fails.
set -uo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"
version=$(sed -nE '/^\[package\]/,/^\[/ s/^version = "(.*)"/\1/p' Cargo.toml)
tgz="$ROOT/target/attention-playground-$version.tgz"
[ -f "$tgz" ] || { echo "package: FAILED: no $tgz (run make package first)"; exit 1; }
project=$(mktemp -d)
trap 'rm -rf "$project"' EXIT
cp tests/package/project/* "$project/"
printf '{ "name": "package-test", "private": true, "type": "module" }\n' >"$project/package.json"
status=0
if ! (cd "$project" && npm install --offline --no-audit --no-fund --ignore-scripts --loglevel=error "$tgz" >npm.log 2>&1); then
  echo "package: FAILED: npm install --offline of the tarball:"; cat "$project/npm.log"; exit 1
fi
echo "package: npm install --offline $(basename "$tgz") into an empty project: ok"
(cd "$project" && node node-check.mjs) || { echo "package: node: FAILED"; status=1; }
if (cd "$project" && tsc --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext --lib es2022,esnext.disposable,dom --skipLibCheck false check.ts); then
  echo "package: types: check.ts type-checks against the installed package (tsc --strict, exports map)"
else
  echo "package: types: FAILED"; status=1
fi
node tests/package/browser.mjs "$project" || status=1
exit $status
