// The fake OneInbox plays calls into a real receiver: an Express app with a MemoryStore on a
// loopback port gets each event signed and tokened from `await fake.settle()`; a failing
// handler's 500 is retried on the fake's clock and shows in the history; seeded faults give the
// same history twice; a receiver that is down gets `connection refused` rows until the fake
// gives up.
'use strict'

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const net = require('node:net')
const express = require('express')
const { Receiver, Router, UsageError } = require('../oneinbox.js')
const { MemoryStore } = require('../stores.js')
const { webhookMiddleware } = require('../express.js')
const { CALL_SEQUENCE, FakeOneInbox } = require('../testing.js')

const TOKEN = 'tok_play_123'
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const PATH = '/webhooks/oneinbox'

// An Express receiver with a MemoryStore; `ran` counts each event per call; `fail` names events
// whose first run throws.
async function receiverApp(fail = []) {
  const failing = new Set(fail)
  const ran = new Map()
  const router = new Router().onAny((e) => {
    if (failing.delete(e.event)) throw new Error('handler failed once')
    const key = `${e.call_id} ${e.event}`
    ran.set(key, (ran.get(key) ?? 0) + 1)
  })
  const store = new MemoryStore()
  const receiver = new Receiver({ urlTokens: [TOKEN], signingSecrets: [SECRET] })
  const app = express()
  const logger = { error: () => {} } // quiet: the failing handler is on purpose
  app.all(PATH, webhookMiddleware({ receiver, router, store, logger }))
  const server = http.createServer(app)
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${server.address().port}${PATH}?token=${TOKEN}`
  const close = () => {
    server.closeAllConnections()
    return new Promise((r) => server.close(r))
  }
  return { url, ran, store, close, count: (callId, event) => ran.get(`${callId} ${event}`) ?? 0 }
}

async function freeUrl() {
  const probe = net.createServer()
  await new Promise((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address()
  await new Promise((r) => probe.close(r))
  return `http://127.0.0.1:${port}/hook`
}

