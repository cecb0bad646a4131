// The deliveries of one call for the store tests: the seven payloads of the guide and two more
// distinct deliveries, and a seeded order of them with duplicates for each worker.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const CALL_ID = 'call_abc123'
const EVENTS = path.join(__dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'events')
const GUIDE = [
  'guide-call-started.json',
  'guide-transcript-partial.json',
  'guide-call-ended.json',
  'guide-transcript-final.json',
  'guide-call-analyzed.json',
  'guide-call-recording-available.json',
  'guide-call-failed.json',
]
const EXTRA = [
  '{"event":"transcript.partial","call_id":"call_abc123","messages":[{"role":"agent","content":"Hi! How can I help you today?"}]}',
  '{"event":"call.analyzed","call_id":"call_abc123","agent_id":"agt_abc123","outcome":"Callback Requested","ai_summary":"Caller asked to be called back next week."}',
]

/** The nine distinct deliveries, as raw bodies. */
function bodies() {
  const guide = GUIDE.map((name) => JSON.parse(fs.readFileSync(path.join(EVENTS, name), 'utf8')).body_text)
  return [...guide, ...EXTRA]
}

// mulberry32: a small seeded generator, so each worker's order is reproducible.
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every delivery at least once, plus five duplicates, in an order of this seed. */
function deliveries(seed) {
  const next = random(seed + 1)
  const all = bodies()
  const sequence = [...all]
  for (let i = 0; i < 5; i++) sequence.push(all[Math.floor(next() * all.length)])
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[sequence[i], sequence[j]] = [sequence[j], sequence[i]]
  }
  return sequence
}

module.exports = { CALL_ID, bodies, deliveries, random }
