// oneinbox-webhooks/testing: makeEvent, makeCall and makeDelivery (strict-valid bodies, wire-name
// overrides, deliveries a Receiver with the same secrets accepts and others refuse), and
// FakeOneInbox (answers valid against schemas/management, 401/404/405, FastAPI 422 details from
// the core's own argument rules: every builder fixture's bad arguments, sent to the fake, come
// back through parseResponse as the fixture's issues; faults; recorded requests without the key;
// fake.fetch with every input form; listening for any HTTP client).
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const util = require('node:util')
const Ajv2020 = require('ajv/dist/2020').default
const addFormats = require('ajv-formats')
const { Api, ApiError, AuthenticationError, KNOWN_EVENTS, Receiver, Secret, UsageError, parseEvent, sign, verifySignature } = require('..')
const testing = require('../testing')
const { CALL_SEQUENCE, Delivery, FakeOneInbox, FakeResponse, RecordedRequest, makeCall, makeDelivery, makeEvent } = testing

const root = path.join(__dirname, '..', '..', '..')
const KEY = 'oi_sk_test_SUPERSECRETKEY'
const AUTH = { authorization: `Bearer ${KEY}` }
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const HOOK = { name: 'Call events', url: 'https://example.com/h', events: ['call.ended'] }
const CALL = { agent_id: 'agt_1', to_number: '+15551234567', from_number: '+15557654321' }

test('the testing module exports exactly its API', () => {
  assert.deepEqual(Object.keys(testing).sort(), [
    'CALL_SEQUENCE',
    'Delivery',
    'FakeOneInbox',
    'FakeResponse',
    'RecordedRequest',
    'makeCall',
    'makeDelivery',
    'makeEvent',
  ])
  assert.equal(require('oneinbox-webhooks/testing'), testing, 'the subpath export resolves to this file')
})

// ---------------------------------------------------------------------------------------------
// Factories

test('makeEvent: every documented event, valid in strict mode, with the guide payload', () => {
  for (const name of KNOWN_EVENTS) {
    const body = makeEvent(name)
    assert.ok(Buffer.isBuffer(body))
    const e = parseEvent(body, { strict: true })
    assert.equal(e.event, name)
    assert.equal(e.call_id, 'call_abc123')
  }
  assert.equal(parseEvent(makeEvent('call.ended')).duration_seconds, 87)
})

