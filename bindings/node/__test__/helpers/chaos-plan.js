// The plan of chaos.test.js, the same in the test and in every receiver process
// (receiver-process.js): 50 calls' deliveries (`makeCall`), each given to two of the 8 processes
// (so that every delivery has a sender besides the one the test kills), with duplicates, in a
// seeded order per process; whether a handler run fails (20 %, a pure function of the delivery's
// key and attempt, so a run is reproducible) and how long it sleeps.
'use strict'

const crypto = require('node:crypto')
const { CALL_SEQUENCE, makeCall } = require('../../testing.js')
const { random } = require('./deliveries.js')

const PROCESSES = 8
const CALLS = 50
const DUPLICATES = 12 // per process, on top of its share
const FAIL_RATE = 0.2
// The seed of the failures: with it, 3 of the 300 deliveries fail on each of 3 attempts, so the
// test sees dead letters too (chaos.test.js checks the plan has some).
const FAIL_SEED = 1
const EVENTS = [...new Set(CALL_SEQUENCE)]

const callIds = () => Array.from({ length: CALLS }, (_, i) => `call_chaos_${String(i).padStart(2, '0')}`)

/** Every delivery of the plan, `{ callId, body }`, each call's in order. */
function all() {
  return callIds().flatMap((callId) => makeCall(callId).map((body) => ({ callId, body })))
}

/** The bodies process `seed` sends: its share (two senders per delivery), duplicates, shuffled. */
function share(seed) {
  const next = random(1000 + seed)
  const mine = all()
    .filter((_, i) => i % PROCESSES === seed || (i + 3) % PROCESSES === seed)
    .map((d) => d.body)
  const sequence = [...mine]
  for (let i = 0; i < DUPLICATES; i++) sequence.push(mine[Math.floor(next() * mine.length)])
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[sequence[i], sequence[j]] = [sequence[j], sequence[i]]
  }
  return sequence
}

const unit = (text) => crypto.createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32

/** Whether run `attempt` of the delivery `key` fails (20 % of them). */
function fails(key, attempt) {
  return unit(`fail:${FAIL_SEED}:${key}:${attempt}`) < FAIL_RATE
}

/** Whether each of the attempts 1 to `maxAttempts` of `key` fails: it ends dead. */
function failsAll(key, maxAttempts) {
  return Array.from({ length: maxAttempts }, (_, i) => fails(key, i + 1)).every(Boolean)
}

/** How long a receiver's handler run sleeps, 0 to 3 ms. */
function pause(seed, key, attempt) {
  return Math.floor(unit(`pause:${seed}:${key}:${attempt}`) * 4)
}

/** Appends one handler run to the completion log (a Redis list): `{ key, attempt, ok, by }`. */
async function log(client, prefix, entry) {
  await client.rPush(`${prefix}log`, JSON.stringify(entry))
}

module.exports = { PROCESSES, CALLS, EVENTS, callIds, all, share, fails, failsAll, pause, log }
