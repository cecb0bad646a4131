#!/usr/bin/env bash
# Installs packed npm tarballs as a user would and smoke-tests them (`just test-dist` and the
# release workflow, on every platform):
#   - an empty project installs MAIN_TGZ and PLATFORM_TGZ offline with an empty cache (the
#     package has no runtime dependencies; npm skips the other platforms' optional
#     dependencies), once as usual and once with --ignore-scripts; `require` and `import` both
#     pass the smoke test (checks.cjs), and with TSC_JS (typescript's bin/tsc) and TYPE_ROOTS (a
#     folder holding @types/node) `tsc --noEmit` checks smoke.ts against the package's types;
#   - an empty project installs MAIN_TGZ alone: loading it fails with an error that names the
#     platform package this machine needs.
# Usage: tests/dist/npm-smoke.sh MAIN_TGZ PLATFORM_TGZ [TSC_JS TYPE_ROOTS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
main_tgz=$1
platform_tgz=$2
tsc=${3:-}
type_roots=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
platform_pkg=$(tar -xzOf "$platform_tgz" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).name')

new_app() {
    mkdir "$tmp/$1"
    cp "$main_tgz" "$tmp/$1/main.tgz"
    cp "$platform_tgz" "$tmp/$1/platform.tgz"
    cp "$here/checks.cjs" "$here/smoke.cjs" "$here/smoke.mjs" "$here/smoke.ts" "$tmp/$1/"
    (cd "$tmp/$1" && npm init -y >/dev/null)
}
npm_install() {
    npm install --offline --cache "$tmp/npm-cache" --no-audit --no-fund --loglevel=error "$@"
}

for scripts in run ignore; do
    new_app "app-$scripts"
    (
        cd "$tmp/app-$scripts"
        if [ "$scripts" = ignore ]; then
            npm_install --ignore-scripts ./main.tgz ./platform.tgz
        else
            npm_install ./main.tgz ./platform.tgz
        fi
        test -f "node_modules/$platform_pkg/package.json"
        node smoke.cjs
        node smoke.mjs
        if [ -n "$tsc" ]; then
            cat >tsconfig.json <<EOF
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2022",
    "skipLibCheck": false,
    "types": ["node"],
    "typeRoots": ["$type_roots"]
  },
  "files": ["smoke.ts"]
}
EOF
            node "$tsc" -p tsconfig.json
            echo "tsc --noEmit: the package's types check smoke.ts"
        fi
        echo "npm install ($scripts install scripts) of main + $platform_pkg: require and import work"
    )
done

new_app main-only
(
    cd "$tmp/main-only"
    npm_install ./main.tgz
    node - "$platform_pkg" <<'EOF'
const assert = require('node:assert/strict')
const wanted = process.argv[2]
assert.throws(() => require('oneinbox-webhooks'), (err) => {
  assert.equal(err.code, 'ERR_ONEINBOX_NO_ADDON')
  assert.ok(err.message.includes(`the package ${wanted} is not installed`), err.message)
  return true
})
console.log(`main package alone: loading it says ${wanted} is not installed`)
EOF
)
