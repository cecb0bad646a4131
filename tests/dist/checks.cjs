// The smoke test of an installed oneinbox-webhooks (`just test-dist`, the release workflow):
// parse, authenticate, build a management request. `smoke.cjs` runs it on what `require`
// gives, `smoke.mjs` on what `import` gives; both are copied into an empty npm project.
'use strict'

const assert = require('node:assert/strict')
const crypto = require('node:crypto')

module.exports = function check(ow, how) {
  // Parse: a valid event is a plain object; an invalid one throws every issue.
  const event = ow.parseEvent(Buffer.from('{"event":"call.ended","call_id":"call_1","duration_seconds":42}'))
  assert.equal(event.event, 'call.ended')
  assert.equal(event.duration_seconds, 42)
  // Members the contract does not list: in place for JSON.stringify, by name in `extra`.
  const extra = ow.parseEvent('{"event":"call.ended","call_id":"call_1","sentiment":"happy"}')
  assert.deepEqual([extra.extra, JSON.stringify(extra)], [{ sentiment: 'happy' }, '{"event":"call.ended","call_id":"call_1","sentiment":"happy"}'])
  assert.equal(event.extra, undefined) // nothing unlisted: no `extra` (it costs a parse nothing)
  assert.throws(
    () => ow.parseEvent('{"event":"call.failed","reason":7}'),
    (err) => err instanceof ow.ValidationError && err instanceof ow.OneInboxError &&
      JSON.stringify(err.issues.map((i) => i.path).sort()) === '["/call_id","/reason"]',
  )

  // Authenticate: the Standard Webhooks signature computed here with node:crypto is the one
  // sign() makes; Receiver accepts the delivery it signs and refuses a changed body.
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
  const secret = `whsec_${key.toString('base64')}`
  const body = '{"event":"call.started","call_id":"call_2"}'
  const msgId = 'msg_1'
  const ts = 1780000000
  const signature = `v1,${crypto.createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest('base64')}`
  assert.equal(ow.sign(secret, msgId, ts, body), signature)
  const headers = { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': signature }
  const receiver = new ow.Receiver({ signingSecrets: [secret] })
  assert.equal(receiver.receive(Buffer.from(body), { headers, now: ts }).call_id, 'call_2')
  assert.throws(
    () => receiver.receive(body.replace('call_2', 'call_3'), { headers, now: ts }),
    (err) => err instanceof ow.AuthenticationError && err.verification.code === 'no_matching_signature',
  )
  const token = `tok_${'a'.repeat(32)}`
  const url = ow.addUrlToken('https://example.com/hooks/oneinbox', token)
  assert.equal(new ow.Receiver({ urlTokens: [token] }).receive(body, { url }).call_id, 'call_2')

  // Build a management request and read its answer.
  const api = new ow.Api('oi_sk_test_smoke')
  assert.ok(!JSON.stringify(api).includes('oi_sk_test_smoke'))
  const req = api.createWebhook({ name: 'Smoke', url: 'https://example.com/hooks', events: ['call.ended'] })
  assert.equal(req.method, 'POST')
  assert.equal(req.url, 'https://api.oneinbox.ai/v1/webhooks')
  assert.equal(req.headers.Authorization, 'Bearer oi_sk_test_smoke')
  assert.deepEqual(JSON.parse(req.body), { name: 'Smoke', url: 'https://example.com/hooks', events: ['call.ended'] })
  assert.equal(req.parseResponse(201, '{"id":"wh_1","name":"Smoke","events":["call.ended"]}').id, 'wh_1')
  assert.throws(
    () => req.parseResponse(429, '{"error":"slow down"}'),
    (err) => err instanceof ow.ApiError && err.status === 429 && err.retryable === true,
  )
  console.log(`smoke (${how}): parses, authenticates, builds requests`)
}
