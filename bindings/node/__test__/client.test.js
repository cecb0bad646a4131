// Client: every endpoint against FakeOneInbox (through fake.fetch, and over a loopback socket
// with the global fetch), paging with iterDeliveries, the retry policy (statuses, Retry-After,
// backoff with full jitter, failures without an answer, timeouts), options, and the API key
// never shown. Waits are recorded, never slept.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { ApiError, Client, OneInboxError, PreparedRequest, TransportError, UsageError, Webhook } = require('..')
const { FakeOneInbox } = require('../testing')

const KEY = 'oi_sk_test_SECRETKEY123'
const HOOK = { name: 'Call events', url: 'https://example.com/webhooks/oneinbox', events: ['call.ended', 'transcript.final'] }
const CALL = { agent_id: 'agt_1', to_number: '+919876543210', from_number: '+15739693824' }

// mulberry32: a seeded random for the jitter.
function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A client of `fake` (through fake.fetch unless it listens) whose waits are recorded.
function clientOf(fake, options = {}) {
  const waits = []
  const client = new Client(fake.apiKey, {
    baseUrl: fake.url,
    fetch: fake.fetch,
    sleep: async (ms) => {
      waits.push(ms)
    },
    ...options,
  })
  return { client, waits }
}

const paths = (fake) => fake.requests.map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`)

// Every endpoint, in the order a user would call them, checked against the fake's state.
async function everyEndpoint(fake, client) {
  const hook = await client.createWebhook(HOOK)
  assert.ok(hook instanceof Webhook)
  assert.match(hook.id, /^wh_/)
  assert.match(hook.secret.reveal(), /^whsec_/)
  assert.deepEqual(
    fake.webhooks.map((w) => [w.id, w.secret, w.url, w.events]),
    [[hook.id, hook.secret.reveal(), HOOK.url, HOOK.events]],
  )

  const listed = await client.listWebhooks()
  assert.deepEqual(
    listed.map((w) => w.id),
    [hook.id],
  )
  assert.ok(listed[0] instanceof Webhook)

  const updated = await client.updateWebhook(hook.id, { status: 'inactive', events: ['call.ended'] })
  assert.equal(updated.status, 'inactive')
  assert.deepEqual(updated.events, ['call.ended'])
  assert.equal(fake.webhooks[0].status, 'inactive')

  assert.equal(await client.testWebhook(hook.id), undefined)
  assert.equal(fake.deliveries(hook.id).length, 1)
  const page = await client.listDeliveries(hook.id)
  assert.deepEqual([page.total, page.limit, page.offset, page.items.length], [1, 50, 0, 1])
  assert.equal(page.items[0].event, 'call.ended')
  assert.equal(page.items[0].webhook_id, hook.id)

  // Ten deliveries, four pages of three (3 + 3 + 3 + 1), newest first.
  for (let i = 0; i < 9; i++) await client.testWebhook(hook.id)
  const before = fake.requests.length
  const ids = []
  for await (const d of client.iterDeliveries(hook.id, { limit: 3 })) ids.push(d.id)
  assert.deepEqual(
    ids,
    fake.deliveries(hook.id).map((d) => d.id),
  )
  assert.equal(ids.length, 10)
  assert.deepEqual(
    paths(fake).slice(before),
    [0, 3, 6, 9].map((o) => `GET /v1/webhooks/${hook.id}/deliveries?limit=3${o ? `&offset=${o}` : ''}`),
  )

  const call = await client.createCall({ ...CALL, webhook_url: 'https://example.com/campaign', variables: { name: 'Ada' } })
  assert.match(call.id, /^call_/)
  assert.deepEqual([call.status, call.to_number, call.variables], ['queued', CALL.to_number, { name: 'Ada' }])
  assert.deepEqual(
    fake.calls.map((c) => [c.id, c.webhook_url]),
    [[call.id, 'https://example.com/campaign']],
  )

  assert.equal(await client.deleteWebhook(hook.id), undefined)
  assert.deepEqual(fake.webhooks, [])
  const count = fake.requests.length
  await assert.rejects(
    client.deleteWebhook(hook.id),
    (err) => err instanceof ApiError && err.status === 404 && err.message === 'Webhook not found' && !err.retryable,
  )
  assert.equal(fake.requests.length, count + 1, 'a 404 is not retried')
  assert.ok(fake.requests.every((r) => r.authorized))
}

test('every endpoint through Client against FakeOneInbox via fake.fetch (no socket)', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const { client, waits } = clientOf(fake)
  await everyEndpoint(fake, client)
  assert.deepEqual(waits, [])
})

test('every endpoint through Client against fake.listen(0), with the global fetch', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const url = await fake.listen(0)
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(fake.url, url)
    await everyEndpoint(fake, new Client(KEY, { baseUrl: url }))
  } finally {
    await fake.close()
  }
})

test('iterDeliveries is lazy and checks its arguments at once', async () => {
  const fake = new FakeOneInbox()
  const { client } = clientOf(fake)
  const hook = await client.createWebhook(HOOK)
  for (let i = 0; i < 5; i++) fake.addDelivery(hook.id)
  const before = fake.requests.length
  const iterator = client.iterDeliveries(hook.id, { limit: 2 })
  assert.equal(fake.requests.length, before, 'nothing is sent before the first next()')
  for await (const d of iterator) {
    assert.match(d.id, /^dlv_/)
    break
  }
  assert.equal(fake.requests.length, before + 1, 'one page for one item')
  assert.throws(
    () => client.iterDeliveries(hook.id, { limit: 0 }),
    (err) => err instanceof UsageError && err.issues[0].path === '/limit',
  )
  assert.throws(
    () => client.iterDeliveries(hook.id, { limit: 2, offest: 1 }),
    (err) => err instanceof UsageError && err.issues[0].code === 'unknown_field',
  )
  // No deliveries at all: one request, nothing yielded.
  const empty = await client.createWebhook(HOOK)
  const got = []
  for await (const d of client.iterDeliveries(empty.id)) got.push(d)
  assert.deepEqual(got, [])
})

test("argument rules are the core's: nothing is sent for a bad argument", async () => {
  const fake = new FakeOneInbox()
  const { client } = clientOf(fake)
  await assert.rejects(
    client.createWebhook({ name: '', url: 'http://e.com', events: ['nope'] }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/name,/url,/events/0',
  )
  await assert.rejects(
    client.createCall({ ...CALL, to_number: '12' }),
    (err) => err instanceof UsageError && err.issues[0].path === '/to_number',
  )
  await assert.rejects(client.updateWebhook('wh_1', {}), UsageError)
  await assert.rejects(client.deleteWebhook(7), TypeError)
  assert.equal(fake.requests.length, 0)
})

// ---------------------------------------------------------------------------------------------
// Retries

test('429 with Retry-After: 2 is retried after 2000 ms, then succeeds', async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake)
  fake.failNext(429, { retryAfter: 2 })
  assert.deepEqual(await client.listWebhooks(), [])
  assert.deepEqual(waits, [2000])
  assert.deepEqual(paths(fake), ['GET /v1/webhooks', 'GET /v1/webhooks'])
  // A creating request is retried after 429 too (it was not processed): one webhook.
  fake.failNext(429, { retryAfter: 1 })
  const hook = await client.createWebhook(HOOK)
  assert.deepEqual(waits, [2000, 1000])
  assert.deepEqual(
    fake.webhooks.map((w) => w.id),
    [hook.id],
  )
})

test('502 on createCall is not retried: the error says the call may have been placed and how to check', async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake)
  fake.failNext(502, { processed: true }) // the backend placed the call; the gateway lost the answer
  await assert.rejects(client.createCall(CALL), (err) => {
    assert.ok(err instanceof ApiError)
    assert.equal(err.status, 502)
    assert.equal(err.retryable, false)
    assert.match(err.message, /the call may have been placed; not retried/)
    assert.match(err.message, /call\.started, call\.failed/)
    return true
  })
  assert.deepEqual(waits, [])
  assert.deepEqual(paths(fake), ['POST /v1/calls'])
  assert.equal(fake.calls.length, 1, 'one call recorded, none dialled twice')
  // 500 and 504 alike; 503 says the request was not processed: retried.
  for (const status of [500, 504]) {
    fake.failNext(status)
    await assert.rejects(
      client.createCall(CALL),
      (err) => err instanceof ApiError && err.status === status && /may have been placed/.test(err.message),
    )
  }
  fake.failNext(503)
  await client.createCall(CALL)
  assert.equal(waits.length, 1)
  assert.equal(fake.calls.length, 2)
})

test('502 on createWebhook is not retried; the message points to listWebhooks', async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake)
  fake.failNext(502, { processed: true })
  await assert.rejects(
    client.createWebhook(HOOK),
    (err) => err instanceof ApiError && err.status === 502 && !err.retryable && /the webhook may have been created/.test(err.message),
  )
  assert.deepEqual(waits, [])
  assert.equal(fake.webhooks.length, 1)
  // 408 is not retried for a creating request either (and says nothing about existing).
  fake.failNext(408)
  await assert.rejects(
    client.createWebhook(HOOK),
    (err) => err instanceof ApiError && err.status === 408 && !/may have been/.test(err.message),
  )
  assert.deepEqual(waits, [])
})

test('502 on listWebhooks is retried with full-jitter backoff (seeded random), at most maxRetries times', async () => {
  const fake = new FakeOneInbox()
  const draws = []
  const rng = seeded(42)
  const random = () => {
    const r = rng()
    draws.push(r)
    return r
  }
  const { client, waits } = clientOf(fake, { random })
  fake.failNext(502, { times: 2 })
  assert.deepEqual(await client.listWebhooks(), [])
  assert.equal(fake.requests.length, 3, 'two retries')
  // Full jitter: a random part of 500 ms, then of 1000 ms.
  assert.deepEqual(waits, [Math.floor(draws[0] * 500), Math.floor(draws[1] * 1000)])
  assert.ok(waits[0] > 0 && waits[1] > 0)

  // Three failures with maxRetries 2: the third answer is the error.
  const second = clientOf(fake, { random: seeded(42) })
  fake.failNext(502, { times: 3 })
  const before = fake.requests.length
  await assert.rejects(second.client.listWebhooks(), (err) => err instanceof ApiError && err.status === 502 && err.retryable)
  assert.equal(fake.requests.length - before, 3)
  assert.deepEqual(second.waits, waits, 'the same seed, the same waits')
})

test('the backoff doubles from 500 ms up to 8 s; Retry-After is capped at 60 s and read as an HTTP date', async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake, { maxRetries: 6, random: () => 0.999999 })
  fake.failNext(500, { times: 6 })
  await client.listWebhooks()
  assert.deepEqual(waits, [499, 999, 1999, 3999, 7999, 7999])

  const capped = clientOf(fake)
  fake.failNext(503, { retryAfter: 3600 })
  await capped.client.listWebhooks()
  assert.deepEqual(capped.waits, [60000])

  const dated = clientOf(fake)
  fake.failNext(429, { retryAfter: new Date(Date.now() + 30000).toUTCString() })
  await dated.client.listWebhooks()
  assert.equal(dated.waits.length, 1)
  assert.ok(dated.waits[0] >= 25000 && dated.waits[0] <= 30000, `${dated.waits[0]}`)

  // maxRetries 0: no retry at all.
  const none = clientOf(fake, { maxRetries: 0 })
  fake.failNext(503)
  await assert.rejects(none.client.listWebhooks(), (err) => err instanceof ApiError && err.status === 503)
  assert.deepEqual(none.waits, [])
  // 4xx other than 408 and 429: never retried.
  const four = clientOf(fake)
  fake.failNext(400)
  await assert.rejects(four.client.listWebhooks(), (err) => err instanceof ApiError && err.status === 400 && !err.retryable)
  assert.deepEqual(four.waits, [])
})

test('the default sleep really waits (Retry-After: 0)', async () => {
  const fake = new FakeOneInbox()
  const client = new Client(fake.apiKey, { baseUrl: fake.url, fetch: fake.fetch })
  fake.failNext(503, { retryAfter: 0 })
  assert.deepEqual(await client.listWebhooks(), [])
  assert.equal(fake.requests.length, 2)
})

test('no answer: createWebhook is not retried (TransportError says it may exist), listWebhooks is', async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake, { random: () => 0.5 })
  fake.disconnectNext({ processed: true })
  await assert.rejects(client.createWebhook(HOOK), (err) => {
    assert.ok(err instanceof TransportError)
    assert.ok(err instanceof OneInboxError)
    assert.equal(err.code, 'ERR_ONEINBOX_TRANSPORT')
    assert.equal(err.retry, 'creates_webhook')
    assert.equal(err.retryable, false)
    assert.equal(err.attempts, 1)
    assert.equal(err.timedOut, false)
    // The core's words, the same in every language.
    assert.match(err.message, /the webhook may have been created; not retried: list the webhooks \(list_webhooks, listWebhooks\)/)
    assert.ok(err.cause instanceof TypeError && err.cause.message === 'fetch failed')
    return true
  })
  assert.deepEqual(waits, [])
  assert.equal(fake.webhooks.length, 1, 'it was created once')
  assert.equal(fake.requests.length, 1)

  fake.disconnectNext({ times: 2 })
  const listed = await client.listWebhooks()
  assert.equal(listed.length, 1)
  assert.equal(fake.requests.length, 4, 'two retries after no answer')
  assert.deepEqual(waits, [250, 500])

  fake.disconnectNext()
  await assert.rejects(
    client.createCall(CALL),
    (err) => err instanceof TransportError && err.retry === 'creates_call' && /the call may have been placed/.test(err.message),
  )
  // testWebhook is not sent again either: each send may make OneInbox send a test delivery.
  fake.disconnectNext()
  const before = fake.requests.length
  await assert.rejects(
    client.testWebhook(listed[0].id),
    (err) =>
      err instanceof TransportError &&
      err.retry === 'sends_test_delivery' &&
      !err.retryable &&
      err.attempts === 1 &&
      /a test delivery may have been sent; not retried/.test(err.message),
  )
  assert.equal(fake.requests.length, before + 1)
  // An idempotent request whose retries ran out: retryable (later).
  fake.disconnectNext({ times: 3 })
  await assert.rejects(
    client.listDeliveries(listed[0].id),
    (err) => err instanceof TransportError && err.retryable && err.attempts === 3 && !/may have been/.test(err.message),
  )
})

test('no answer over a real socket: the connection closes; createWebhook not retried, listWebhooks retried', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const url = await fake.listen(0)
  try {
    const waits = []
    const client = new Client(KEY, { baseUrl: url, sleep: async (ms) => waits.push(ms) })
    fake.disconnectNext({ processed: true })
    await assert.rejects(
      client.createWebhook(HOOK),
      (err) => err instanceof TransportError && err.attempts === 1 && /may have been created/.test(err.message),
    )
    assert.equal(fake.webhooks.length, 1)
    assert.deepEqual(waits, [])
    fake.disconnectNext()
    assert.equal((await client.listWebhooks()).length, 1)
    assert.equal(waits.length, 1)
    assert.equal(fake.requests.length, 3)
  } finally {
    await fake.close()
  }
  // Nothing listens any more: connection refused. Nothing was sent, so every request is retried,
  // creating ones too (as in Python), and the error stays retryable.
  const waits = []
  const client = new Client(KEY, { baseUrl: url, sleep: async (ms) => waits.push(ms) })
  await assert.rejects(
    client.listWebhooks(),
    (err) => err instanceof TransportError && err.attempts === 3 && err.retryable && /ECONNREFUSED/.test(err.message),
  )
  await assert.rejects(
    client.createCall(CALL),
    (err) => err instanceof TransportError && err.attempts === 3 && err.retryable && !/may have been placed/.test(err.message),
  )
  assert.equal(waits.length, 4)
})

test('timeoutMs aborts an attempt: retried when idempotent, not for createCall', async (t) => {
  // AbortSignal.timeout's timer does not keep the process alive (a real socket would).
  const alive = setInterval(() => {}, 1000)
  t.after(() => clearInterval(alive))
  let sent = 0
  const hanging = (url, init) => {
    sent++
    return new Promise((resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
  }
  const waits = []
  const client = new Client(KEY, { fetch: hanging, timeoutMs: 20, maxRetries: 1, sleep: async (ms) => waits.push(ms) })
  assert.equal(client.timeoutMs, 20)
  await assert.rejects(
    client.listWebhooks(),
    (err) => err instanceof TransportError && err.timedOut && err.attempts === 2 && /timed out after 20 ms/.test(err.message),
  )
  assert.equal(sent, 2)
  await assert.rejects(
    client.createCall(CALL),
    (err) => err instanceof TransportError && err.timedOut && err.attempts === 1 && /may have been placed/.test(err.message),
  )
  assert.equal(sent, 3)
  // The body is read under the same timeout.
  const slowBody = () =>
    Promise.resolve({
      status: 200,
      headers: new Headers(),
      arrayBuffer: () => new Promise(() => {}),
    })
  const stuck = new Client(KEY, {
    fetch: (u, init) =>
      slowBody().then((r) => ({
        ...r,
        arrayBuffer: () => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason))),
      })),
    timeoutMs: 10,
    maxRetries: 0,
  })
  await assert.rejects(stuck.listWebhooks(), (err) => err instanceof TransportError && err.timedOut)
})

// ---------------------------------------------------------------------------------------------
// Options and secrecy

test("options are checked: unknown names, types and the core's number rule", () => {
  assert.throws(
    () => new Client(KEY, { retries: 3 }),
    (err) => err instanceof UsageError && err.issues[0].code === 'unknown_field' && err.issues[0].path === '/retries',
  )
  assert.throws(
    () => new Client(KEY, { maxRetries: -1, timeoutMs: 1.5 }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/timeoutMs,/maxRetries',
  )
  assert.throws(() => new Client(KEY, { maxRetries: '2' }), TypeError)
  assert.throws(() => new Client(KEY, { fetch: 'fetch' }), TypeError)
  assert.throws(() => new Client(KEY, { sleep: 1 }), TypeError)
  assert.throws(() => new Client(KEY, 'https://x'), TypeError)
  assert.throws(() => new Client(42), TypeError)
  assert.throws(
    () => new Client(KEY, { baseUrl: 'ftp://x' }),
    (err) => err instanceof UsageError && err.issues[0].path === '/base_url',
  )
  const c = new Client(KEY, { baseUrl: 'http://127.0.0.1:9/' })
  assert.deepEqual([c.baseUrl, c.timeoutMs, c.maxRetries], ['http://127.0.0.1:9', 10000, 2])
  assert.ok(c.api.listWebhooks() instanceof PreparedRequest)
  assert.equal(new Client(KEY, { timeoutMs: Infinity }).timeoutMs, Infinity)
})

test("send(prepared) sends any PreparedRequest with the client's retries", async () => {
  const fake = new FakeOneInbox()
  const { client, waits } = clientOf(fake)
  fake.failNext(503)
  assert.deepEqual(await client.send(client.api.listWebhooks()), [])
  assert.equal(waits.length, 1)
  await assert.rejects(client.send({ url: 'x' }), TypeError)
})

test('the API key never shows in inspect, JSON or any error', async () => {
  const texts = (v) => [
    util.inspect(v),
    util.inspect(v, { showHidden: true, depth: 10 }),
    JSON.stringify(v),
    String(v),
    util.format('%o %O %j', v, v, v),
  ]
  const fake = new FakeOneInbox({ apiKey: KEY })
  const { client } = clientOf(fake)
  for (const text of texts(client)) assert.ok(!text.includes('SECRETKEY'), text)
  assert.match(util.inspect(client), /apiKey: '\[redacted\]'/)

  const errors = []
  const catchErr = async (p) =>
    p.then(
      () => assert.fail('resolved'),
      (e) => errors.push(e),
    )
  // A fetch error that carries the key (a custom fetch printing its headers).
  const leaky = new Client(KEY, {
    fetch: async (url, init) => {
      throw new Error(`refused ${init.headers.Authorization}`)
    },
    maxRetries: 0,
  })
  await catchErr(leaky.listWebhooks())
  await catchErr(leaky.createWebhook(HOOK))
  // A server that echoes the key; a wrong key; a bad key.
  fake.failNext(500, { body: { detail: `upstream rejected ${KEY}` } })
  await catchErr(client.createCall(CALL))
  await catchErr(new Client('oi_sk_test_WRONGSECRETKEY', { baseUrl: fake.url, fetch: fake.fetch }).listWebhooks())
  assert.throws(
    () => new Client('oi_pk_live_SECRETKEY123'),
    (e) => errors.push(e) && e instanceof UsageError,
  )
  assert.equal(errors.length, 5)
  for (const err of errors) {
    assert.ok(err instanceof OneInboxError, err)
    for (const text of [
      err.message,
      err.stack,
      util.inspect(err, { depth: 10, showHidden: true }),
      JSON.stringify(err),
      String(err.cause ?? ''),
    ]) {
      assert.ok(!text.includes('SECRETKEY'), text)
    }
  }
  assert.match(errors[0].message, /refused Bearer \[redacted\]/)
  // The fake keeps no Authorization header either.
  for (const r of fake.requests) assert.ok(!util.inspect(r).includes('SECRETKEY'))
})

test('a custom fetch whose headers are not strings still gets the ApiError (and its Retry-After read)', async () => {
  const answers = [
    { status: 503, headers: { 'retry-after': 2, 'x-count': ['a', 'b'] } },
    { status: 404, headers: { 'retry-after': 5 } },
  ]
  const waits = []
  const fetch = async () => {
    const a = answers.shift()
    return { status: a.status, headers: a.headers, arrayBuffer: async () => new ArrayBuffer(0) }
  }
  const client = new Client(KEY, { fetch, sleep: async (ms) => waits.push(ms) })
  await assert.rejects(client.listWebhooks(), (err) => err instanceof ApiError && err.status === 404)
  assert.deepEqual(waits, [2000])
})

test('a redirect is never followed: a 307 to another origin is an ApiError, and that origin receives nothing', async () => {
  const http = require('node:http')
  const listen = (handler) =>
    new Promise((resolve) => {
      const server = http.createServer(handler)
      server.listen(0, '127.0.0.1', () => resolve(server))
    })
  const elsewhere = []
  const other = await listen((req, res) => {
    elsewhere.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`)
    res.writeHead(201, { 'content-type': 'application/json' }).end('[]')
  })
  const otherUrl = `http://127.0.0.1:${other.address().port}`
  let asked = 0
  const api = await listen((req, res) => {
    asked++
    req.resume()
    req.on('end', () => res.writeHead(307, { location: `${otherUrl}${req.url}` }).end())
  })
  try {
    const client = new Client(KEY, { baseUrl: `http://127.0.0.1:${api.address().port}`, sleep: async () => {} })
    for (const call of [() => client.createWebhook(HOOK), () => client.listWebhooks()]) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof ApiError, String(err))
        assert.equal(err.status, 307)
        assert.equal(err.retryable, false)
        assert.match(err.message, /^HTTP 307 Temporary Redirect \(a redirect is not followed/)
        assert.ok(!`${err.message} ${util.inspect(err)}`.includes(KEY))
        return true
      })
    }
    assert.equal(asked, 2, 'sent once each, not retried')
    assert.deepEqual(elsewhere, [], 'the other origin received nothing')
  } finally {
    api.close()
    other.close()
  }
})
