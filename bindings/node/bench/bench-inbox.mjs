// How recording a delivery grows with a long call, in Node: the k-th of 1,000 cumulative
// `transcript.partial` events of one call (the k-th carries k messages), per store. The time to
// `arrive` + `finish` the k-th event is divided by its size; the table shows that cost per byte at
// k = 50, 400 and 1,000 (each the median of the 9 events around k) and its ratio to k = 50. Flat
// means recording costs the size of the event and the record, not a fold of the call's other
// deliveries. Redis and Postgres run on throwaway servers (the tests' helpers).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { parseEvent } = require('../oneinbox.js')
const { MemoryStore, RedisStore, PostgresStore } = require('../stores.js')
const { makeEvent } = require('../testing.js')
const { startRedis } = require('../__test__/helpers/redis-server.js')
const { startPostgres } = require('../__test__/helpers/postgres-server.js')

const N = 1000
const AT = [50, 400, 1000]
const WINDOW = 4

const bodies = []
const messages = []
for (let k = 1; k <= N; k++) {
  messages.push({ role: k % 2 ? 'agent' : 'user', content: `Message number ${k} of this long call, said.` })
  bodies.push(makeEvent('transcript.partial', { call_id: 'call_long', messages }))
}

async function measure(store) {
  const perByte = new Map()
  for (let k = 1; k <= N; k++) {
    const body = bodies[k - 1]
    const event = parseEvent(body)
    const started = process.hrtime.bigint()
    const arrival = await store.arrive(event, body)
    await store.finish(arrival.delivery, null)
    perByte.set(k, Number(process.hrtime.bigint() - started) / body.length)
    if (arrival.verdict !== 'run') throw new Error(`k=${k}: ${arrival.verdict}`)
  }
  return perByte
}

function around(perByte, k) {
  const values = []
  for (let j = Math.max(1, k - WINDOW); j <= Math.min(N, k + WINDOW); j++) values.push(perByte.get(j))
  values.sort((a, b) => a - b)
  return values[Math.floor(values.length / 2)]
}

const redis = await startRedis()
const postgres = await startPostgres()
const { createClient } = require('redis')
const client = createClient({ url: redis.url })
await client.connect()
const pg = require('pg')
const pool = new pg.Pool({ connectionString: postgres.newDatabase() })

const stores = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore(client, { prefix: `bench-${Date.now()}:` })],
  ['PostgresStore', () => new PostgresStore(pool)],
]

console.log(`recording the k-th of ${N} cumulative transcript.partial events of one call`)
console.log(`(the 50th is ${bodies[49].length.toLocaleString('en')} bytes, the 1,000th ${bodies[N - 1].length.toLocaleString('en')})\n`)
console.log(`| store | ${AT.map((k) => `k=${k} ns/B`).join(' | ')} | k=400 / k=50 | k=1000 / k=50 |`)
console.log(`|---|${'---:|'.repeat(AT.length + 2)}`)
let worst = 0
try {
  for (const [name, make] of stores) {
    const perByte = await measure(make())
    const values = AT.map((k) => around(perByte, k))
    const ratios = values.slice(1).map((v) => v / values[0])
    worst = Math.max(worst, ...ratios)
    console.log(`| ${name} | ${values.map((v) => v.toFixed(1)).join(' | ')} | ${ratios.map((r) => r.toFixed(2)).join(' | ')} |`)
  }
} finally {
  await client.close()
  await pool.end()
  await redis.stop()
  await postgres.stop()
}
console.log(`\nflat within 1.5x of k=50: ${worst <= 1.5 ? 'yes' : 'NO'} (worst ${worst.toFixed(2)})`)
