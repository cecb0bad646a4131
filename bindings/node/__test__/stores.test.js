// The stores, one thread: MemoryStore, and RedisStore through node-redis and ioredis on a real
// redis-server started by the test. stores-workers.test.js has the multi-worker test.
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after, describe } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const path = require('node:path')
const { CallRecord, UsageError, dedupeKey, parseEvent } = require('..')
const stores = require('oneinbox-webhooks/stores')
const { MemoryStore, RedisStore } = stores
const { startRedis } = require('./helpers/redis-server.js')
const { CALL_ID, bodies } = require('./helpers/deliveries.js')

const EVENTS = bodies().map((b) => parseEvent(b))
const OTHER_CALL = parseEvent('{"event":"call.failed","call_id":"call_other","reason":"busy"}')
const UNKNOWN = parseEvent('{"event":"call.transferred","call_id":"call_abc123","to":"+15550001111"}')

function fold(events, callId = CALL_ID) {
  const record = new CallRecord(callId)
  for (const e of events) record.apply(e)
  return record.toJson()
}

let redis
const clients = []
before(async () => {
  redis = await startRedis()
})
after(async () => {
  for (const close of clients) await close()
  await redis?.stop()
})

async function nodeRedis(options = {}) {
  const { createClient } = require('redis')
  const client = createClient({ url: redis.url, ...options })
  client.on('error', () => {})
  await client.connect()
  clients.push(() => client.close())
  return client
}

async function ioRedis() {
  const { default: Redis } = require('ioredis')
  const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true })
  await client.connect()
  clients.push(() => client.quit())
  return client
}

// Each kind: a factory of stores that share one backing store.
const KINDS = {
  memory: async () => {
    const shared = new MemoryStore()
    return () => shared
  },
  'redis (node-redis)': async () => {
    const client = await nodeRedis()
    const prefix = `test-${crypto.randomUUID()}:`
    return () => new RedisStore(client, { prefix })
  },
  'redis (ioredis)': async () => {
    const client = await ioRedis()
    const prefix = `test-${crypto.randomUUID()}:`
    return () => new RedisStore(client, { prefix })
  },
}

for (const [kind, factory] of Object.entries(KINDS)) {
  describe(kind, () => {
    test('each delivery is new once; the record is the fold of the set', async () => {
      const make = await factory()
      const store = make()
      assert.equal(await store.get(CALL_ID), null)
      const seen = []
      for (const event of EVENTS) {
        const recorded = await store.record(event)
        seen.push(event)
        assert.equal(recorded.new, true)
        assert.ok(recorded.record instanceof CallRecord)
        assert.equal(recorded.record.toJson(), fold(seen))
        assert.ok(Object.isFrozen(recorded))
        const again = await store.record(event) // a retry
        assert.equal(again.new, false)
        assert.equal(again.record.toJson(), fold(seen))
      }
      assert.equal((await store.get(CALL_ID)).toJson(), fold(EVENTS))
      const other = make()
      for (const event of [...EVENTS].reverse()) assert.equal((await other.record(event)).new, false)
      assert.equal((await other.get(CALL_ID)).toJson(), fold(EVENTS))
    })

    test('order does not matter; calls are kept apart; unknown events are deliveries', async () => {
      const store = (await factory())()
      for (const event of [...EVENTS.filter((_, i) => i % 2), ...EVENTS.filter((_, i) => i % 2 === 0)]) {
        await store.record(event)
      }
      assert.equal((await store.get(CALL_ID)).toJson(), fold(EVENTS))
      assert.equal((await store.record(OTHER_CALL)).new, true)
      assert.equal((await store.get('call_other')).toJson(), fold([OTHER_CALL], 'call_other'))
      assert.equal((await store.record(UNKNOWN)).new, true)
      assert.equal((await store.record(UNKNOWN)).new, false)
      assert.equal((await store.get(CALL_ID)).toJson(), fold([...EVENTS, UNKNOWN]))
      assert.equal(await store.get('call_none'), null)
    })

    test('records handed out are copies', async () => {
      const store = (await factory())()
      const recorded = await store.record(EVENTS[0])
      recorded.record.apply(EVENTS[1])
      const got = await store.get(CALL_ID)
      assert.equal(got.toJson(), fold(EVENTS.slice(0, 1)))
      got.apply(EVENTS[2])
      assert.equal((await store.get(CALL_ID)).toJson(), fold(EVENTS.slice(0, 1)))
    })

    test('misuse: not an event, not a call id', async () => {
      const store = (await factory())()
      await assert.rejects(store.record('{"event":"call.ended"}'), /takes an event returned by parseEvent/)
      await assert.rejects(store.record({ event: 'call.ended' }), TypeError)
      await assert.rejects(store.get(1), /callId must be a string, got number/)
    })
  })
}

