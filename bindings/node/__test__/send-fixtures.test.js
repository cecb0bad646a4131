// Every shared fixture in tests/fixtures/send as its own named test, checked as the Rust runner
// (crates/oneinbox-webhooks/tests/send_fixtures.rs) checks it: the plan of the `send` command's
// arguments (each delivery and its `--dry-run` line) or the usage error's issues. Then the
// command itself (bin/oneinbox-webhooks.js): `send --dry-run` with the same arguments prints
// exactly the fixture's lines, or exits 2 naming every bad argument.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
require('..') // first: it explains a missing addon
const { planSend } = require('../index.js')
const { main } = require('../bin/oneinbox-webhooks.js')

const sendDir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'send')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(sendDir, 'fixture.schema.json')))
const files = fs
  .readdirSync(sendDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

// The random seed as the command passes it: 8 bytes, big-endian.
function seedBytes(text) {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(text))
  return bytes
}

// The command line of the fixture's arguments.
function argv(args) {
  const out = ['send', '--dry-run']
  for (const name of ['call_id', 'seed', 'duplicates']) {
    // --name=value: parseArgs takes a value starting with a dash only in this form
    if (name in args) out.push(`--${name.replace('_', '-')}=${args[name]}`)
  }
  if (args.shuffle) out.push('--shuffle')
  return [...out, ...(args.events ?? [])]
}

async function runCommand(args) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv(args), {
    stdout: { write: (s) => (stdout += s) },
    stderr: { write: (s) => (stderr += s) },
    env: {},
  })
  return { code, stdout, stderr }
}

test('every send fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} send fixtures`)
})

for (const file of files) {
  test(`send fixture ${file.replace(/\.json$/, '')}`, async () => {
    const fixture = readJson(path.join(sendDir, file))
    assert.ok(checkFixture(fixture), JSON.stringify(checkFixture.errors))
    const { args } = fixture
    const plan = planSend(
      args.events ?? [],
      args.call_id ?? null,
      args.seed ?? null,
      args.duplicates ?? null,
      args.shuffle ?? false,
      seedBytes(fixture.random_seed ?? '0'),
    )
    if ('deliveries' in fixture) {
      assert.equal(plan.issues, undefined)
      const got = plan.deliveries.map((d) => ({ event: d.event, call_id: d.callId, msg_id: d.msgId, repeat: d.repeat, line: d.line }))
      assert.deepEqual(got, fixture.deliveries)
      if ('seed' in args) {
        // the command draws its own seed otherwise
        const { code, stdout, stderr } = await runCommand(args)
        assert.equal(code, 0, stderr)
        assert.equal(stdout, fixture.deliveries.map((d) => `${d.line}\n`).join(''))
      }
    } else {
      assert.equal(plan.deliveries, undefined)
      assert.deepEqual(
        plan.issues.map((i) => ({ code: i.code, path: i.path })),
        fixture.issues,
      )
      const { code, stdout, stderr } = await runCommand(args)
      assert.equal(code, 2)
      assert.equal(stdout, '')
      for (const issue of fixture.issues) assert.ok(stderr.includes(`${issue.path}: `), stderr)
    }
  })
}
