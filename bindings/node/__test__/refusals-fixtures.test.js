// Every shared fixture in tests/fixtures/refusals as its own named test, run as the Rust runner
// (crates/oneinbox-webhooks/tests/refusals_fixtures.rs) runs it, through the addon's refusal
// limit that adapter-core.js keeps per adapter: each step's refusal admitted at its `now_ms`, and
// the lines to log compared with the step's `logged`.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
const native = require('../index.js')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'refusals')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(dir, 'fixture.schema.json')))
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('refusals: every fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} refusals fixtures`)
})

for (const file of files) {
  test(`refusals: ${path.basename(file, '.json')}`, () => {
    const f = readJson(path.join(dir, file))
    assert.ok(checkFixture(f), JSON.stringify(checkFixture.errors))
    const limit = 'burst' in f ? native.newRefusalLog(f.burst, f.window_ms) : native.newRefusalLog()
    f.steps.forEach((step, i) => {
      const got = limit.admit(step.reason, step.level ?? 'warn', step.line, step.now_ms)
      assert.deepEqual(
        got.map(({ level, line }) => ({ level, line })),
        step.logged,
        `step ${i}`,
      )
    })
  })
}

test('refusals: an unknown level is refused', () => {
  assert.throws(() => native.newRefusalLog().admit('token_mismatch', 'loud', 'x', 0), /unknown log level/)
})
