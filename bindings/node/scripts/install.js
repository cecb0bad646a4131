// npm `install` script: when this package is installed from source (`npm install
// ./bindings/node` from a clone, or a tarball without a prebuilt addon for this platform), build
// the native addon with cargo and put it where the generated loader (index.js) looks for it.
// Does nothing when an addon for this platform is already there (`npm pack` tarballs built by
// `just build-node`), when run by `npm ci` / `npm install` inside this folder (development
// uses `napi build`, see the justfile), or when ONEINBOX_WEBHOOKS_SKIP_BUILD is set.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = path.join(__dirname, '..')
const binaryName = require('../package.json').napi.binaryName

function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report?.getReport?.()
    const glibc = report?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const target = path.join(here, `${binaryName}.${platformSuffix()}.node`)
const insideThisFolder = path.resolve(process.env.INIT_CWD || '') === path.resolve(here)
if (process.env.ONEINBOX_WEBHOOKS_SKIP_BUILD || insideThisFolder || fs.existsSync(target)) {
  process.exit(0)
}

if (!fs.existsSync(path.join(here, 'Cargo.toml'))) {
  // A published tarball carries no Rust sources (the crate lives in the workspace).
  console.error(`oneinbox-webhooks: this package has no prebuilt addon for ${platformSuffix()}`)
  process.exit(1)
}
console.log(`oneinbox-webhooks: no prebuilt addon for ${platformSuffix()}; building it with cargo`)
const output = execFileSync(
  'cargo',
  ['build', '--release', '--lib', '--message-format=json-render-diagnostics', '--manifest-path', path.join(here, 'Cargo.toml')],
  { cwd: here, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
)
let library = null
for (const line of output.split('\n')) {
  if (!line.startsWith('{')) continue
  const msg = JSON.parse(line)
  if (msg.reason === 'compiler-artifact' && msg.target?.name === 'oneinbox_webhooks_node' && msg.target.kind.includes('cdylib')) {
    library = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f))
  }
}
if (!library) {
  console.error('oneinbox-webhooks: cargo built no cdylib for oneinbox-webhooks-node')
  process.exit(1)
}
fs.copyFileSync(library, target)
console.log(`oneinbox-webhooks: built ${path.basename(target)}`)