test('makeEvent: overrides by wire name (null, new members, nested values)', () => {
  const body = makeEvent('call.ended', {
    call_id: 'call_1',
    outcome: null,
    duration_seconds: 12,
    analysis: { summary: 's', extracted_data: { n: [1] } },
    x_new: true,
  })
  const e = parseEvent(body)
  assert.deepEqual([e.call_id, e.outcome, e.duration_seconds, e.analysis.extracted_data, e.x_new], ['call_1', null, 12, { n: [1] }, true])
  assert.throws(
    () => parseEvent(body, { strict: true }),
    (err) => err.issues.some((i) => i.code === 'unknown_field' && i.path === '/x_new'),
  )
  assert.equal(parseEvent(makeEvent('call.started', {})).agent_id, 'agt_abc123')
  assert.throws(
    () => makeEvent('call.endd'),
    (err) => err instanceof UsageError && err.issues[0].path === '/event',
  )
  assert.throws(
    () => makeEvent('call.ended', { a: NaN, b: { c: undefined }, d: [Infinity] }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/a,/b/c,/d/0',
  )
  assert.throws(() => makeEvent('call.ended', [1]), TypeError)
  assert.throws(() => makeEvent(5), TypeError)
})

test('makeCall: the events of one connected call in order, one call_id, each strict-valid', () => {
  assert.ok(Object.isFrozen(CALL_SEQUENCE))
  assert.deepEqual(CALL_SEQUENCE, [
    'call.started',
    'transcript.partial',
    'transcript.final',
    'call.ended',
    'call.analyzed',
    'call.recording.available',
  ])
  const bodies = makeCall()
  const events = bodies.map((b) => parseEvent(b, { strict: true }))
  assert.deepEqual(
    events.map((e) => e.event),
    CALL_SEQUENCE,
  )
  assert.match(events[0].call_id, /^call_[0-9a-f]{16}$/)
  assert.ok(events.every((e) => e.call_id === events[0].call_id))
  assert.notEqual(parseEvent(makeCall()[0]).call_id, events[0].call_id, 'a fresh id each time')
  assert.ok(makeCall('call_42').every((b) => parseEvent(b).call_id === 'call_42'))
  assert.throws(() => makeCall(42), TypeError)
})

test('makeDelivery: a Receiver with the same token and secret accepts it; others refuse it', () => {
  const body = makeEvent('call.ended', { call_id: 'call_7' })
  const d = makeDelivery(body, {
    url: 'https://example.com/webhooks/oneinbox',
    urlToken: 'tok_123',
    signingSecret: WHSEC,
    msgId: 'msg_1',
    timestamp: 1_700_000_000,
  })
  assert.ok(d instanceof Delivery)
  assert.equal(d.url, 'https://example.com/webhooks/oneinbox?token=tok_123')
  assert.deepEqual(d.body, body)
  assert.equal(d.event, 'call.ended')
  assert.deepEqual(Object.keys(d.headers), ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])
  assert.equal(d.headers['content-type'], 'application/json')
  assert.equal(d.headers['webhook-id'], 'msg_1')
  assert.equal(d.headers['webhook-timestamp'], '1700000000')
  assert.equal(d.headers['webhook-signature'], sign(WHSEC, 'msg_1', 1_700_000_000, body))
  const receiver = new Receiver({ urlTokens: ['tok_123'], signingSecrets: [WHSEC] })
  assert.equal(receiver.receive(d.body, { headers: d.headers, url: d.url, now: 1_700_000_000 }).call_id, 'call_7')
  assert.throws(
    () => new Receiver({ urlTokens: ['other'] }).receive(d.body, { headers: d.headers, url: d.url }),
    (e) => e instanceof AuthenticationError && e.verification.code === 'token_mismatch',
  )
  assert.throws(
    () =>
      new Receiver({ signingSecrets: ['whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCEh'] }).receive(d.body, {
        headers: d.headers,
        url: d.url,
        now: 1_700_000_000,
      }),
    (e) => e instanceof AuthenticationError && e.verification.code === 'no_matching_signature',
  )

  // Defaults: a new msg_ id and the current time, which a Receiver accepts now.
  const fresh = makeDelivery(body, { url: 'https://example.com/h', urlToken: new Secret('tok_9'), signingSecret: new Secret(WHSEC) })
  assert.match(fresh.headers['webhook-id'], /^msg_[0-9a-f]{16}$/)
  assert.ok(Math.abs(Number(fresh.headers['webhook-timestamp']) - Date.now() / 1000) < 5)
  assert.equal(
    new Receiver({ urlTokens: ['tok_9'], signingSecrets: [WHSEC] }).receive(fresh.body, { headers: fresh.headers, url: fresh.url }).event,
    'call.ended',
  )
  assert.equal(
    makeDelivery(body, { url: 'https://e.com/h', signingSecret: WHSEC, timestamp: new Date(5_000_000) }).headers['webhook-timestamp'],
    '5000',
  )

  // Token only: no signature headers; neither: the body as it is.
  const plain = makeDelivery('{"event":"call.failed","call_id":"c"}', { url: 'https://e.com/h', urlToken: 'tok' })
  assert.deepEqual(plain.headers, { 'content-type': 'application/json' })
  assert.equal(verifySignature(d.headers, d.body, WHSEC, { now: 1_700_000_000 }).ok, true)
  assert.equal(makeDelivery(new Uint8Array([123, 125]), { url: 'https://e.com/h' }).url, 'https://e.com/h')
})

test('makeDelivery: misuse, and the token never shows', () => {
  const body = makeEvent('call.failed')
  assert.throws(() => makeDelivery(body), TypeError)
  assert.throws(() => makeDelivery(body, { url: 5 }), TypeError)
  assert.throws(() => makeDelivery({}, { url: 'https://e.com' }), TypeError)
  assert.throws(
    () => makeDelivery(body, { url: 'https://e.com', token: 'x' }),
    (e) => e instanceof UsageError && e.issues[0].path === '/token',
  )
  assert.throws(
    () => makeDelivery(body, { url: 'https://e.com', signingSecret: 'not-a-whsec-TOPSECRET' }),
    (e) => e instanceof UsageError && !e.message.includes('TOPSECRET'),
  )
  assert.throws(
    () => makeDelivery(body, { url: 'https://e.com', timestamp: 1.5 }),
    (e) => e instanceof UsageError && e.issues[0].path === '/timestamp',
  )
  const d = makeDelivery(body, { url: 'https://e.com/h', urlToken: 'tok_TOPSECRET' })
  for (const text of [util.inspect(d), JSON.stringify(d)]) {
    assert.ok(!text.includes('TOPSECRET'), text)
    assert.match(text, /token=\[redacted\]/)
  }
  assert.ok(Object.isFrozen(d) && Object.isFrozen(d.headers))
})

