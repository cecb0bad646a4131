// One worker of stores-workers.test.js (a worker_threads worker): it delivers the nine deliveries
// of one call to a shared RedisStore in its own order, with duplicates, starting when every worker
// is ready, through node-redis or ioredis as `workerData.client` says.
'use strict'

const { parentPort, workerData } = require('node:worker_threads')
const { parseEvent, dedupeKey } = require('../..')
const { RedisStore } = require('../../stores.js')
const { CALL_ID, deliveries } = require('./deliveries.js')

const { port, prefix, seed, client: kind, barrier, parties } = workerData
const counters = new Int32Array(barrier)

// Waits until every worker has reached phase `slot` (a barrier over shared memory).
function arrive(slot) {
  Atomics.add(counters, slot, 1)
  Atomics.notify(counters, slot)
  const deadline = Date.now() + 120_000
  for (;;) {
    const n = Atomics.load(counters, slot)
    if (n >= parties) return
    if (Date.now() > deadline) throw new Error(`barrier ${slot}: ${n} of ${parties} workers arrived`)
    Atomics.wait(counters, slot, n, 1000)
  }
}

async function connect() {
  if (kind === 'ioredis') {
    const { default: Redis } = require('ioredis')
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
    await client.connect()
    return { client, close: () => client.quit() }
  }
  const { createClient } = require('redis')
  const client = createClient({ url: `redis://127.0.0.1:${port}` })
  client.on('error', () => {})
  await client.connect()
  return { client, close: () => (typeof client.close === 'function' ? client.close() : client.quit()) }
}

async function main() {
  const sequence = deliveries(seed)
  const { client, close } = await connect()
  const store = new RedisStore(client, { prefix, ttlSeconds: 3600 })
  arrive(0) // every worker delivers at once
  const outcomes = []
  const records = []
  for (const body of sequence) {
    const event = parseEvent(body)
    const recorded = await store.record(event)
    outcomes.push([dedupeKey(event), recorded.new])
    records.push(recorded.record.toJson())
  }
  arrive(1) // every delivery is in
  const final = await store.get(CALL_ID)
  await close()
  parentPort.postMessage({ seed, kind, outcomes, records, final: final.toJson() })
}

main().catch((err) => {
  Atomics.store(counters, 0, parties) // let the others go on, so the test fails fast
  Atomics.store(counters, 1, parties)
  Atomics.notify(counters, 0)
  Atomics.notify(counters, 1)
  parentPort.postMessage({ seed, error: String(err?.stack ? err.stack : err) })
})
