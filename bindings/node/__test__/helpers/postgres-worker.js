// One worker of postgres-store.test.js's multi-worker test (a worker_threads worker): it records
// the nine deliveries of one call in a shared PostgresStore in its own order, with duplicates,
// through a pg Client of its own, starting when every worker is ready.
'use strict'

const { parentPort, workerData } = require('node:worker_threads')
const { Client } = require('pg')
const { parseEvent, dedupeKey } = require('../..')
const { PostgresStore } = require('../../stores.js')
const { CALL_ID, deliveries } = require('./deliveries.js')

const { dsn, seed, barrier, parties } = workerData
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

async function main() {
  const client = new Client({ connectionString: dsn })
  client.on('error', () => {})
  await client.connect()
  const store = new PostgresStore(client)
  arrive(0) // every worker makes the tables and records at once
  const outcomes = []
  const records = []
  for (const body of deliveries(seed)) {
    const event = parseEvent(body)
    const recorded = await store.record(event)
    outcomes.push([dedupeKey(event), recorded.new])
    records.push(recorded.record.toJson())
  }
  arrive(1) // every delivery is in
  const final = await store.get(CALL_ID)
  await client.end()
  parentPort.postMessage({ seed, outcomes, records, final: final.toJson() })
}

main().catch((err) => {
  parentPort.postMessage({ seed, error: err.stack })
})