// ---------------------------------------------------------------------------------------------
// The fake: shapes and errors

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
const schemaDir = path.join(root, 'schemas', 'management')
for (const file of fs.readdirSync(schemaDir)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')), file)
function valid(name, value) {
  const check = ajv.getSchema(name)
  assert.ok(check(value), `${name}: ${JSON.stringify(check.errors)}`)
}

function send(fake, method, url, body, headers = AUTH) {
  const raw = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body)
  const response = fake.handle({ method, url, headers, body: raw })
  assert.ok(response instanceof FakeResponse)
  return response
}

test('answers have the published shapes (schemas/management)', () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const created = send(fake, 'POST', '/v1/webhooks', HOOK)
  assert.equal(created.status, 201)
  assert.equal(created.headers['content-type'], 'application/json')
  const hook = created.json()
  valid('webhook.schema.json', hook)
  assert.match(hook.id, /^wh_/)
  assert.match(hook.secret, /^whsec_/)
  assert.doesNotThrow(() => new Receiver({ signingSecrets: [hook.secret] }), 'the secret is a usable whsec_ key')
  assert.deepEqual([hook.status, hook.events], ['active', ['call.ended']])
  const listed = send(fake, 'GET', '/v1/webhooks').json()
  valid('webhook-list.schema.json', listed)
  assert.deepEqual([listed.items, listed.total], [[hook], 1])
  assert.deepEqual(send(fake, 'GET', `/v1/webhooks/${hook.id}`).json(), hook)
  assert.equal(send(fake, 'POST', `/v1/webhooks/${hook.id}/test`).status, 200)
  const page = send(fake, 'GET', `/v1/webhooks/${hook.id}/deliveries`).json()
  valid('delivery-page.schema.json', page)
  assert.deepEqual([page.total, page.limit, page.offset], [1, 50, 0])
  const call = send(fake, 'POST', '/v1/calls', { ...CALL, webhook_url: 'https://e.com/c', scheduled_at: '2026-06-01T10:00:00Z' })
  assert.equal(call.status, 201)
  valid('call.schema.json', call.json())
  const calls = send(fake, 'GET', '/v1/calls').json()
  valid('call-page.schema.json', calls)
  assert.deepEqual([calls.total, calls.items[0].id], [1, call.json().id])
  valid('call.schema.json', send(fake, 'GET', `/v1/calls/${call.json().id}`).json())
  assert.equal(fake.calls[0].webhook_url, 'https://e.com/c')
  assert.equal(fake.calls[0].scheduled_at, '2026-06-01T10:00:00Z')
  const bad = send(fake, 'POST', '/v1/webhooks', { name: '' })
  assert.equal(bad.status, 422)
  valid('error.schema.json', bad.json())
  const deleted = send(fake, 'DELETE', `/v1/webhooks/${hook.id}`)
  assert.deepEqual([deleted.status, deleted.body.length], [204, 0])
  // What the core reads from them.
  const api = new Api(KEY)
  assert.equal(api.createWebhook(HOOK).parseResponse(created.status, created.body).secret.reveal(), hook.secret)
})

