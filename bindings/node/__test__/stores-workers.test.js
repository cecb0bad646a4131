// Eight worker_threads deliver the same call to one RedisStore at once, on a real redis-server
// started by the test (four through node-redis, four through ioredis): each distinct delivery is
// `new` exactly once across all of them, and every worker then reads the record a single
// sequential fold gives.
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { CallRecord, dedupeKey, parseEvent } = require('..')
const { RedisStore } = require('../stores.js')
const { startRedis } = require('./helpers/redis-server.js')
const { CALL_ID, bodies, deliveries } = require('./helpers/deliveries.js')

const WORKERS = 8
let redis

before(async () => {
  redis = await startRedis()
})
after(async () => {
  await redis?.stop()
})

function sequentialFold() {
  const record = new CallRecord(CALL_ID)
  for (const body of bodies()) record.apply(parseEvent(body))
  return record
}

function runWorkers(prefix) {
  const barrier = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
  const workers = Array.from({ length: WORKERS }, (_, seed) => {
    const client = seed % 2 === 0 ? 'redis' : 'ioredis'
    const worker = new Worker(path.join(__dirname, 'helpers', 'store-worker.js'), {
      workerData: { port: redis.port, prefix, seed, client, barrier, parties: WORKERS },
    })
    return new Promise((resolve, reject) => {
      let message
      worker.once('message', (m) => {
        message = m
      })
      worker.once('error', reject)
      worker.once('exit', (code) => (message ? resolve(message) : reject(new Error(`worker ${seed} exited ${code} without a result`))))
    })
  })
  return Promise.all(workers)
}

test('8 workers, one call, at once: each delivery is new exactly once; all read the sequential fold', async (t) => {
  const prefix = `test-workers-${crypto.randomUUID()}:`
  const started = Date.now()
  const results = await runWorkers(prefix)
  const errors = results.filter((r) => r.error).map((r) => r.error)
  assert.deepEqual(errors, [])
  assert.deepEqual(results.map((r) => r.seed).sort(), [0, 1, 2, 3, 4, 5, 6, 7])
  assert.deepEqual(results.map((r) => r.kind).sort(), [...Array(4).fill('ioredis'), ...Array(4).fill('redis')])

  const keys = new Set(bodies().map((b) => dedupeKey(parseEvent(b))))
  assert.equal(keys.size, 9)
  const claims = new Map([...keys].map((k) => [k, 0]))
  for (const { outcomes } of results) {
    assert.equal(outcomes.length, 14) // all nine, and five duplicates
    assert.deepEqual(new Set(outcomes.map(([k]) => k)), keys)
    for (const [key, isNew] of outcomes) if (isNew) claims.set(key, claims.get(key) + 1)
  }
  // Every distinct delivery was new for exactly one worker; every other copy was a duplicate.
  assert.deepEqual(Object.fromEntries(claims), Object.fromEntries([...keys].map((k) => [k, 1])))

  const expected = sequentialFold()
  for (const { final, records } of results) {
    assert.equal(final, expected.toJson())
    // What each delivery returned is part of the final record: merging adds nothing.
    for (const text of records) assert.equal(CallRecord.fromJson(expected.toJson()).merge(CallRecord.fromJson(text)), false)
  }

  const { createClient } = require('redis')
  const client = createClient({ url: redis.url })
  await client.connect()
  try {
    const store = new RedisStore(client, { prefix })
    assert.equal((await store.get(CALL_ID)).toJson(), expected.toJson())
    assert.equal((await client.keys(`${prefix}d:*`)).length, 9) // one hash per distinct delivery
    const ttl = await client.ttl(store.key(CALL_ID))
    assert.ok(ttl > 0 && ttl <= 3600, `ttl ${ttl}`)
  } finally {
    await client.close()
  }
  t.diagnostic(`8 workers x 14 deliveries: ${Date.now() - started} ms`)
})

test('each worker sends every delivery, five duplicates, in its own order', () => {
  const all = bodies()
  for (let seed = 0; seed < WORKERS; seed++) {
    const sequence = deliveries(seed)
    assert.equal(sequence.length, 14)
    assert.deepEqual([...new Set(sequence)].sort(), [...all].sort())
    assert.notDeepEqual(sequence, deliveries((seed + 1) % WORKERS))
  }
})
