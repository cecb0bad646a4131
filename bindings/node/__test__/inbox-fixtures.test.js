// Every shared fixture in tests/fixtures/inbox as its own named test, checked as the Rust runner
// (crates/oneinbox-webhooks/tests/inbox_fixtures.rs) checks it: InboxPolicy's steps (the core's
// state machine that every store asks), or a policy built from its arguments.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
const { UsageError } = require('..')
const { InboxPolicy, inboxBackoffMs } = require('../inbox.js')

const inboxDir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'inbox')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(inboxDir, 'fixture.schema.json')))
const files = fs
  .readdirSync(inboxDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()
const SPECIAL = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY }

// Rows in the fixtures' snake_case, rows in JavaScript's camelCase.
const rowIn = (r) => r && { state: r.state, attempts: r.attempts, dueAt: r.due_at, lastError: r.last_error, updatedAt: r.updated_at }
const rowOut = (r) => r && { state: r.state, attempts: r.attempts, due_at: r.dueAt, last_error: r.lastError, updated_at: r.updatedAt }

function verdict(step) {
  const v = { kind: step.verdict }
  if (step.verdict === 'run') v.attempt = step.attempt
  if (step.verdict === 'busy') v.retry_after_ms = step.retryAfterMs
  if (step.verdict === 'failed') v.due_at = step.dueAt
  return v
}

function apply(policy, row, input, now) {
  switch (input.kind) {
    case 'arrive':
      return policy.arrive(row, now)
    case 'covered':
      return policy.arrive(row, now, true)
    case 'claim':
      return policy.claim(row, now)
    case 'replay':
      return policy.replay(row, now)
    case 'finish':
      return policy.finish(row, input.attempt, input.error, now)
    case 'release':
      return policy.release(row, input.attempt, input.reason, now)
    default:
      throw new Error(`unknown input ${input.kind}`)
  }
}

test('inbox: every fixture is collected', () => {
  assert.ok(files.length >= 20, `${files.length}`)
})

for (const file of files) {
  test(`inbox: ${file.replace(/\.json$/, '')}`, () => {
    const fixture = readJson(path.join(inboxDir, file))
    assert.ok(checkFixture(fixture), JSON.stringify(checkFixture.errors))
    if (fixture.host_policy) {
      const args = fixture.host_policy
      const [lease, maxAttempts] = [args.lease, args.max_attempts].map((v) => (typeof v === 'string' ? SPECIAL[v] : v))
      // Node names the arguments `lease` and `maxAttempts`: a fixture written with Python's
      // names checks the same rule, so compare the issues with the names swapped back.
      const names = { lease: args.names[0], maxAttempts: args.names[1] }
      let got
      try {
        const built = new InboxPolicy({ lease, maxAttempts })
        got = { lease_ms: built.leaseMs, max_attempts: built.maxAttempts }
      } catch (err) {
        assert.ok(err instanceof UsageError, String(err))
        got = {
          issues: err.issues.map((i) => {
            let { path: p, message } = i
            for (const [jsName, name] of Object.entries(names)) {
              p = p.replace(`/${jsName}`, `/${name}`)
              message = message.replace(`\`${jsName}\``, `\`${name}\``)
            }
            return { code: i.code, path: p, message }
          }),
        }
      }
      assert.deepEqual(got, fixture.expect)
      return
    }
    const policy = fixture.policy
      ? new InboxPolicy({ lease: fixture.policy.lease_ms / 1000, maxAttempts: fixture.policy.max_attempts })
      : new InboxPolicy()
    let row = rowIn(fixture.row)
    fixture.steps.forEach((step, i) => {
      const result = apply(policy, row, step.input, step.now)
      const write = result.row !== null
      if (write) row = result.row
      assert.deepEqual({ verdict: verdict(result), write, row: rowOut(row) }, step.expect, `step ${i}`)
    })
  })
}

test('inbox: arguments have JavaScript types', () => {
  assert.throws(() => new InboxPolicy({ lease: '60' }), TypeError)
  assert.throws(
    () => new InboxPolicy({ leese: 60 }),
    (err) => err instanceof UsageError && err.issues[0].path === '/leese',
  )
  const policy = new InboxPolicy()
  assert.throws(() => policy.arrive(null, 1.5), TypeError)
  assert.throws(() => policy.arrive([], 1), TypeError)
  assert.throws(() => policy.finish(null, 1, 42, 1), TypeError)
  assert.equal(inboxBackoffMs(3), 40_000)
  assert.equal(policy.leaseMs, 60_000)
  assert.equal(policy.maxAttempts, 10)
})