test('401 without the right key, 404 for unknown paths and ids, 405 for other methods', () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const hook = send(fake, 'POST', '/v1/webhooks', HOOK).json()
  for (const [headers, detail] of [
    [{}, 'Not authenticated'],
    [{ authorization: 'Basic x' }, 'Not authenticated'],
    [{ authorization: `Bearer ${KEY}x` }, 'Invalid API key'],
    [{ authorization: 'Bearer oi_sk_other' }, 'Invalid API key'],
  ]) {
    const r = send(fake, 'GET', '/v1/webhooks', undefined, headers)
    assert.deepEqual([r.status, r.json(), r.headers['www-authenticate']], [401, { detail }, 'Bearer'])
    assert.throws(
      () => new Api(KEY).listWebhooks().parseResponse(r.status, r.body),
      (e) => e instanceof ApiError && e.status === 401 && e.message === detail && !e.retryable,
    )
  }
  assert.deepEqual(
    fake.requests.map((r) => r.authorized),
    [true, false, false, false, false],
  )
  for (const [method, url] of [
    ['PATCH', '/v1/webhooks/wh_nope'],
    ['DELETE', '/v1/webhooks/wh_nope'],
    ['POST', '/v1/webhooks/wh_nope/test'],
    ['GET', '/v1/webhooks/wh_nope/deliveries'],
    ['GET', '/v1/webhooks/wh_nope'],
  ]) {
    const r = send(fake, method, url, method === 'PATCH' ? { name: 'x' } : undefined)
    assert.deepEqual([r.status, r.json()], [404, { detail: 'Webhook not found' }], `${method} ${url}`)
  }
  assert.deepEqual(
    [send(fake, 'GET', '/v2/webhooks').status, send(fake, 'GET', '/v1/nothing').status, send(fake, 'GET', '/').status],
    [404, 404, 404],
  )
  assert.equal(send(fake, 'PUT', `/v1/webhooks/${hook.id}`, HOOK).status, 405)
  assert.equal(send(fake, 'PATCH', '/v1/calls').status, 405)
  // Ids are percent-decoded as one path segment (the core encodes them).
  const api = new Api(KEY)
  const r = send(fake, 'DELETE', new URL(api.deleteWebhook('wh/1?#').url).pathname)
  assert.deepEqual([r.status, r.json()], [404, { detail: 'Webhook not found' }])
})

