// Every fixture in tests/fixtures/usage (format: its README): the same bad argument gives the
// same error class and issue codes here as in Python. Argument names and issue paths are
// Python's in the files; Node spells them in camelCase.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Api, ApiError, Receiver, UsageError, ValidationError, parseEvent, verifySignature } = require('..')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'usage')
const ENDED = '{"event":"call.ended","call_id":"call_1","outcome":"Booked"}'
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const camelArgs = (args) => Object.fromEntries(Object.entries(args).map(([k, v]) => [camel(k), v]))
const camelPath = (pointer) => pointer.split('/').map(camel).join('/')

const CALLS = {
  parse_event: (args) => parseEvent(ENDED, args),
  parse_response: (args) => new Api('oi_sk_test_key').listWebhooks().parseResponse(args.status, ''),
  verify_signature: (args) => verifySignature({}, ENDED, SECRET, args),
  receiver: (args) => new Receiver(args),
}
const ERRORS = { UsageError, ValidationError, ApiError, TypeError }

const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()

test('the usage fixture folder holds the shared fixtures', () => {
  assert.ok(files.length >= 15, `${files.length} fixtures`)
})

for (const file of files) {
  const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
  test(`usage fixture ${file.replace(/\.json$/, '')}`, () => {
    const call = CALLS[fixture.call]
    assert.ok(call, `unknown call ${fixture.call}`)
    const args = camelArgs(fixture.args)
    const expect = fixture.expect
    if (expect.ok) {
      call(args)
      return
    }
    let error
    try {
      call(args)
    } catch (e) {
      error = e
    }
    assert.ok(error instanceof ERRORS[expect.error], `expected ${expect.error}, got ${error}`)
    if (expect.issues) {
      const want = expect.issues.map((i) => ({ code: i.code, path: expect.error === 'UsageError' ? camelPath(i.path) : i.path }))
      assert.deepEqual(
        error.issues.map((i) => ({ code: i.code, path: i.path })),
        want,
      )
      if (expect.error === 'UsageError') {
        for (const issue of error.issues) assert.ok(issue.message.includes(`\`${issue.path.slice(1)}\``), issue.message)
      }
    }
  })
}
