// RedisStore's inbox on a real redis-server, through node-redis and ioredis: the same steps and
// verdicts as Python's RedisStore (bindings/python/tests/test_inbox_stores.py), over the same keys.
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { parseEvent, CallRecord } = require('..')
const { RedisStore } = require('oneinbox-webhooks/stores')
const { inboxBackoffMs } = require('../inbox.js')
const { startRedis } = require('./helpers/redis-server.js')

const T0 = 1_800_000_000_000 // a fixed clock, Unix ms
let redis
const closers = []
before(async () => {
  redis = await startRedis()
})
after(async () => {
  for (const close of closers) await close()
  await redis?.stop()
})

const CLIENTS = {
  'node-redis': async () => {
    const { createClient } = require('redis')
    const client = createClient({ url: redis.url })
    client.on('error', () => {})
    await client.connect()
    closers.push(() => client.close())
    return client
  },
  ioredis: async () => {
    const { default: Redis } = require('ioredis')
    const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true })
    await client.connect()
    closers.push(() => client.quit())
    return client
  },
}

function event(callId = 'call_1') {
  const body = Buffer.from(JSON.stringify({ event: 'call.ended', call_id: callId, outcome: 'Voicemail' }))
  return [parseEvent(body), body]
}

for (const [kind, connect] of Object.entries(CLIENTS)) {
  describe(`RedisStore inbox (${kind})`, () => {
    const store = async (options = {}) =>
      new RedisStore(await connect(), { prefix: `test-${crypto.randomUUID()}:`, lease: 30, maxAttempts: 3, ...options })

    test('a failed handler runs again, then a copy is a repeat', async () => {
      const s = await store()
      const [e, body] = event()
      const first = await s.arrive(e, body, { now: T0 })
      assert.equal(first.verdict, 'run')
      assert.equal(first.delivery.attempt, 1)
      assert.ok(first.delivery.body.equals(body))
      assert.ok(first.record instanceof CallRecord && first.record.status === 'completed')
      assert.equal(await s.finish(first.delivery, 'RuntimeError: down', { now: T0 + 1000 }), 'failed')
      const row = await s.row(first.key)
      assert.deepEqual(row, {
        state: 'failed',
        attempts: 1,
        dueAt: T0 + 1000 + inboxBackoffMs(1),
        lastError: 'RuntimeError: down',
        updatedAt: T0 + 1000,
      })
      const retry = await s.arrive(e, body, { now: T0 + 2000 })
      assert.deepEqual([retry.verdict, retry.delivery.attempt], ['run', 2])
      assert.equal(await s.finish(retry.delivery, null, { now: T0 + 3000 }), 'done')
      const third = await s.arrive(e, body, { now: T0 + 4000 })
      assert.deepEqual([third.verdict, third.delivery], ['repeat', null])
      assert.deepEqual(await s.due({ now: T0 + 10 ** 9 }), [])
    })

    test('a live claim is busy until its lease ends; then a copy takes it over', async () => {
      const s = await store()
      const [e, body] = event()
      const first = await s.arrive(e, body, { now: T0 })
      const busy = await s.arrive(e, body, { now: T0 + 10_000 })
      assert.deepEqual([busy.verdict, busy.retryAfterMs, busy.delivery], ['busy', 20_000, null])
      assert.deepEqual(await s.due({ now: T0 + 29_999 }), [])
      assert.deepEqual(await s.due({ now: T0 + 30_000 }), [first.key])
      const taken = await s.take(first.key, { now: T0 + 30_000 })
      assert.deepEqual([taken.verdict, taken.delivery.attempt, taken.delivery.callId], ['run', 2, 'call_1'])
      assert.equal(await s.finish(first.delivery, 'late', { now: T0 + 31_000 }), 'stale')
      assert.equal(await s.finish(taken.delivery, null, { now: T0 + 32_000 }), 'done')
    })

    test('dead letters keep their body; replay makes them due; prune keeps records', async () => {
      const s = await store({ maxAttempts: 1 })
      const [e, body] = event('call_dead')
      const first = await s.arrive(e, body, { now: T0 })
      assert.equal(await s.finish(first.delivery, 'boom', { now: T0 }), 'dead')
      const [letter] = await s.dead()
      assert.deepEqual([letter.key, letter.attempts, letter.lastError, letter.callId], [first.key, 1, 'boom', 'call_dead'])
      assert.ok(letter.body.equals(body))
      assert.equal((await s.arrive(e, body, { now: T0 + 1 })).verdict, 'dead')
      assert.equal(await s.replay(first.key, { now: T0 + 2 }), 'replayed')
      assert.deepEqual(await s.due({ now: T0 + 2 }), [first.key])
      const taken = await s.take(first.key, { now: T0 + 2 })
      assert.equal(await s.finish(taken.delivery, null, { now: T0 + 3 }), 'done')
      assert.deepEqual(await s.dead(), [])
      assert.equal(await s.prune({ olderThan: 3600, now: T0 + 3_599_000 }), 0)
      assert.equal(await s.prune({ olderThan: 3600, now: T0 + 3_600_003 }), 1)
      assert.equal(await s.row(first.key), null)
      assert.equal((await s.get('call_dead')).status, 'completed')
      assert.equal(await s.replay('no such key', { now: T0 }), 'not_due')
    })
  })
}