test("422 bodies: FastAPI details (loc, msg, type) from the core's rules", () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const details = (method, url, body) => {
    const r = send(fake, method, url, body)
    assert.equal(r.status, 422, r.body.toString())
    return r.json().detail
  }
  assert.deepEqual(details('POST', '/v1/webhooks', { name: '', url: 'http://e.com', events: [5, 'call.ended'], extra: 1 }), [
    { type: 'value_error', loc: ['body', 'name'], msg: 'Value error, `name` must be 1–255 characters, found 0' },
    { type: 'value_error', loc: ['body', 'url'], msg: 'Value error, `url` must use `https`, found scheme "http"' },
    { type: 'string_type', loc: ['body', 'events', 0], msg: 'Input should be a valid string', input: 5 },
    { type: 'extra_forbidden', loc: ['body', 'extra'], msg: 'Extra inputs are not permitted', input: 1 },
  ])
  // A list index maps back to the body's own index when wrong-typed items were left out.
  assert.deepEqual(
    details('POST', '/v1/webhooks', { ...HOOK, events: [null, 'nope'] }).map((d) => [d.type, d.loc]),
    [
      ['string_type', ['body', 'events', 0]],
      ['value_error', ['body', 'events', 1]],
    ],
  )
  assert.deepEqual(
    details('POST', '/v1/webhooks', { url: 7, events: 'call.ended' }).map((d) => [d.type, d.loc]),
    [
      ['missing', ['body', 'name']],
      ['string_type', ['body', 'url']],
      ['list_type', ['body', 'events']],
    ],
  )
  assert.deepEqual(details('POST', '/v1/webhooks', '{'), [
    { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', ctx: { error: details('POST', '/v1/webhooks', '{')[0].ctx.error } },
  ])
  assert.deepEqual(
    details('POST', '/v1/webhooks', '[]').map((d) => [d.type, d.loc]),
    [['model_attributes_type', ['body']]],
  )
  assert.deepEqual(
    details('POST', '/v1/calls', undefined).map((d) => [d.type, d.loc]),
    [['missing', ['body']]],
  )
  assert.deepEqual(
    details('POST', '/v1/calls', { ...CALL, variables: { a: { 'b/c': [1, 2] } }, metadata: [] }).map((d) => [d.type, d.loc]),
    [['dict_type', ['body', 'metadata']]],
  )
  const hook = send(fake, 'POST', '/v1/webhooks', HOOK).json()
  assert.deepEqual(
    details('PATCH', `/v1/webhooks/${hook.id}`, {}).map((d) => [d.type, d.loc]),
    [['missing', ['body']]],
  )
  assert.deepEqual(
    details('PATCH', `/v1/webhooks/${hook.id}`, { status: 'paused', name: null }).map((d) => [d.type, d.loc]),
    [['value_error', ['body', 'status']]],
  )
  // A valid PATCH with nulls: the null members are left alone.
  const patched = send(fake, 'PATCH', `/v1/webhooks/${hook.id}`, { status: 'disabled', name: null })
  assert.deepEqual([patched.status, patched.json().status, patched.json().name], [200, 'disabled', 'Call events'])
  // Query parameters of the delivery list.
  assert.deepEqual(
    details('GET', `/v1/webhooks/${hook.id}/deliveries?limit=x&offset=1`).map((d) => [d.type, d.loc]),
    [['int_parsing', ['query', 'limit']]],
  )
  assert.deepEqual(
    details('GET', `/v1/webhooks/${hook.id}/deliveries?limit=201&offset=-1`).map((d) => [d.type, d.loc]),
    [
      ['value_error', ['query', 'limit']],
      ['value_error', ['query', 'offset']],
    ],
  )
  const err = (() => {
    const r = send(fake, 'GET', `/v1/webhooks/${hook.id}/deliveries?limit=0`)
    try {
      new Api(KEY).listDeliveries(hook.id).parseResponse(r.status, r.body)
    } catch (e) {
      return e
    }
  })()
  assert.ok(err instanceof ApiError)
  assert.deepEqual(
    err.details.map((i) => [i.code, i.path]),
    [['invalid_value', '/limit']],
  )
})

const fixtureDir = path.join(root, 'tests', 'fixtures', 'management')
const BODY_CALLS = ['create_webhook', 'update_webhook', 'create_call']
const fixtures = fs
  .readdirSync(fixtureDir)
  .filter((f) => f.startsWith('build_') && f.endsWith('.json'))
  .sort()
  .map((f) => [path.basename(f, '.json'), JSON.parse(fs.readFileSync(path.join(fixtureDir, f), 'utf8'))])
  .filter(([, c]) => BODY_CALLS.includes(c.call))

function target(c) {
  const id = c.args.webhook_id ?? 'wh_1'
  return c.call === 'update_webhook'
    ? ['PATCH', `/v1/webhooks/${encodeURIComponent(id)}`]
    : ['POST', c.call === 'create_call' ? '/v1/calls' : '/v1/webhooks']
}

const badCases = fixtures.filter(([, c]) => 'usage_issues' in c.expect && !c.expect.usage_issues.some((i) => i.path === '/webhook_id'))
test('the builder fixtures with bad arguments are at least 20', () => assert.ok(badCases.length >= 20, `${badCases.length}`))
for (const [name, c] of badCases) {
  test(`fixture ${name}: its bad arguments come back from the fake as the fixture's issues`, () => {
    const { webhook_id: _id, ...args } = c.args
    const [method, url] = target(c)
    const r = send(new FakeOneInbox({ apiKey: KEY }), method, url, args)
    assert.equal(r.status, 422, r.body.toString())
    assert.throws(
      () => new Api(KEY).listWebhooks().parseResponse(r.status, r.body),
      (e) => {
        assert.ok(e instanceof ApiError)
        assert.deepEqual(
          e.details.map(({ code, path: p }) => ({ code, path: p })),
          c.expect.usage_issues,
        )
        return true
      },
    )
  })
}

test('every builder fixture that expects a request: the fake accepts that body', () => {
  let count = 0
  for (const [name, c] of fixtures) {
    if (!('request' in c.expect)) continue
    const fake = new FakeOneInbox({ apiKey: KEY })
    const hook = send(fake, 'POST', '/v1/webhooks', HOOK).json()
    const req = c.expect.request
    const url = c.call === 'update_webhook' ? `/v1/webhooks/${hook.id}` : new URL(req.url).pathname.replace(/^.*(\/v1\/)/, '$1')
    const r = send(fake, req.method, url, req.json)
    assert.ok(r.status === 200 || r.status === 201, `${name}: ${r.status} ${r.body}`)
    count++
  }
  assert.ok(count >= 20, `${count}`)
})

// ---------------------------------------------------------------------------------------------
// The fake: state, faults, recording

test('delivery history: testWebhook and addDelivery record, newest first; limit/offset paging', () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const hook = send(fake, 'POST', '/v1/webhooks', { ...HOOK, events: ['transcript.final', 'call.ended'] }).json()
  send(fake, 'POST', `/v1/webhooks/${hook.id}/test`)
  const added = fake.addDelivery(hook.id, { event: 'call.failed', status: 'failed', response_status: 500, error: 'boom' })
  const history = fake.deliveries(hook.id)
  assert.deepEqual(
    history.map((d) => [d.event, d.status]),
    [
      ['call.failed', 'failed'],
      ['transcript.final', 'succeeded'],
    ],
  )
  assert.deepEqual(history[0], added)
  for (let i = 0; i < 5; i++) fake.addDelivery(hook.id)
  const page = send(fake, 'GET', `/v1/webhooks/${hook.id}/deliveries?limit=3&offset=5`).json()
  assert.deepEqual([page.items.length, page.total, page.limit, page.offset], [2, 7, 3, 5])
  assert.deepEqual(
    page.items.map((d) => d.id),
    fake
      .deliveries(hook.id)
      .slice(5)
      .map((d) => d.id),
  )
  assert.deepEqual(send(fake, 'GET', `/v1/webhooks/${hook.id}/deliveries?offset=99`).json().items, [])
  // Copies: changing them changes nothing.
  fake.deliveries(hook.id)[0].event = 'x'
  fake.webhooks[0].name = 'x'
  fake.calls.push({})
  assert.notEqual(fake.deliveries(hook.id)[0].event, 'x')
  assert.equal(fake.webhooks[0].name, 'Call events')
  assert.equal(fake.calls.length, 0)
  assert.throws(() => fake.deliveries('wh_nope'), RangeError)
  assert.throws(() => fake.addDelivery('wh_nope'), RangeError)
  // Deleting a webhook ends its history.
  send(fake, 'DELETE', `/v1/webhooks/${hook.id}`)
  assert.throws(() => fake.deliveries(hook.id), RangeError)
})