describe('the fake plays calls into an Express receiver', () => {
  it('plays a call created through the client to a subscribed webhook, signed', async () => {
    const app = await receiverApp()
    const fake = new FakeOneInbox({ seed: 3, signingSecret: SECRET })
    try {
      const hook = fake.addWebhook(app.url) // createWebhook takes https only
      const client = fake.client()
      const call = await client.createCall({ agent_id: 'agt_1', to_number: '+919876543210', from_number: '+15739693824' })
      assert.equal(await fake.settle(), 6)
      for (const event of CALL_SEQUENCE) assert.equal(app.count(call.id, event), 1, event)
      assert.equal((await app.store.get(call.id)).status, 'completed')
      const rows = fake.deliveries(hook.id)
      assert.equal(rows.length, 6)
      assert.deepEqual(new Set(rows.map((r) => r.status)), new Set(['succeeded']))
      const stored = fake.calls.find((c) => c.id === call.id)
      assert.equal(stored.status, 'completed')
      assert.equal(stored.outcome, 'Appointment Booked')
    } finally {
      await app.close()
    }
  })

  it('sends the same message to the call URL and the webhook: handlers run once', async () => {
    const app = await receiverApp()
    try {
      const fake = new FakeOneInbox({ seed: 2, signingSecret: SECRET })
      const hook = fake.addWebhook(app.url, { events: ['call.ended', 'call.analyzed'] })
      const call = fake.playCall({ webhookUrl: app.url })
      assert.equal(await fake.settle(), 8)
      for (const event of CALL_SEQUENCE) assert.equal(app.count(call.id, event), 1, event)
      assert.deepEqual(
        fake.deliveries(hook.id).map((r) => r.event),
        ['call.analyzed', 'call.ended'],
      )
      assert.equal(fake.deliveriesForCall(call.id).length, 6)
    } finally {
      await app.close()
    }
  })

  it('retries a 500 with backoff on the fake clock, and the history shows it', async () => {
    const app = await receiverApp(['call.ended'])
    try {
      const fake = new FakeOneInbox({ seed: 5, signingSecret: SECRET })
      const start = fake.now
      const call = fake.playCall({ webhookUrl: app.url })
      await fake.settle()
      const ended = fake.deliveriesForCall(call.id).filter((r) => r.event === 'call.ended')
      assert.deepEqual(
        ended.map((r) => [r.attempt, r.status]),
        [
          [2, 'succeeded'],
          [1, 'failed'],
        ],
      )
      assert.ok(ended[1].response_status >= 500)
      assert.notEqual(ended[1].next_retry_at, null)
      assert.equal(app.count(call.id, 'call.ended'), 1)
      assert.ok(fake.now - start >= 10_000)
    } finally {
      await app.close()
    }
  })

  it('refuses an unsigned, untokened delivery, retried until it gives up', async () => {
    const app = await receiverApp()
    try {
      const fake = new FakeOneInbox({ seed: 4 })
      const call = fake.playCall({ webhookUrl: app.url.split('?')[0] })
      await fake.settle()
      const rows = fake.deliveriesForCall(call.id)
      assert.equal(rows.length, 36)
      assert.deepEqual(new Set(rows.map((r) => r.response_status)), new Set([401]))
      assert.equal(app.ran.size, 0)
    } finally {
      await app.close()
    }
  })

  it('a receiver that is down gets refused rows until the fake gives up', async () => {
    const fake = new FakeOneInbox({ seed: 6 })
    const call = fake.playCall({ webhookUrl: await freeUrl(), failure: 'no-answer' })
    assert.equal(await fake.settle(), 6)
    const rows = fake.deliveriesForCall(call.id)
    assert.deepEqual(
      rows.map((r) => r.attempt),
      [6, 5, 4, 3, 2, 1],
    )
    assert.deepEqual(new Set(rows.map((r) => r.error)), new Set(['connection refused']))
    assert.equal(rows[0].next_retry_at, null)
    assert.equal(fake.calls[0].status, 'failed')
  })

  it('an outage refuses, then the retry succeeds', async () => {
    const app = await receiverApp()
    try {
      const fake = new FakeOneInbox({ seed: 8, signingSecret: SECRET })
      fake.outage('http://127.0.0.1', { duration: 60 })
      const call = fake.playCall({ webhookUrl: app.url })
      await fake.settle()
      const started = fake.deliveriesForCall(call.id).filter((r) => r.event === 'call.started')
      assert.deepEqual(
        started.map((r) => [r.attempt, r.error]),
        [
          [3, null],
          [2, 'connection refused'],
          [1, 'connection refused'],
        ],
      )
    } finally {
      await app.close()
    }
  })

  it('seeded faults give the same history twice', async () => {
    const app = await receiverApp()
    try {
      const history = async (seed) => {
        const faults = { drop: 0.3, duplicate: 0.3, shuffle: 0.5, delay: 0.5, maxDelayMs: 20_000 }
        const fake = new FakeOneInbox({ seed, faults, signingSecret: SECRET, startMs: 1_780_000_000_000 }) // a fixed clock
        const calls = [0, 1, 2].map(() => fake.playCall({ webhookUrl: app.url }))
        await fake.settle()
        return calls.flatMap((c) => fake.deliveriesForCall(c.id).map((r) => [r.id, r.event, r.status, r.attempt, r.error]))
      }
      const first = await history(11)
      assert.deepEqual(await history(11), first)
      assert.ok(first.some((r) => r[4] === 'dropped'))
      assert.notDeepEqual(await history(12), first)
    } finally {
      await app.close()
    }
  })

  it('bad faults and arguments are usage errors', () => {
    assert.throws(
      () => new FakeOneInbox({ faults: { drop: 2, delay: -1 } }),
      (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/faults/drop,/faults/delay',
    )
    assert.throws(
      () => new FakeOneInbox({ faults: { shuffle: 1.5, maxDelayMs: 1.5 } }),
      (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/faults/max_delay_ms,/faults/shuffle',
    )
    assert.throws(() => new FakeOneInbox({ signingSecret: 'whsec_***' }), UsageError)
    assert.throws(() => new FakeOneInbox().playCall({ webhookUrl: 'not a url' }), UsageError)
  })
})
