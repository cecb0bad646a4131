// Every shared fixture in tests/fixtures/management as its own named test, interpreted exactly
// as the Rust runner does (crates/oneinbox-webhooks/tests/management_fixtures.rs); a loopback
// server receiving every endpoint's prepared request through the built-in fetch; redaction.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const util = require('node:util')
const { Api, ApiError, PreparedRequest, Secret, UsageError, ValidationError, Webhook, retryAfter } = require('..')

const root = path.join(__dirname, '..', '..', '..')
const fixtureDir = path.join(root, 'tests', 'fixtures', 'management')
const DEFAULT_KEY = 'oi_sk_test_abc123'

function makeApi(api) {
  const key = api?.api_key ?? DEFAULT_KEY
  return api?.base_url === undefined ? new Api(key) : new Api(key, { baseUrl: api.base_url })
}

function defaultArgs(call) {
  switch (call) {
    case 'create_webhook':
      return { name: 'Call events', url: 'https://example.com/h', events: ['call.ended'] }
    case 'update_webhook':
      return { webhook_id: 'wh_abc123', status: 'inactive' }
    case 'create_call':
      return { agent_id: 'agt_abc123', to_number: '+919876543210', from_number: '+15739693824' }
    case 'get_call':
      return { call_id: 'call_abc123' }
    case 'list_calls':
      return {}
    default:
      return { webhook_id: 'wh_abc123' }
  }
}

// The fixture's `args` (wire names, the id under `webhook_id` or `call_id`) as the Node call.
function build(call, api, args) {
  const { webhook_id: id, call_id: callId, ...rest } = args
  switch (call) {
    case 'create_webhook':
      return api.createWebhook(rest)
    case 'list_webhooks':
      return api.listWebhooks()
    case 'update_webhook':
      return api.updateWebhook(id, rest)
    case 'delete_webhook':
      return api.deleteWebhook(id)
    case 'test_webhook':
      return api.testWebhook(id)
    case 'list_deliveries':
      return api.listDeliveries(id, rest)
    case 'create_call':
      return api.createCall(rest)
    case 'get_call':
      return api.getCall(callId)
    case 'list_calls':
      return api.listCalls(rest)
    default:
      throw new Error(`unknown call ${call}`)
  }
}

function requestJson(req) {
  return {
    method: req.method,
    url: req.url,
    headers: Object.entries(req.headers),
    json: req.body === null ? null : JSON.parse(req.body),
  }
}

// The JSON form of a result, as the core serializes it (the secret revealed).
function resultJson(value) {
  if (value === undefined) return null
  if (value instanceof Webhook) {
    const out = { ...value }
    if (value.secret instanceof Secret) out.secret = value.secret.reveal()
    return out
  }
  if (Array.isArray(value)) return value.map(resultJson)
  return value
}

const issueList = (issues) => issues.map(({ code, path }) => ({ code, path }))

function runBuilder(f) {
  let result
  let error
  try {
    const api = makeApi(f.api)
    if (f.call === 'api') throw new UsageError([])
    result = build(f.call, api, f.args)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    error = err
  }
  if ('request' in f.expect) {
    assert.equal(error, undefined, `expected a request, got ${error?.message}`)
    assert.ok(result instanceof PreparedRequest)
    assert.deepEqual(requestJson(result), f.expect.request)
    assert.equal('Content-Type' in result.headers, result.body !== null)
    for (const [n, v] of Object.entries(result.headers)) assert.ok(!/[\r\n]/.test(n + v))
  } else {
    assert.ok(error, 'expected usage issues, got a request')
    assert.deepEqual(issueList(error.issues), f.expect.usage_issues)
    const key = f.api?.api_key
    if (key && key.length > 3) {
      const text = `${error.message} ${util.inspect(error)} ${JSON.stringify(error)} ${error.stack}`
      assert.ok(!text.includes(key), 'the error shows the API key')
    }
  }
}