test('failNext: status, times, Retry-After, body, processed; checked options', () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  fake.failNext(503, { times: 2, retryAfter: 7 })
  fake.failNext(500, { body: 'oops' })
  fake.failNext(418, { body: { error: { message: 'teapot' } } })
  const a = send(fake, 'GET', '/v1/webhooks')
  assert.deepEqual([a.status, a.headers['retry-after'], a.json()], [503, '7', { detail: 'Service Unavailable' }])
  assert.equal(send(fake, 'POST', '/v1/webhooks', HOOK).status, 503)
  assert.equal(fake.webhooks.length, 0, 'not processed by default')
  assert.deepEqual([send(fake, 'GET', '/v1/webhooks').body.toString()], ['oops'])
  const teapot = send(fake, 'GET', '/v1/webhooks')
  assert.equal(teapot.status, 418)
  assert.throws(
    () => new Api(KEY).listWebhooks().parseResponse(teapot.status, teapot.body),
    (e) => e.message === 'teapot',
  )
  assert.equal(send(fake, 'GET', '/v1/webhooks').status, 200, 'faults are used up')
  fake.failNext(504, { processed: true })
  assert.equal(send(fake, 'POST', '/v1/webhooks', HOOK).status, 504)
  assert.equal(fake.webhooks.length, 1, 'processed, then failed')
  fake.disconnectNext({ times: 2, processed: true })
  assert.equal(fake.handle({ method: 'POST', url: '/v1/calls', headers: AUTH, body: JSON.stringify(CALL) }), null)
  assert.equal(fake.handle({ method: 'GET', url: '/v1/webhooks', headers: AUTH }), null)
  assert.equal(fake.calls.length, 1)
  assert.throws(() => fake.failNext(99), UsageError)
  assert.throws(() => fake.failNext(600), UsageError)
  assert.throws(() => fake.failNext('500'), TypeError)
  assert.throws(
    () => fake.failNext(500, { time: 2 }),
    (e) => e instanceof UsageError && e.issues[0].path === '/time',
  )
  assert.throws(() => fake.failNext(500, { times: 0 }), UsageError)
  assert.throws(() => fake.disconnectNext({ times: 1.5 }), UsageError)
})

