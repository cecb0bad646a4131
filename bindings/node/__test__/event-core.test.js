// dedupeKey and CallRecord.apply give one answer for an event object however it was made:
// parsed by parseEvent, or built by hand (JSON.parse of the same body), for every shared fixture
// event in each mode that accepts it and every delivery of tests/fixtures/calls, unknown members
// and unknown events included. A changed event is keyed as it now is. The stores read the
// core's MAX_DEPTH_CEILING from the addon.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { readFileSync, readdirSync } = require('node:fs')
const { join } = require('node:path')

const { CallRecord, ValidationError, dedupeKey, parseEvent } = require('..')
const native = require('../index.js')

const FIXTURES = join(__dirname, '..', '..', '..', 'tests', 'fixtures')
const load = (path) => JSON.parse(readFileSync(path, 'utf8'))
const bodyOf = (f) =>
  'body' in f ? Buffer.from(JSON.stringify(f.body)) : 'body_text' in f ? Buffer.from(f.body_text) : Buffer.from(f.body_base64, 'base64')
const recordOf = (event) => {
  const record = new CallRecord(event.call_id)
  record.apply(event)
  return record.toJson()
}

function checkSame(body, options) {
  let event
  try {
    event = parseEvent(body, options)
  } catch (err) {
    if (err instanceof ValidationError) return false
    throw err
  }
  const byHand = JSON.parse(body.toString())
  assert.equal(dedupeKey(event), dedupeKey(byHand))
  assert.equal(recordOf(event), recordOf(byHand))
  const copied = new CallRecord(event.call_id)
  copied.apply(event)
  assert.equal(copied.copy().toJson(), copied.toJson())
  return true
}

const eventFiles = readdirSync(join(FIXTURES, 'events')).filter((f) => f.endsWith('.json') && f !== 'expected.json')
for (const file of eventFiles) {
  test(`events/${file}`, () => {
    const f = load(join(FIXTURES, 'events', file))
    if (!('body' in f || 'body_text' in f || 'body_base64' in f)) return
    const body = bodyOf(f)
    const opts = f.options ?? {}
    for (const strict of [false, true]) {
      checkSame(body, {
        strict,
        ...(opts.max_body_bytes !== undefined && { maxBodyBytes: opts.max_body_bytes }),
        ...(opts.max_depth !== undefined && { maxDepth: opts.max_depth }),
      })
    }
  })
}

for (const file of readdirSync(join(FIXTURES, 'calls')).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))) {
  test(`calls/${file}`, () => {
    for (const d of load(join(FIXTURES, 'calls', file)).deliveries) {
      const body = 'fixture' in d ? bodyOf(load(join(FIXTURES, d.fixture))) : bodyOf(d)
      assert.ok(checkSame(body))
    }
  })
}

test('a changed event is keyed as it now is', () => {
  const event = parseEvent('{"event":"call.ended","call_id":"c","outcome":"Voicemail"}')
  const before = dedupeKey(event)
  event.outcome = 'Appointment Booked'
  assert.notEqual(dedupeKey(event), before)
  assert.equal(dedupeKey(event), dedupeKey(parseEvent('{"event":"call.ended","call_id":"c","outcome":"Appointment Booked"}')))
})

test('copy is an equal record of its own', () => {
  const record = new CallRecord('c')
  record.apply(parseEvent('{"event":"call.ended","call_id":"c"}'))
  const twin = record.copy()
  assert.equal(twin.toJson(), record.toJson())
  assert.equal(twin.call_id, 'c')
  twin.apply(parseEvent('{"event":"call.failed","call_id":"c"}'))
  assert.equal(record.status, 'completed')
  assert.equal(twin.status, 'failed')
})

test('the stores read the ceiling from the addon', () => {
  assert.equal(native.MAX_DEPTH_CEILING, 126)
  assert.doesNotMatch(readFileSync(join(__dirname, '..', 'stores.js'), 'utf8'), /= 126/)
})

test('a ledger claims each delivery once and hands out copies that work like any record', () => {
  const { Ledger } = require('..')
  const guide = (name) => load(join(FIXTURES, 'events', `guide-${name}.json`)).body_text
  const ledger = new Ledger()
  assert.equal(ledger.size, 0)
  assert.equal(ledger.get('call_abc123'), null)
  assert.equal(ledger.record(parseEvent(guide('call-started'))).new, true)
  assert.equal(ledger.record(parseEvent(guide('call-started'))).new, false)
  const { new: isNew, record } = ledger.record(parseEvent(guide('call-ended')))
  assert.equal(isNew, true)
  const expected = new CallRecord('call_abc123')
  expected.apply(parseEvent(guide('call-started')))
  expected.apply(parseEvent(guide('call-ended')))
  assert.equal(record.toJson(), expected.toJson())
  assert.equal(record.call_id, 'call_abc123')
  assert.equal(record.status, 'completed')
  // The copy handed out becomes a native record when changed; the ledger's stays as it was.
  const twin = record.copy()
  assert.deepEqual(record.apply(parseEvent('{"event":"call.failed","call_id":"call_abc123"}')), { changed: true, ignored: null })
  assert.equal(record.status, 'failed')
  assert.equal(twin.status, 'completed')
  assert.equal(ledger.get('call_abc123').toJson(), expected.toJson())
  assert.equal(twin.merge(record), true)
  assert.equal(twin.toJson(), record.toJson())
  const other = ledger.get('call_abc123')
  assert.equal(record.merge(other), false)
  assert.equal(ledger.size, 1)
  assert.throws(() => ledger.record(Buffer.from(guide('call-ended'))), TypeError)
  assert.throws(() => ledger.get(3), TypeError)
  const noCall = parseEvent('{"event":"call.ended","call_id":"c"}')
  delete noCall.call_id
  assert.throws(() => ledger.record(noCall), ValidationError)
})

test('a ledger looks a call up by its exact id: a lone surrogate is not U+FFFD', () => {
  const { Ledger } = require('..')
  const ledger = new Ledger()
  ledger.record(parseEvent(JSON.stringify({ event: 'call.started', call_id: '\ufffd' })))
  assert.notEqual(ledger.get('\ufffd'), null)
  assert.equal(ledger.get('\ud800'), null)
})
