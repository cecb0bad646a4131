// Every shared fixture in tests/fixtures/calls as its own named test, checked as the Rust runner
// (crates/oneinbox-webhooks/tests/call_fixtures.rs) checks it: each delivery's dedupe key byte
// for byte, what apply() reports in the listed order, the final record (member order included)
// and ajv over schemas/call-record.schema.json, and that every order, repetition and merge split
// of the deliveries gives the same record. Then the JavaScript API itself.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { inspect } = require('node:util')
const Ajv2020 = require('ajv/dist/2020').default
const { CallRecord, dedupeKey, parseEvent, ValidationError, UsageError } = require('..')

const root = path.join(__dirname, '..', '..', '..')
const fixtureRoot = path.join(root, 'tests', 'fixtures')
const callsDir = path.join(fixtureRoot, 'calls')
const ALL_ORDERS_UP_TO = 6
const SHUFFLES = 300

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const ajv = new Ajv2020({ strict: false, allErrors: true })
const checkFixture = ajv.compile(readJson(path.join(callsDir, 'fixture.schema.json')))
const checkRecord = ajv.compile(readJson(path.join(root, 'schemas', 'call-record.schema.json')))

function bodyOf(fixture) {
  if ('body_text' in fixture) return Buffer.from(fixture.body_text, 'utf8')
  if ('body_base64' in fixture) return Buffer.from(fixture.body_base64, 'base64')
  return Buffer.from(JSON.stringify(fixture.body), 'utf8')
}

function deliveryBody(delivery) {
  if ('fixture' in delivery) return bodyOf(readJson(path.join(fixtureRoot, delivery.fixture)))
  return bodyOf(delivery)
}

function fold(callId, events) {
  const record = new CallRecord(callId)
  for (const e of events) record.apply(e)
  return record
}

function merged(a, b) {
  const out = CallRecord.fromJson(a.toJson())
  out.merge(b)
  return out
}

function permutations(items) {
  if (items.length <= 1) return [items]
  const out = []
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest])
  })
  return out
}

// A small deterministic generator for the shuffles (mulberry32).
function shuffles(n, count) {
  let seed = 15
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [[...Array(n).keys()].reverse()]
  for (let c = 0; c < count; c++) {
    const order = [...Array(n).keys()]
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    out.push(order)
  }
  return out
}