test('requests are recorded (method, path, query, body, authorized) without the key', () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  send(fake, 'POST', 'https://anything.example/v1/webhooks?x=1', HOOK)
  send(fake, 'GET', '/v1/webhooks', undefined, { authorization: 'Bearer wrong' })
  const [first, second] = fake.requests
  assert.ok(first instanceof RecordedRequest)
  assert.deepEqual([first.method, first.path, first.query, first.authorized], ['POST', '/v1/webhooks', 'x=1', true])
  assert.deepEqual(first.json(), HOOK)
  assert.deepEqual([second.body, second.json(), second.authorized], [null, null, false])
  assert.ok(Object.isFrozen(first))
  for (const text of [util.inspect(fake.requests), JSON.stringify(fake.requests), util.inspect(fake), JSON.stringify(fake)]) {
    assert.ok(!text.includes('SUPERSECRET'), text)
  }
  assert.equal(new FakeOneInbox().apiKey, 'oi_sk_test_fake')
  assert.throws(() => new FakeOneInbox({ key: 'x' }), UsageError)
  assert.throws(() => new FakeOneInbox({ apiKey: '' }), TypeError)
})

test('fake.fetch takes a URL string, a URL, a Request, Headers and any body form', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const base = fake.url
  assert.equal(base, 'http://fake.oneinbox.invalid')
  const { fetch } = fake // works unbound
  let r = await fetch(`${base}/v1/webhooks`, {
    method: 'POST',
    headers: new Headers(AUTH),
    body: new TextEncoder().encode(JSON.stringify(HOOK)),
  })
  assert.equal(r.status, 201)
  const id = (await r.json()).id
  r = await fetch(new URL(`${base}/v1/webhooks`), { headers: [['Authorization', `Bearer ${KEY}`]] })
  assert.equal((await r.json()).total, 1)
  r = await fetch(new Request(`${base}/v1/webhooks/${id}`, { method: 'PATCH', headers: AUTH, body: JSON.stringify({ name: 'renamed' }) }))
  assert.equal((await r.json()).name, 'renamed')
  r = await fetch(`${base}/v1/webhooks/${id}`, { method: 'DELETE', headers: AUTH })
  assert.deepEqual([r.status, await r.text()], [204, ''])
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  await assert.rejects(fetch(`${base}/v1/webhooks`, { headers: AUTH, signal: controller.signal }), /stop/)
  fake.disconnectNext()
  await assert.rejects(
    fetch(`${base}/v1/webhooks`, { headers: AUTH }),
    (e) => e instanceof TypeError && e.message === 'fetch failed' && e.cause.code === 'UND_ERR_SOCKET',
  )
})

test('fake.client(): a Client over fake.fetch whose waits land in fake.sleeps', async () => {
  const fake = new FakeOneInbox()
  const client = fake.client({ maxRetries: 3, random: () => 0.5 })
  assert.equal(client.maxRetries, 3)
  fake.failNext(502, { times: 2 })
  fake.failNext(429, { retryAfter: 2 })
  assert.deepEqual(await client.listWebhooks(), [])
  assert.deepEqual(fake.sleeps, [250, 500, 2000])
})

test('listen: any HTTP client (node:http, chunked bodies, kept-alive connections); close ends them', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const url = await fake.listen(0)
  await assert.rejects(fake.listen(0), /already listening/)
  const agent = new http.Agent({ keepAlive: true })
  const request = (method, p, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${url}${p}`, { method, agent, headers: { ...AUTH, 'content-type': 'application/json' } }, (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      })
      req.on('error', reject)
      if (body !== undefined) {
        // Two writes without a Content-Length: a chunked body.
        const text = JSON.stringify(body)
        req.write(text.slice(0, 5))
        req.write(text.slice(5))
      }
      req.end()
    })
  try {
    const created = await request('POST', '/v1/webhooks', HOOK)
    assert.equal(created.status, 201, created.body)
    assert.equal(created.headers['content-type'], 'application/json')
    const listed = await request('GET', '/v1/webhooks')
    assert.equal(JSON.parse(listed.body).items[0].id, JSON.parse(created.body).id)
    const bad = await request('POST', '/v1/calls', { agent_id: 'a' })
    assert.equal(bad.status, 422)
    assert.deepEqual(
      JSON.parse(bad.body).detail.map((d) => d.loc.join('.')),
      ['body.to_number', 'body.from_number'],
    )
    fake.disconnectNext()
    await assert.rejects(request('GET', '/v1/webhooks'), (e) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message))
  } finally {
    await fake.close()
    agent.destroy()
  }
  assert.equal(fake.url, 'http://fake.oneinbox.invalid')
  await fake.close() // nothing to do
  // It can listen again.
  const again = await fake.listen(0)
  const r = await fetch(`${again}/v1/webhooks`, { headers: AUTH })
  assert.equal((await r.json()).total, 1)
  await fake.close()
})
