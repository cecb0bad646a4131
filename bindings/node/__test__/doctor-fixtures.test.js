// Every shared fixture in tests/fixtures/doctor as its own named test: diagnose() over the
// fixture's webhooks (plain objects and Webhook instances), delivery rows and calls, compared
// with the expected JSON and text (renderDiagnosis).
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Webhook, UsageError, diagnose, renderDiagnosis } = require('..')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'doctor')
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('every doctor fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} fixtures`)
})

for (const file of files) {
  test(`doctor fixture ${file.replace(/\.json$/, '')}`, () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
    const args = [fixture.webhooks, fixture.deliveries, fixture.calls]
    if (fixture.error !== undefined) {
      assert.throws(
        () => diagnose(...args),
        (err) => {
          assert.ok(err instanceof UsageError)
          assert.deepEqual(
            err.issues.map((i) => ({ code: i.code, path: i.path })),
            fixture.error,
          )
          return true
        },
      )
      return
    }
    const got = diagnose(...args)
    assert.deepEqual(got, fixture.expected)
    assert.deepEqual(JSON.parse(renderDiagnosis(got, { json: true })), fixture.expected)
    if (fixture.text !== undefined) assert.equal(renderDiagnosis(got), fixture.text)
    const hooks = fixture.webhooks.map((w) => new Webhook(w))
    const rows = new Set(fixture.deliveries).values() // any iterable, as iterDeliveries collected
    assert.deepEqual(diagnose(hooks, rows, fixture.calls), fixture.expected)
  })
}
