// Every shared fixture in tests/fixtures/fake as its own named test, run through the addon's
// NativeFakeOneInbox (the core's state machine) as the Rust runner
// (crates/oneinbox-webhooks/tests/fake_fixtures.rs) runs it: each request's exact answer (or no
// answer), each fault queued or refused with its issues, each delivery added, the state.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
require('..') // first: it explains a missing addon
const { NativeFakeOneInbox } = require('../index.js')

const fakeDir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'fake')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(fakeDir, 'fixture.schema.json')))
const files = fs
  .readdirSync(fakeDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('fake: every fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} fake fixtures`)
})

// The seed as the binding passes it: 8 bytes, big-endian.
function seedBytes(text) {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(text))
  return bytes
}

function bodyOf(spec) {
  if ('json' in spec) return Buffer.from(JSON.stringify(spec.json), 'utf8')
  return 'text' in spec ? Buffer.from(spec.text, 'utf8') : null
}

function answerOf(got, expected) {
  if (got === null) return null
  const out = { status: got.status, headers: got.headers }
  const text = Buffer.from(got.body).toString('utf8')
  if ('json' in expected) out.json = JSON.parse(text)
  else if ('text' in expected) out.text = text
  return out
}

const issuesOf = (issues) => (issues.length === 0 ? null : issues.map(({ code, path }) => ({ code, path })))

function stateOf(fake, expected) {
  const out = {}
  for (const name of Object.keys(expected)) {
    if (name === 'webhooks') out[name] = JSON.parse(fake.webhooksJson())
    else if (name === 'calls') out[name] = JSON.parse(fake.callsJson())
    else if (name === 'deliveries') {
      out[name] = Object.fromEntries(Object.keys(expected[name]).map((id) => [id, JSON.parse(fake.deliveriesJson(id) ?? 'null')]))
    } else {
      out[name] = fake.requests().map((r) => ({
        method: r.method,
        path: r.path,
        query: r.query,
        body: r.body ? Buffer.from(r.body).toString('utf8') : null,
        authorized: r.authorized,
      }))
    }
  }
  return out
}

for (const file of files) {
  test(`fake: ${file.replace(/\.json$/, '')}`, () => {
    const fixture = readJson(path.join(fakeDir, file))
    assert.ok(checkFixture(fixture), JSON.stringify(checkFixture.errors))
    const fake = new NativeFakeOneInbox(fixture.api_key ?? 'oi_sk_test_fake', seedBytes(fixture.seed ?? '0'))
    fixture.steps.forEach((step, i) => {
      let got
      let expected
      if ('request' in step) {
        const r = step.request
        got = answerOf(fake.handle(r.method, r.target, r.headers ?? [], bodyOf(r), r.now), step.response)
        expected = step.response
      } else if ('fail_next' in step) {
        const f = step.fail_next
        got = issuesOf(fake.failNext(f.status, f.times ?? 1, f.retry_after ?? null, bodyOf(f), f.processed ?? false))
        expected = step.issues ?? null
      } else if ('disconnect_next' in step) {
        const d = step.disconnect_next
        got = issuesOf(fake.disconnectNext(d.times ?? 1, d.processed ?? false))
        expected = step.issues ?? null
      } else if ('add_delivery' in step) {
        const a = step.add_delivery
        got = JSON.parse(fake.addDelivery(a.webhook_id, JSON.stringify(a.fields ?? {}), a.now) ?? 'null')
        expected = step.record
      } else {
        got = stateOf(fake, step.state)
        expected = step.state
      }
      assert.deepEqual(got, expected, `step ${i}`)
    })
  })
}
