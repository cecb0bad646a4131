// Every shared fixture in tests/fixtures/retry as its own named test: PreparedRequest's
// afterStatus / afterFailure, the core's retry driver that the Client asks after a failed attempt.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Api } = require('..')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'retry')
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()
const KEY = 'oi_sk_test_abc123'

function build(call) {
  const api = new Api(KEY)
  switch (call) {
    case 'list_webhooks':
      return api.listWebhooks()
    case 'test_webhook':
      return api.testWebhook('wh_abc123')
    case 'delete_webhook':
      return api.deleteWebhook('wh_abc123')
    case 'create_webhook':
      return api.createWebhook({ name: 'Call events', url: 'https://example.com/h', events: ['call.ended'] })
    case 'create_call':
      return api.createCall({ agent_id: 'agt_abc123', to_number: '+919876543210', from_number: '+15739693824' })
    default:
      throw new Error(`unknown call ${call}`)
  }
}

function stepJson(step) {
  if (step.wait !== null) {
    assert.equal(step.retryable, true)
    assert.equal(step.message, null)
    return { wait: step.wait }
  }
  return { give_up: { retryable: step.retryable, message: step.message } }
}

test('retry: every fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} retry fixtures`)
})

for (const file of files) {
  test(`retry: ${file.replace(/\.json$/, '')}`, () => {
    const f = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
    const prepared = build(f.call)
    const o = f.outcome
    const step =
      'status' in o
        ? prepared.afterStatus({
            attempt: f.attempt,
            maxRetries: f.max_retries,
            status: o.status,
            headers: o.headers,
            draw: f.draw,
            now: o.now,
          })
        : prepared.afterFailure({
            attempt: f.attempt,
            maxRetries: f.max_retries,
            sent: o.failure === 'lost',
            cause: o.cause,
            draw: f.draw,
          })
    assert.deepEqual(stepJson(step), f.expect)
    assert.ok(!JSON.stringify(step).includes(KEY))
  })
}