function runResponse(f) {
  const body = 'body_text' in f ? Buffer.from(f.body_text, 'utf8') : Buffer.from(JSON.stringify(f.body), 'utf8')
  const req = build(f.call, makeApi(f.api), f.args ?? defaultArgs(f.call))
  const { expect } = f
  let value
  let error
  try {
    value = req.parseResponse(f.status, body)
  } catch (err) {
    if (!(err instanceof ApiError) && !(err instanceof ValidationError)) throw err
    error = err
  }
  if ('result' in expect) {
    assert.equal(error, undefined, `expected a result, got ${error?.message}`)
    assert.deepEqual(resultJson(value), expect.result)
    if ('next_request' in expect) {
      const next = req.nextPage(value)
      assert.deepEqual(next === null ? null : requestJson(next), expect.next_request)
    }
  } else if ('api_error' in expect) {
    assert.ok(error instanceof ApiError, `expected an API error, got ${error?.name ?? JSON.stringify(value)}`)
    assert.deepEqual(
      { status: error.status, message: error.message, details: issueList(error.details), retryable: error.retryable },
      expect.api_error,
    )
    assert.equal(error.code, 'ERR_ONEINBOX_API')
  } else {
    assert.ok(error instanceof ValidationError, `expected decode issues, got ${error?.name ?? JSON.stringify(value)}`)
    assert.deepEqual(issueList(error.issues), expect.decode_issues)
  }
}

const files = fs
  .readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('the management fixture folder holds the shared fixtures', () => {
  assert.ok(files.length >= 165, `only ${files.length} fixtures in ${fixtureDir}`)
})

for (const file of files) {
  const name = path.basename(file, '.json')
  const fixture = JSON.parse(fs.readFileSync(path.join(fixtureDir, file), 'utf8'))
  test(`management::${name}`, () => ('status' in fixture ? runResponse(fixture) : runBuilder(fixture)))
}

// ---------------------------------------------------------------------------------------------

const KEY = 'oi_sk_test_SECRETKEY123'

test('Api and Webhook never show the key or the secret (inspect, JSON, String)', () => {
  const api = new Api(KEY, { baseUrl: 'http://127.0.0.1:9' })
  for (const text of [
    util.inspect(api),
    util.inspect(api, { showHidden: true, depth: 10 }),
    JSON.stringify(api),
    String(api),
    util.format('%o', api),
  ]) {
    assert.ok(!text.includes('SECRETKEY'), text)
  }
  assert.match(util.inspect(api), /\[redacted\]/)
  assert.equal(api.baseUrl, 'http://127.0.0.1:9')
  const req = api.listWebhooks()
  for (const text of [util.inspect(req), JSON.stringify(req)]) assert.ok(!text.includes('SECRETKEY'), text)
  assert.equal(req.headers.Authorization, `Bearer ${KEY}`, 'the real header is there for fetch')
  const [hook] = req.parseResponse(200, '[{"id":"wh_1","secret":"whsec_TOPSECRETvalue","status":"disabled"}]')
  assert.ok(hook instanceof Webhook)
  assert.ok(hook.secret instanceof Secret)
  for (const text of [
    util.inspect(hook),
    util.inspect(hook, { showHidden: true }),
    JSON.stringify(hook),
    `${hook.secret}`,
    String(hook.secret),
    util.format('%j %o %O', hook, hook, hook),
  ]) {
    assert.ok(!text.includes('TOPSECRET'), text)
  }
  assert.equal(hook.secret.reveal(), 'whsec_TOPSECRETvalue')
  assert.equal(hook.status, 'inactive')
  assert.equal(JSON.parse(JSON.stringify(hook)).secret, '[redacted]')
})

test('a key echoed by the server is scrubbed from ApiError', () => {
  const req = new Api(KEY).listWebhooks()
  assert.throws(
    () => req.parseResponse(401, JSON.stringify({ detail: `bad key ${KEY}` })),
    (err) => err instanceof ApiError && err.message === 'bad key [redacted]' && !util.inspect(err).includes('SECRETKEY'),
  )
})

test('a member named __proto__ in a response stays an ordinary member', () => {
  const hook = new Api(KEY)
    .createWebhook({ name: 'n', url: 'https://e.com/h', events: ['call.ended'] })
    .parseResponse(201, '{"id":"w","__proto__":{"polluted":true}}')
  assert.equal(Object.getPrototypeOf(hook), Webhook.prototype)
  assert.equal(hook.polluted, undefined)
  assert.deepEqual(Object.keys(hook), ['id', '__proto__'])
  assert.equal({}.polluted, undefined)
})

