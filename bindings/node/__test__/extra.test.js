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

test('extra is frozen, and absent when nothing is unlisted', () => {
  const e = parseEvent(makeEvent('call.started'), { strict: true })
  assert.equal(e.extra, undefined)
  assert.ok(!Object.hasOwn(e, 'extra'))
  const lenient = parseEvent('{"event":"call.ended","call_id":"c","analysis":{"summary":"s","extracted_data":{"x":1}}}')
  assert.ok(!Object.hasOwn(lenient, 'extra'))
  assert.ok(!Object.hasOwn(lenient.analysis, 'extra'))
  const f = parseEvent('{"event":"call.ended","call_id":"c","x":1}')
  assert.ok(Object.isFrozen(f.extra))
  assert.throws(() => {
    f.extra.x = 2
  }, TypeError)
  assert.throws(() => {
    f.extra = {}
  }, TypeError)
})

test('only the objects that have unlisted members get extra', () => {
  const inAnalysis = parseEvent('{"event":"call.ended","call_id":"c","analysis":{"summary":"s","tone":"warm"}}')
  assert.ok(!Object.hasOwn(inAnalysis, 'extra'))
  assert.deepEqual({ ...inAnalysis.analysis.extra }, { tone: 'warm' })
  const onTop = parseEvent('{"event":"call.ended","call_id":"c","x":1,"analysis":{"summary":"s"}}')
  assert.deepEqual({ ...onTop.extra }, { x: 1 })
  assert.ok(!Object.hasOwn(onTop.analysis, 'extra'))
  const inMessage = parseEvent(
    '{"event":"transcript.partial","call_id":"c","messages":[{"role":"agent","content":"a"},{"role":"user","content":"b","ts":1}]}',
  )
  assert.ok(!Object.hasOwn(inMessage, 'extra'))
  assert.ok(!Object.hasOwn(inMessage.messages[0], 'extra'))
  assert.deepEqual({ ...inMessage.messages[1].extra }, { ts: 1 })
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
  assert.deepEqual({ ...e.messages[0].extra }, { confidence: 0.9 })
  assert.equal(e.messages[1].extra, undefined)
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
  const listed = receiver.receive(makeEvent('call.started'), { url: addUrlToken('https://example.com/hooks', token) })
  assert.ok(!Object.hasOwn(listed, 'extra'))
  const unknown = receiver.receive('{"event":"call.paused","call_id":"c"}', { url: addUrlToken('https://example.com/hooks', token) })
  assert.deepEqual({ ...unknown.extra }, { event: 'call.paused', call_id: 'c' })
})
