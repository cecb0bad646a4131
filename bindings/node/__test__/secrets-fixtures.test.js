// Every shared fixture in tests/fixtures/secrets as its own named test, checked as the Rust
// runner (crates/oneinbox-webhooks/tests/secrets_fixtures.rs) checks it: which secret a
// command-line tool takes from its option, the content of its file option and its environment
// variable, or the usage error's issues (the addon's `chooseSecret`, which the command asks).
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
require('..') // first: it explains a missing addon
const { chooseSecret } = require('../index.js')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'secrets')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(dir, 'fixture.schema.json')))
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('the secrets fixture folder holds the shared fixtures', () => {
  assert.ok(files.length >= 20, `${files.length} fixtures`)
})

for (const file of files) {
  const fixture = readJson(path.join(dir, file))
  test(`secrets::${path.basename(file, '.json')}`, () => {
    assert.ok(checkFixture(fixture), JSON.stringify(checkFixture.errors))
    const sources = [fixture.option, fixture.file, fixture.env]
    const chosen = chooseSecret(fixture.name, ...sources)
    let got
    if (chosen.issues) {
      const text = JSON.stringify(chosen.issues)
      for (const s of sources) assert.ok(!s?.trim() || !text.includes(s.trim()), text)
      got = { issues: chosen.issues.map((i) => ({ code: i.code, path: i.path })) }
    } else {
      got = { secret: chosen.secret ?? null }
    }
    assert.deepEqual(got, fixture.expect)
  })
}
