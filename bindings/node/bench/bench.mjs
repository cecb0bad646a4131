// `just bench-node`: parseEvent(Buffer) against JSON.parse(buf.toString()) + an ajv-compiled
// validator of schemas/events, and against zod v4 safeParse, on the 7 guide payloads and a
// ~40 KB transcript.final. Rounds are interleaved (every contender runs in every round, in
// turn) and the table shows medians over the rounds, in ns per call.
import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const { parseEvent } = require('../oneinbox.js')
const Ajv2020 = require('ajv/dist/2020').default
const addFormats = require('ajv-formats').default
const { z } = require('zod')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21)
const TARGET_NS_PER_SAMPLE = Number(process.env.BENCH_SAMPLE_NS ?? 20e6)

// --- payloads --------------------------------------------------------------------------------
const GUIDE = [
  'call-started',
  'call-ended',
  'call-analyzed',
  'call-failed',
  'call-recording-available',
  'transcript-partial',
  'transcript-final',
]
const guide = (name) => JSON.parse(readFileSync(join(root, 'tests/fixtures/events', `guide-${name}.json`), 'utf8')).body_text

// The same ~40 KB transcript.final as the Rust bench (crates/oneinbox-webhooks/benches/parse.rs).
function largeTranscript() {
  const messages = []
  for (let i = 0; i < 200; i++) {
    const role = i % 2 === 0 ? 'agent' : 'user'
    const content = `Turn ${i}: thanks for calling, I can help you book a product demo; which day suits you best this week? ${'ok '.repeat(30 + (i % 7))}`
    messages.push({ role, content })
  }
  return JSON.stringify({ event: 'transcript.final', call_id: 'call_abc123', messages })
}

const cases = [...GUIDE.map((n) => [n, Buffer.from(guide(n), 'utf8')]), ['transcript-final-40k', Buffer.from(largeTranscript(), 'utf8')]]

// --- ajv over schemas/events ------------------------------------------------------------------
const ajv = new Ajv2020({ strict: false, allErrors: false })
addFormats(ajv)
const schemaDir = join(root, 'schemas/events')
for (const f of readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, f), 'utf8')))
}
const ajvValidate = ajv.getSchema('https://schemas.oneinbox-webhooks.dev/events/event.schema.json')

// --- zod v4: the strict contract written by hand -------------------------------------------------
const id = z.string().min(1)
const e164 = z.string().regex(/^\+[1-9][0-9]{1,14}$/)
const message = z.strictObject({ role: z.enum(['agent', 'user']), content: z.string() })
const zEvent = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('call.started'),
    call_id: id,
    agent_id: id,
    to_number: e164,
    from_number: e164,
    created_at: z.iso.datetime({ offset: true }),
  }),
  z.strictObject({
    event: z.literal('call.ended'),
    call_id: id,
    agent_id: id,
    status: z.string(),
    duration_seconds: z.number().min(0),
    to_number: e164,
    from_number: e164,
    outcome: z.string(),
    ai_summary: z.string(),
    analysis: z.strictObject({
      summary: z.string(),
      outcome: z.string().nullable().optional(),
      extracted_data: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
  }),
  z.strictObject({ event: z.literal('call.analyzed'), call_id: id, agent_id: id, outcome: z.string(), ai_summary: z.string() }),
  z.strictObject({ event: z.literal('call.failed'), call_id: id, agent_id: id, to_number: e164, from_number: e164, reason: z.string() }),
  z.strictObject({ event: z.literal('call.recording.available'), call_id: id, recording_url: z.url({ protocol: /^https$/ }) }),
  z.strictObject({ event: z.literal('transcript.partial'), call_id: id, messages: z.array(message) }),
  z.strictObject({ event: z.literal('transcript.final'), call_id: id, messages: z.array(message) }),
])

// --- contenders ---------------------------------------------------------------------------------
let sink = 0
const contenders = {
  parseEvent: (buf) => parseEvent(buf),
  'parseEvent strict': (buf) => parseEvent(buf, { strict: true }),
  'JSON.parse': (buf) => JSON.parse(buf.toString()),
  'JSON.parse+ajv': (buf) => {
    const v = JSON.parse(buf.toString())
    if (!ajvValidate(v)) throw new Error('ajv rejected a guide payload')
    return v
  },
  'zod safeParse': (buf) => {
    const r = zEvent.safeParse(JSON.parse(buf.toString()))
    if (!r.success) throw new Error('zod rejected a guide payload')
    return r.data
  },
}

// Calibrate the number of iterations per sample for each (case, contender).
function iterationsFor(fn, buf) {
  let n = 64
  for (;;) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink ^= fn(buf) === null ? 1 : 0
    const dt = Number(process.hrtime.bigint() - t0)
    if (dt > TARGET_NS_PER_SAMPLE / 4) return Math.max(16, Math.round((n * TARGET_NS_PER_SAMPLE) / dt))
    n *= 2
  }
}

const names = Object.keys(contenders)
const plan = cases.map(([name, buf]) => ({
  name,
  buf,
  iters: Object.fromEntries(names.map((c) => [c, iterationsFor(contenders[c], buf)])),
  samples: Object.fromEntries(names.map((c) => [c, []])),
}))

for (let round = 0; round < ROUNDS; round++) {
  for (const p of plan) {
    // Rotate the order each round so that no contender always runs first.
    for (let k = 0; k < names.length; k++) {
      const c = names[(k + round) % names.length]
      const fn = contenders[c]
      const n = p.iters[c]
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++) sink ^= fn(p.buf) === null ? 1 : 0
      p.samples[c].push(Number(process.hrtime.bigint() - t0) / n)
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}
const fmt = (ns) => (ns >= 10000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`)

console.log(`node ${process.version}, ${ROUNDS} interleaved rounds, medians in ns/op (lower is better)\n`)
const head = ['payload', 'bytes', ...names, 'parseEvent / JSON.parse+ajv', 'parseEvent / zod']
const rows = plan.map((p) => {
  const m = Object.fromEntries(names.map((c) => [c, median(p.samples[c])]))
  return [
    p.name,
    String(p.buf.length),
    ...names.map((c) => fmt(m[c])),
    `${(m.parseEvent / m['JSON.parse+ajv']).toFixed(2)}×`,
    `${(m.parseEvent / m['zod safeParse']).toFixed(2)}×`,
  ]
})
console.log(`| ${head.join(' | ')} |`)
console.log(`|${head.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`)
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
if (sink === 42) console.log('')
