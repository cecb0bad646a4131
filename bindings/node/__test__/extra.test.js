// `extra` on parsed events (extra.js): the members the contract does not list, read by name, as
// the closed event types (events.generated.d.ts) promise; the object itself stays the payload as
// sent, so JSON.stringify, dedupe keys and records are unchanged.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { parseEvent, dedupeKey, Receiver, addUrlToken, ValidationError } = require('..')
const { makeEvent } = require('../testing')

const ENDED = {
  event: 'call.ended',
  call_id: 'call_1',
  sentiment: 'happy',
  outcome: 'Booked',
  analysis: { summary: 'Booked a table', tone: 'warm', scores: [1, 2] },
  transfer: null,
}

test('a known event keeps its unlisted members in extra, and in place', () => {
  const body = JSON.stringify(ENDED)
  const e = parseEvent(body)
  assert.deepEqual({ ...e.extra }, { sentiment: 'happy', transfer: null })
  assert.deepEqual({ ...e.analysis.extra }, { tone: 'warm', scores: [1, 2] })
  assert.equal(e.extra.sentiment, 'happy')
  // Not enumerable: the object is the payload as sent.
  assert.deepEqual(Object.keys(e), Object.keys(ENDED))
  assert.equal(JSON.stringify(e), body)
  assert.deepEqual(e, ENDED)
  assert.equal(dedupeKey(e), dedupeKey(JSON.parse(body)))
})

test('extra is frozen, and empty (one shared frozen object) when nothing is unlisted', () => {
  const e = parseEvent(makeEvent('call.started'), { strict: true })
  assert.deepEqual(e.extra, {})
  assert.ok(Object.isFrozen(e.extra))
  assert.throws(() => {
    e.extra = {}
  }, TypeError)
  const f = parseEvent('{"event":"call.ended","call_id":"c","x":1}')
  assert.ok(Object.isFrozen(f.extra))
  assert.throws(() => {
    f.extra.x = 2
  }, TypeError)
})

test('each message of a transcript has its own extra', () => {
  const body = {
    event: 'transcript.final',
    call_id: 'call_2',
    messages: [
      { role: 'agent', content: 'Hello', confidence: 0.9 },
      { role: 'user', content: 'Hi' },
    ],
    language: 'en',
  }
  const e = parseEvent(JSON.stringify(body))
  assert.deepEqual({ ...e.extra }, { language: 'en' })
  assert.deepEqual(
    e.messages.map((m) => ({ ...m.extra })),
    [{ confidence: 0.9 }, {}],
  )
  assert.deepEqual(e, body)
})

test("an unknown event's extra is its whole payload, event and call_id included", () => {
  const body = { event: 'call.transferred', call_id: 'call_3', transfer_to: '+15550100', at: 12 }
  const e = parseEvent(JSON.stringify(body))
  assert.deepEqual({ ...e.extra }, body)
  assert.deepEqual(e, body)
  // Strict mode refuses it instead.
  assert.throws(() => parseEvent(JSON.stringify(body), { strict: true }), ValidationError)
})

test('a payload member named extra stays where it was sent, and is extra.extra', () => {
  const body = '{"event":"call.ended","call_id":"call_4","extra":{"a":1},"analysis":{"summary":"s","extra":7}}'
  const e = parseEvent(body)
  assert.deepEqual(e.extra, { extra: { a: 1 } })
  assert.equal(e.analysis.extra.extra, 7)
  assert.equal(JSON.stringify(e), body)
  assert.equal(dedupeKey(e), dedupeKey(JSON.parse(body)))
})

test('Receiver.receive gives the same extra', () => {
  const token = `tok_${'b'.repeat(32)}`
  const receiver = new Receiver({ urlTokens: [token] })
  const e = receiver.receive(JSON.stringify(ENDED), { url: addUrlToken('https://example.com/hooks', token) })
  assert.deepEqual({ ...e.extra }, { sentiment: 'happy', transfer: null })
  assert.deepEqual({ ...e.analysis.extra }, { tone: 'warm', scores: [1, 2] })
})
