#!/usr/bin/env bash
# Installs packed npm tarballs as a user would and smoke-tests them (`just test-dist` and the
# release workflow, on every platform):
#   - an empty project installs MAIN_TGZ and PLATFORM_TGZ offline with an empty cache (the
#     package has no runtime dependencies; npm skips the other platforms' optional
#     dependencies), once as usual and once with --ignore-scripts; `require` and `import` both
#     pass the smoke test (checks.cjs); with NODE_MODULES (bindings/node/node_modules: it holds
#     typescript, typescript-6, typescript-7, @types/node and undici-types) the project gets
#     @types/node as a user's `npm i -D @types/node` would, and `tsc --noEmit` of TypeScript 5.9,
#     6 and 7 checks smoke.ts against the package's types, strict, with no `types` in tsconfig;
#   - an empty project installs MAIN_TGZ alone: loading it fails with an error that names the
#     platform package this machine needs.
# Usage: tests/dist/npm-smoke.sh MAIN_TGZ PLATFORM_TGZ [NODE_MODULES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
main_tgz=$1
platform_tgz=$2
dev_modules=${3:-}
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
        if [ -n "$dev_modules" ]; then
            mkdir -p node_modules/@types
            cp -r "$dev_modules/@types/node" node_modules/@types/node
            cp -r "$dev_modules/undici-types" node_modules/undici-types
            cat >tsconfig.json <<EOF
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2022",
    "skipLibCheck": false
  },
  "files": ["smoke.ts"]
}
EOF
            for ts in typescript typescript-6 typescript-7; do
                node "$dev_modules/$ts/bin/tsc" -p tsconfig.json
                echo "tsc $(node "$dev_modules/$ts/bin/tsc" --version) --noEmit --strict: the package's types check smoke.ts"
            done
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