test('wrong argument types are TypeErrors; bad values are UsageErrors listing every issue', () => {
  const api = new Api(KEY)
  assert.throws(() => new Api(42), TypeError)
  assert.throws(() => new Api(KEY, 'http://x'), TypeError)
  assert.throws(() => api.createWebhook(), TypeError)
  assert.throws(() => api.createWebhook({ name: 'n', url: 'https://e.com', events: 'call.ended' }), TypeError)
  assert.throws(() => api.createWebhook({ name: 1, url: 'https://e.com', events: [] }), TypeError)
  assert.throws(() => api.deleteWebhook(7), TypeError)
  assert.throws(() => api.listDeliveries('wh', { limit: '5' }), TypeError)
  assert.throws(() => api.createCall({ agent_id: 'a', to_number: '+15551234567', from_number: '+15551234568', variables: [1] }), TypeError)
  assert.throws(
    () => api.createWebhook({ name: '', url: 'http://e.com', events: ['nope'], event: 'x' }),
    (err) =>
      err instanceof UsageError &&
      err.code === 'ERR_ONEINBOX_USAGE' &&
      JSON.stringify(issueList(err.issues)) ===
        JSON.stringify([
          { code: 'invalid_value', path: '/name' },
          { code: 'invalid_value', path: '/url' },
          { code: 'invalid_value', path: '/events/0' },
          { code: 'unknown_field', path: '/event' },
        ]),
  )
  assert.throws(
    () => api.createWebhook({ name: '', url: 'http://e.com', events: ['nope'] }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/name,/url,/events/0',
  )
  assert.throws(
    () => api.listDeliveries('wh', { limit: 1.5, offset: NaN }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/limit,/offset',
  )
  assert.throws(
    () => api.updateWebhook('wh', {}),
    (err) => err instanceof UsageError && err.issues[0].code === 'missing_field',
  )
})

test('parseResponse accepts text, bytes and an ArrayBuffer; status is checked', () => {
  const req = new Api(KEY).testWebhook('wh_1')
  assert.equal(req.parseResponse(200, '{"ok":true}'), undefined)
  assert.equal(req.parseResponse(204, new Uint8Array(0)), undefined)
  assert.equal(req.parseResponse(204, new ArrayBuffer(0)), undefined)
  assert.throws(() => req.parseResponse('200', ''), TypeError)
  assert.throws(
    () => req.parseResponse(200.5, ''),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/status',
  )
  assert.throws(
    () => req.parseResponse(70000, ''),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/status',
  )
  assert.throws(
    () => req.parseResponse(1000, ''),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/status',
  )
  assert.throws(
    () => req.parseResponse(99, ''),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/status',
  )
  assert.throws(() => req.parseResponse(999, ''), ApiError)
  assert.throws(() => req.parseResponse(200, {}), TypeError)
  const err = (() => {
    try {
      new Api(KEY).createCall({ agent_id: 'a', to_number: '+15551234567', from_number: '+15551234568' }).parseResponse(201, '{"status":1}')
    } catch (e) {
      return e
    }
  })()
  assert.ok(err instanceof ValidationError)
  assert.match(err.message, /^unexpected response body/)
})

test('retryable follows the request: creating requests only after 429 and 503', () => {
  const api = new Api(KEY)
  const creates = {
    creates_webhook: api.createWebhook({ name: 'n', url: 'https://example.com/h', events: ['call.ended'] }),
    creates_call: api.createCall({ agent_id: 'ag_1', to_number: '+15551234567', from_number: '+15551234568' }),
    // each send may make OneInbox send another test delivery (issue 25)
    sends_test_delivery: api.testWebhook('wh_1'),
  }
  const idempotent = [api.listWebhooks(), api.updateWebhook('wh_1', { name: 'n' }), api.deleteWebhook('wh_1'), api.listDeliveries('wh_1')]
  const failure = (req, status) => {
    try {
      req.parseResponse(status, '')
    } catch (e) {
      assert.ok(e instanceof ApiError)
      return e
    }
    throw new Error('no error')
  }
  for (const req of idempotent) {
    assert.equal(req.retry, 'idempotent')
    assert.equal(req.toJSON().retry, 'idempotent')
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const e = failure(req, status)
      assert.equal(e.retryable, true, `${req.url} ${status}`)
      assert.doesNotMatch(e.message, /may have been/)
    }
  }
  for (const [policy, req] of Object.entries(creates)) {
    assert.equal(req.retry, policy)
    for (const status of [429, 503]) assert.equal(failure(req, status).retryable, true)
    for (const status of [408, 500, 502, 504]) {
      const e = failure(req, status)
      assert.equal(e.retryable, false, `${policy} ${status}`)
      assert.equal(/may have been/.test(e.message), status !== 408)
    }
  }
  assert.match(failure(creates.creates_call, 502).message, /the call may have been placed/)
})

test('nextPage walks the pages and refuses a page it did not parse', () => {
  const req = new Api(KEY).listDeliveries('wh_1', { limit: 2 })
  const page = req.parseResponse(200, '{"items":[{"id":"d1"},{"id":"d2"}],"total":3,"limit":2,"offset":0}')
  const next = req.nextPage(page)
  assert.equal(next.url, 'https://api.oneinbox.ai/v1/webhooks/wh_1/deliveries?limit=2&offset=2')
  const last = next.parseResponse(200, '{"items":[{"id":"d3"}],"total":3,"limit":2,"offset":2}')
  assert.equal(next.nextPage(last), null)
  assert.throws(() => req.nextPage({ ...page }), TypeError)
})

test('retryAfter reads seconds and HTTP dates from any header form', () => {
  assert.equal(retryAfter({ 'retry-after': '120' }), 120)
  assert.equal(retryAfter(new Headers({ 'Retry-After': '7' })), 7)
  assert.equal(retryAfter([['RETRY-AFTER', 'Thu, 01 Jan 1970 00:01:40 GMT']], { now: 40 }), 60)
  assert.equal(retryAfter({}), null)
  assert.equal(retryAfter({ 'retry-after': 'soon' }), null)
})

// ---------------------------------------------------------------------------------------------

test('loopback: every endpoint sent with fetch arrives with its method, path, headers and body', async () => {
  const seen = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const reply = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(body === undefined ? '' : JSON.stringify(body))
      }
      const p = req.url.split('?')[0]
      if (req.method === 'POST' && p === '/api/v1/webhooks') reply(201, { id: 'wh_1', name: 'n', secret: 'whsec_s', status: 'active' })
      else if (req.method === 'GET' && p === '/api/v1/webhooks') reply(200, { items: [{ id: 'wh_1' }], total: 1, limit: 50, offset: 0 })
      else if (req.method === 'PATCH') reply(200, { id: 'wh_1', status: 'disabled' })
      else if (req.method === 'DELETE') reply(204)
      else if (p.endsWith('/test')) reply(200, { ok: true })
      else if (p.endsWith('/deliveries')) reply(200, { items: [{ id: 'd1', status: 'success' }], total: 1, limit: 1, offset: 0 })
      else if (p === '/api/v1/calls') reply(201, { id: 'call_1', status: 'queued', type: 'outbound' })
      else reply(404, { detail: 'Not Found' })
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  try {
    const api = new Api(KEY, { baseUrl: `http://127.0.0.1:${port}/api/` })
    const send = async (req) => {
      const res = await fetch(req.url, req)
      return req.parseResponse(res.status, await res.text())
    }
    const calls = [
      [
        api.createWebhook({ name: 'n', url: 'https://e.com/h', events: ['call.ended', 'call.analyzed'] }),
        'POST',
        '/api/v1/webhooks',
        { name: 'n', url: 'https://e.com/h', events: ['call.ended', 'call.analyzed'] },
      ],
      [api.listWebhooks(), 'GET', '/api/v1/webhooks', null],
      [api.updateWebhook('wh/1?#..', { status: 'inactive' }), 'PATCH', '/api/v1/webhooks/wh%2F1%3F%23..', { status: 'inactive' }],
      [api.deleteWebhook('..'.concat('x')), 'DELETE', '/api/v1/webhooks/..x', null],
      [api.testWebhook('wh_1'), 'POST', '/api/v1/webhooks/wh_1/test', null],
      [api.listDeliveries('wh_1', { limit: 1, offset: 0 }), 'GET', '/api/v1/webhooks/wh_1/deliveries?limit=1&offset=0', null],
      [
        api.createCall({
          agent_id: 'agt_1',
          to_number: '+919876543210',
          from_number: '+15739693824',
          variables: { n: 1.5, s: 'ü' },
          metadata: { deep: { a: [null, true] } },
        }),
        'POST',
        '/api/v1/calls',
        {
          agent_id: 'agt_1',
          to_number: '+919876543210',
          from_number: '+15739693824',
          variables: { n: 1.5, s: 'ü' },
          metadata: { deep: { a: [null, true] } },
        },
      ],
    ]
    const results = []
    for (const [req, method, url, body] of calls) {
      results.push(await send(req))
      const got = seen.at(-1)
      assert.equal(got.method, method)
      assert.equal(got.url, url)
      assert.equal(got.headers.authorization, `Bearer ${KEY}`)
      assert.equal(got.headers.accept, 'application/json')
      assert.equal(got.headers['content-type'], body === null ? undefined : 'application/json')
      assert.deepEqual(got.body === '' ? null : JSON.parse(got.body), body)
    }
    const [created, list, updated, deleted, tested, page, call] = results
    assert.ok(created instanceof Webhook && created.secret.reveal() === 'whsec_s')
    assert.equal(list.length, 1)
    assert.equal(updated.status, 'inactive')
    assert.equal(deleted, undefined)
    assert.equal(tested, undefined)
    assert.equal(page.items[0].id, 'd1')
    assert.deepEqual(call, { id: 'call_1', type: 'outbound', status: 'queued' })
    // A 404 from the server is an ApiError.
    await assert.rejects(
      send(new Api(KEY, { baseUrl: `http://127.0.0.1:${port}/nope` }).listWebhooks()),
      (err) => err instanceof ApiError && err.status === 404 && !err.retryable,
    )
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

test('url tokens never show in inspect or JSON output', () => {
  const { addUrlToken, redactUrlToken } = require('..')
  const token = 'tok_do_not_log_me'
  const url = addUrlToken('https://example.com/hooks', token)
  const req = new Api('oi_sk_test').createWebhook({ name: 'n', url, events: ['call.ended'] })
  assert.ok(!util.inspect(req).includes(token))
  assert.ok(!JSON.stringify(req).includes(token))
  const webhook = req.parseResponse(200, JSON.stringify({ id: 'wh_1', url }))
  assert.ok(!util.inspect(webhook).includes(token))
  assert.ok(!JSON.stringify(webhook).includes(token))
  assert.ok(util.inspect(webhook).includes('token=[redacted]'))
  assert.equal(redactUrlToken(url), 'https://example.com/hooks?token=[redacted]')
  // The request itself still carries it: OneInbox has to store the URL.
  assert.ok(req.body.includes(token))
  assert.equal(webhook.url, url)
})

test('createCall takes the contract fields scheduled_at and overrides; each is held to its rule', () => {
  const api = new Api(KEY)
  const base = { agent_id: 'a', to_number: '+15551234567', from_number: '+15551234568' }
  const req = api.createCall({ ...base, scheduled_at: '2026-01-31T09:30:00Z', overrides: { first_message: 'Hi' } })
  const body = JSON.parse(req.body)
  assert.equal(body.scheduled_at, '2026-01-31T09:30:00Z')
  assert.deepEqual(body.overrides, { first_message: 'Hi' })
  assert.throws(
    () => api.createCall({ ...base, to_number: '0044', scheduled_at: 'tomorrow' }),
    (err) =>
      err instanceof UsageError &&
      err.issues.map((i) => `${i.code} ${i.path}`).join() === 'invalid_value /to_number,invalid_value /scheduled_at',
  )
  assert.throws(() => api.createCall({ ...base, overrides: 'fast' }), TypeError)
  assert.throws(() => api.createCall({ ...base, scheduled_at: 5 }), TypeError)
})
