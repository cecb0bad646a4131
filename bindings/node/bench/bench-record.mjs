// `just bench-record` (after the Python one): what recording a delivery costs, against the parse: parseEvent,
// dedupeKey of a parsed event, and parseEvent + MemoryStore.record, on the guide's call.ended,
// one delivery per call (every body its own call id, so every event is new and every record is
// made). Each event is used once, as a receiver uses it. The store is made before each batch and
// outlives it, as a receiver's store outlives its deliveries (the garbage collector frees it
// later, in whatever batch it runs). Best of BENCH_ROUNDS batches, ns per delivery (wall time:
// the process's CPU time would count the collector's helper threads too).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const { parseEvent, dedupeKey } = require('../oneinbox.js')
const { MemoryStore } = require('../stores.js')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const N = 4096

const text = JSON.parse(readFileSync(join(root, 'tests/fixtures/events/guide-call-ended.json'), 'utf8')).body_text
const bodies = Array.from({ length: N }, (_, i) => Buffer.from(text.replace('call_abc123', `call_${String(i).padStart(6, '0')}`), 'utf8'))

async function best(run, setup = () => undefined) {
  let min = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const input = setup()
    const start = process.hrtime.bigint()
    await run(input)
    min = Math.min(min, Number(process.hrtime.bigint() - start) / N)
  }
  return min
}

const results = {
  parseEvent: await best(() => {
    for (const b of bodies) parseEvent(b)
  }),
  'dedupeKey(parsed)': await best(
    (events) => {
      for (const e of events) dedupeKey(e)
    },
    () => bodies.map((b) => parseEvent(b)),
  ),
  'parseEvent + MemoryStore.record': await best(
    async (store) => {
      for (const b of bodies) await store.record(parseEvent(b))
    },
    () => new MemoryStore(),
  ),
}
const base = results.parseEvent
console.log(`guide call.ended, ${bodies[0].length} bytes, best of ${ROUNDS} rounds of ${N} deliveries (Node ${process.version})`)
for (const [name, ns] of Object.entries(results)) {
  console.log(`${name.padEnd(34)} ${(ns / 1000).toFixed(2).padStart(7)} us  ${(ns / base).toFixed(1).padStart(5)}x parseEvent`)
}
