// Packs the npm packages in napi-rs's layout from built addons; `just dist` and the release
// workflow both run it:
//
//   oneinbox-webhooks-<version>.tgz             the main package: the generated loader
//       (index.js), the typed entry point and the types, and `optionalDependencies` on the
//       per-platform package of every target in package.json's `napi.targets`, at the same
//       version. No addon and no install script: npm installs only the platform package that
//       matches the machine (`os`, `cpu`, `libc`), and the loader requires it.
//   oneinbox-webhooks-<platform>-<version>.tgz  one per addon: the `.node` file, with `os`,
//       `cpu` and `libc` set (napi create-npm-dirs writes these package.json files), a short
//       README and the licenses (the main package carries both too: LICENSE-MIT and
//       LICENSE-APACHE are copied from the repository root).
//
// Usage (Linux or macOS): node bindings/node/scripts/pack.mjs ARTIFACTS_DIR OUT_DIR [--all]
//   ARTIFACTS_DIR holds `oneinbox-webhooks.<platform>.node` files, at any depth, and no loader
//   (napi artifacts would copy an index.js found there over the package's own). With --all
//   (the release) every target must have its addon, and napi pre-publish writes the
//   optionalDependencies; without it (`just dist` on one machine) the targets that have an
//   addon are packed and the optionalDependencies are written by the same rule, so the main
//   package built locally is the one the release publishes. Prints the tarballs' names.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const nodeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [artifactsArg, outArg, ...flags] = process.argv.slice(2)
if (!artifactsArg || !outArg || flags.some((f) => f !== '--all')) {
  console.error('usage: node scripts/pack.mjs ARTIFACTS_DIR OUT_DIR [--all]')
  process.exit(2)
}
const all = flags.includes('--all')
const artifacts = path.resolve(artifactsArg)
const out = path.resolve(outArg)
fs.mkdirSync(out, { recursive: true })

const require = createRequire(path.join(nodeDir, 'package.json'))
/** @type {{ parseTriple(triple: string): { triple: string, platformArchABI: string } }} */
const { parseTriple } = require('@napi-rs/cli')
const napi = path.join(nodeDir, 'node_modules', '.bin', 'napi')
const npm = 'npm'
// Runs a command and returns its stdout; its stderr (napi's progress lines) shows only if it fails.
/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 * @returns {string}
 */
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    // execFileSync's error carries the child's stderr.
    process.stderr.write(/** @type {{ stderr?: string }} */ (err).stderr ?? '')
    throw err
  }
}

// Staged under the repository's target/ (napi pre-publish reads the git log).
const stage = path.join(nodeDir, '..', '..', 'target', 'npm-pack')
fs.rmSync(stage, { recursive: true, force: true })
fs.mkdirSync(stage, { recursive: true })
try {
  // The main package: exactly the files `npm pack` takes from bindings/node ("files").
  // split() gives at least one element.
  const own = /** @type {string} */ (run(npm, ['pack', '--silent', '--pack-destination', stage], nodeDir).trim().split('\n').pop())
  run('tar', ['-xzf', own], stage)
  fs.rmSync(path.join(stage, own))
  const pkg = path.join(stage, 'package')
  const manifestPath = path.join(pkg, 'package.json')
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  /** @type {{ binaryName: string, targets: string[] }} */
  const { binaryName, targets: triples } = manifest.napi
  const targets = triples.map(parseTriple)

  // npm/<platform>/package.json for every target, with os, cpu and libc.
  run(napi, ['create-npm-dirs'], pkg)

  // The licenses in every package (the repository root holds them; "files" names them), and
  // a short README in each platform package that points to the main one.
  const licenses = ['LICENSE-MIT', 'LICENSE-APACHE']
  for (const f of licenses) fs.copyFileSync(path.join(nodeDir, '..', '..', f), path.join(pkg, f))
  for (const t of targets) {
    const dir = path.join(pkg, 'npm', t.platformArchABI)
    for (const f of licenses) fs.copyFileSync(path.join(pkg, f), path.join(dir, f))
    const platformPath = path.join(dir, 'package.json')
    const platform = JSON.parse(fs.readFileSync(platformPath, 'utf8'))
    platform.files = [...platform.files, 'README.md', ...licenses]
    fs.writeFileSync(platformPath, `${JSON.stringify(platform, null, 2)}\n`)
    fs.writeFileSync(
      path.join(dir, 'README.md'),
      `# ${platform.name}\n\nThe prebuilt ${t.triple} addon of [${manifest.name}](https://www.npmjs.com/package/${manifest.name}). ` +
        `Install ${manifest.name}, not this package: npm picks the platform package that fits the machine.\n\n` +
        `Licensed under either of MIT (LICENSE-MIT) or Apache-2.0 (LICENSE-APACHE), at your option.\n`,
    )
  }

  // Which targets have their addon.
  /** @type {Set<string>} */
  const found = new Set()
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name))
      else if (entry.name.endsWith('.node')) found.add(entry.name)
    }
  }
  walk(artifacts)
  const built = targets.filter((t) => found.has(`${binaryName}.${t.platformArchABI}.node`))
  const missing = targets.filter((t) => !built.includes(t))
  if (built.length === 0 || (all && missing.length > 0)) {
    throw new Error(`no addon in ${artifacts} for ${missing.map((t) => t.triple).join(', ')}`)
  }

  // Copy each addon into its platform package. napi artifacts needs every configured target,
  // so without --all it reads a config naming only the targets that were built.
  const artifactsArgs = ['artifacts', '--output-dir', artifacts, '--npm-dir', 'npm']
  if (!all) {
    const config = path.join(stage, 'napi.json')
    fs.writeFileSync(config, JSON.stringify({ binaryName, targets: built.map((t) => t.triple) }))
    artifactsArgs.push('--config-path', config)
  }
  run(napi, artifactsArgs, pkg)
  // napi artifacts also drops each addon beside the loader; the main package ships none.
  for (const f of fs.readdirSync(pkg)) if (f.endsWith('.node')) fs.rmSync(path.join(pkg, f))

  // optionalDependencies on every platform package, at this version.
  const expected = Object.fromEntries(targets.map((t) => [`${manifest.name}-${t.platformArchABI}`, manifest.version]))
  if (all) {
    run(napi, ['pre-publish', '--tag-style', 'npm', '--skip-optional-publish'], pkg)
  } else {
    fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, optionalDependencies: expected }, null, 2) + '\n')
  }
  const written = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  if (JSON.stringify(written.optionalDependencies) !== JSON.stringify(expected)) {
    throw new Error(`optionalDependencies ${JSON.stringify(written.optionalDependencies)}, want ${JSON.stringify(expected)}`)
  }
  const scripts = Object.keys(written.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))
  if (scripts.length > 0) throw new Error(`the main package must run no install script: ${scripts.join(', ')}`)

  for (const dir of [pkg, ...built.map((t) => path.join(pkg, 'npm', t.platformArchABI))]) {
    console.log(run(npm, ['pack', '--silent', '--pack-destination', out], dir).trim().split('\n').pop())
  }
} finally {
  fs.rmSync(stage, { recursive: true, force: true })
}