const files = fs
  .readdirSync(callsDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

test('every call fixture is collected', () => {
  assert.ok(files.length >= 16)
})

for (const file of files) {
  test(`calls/${file.replace(/\.json$/, '')}`, () => {
    const fixture = readJson(path.join(callsDir, file))
    assert.ok(checkFixture(fixture), ajv.errorsText(checkFixture.errors))
    const callId = fixture.call_id
    const events = fixture.deliveries.map((d) => parseEvent(deliveryBody(d)))
    assert.equal(fixture.applied.length, events.length)

    const record = new CallRecord(callId)
    events.forEach((event, i) => {
      const expected = fixture.applied[i]
      assert.equal(dedupeKey(event), expected.key, `delivery ${i}`)
      const applied = record.apply(event)
      assert.equal(applied.changed, expected.changed, `delivery ${i}`)
      assert.equal(applied.ignored !== null, expected.ignored, `delivery ${i}`)
    })

    const got = JSON.parse(record.toJson())
    assert.deepEqual(got, fixture.record)
    assert.deepEqual(Object.keys(got), Object.keys(fixture.record))
    assert.equal(JSON.stringify(record), JSON.stringify(fixture.record))
    assert.ok(checkRecord(got), ajv.errorsText(checkRecord.errors))
    assert.equal(CallRecord.fromJson(record.toJson()).toJson(), record.toJson())
    assert.equal(CallRecord.fromJson(Buffer.from(record.toJson())).toJson(), record.toJson())

    const text = record.toJson()
    const n = events.length
    const orders = n <= ALL_ORDERS_UP_TO ? permutations([...Array(n).keys()]) : shuffles(n, SHUFFLES)
    for (const order of orders) {
      assert.equal(
        fold(
          callId,
          order.map((i) => events[i]),
        ).toJson(),
        text,
        `order ${order}`,
      )
    }
    assert.equal(fold(callId, [...events, ...[...events].reverse()]).toJson(), text)

    for (let k = 0; k <= n; k++) {
      const a = fold(callId, events.slice(0, k))
      const b = fold(callId, events.slice(k))
      assert.equal(merged(a, b).toJson(), text, `split at ${k}`)
      assert.equal(merged(b, a).toJson(), text, `split at ${k}, merged the other way`)
      for (let j = k; j <= n; j++) {
        const [x, y, z] = [fold(callId, events.slice(0, k)), fold(callId, events.slice(k, j)), fold(callId, events.slice(j))]
        assert.equal(merged(merged(x, y), z).toJson(), text)
        assert.equal(merged(x, merged(y, z)).toJson(), text)
      }
    }
  })
}

const guide = (name) => parseEvent(bodyOf(readJson(path.join(fixtureRoot, 'events', `guide-${name}.json`))))

test('getters have the wire names and return frozen values', () => {
  const record = new CallRecord('call_abc123')
  assert.equal(record.status, 'unknown')
  assert.deepEqual(record.events_seen, [])
  for (const name of ['call-started', 'call-ended', 'transcript-final', 'call-analyzed', 'call-recording-available']) {
    record.apply(guide(name))
  }
  assert.equal(record.call_id, 'call_abc123')
  assert.equal(record.status, 'completed')
  assert.equal(record.agent_id, 'agt_abc123')
  assert.equal(record.to_number, '+919876543210')
  assert.equal(record.from_number, '+15739693824')
  assert.equal(record.started_at, '2026-06-01T10:00:00Z')
  assert.equal(record.duration_seconds, 87)
  assert.equal(record.outcome, 'Appointment Booked')
  assert.equal(record.ai_summary, 'Caller agreed to a product demo on Thursday at 3pm.')
  assert.deepEqual(record.analysis, { summary: record.ai_summary })
  assert.equal(record.failure_reason, null)
  assert.equal(record.recording_url, 'https://storage.oneinbox.ai/recordings/call_abc123.mp3')
  assert.equal(record.transcript.length, 3)
  assert.equal(record.transcript[0].role, 'agent')
  assert.equal(record.transcript_final, true)
  assert.deepEqual(record.events_seen, ['call.analyzed', 'call.ended', 'call.recording.available', 'call.started', 'transcript.final'])
  assert.ok(Object.isFrozen(record.events_seen) && Object.isFrozen(record.transcript[0]))
  assert.throws(() => record.events_seen.push('x'), TypeError)
  assert.throws(() => {
    'use strict'
    record.status = 'failed'
  }, TypeError)
  // toJSON() is a new object every time: changing it changes nothing.
  const plain = record.toJSON()
  plain.sources = {}
  assert.equal(Object.keys(record.toJSON().sources).length, 10)
  // A change is seen by the getters at once.
  record.apply(guide('call-failed'))
  assert.equal(record.status, 'failed')
  assert.equal(record.failure_reason, 'no-answer')
  assert.equal(
    inspect(record, { breakLength: Infinity }),
    "CallRecord { call_id: 'call_abc123', status: 'failed', events_seen: [ 'call.analyzed', 'call.ended', 'call.failed', 'call.recording.available', 'call.started', 'transcript.final' ] }",
  )
})

test('apply reports changed and ignored', () => {
  const record = new CallRecord('call_abc123')
  assert.deepEqual(record.apply(guide('call-failed')), { changed: true, ignored: null })
  const again = record.apply(guide('call-failed'))
  assert.deepEqual(again, { changed: false, ignored: null })
  assert.ok(Object.isFrozen(again))
  const other = record.apply(parseEvent('{"event":"call.started","call_id":"call_other"}'))
  assert.equal(other.changed, false)
  assert.match(other.ignored, /call_other/)
})

test('dedupeKey takes every event, known or not, and only events', () => {
  const unknown = parseEvent('{"event":"call.transferred","call_id":"c","to":{"b":1.0,"a":2}}')
  const key = dedupeKey(unknown)
  assert.match(key, /^call\.transferred:c:[0-9a-f]{64}$/)
  assert.equal(dedupeKey(parseEvent('{"to":{"a":2.0,"b":1},"call_id":"c","event":"call.transferred"}')), key)
  for (const name of [
    'call-started',
    'call-ended',
    'call-analyzed',
    'call-failed',
    'call-recording-available',
    'transcript-partial',
    'transcript-final',
  ]) {
    const e = guide(name)
    assert.ok(dedupeKey(e).startsWith(`${e.event}:call_abc123:`))
  }
  // null and absent are the same content; any other change is not.
  const plain = dedupeKey(parseEvent('{"event":"call.ended","call_id":"c"}'))
  assert.equal(dedupeKey(parseEvent('{"event":"call.ended","call_id":"c","outcome":null}')), plain)
  assert.notEqual(dedupeKey(parseEvent('{"event":"call.ended","call_id":"c","outcome":""}')), plain)
  for (const bad of [Buffer.from('{}'), '{}', null, 3, [], new Uint8Array(2)]) {
    assert.throws(() => dedupeKey(bad), TypeError)
    assert.throws(() => new CallRecord('c').apply(bad), TypeError)
  }
  // An object that is no longer an event.
  const event = parseEvent('{"event":"call.ended","call_id":"c"}')
  delete event.call_id
  assert.throws(
    () => dedupeKey(event),
    (err) => err instanceof ValidationError && err.issues[0].path === '/call_id',
  )
  assert.throws(() => new CallRecord('c').apply(event), ValidationError)
})

test('merge', () => {
  const a = new CallRecord('call_abc123')
  const b = new CallRecord('call_abc123')
  a.apply(guide('call-ended'))
  b.apply(guide('call-analyzed'))
  assert.equal(a.merge(b), true)
  assert.equal(a.merge(b), false)
  assert.equal(a.merge(a), false)
  assert.deepEqual(a.events_seen, ['call.analyzed', 'call.ended'])
  assert.throws(
    () => a.merge(new CallRecord('call_other')),
    (err) => err instanceof UsageError && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/call_id',
  )
  assert.throws(() => a.merge(a.toJSON()), TypeError)
})

test('fromJson reports every issue', () => {
  const good = fold('c', [parseEvent('{"event":"call.failed","call_id":"c","reason":"busy"}')]).toJSON()
  const bad = { ...good, status: 'completed', failure_reason: 7, extra: 1 }
  assert.throws(
    () => CallRecord.fromJson(JSON.stringify(bad)),
    (err) =>
      err instanceof ValidationError &&
      JSON.stringify(err.issues.map(({ code, path }) => [code, path])) ===
        JSON.stringify([
          ['wrong_type', '/failure_reason'],
          ['unknown_field', '/extra'],
          ['invalid_value', '/status'],
        ]),
  )
  assert.throws(
    () => CallRecord.fromJson('[]'),
    (err) => err.issues[0].code === 'not_an_object',
  )
  assert.throws(
    () => CallRecord.fromJson('{"call_id":"a","call_id":"b"}'),
    (err) => err.issues[0].code === 'duplicate_field',
  )
  assert.throws(() => CallRecord.fromJson('"\ud800"'), ValidationError)
  assert.throws(() => CallRecord.fromJson(good), TypeError)
  assert.equal(CallRecord.fromJson(new TextEncoder().encode(JSON.stringify(good)).buffer).status, 'failed')
})

test('the constructor checks its argument', () => {
  assert.throws(() => new CallRecord(3), TypeError)
  assert.throws(() => new CallRecord(), TypeError)
  assert.throws(() => new CallRecord('\ud800'), UsageError)
  assert.equal(new CallRecord('').toJSON().call_id, '')
})