test('RedisStore: key layout, values, ttl (as Python writes them)', async () => {
  const client = await nodeRedis()
  const prefix = `test-${crypto.randomUUID()}:`
  const store = new RedisStore(client, { prefix, ttlSeconds: 60 })
  assert.equal(store.key(CALL_ID), `${prefix}r:${CALL_ID}`)
  assert.equal(new RedisStore(client).key('c'), 'oneinbox:r:c') // as Python's RedisStore
  for (const event of EVENTS) await store.record(event)
  // One hash per call: its folded record, and a version for compare-and-set.
  const call = await client.hGetAll(store.key(CALL_ID))
  assert.equal(CallRecord.fromJson(call.record).toJson(), fold(EVENTS))
  assert.equal(call.v, String(EVENTS.length))
  // One hash per delivery: its wire body and its inbox row (done: recorded at most once).
  for (const event of EVENTS) {
    const row = await client.hGetAll(`${prefix}d:${dedupeKey(event)}`)
    assert.deepEqual([row.call_id, row.event, row.state], [CALL_ID, event.event, 'done'])
    assert.deepEqual(JSON.parse(row.body), event)
  }
  const ttl = await client.ttl(store.key(CALL_ID))
  assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`)
  const plain = new RedisStore(client, { prefix: `${prefix}plain:` })
  await plain.record(EVENTS[0])
  assert.equal(await client.ttl(plain.key(CALL_ID)), -1)
  assert.deepEqual(store.toJSON(), { client: 'node-redis', prefix, ttlSeconds: 60 })
  assert.equal(
    require('node:util').inspect(new RedisStore(client, { prefix: 'p:' })),
    "RedisStore { client: 'node-redis', prefix: 'p:', ttlSeconds: null }",
  )
})

test('RedisStore: a client answering HGETALL with a Map of Buffers', async () => {
  const client = await nodeRedis()
  const prefix = `test-${crypto.randomUUID()}:`
  // As node-redis with a type mapping to Map and Buffer.
  const shaped = {
    hGetAll: () => {
      throw new Error('not used')
    },
    sendCommand: async (args) => {
      const answer = await client.sendCommand(args)
      if (args[0] !== 'HGETALL') return answer
      const fields = Array.isArray(answer) ? answer : Object.entries(answer).flat()
      const map = new Map()
      for (let i = 0; i < fields.length; i += 2) map.set(Buffer.from(fields[i]), Buffer.from(fields[i + 1]))
      return map
    },
  }
  const store = new RedisStore(shaped, { prefix })
  assert.equal((await store.record(EVENTS[0])).new, true)
  assert.equal((await store.record(EVENTS[0])).new, false)
  assert.equal((await store.record(EVENTS[1])).record.toJson(), fold(EVENTS.slice(0, 2)))
  assert.equal((await store.get(CALL_ID)).toJson(), fold(EVENTS.slice(0, 2)))
})

test('RedisStore: node-redis and ioredis share one store', async () => {
  const prefix = `test-${crypto.randomUUID()}:`
  const a = new RedisStore(await nodeRedis(), { prefix })
  const b = new RedisStore(await ioRedis(), { prefix })
  assert.equal(b.toJSON().client, 'ioredis')
  const claims = await Promise.all(EVENTS.flatMap((e) => [a.record(e), b.record(e)]))
  assert.equal(claims.filter((r) => r.new).length, EVENTS.length)
  assert.equal((await a.get(CALL_ID)).toJson(), (await b.get(CALL_ID)).toJson())
})

test('RedisStore: misuse is refused', () => {
  assert.throws(() => new RedisStore(), /expected a node-redis or ioredis client, got undefined/)
  assert.throws(() => new RedisStore({ get() {} }), /expected a node-redis client \(sendCommand, hGetAll\) or an ioredis client/)
  const fake = { call: async () => 1, hgetall: async () => ({}) }
  assert.throws(
    () => new RedisStore(fake, { ttl: 5 }),
    (err) => err instanceof UsageError && err.issues[0].path === '/ttl' && err.issues[0].code === 'unknown_field',
  )
  for (const ttlSeconds of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => new RedisStore(fake, { ttlSeconds }), RangeError)
  }
  assert.throws(() => new RedisStore(fake, { ttlSeconds: '5' }), TypeError)
  assert.throws(() => new RedisStore(fake, { prefix: 5 }), /prefix must be a string/)
  assert.throws(() => new RedisStore(fake, 'x'), /options\) must be a plain object, got string/)
  assert.equal(new RedisStore(fake, { ttlSeconds: undefined, prefix: undefined }).key('c'), 'oneinbox:r:c')
})

test('the stores are the subpath export; the main package loads neither them nor a Redis client', () => {
  assert.equal(require.resolve('oneinbox-webhooks/stores'), path.join(__dirname, '..', 'stores.js'))
  assert.deepEqual(Object.keys(stores).sort(), [
    'DEFAULT_RETENTION',
    'MemoryStore',
    'PostgresStore',
    'ReconcilePolicy',
    'RedisStore',
    'currentDelivery',
    'drain',
    'reconcile',
  ])
  const loaded = execFileSync(
    process.execPath,
    ['-e', "require('oneinbox-webhooks'); console.log(JSON.stringify(Object.keys(require.cache)))"],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8' },
  )
  const files = JSON.parse(loaded).map((f) => path.relative(path.join(__dirname, '..'), f))
  assert.ok(files.includes('oneinbox.js'), files.join(' '))
  assert.ok(!files.includes('stores.js'), files.join(' '))
  assert.ok(!files.some((f) => f.includes(`node_modules${path.sep}`)), files.join(' '))
})
