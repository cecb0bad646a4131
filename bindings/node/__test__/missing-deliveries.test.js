// When deliveries go missing, from end to end: the fake OneInbox plays 50 calls with seeded
// faults (deliveries dropped for good, duplicates, shuffled order, delays) and a three-hour
// outage of the receiver (longer than OneInbox retries) into an Express receiver with a
// MemoryStore, over loopback. The doctor command (against the fake's API) names the outage and
// the dropped deliveries; reconcile then recovers the calls whose events never came. Afterwards
// every record equals the fold of every event the calls fired (what a fault-free run gives),
// and each call's handlers ran once per event.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const express = require('express')
const { Receiver, Router } = require('../oneinbox.js')
const { MemoryStore, reconcile } = require('../stores.js')
const { webhookMiddleware } = require('../express.js')
const { FakeOneInbox } = require('../testing.js')
const { main } = require('../bin/oneinbox-webhooks.js')

const TOKEN = 'tok_missing_e2e'
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const KEY = 'oi_sk_test_missing_SECRET'
const SEED = 26
const START_MS = 1_780_000_000_000 // the fakes' clocks start here: two runs play the same bytes
const CALLS = 50
const FAILED_CALLS = 5 // of the 50, these end in call.failed (no answer)
const FAULTS = { drop: 0.05, duplicate: 0.1, shuffle: 0.5, delay: 0.2, maxDelayMs: 20_000 }
const PATH = '/webhooks/oneinbox'

/** Handler runs per "<call id> <event>". */
const ran = new Map()
const router = new Router().onAny((e) => {
  const key = `${e.call_id} ${e.event}`
  ran.set(key, (ran.get(key) ?? 0) + 1)
})

async function serve(store) {
  const receiver = new Receiver({ urlTokens: [TOKEN], signingSecrets: [SECRET] })
  const app = express()
  app.all(PATH, webhookMiddleware({ receiver, router, store }))
  const server = http.createServer(app)
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${server.address().port}`
  const close = () => {
    server.closeAllConnections()
    return new Promise((r) => server.close(r))
  }
  return { origin, url: `${origin}${PATH}?token=${TOKEN}`, close }
}

function play(fake, url) {
  const hook = fake.addWebhook(url)
  const ids = []
  for (let i = 0; i < CALLS; i++) ids.push(fake.playCall(i < FAILED_CALLS ? { failure: 'no-answer' } : {}).id)
  return { hook, ids }
}

// What a record knows of its call: its JSON without where each value came from (a delivery, a
// synthesized event or a snapshot) and without transcript.partial, which reconciliation never
// brings back.
function summary(record) {
  const values = JSON.parse(record.toJson())
  for (const how of ['sources', 'reconciled', 'snapshot_status']) delete values[how]
  values.events_seen = values.events_seen.filter((e) => e !== 'transcript.partial')
  return values
}

async function faultFree() {
  const store = new MemoryStore()
  const served = await serve(store)
  const fake = new FakeOneInbox({ apiKey: KEY, seed: SEED, signingSecret: SECRET, startMs: START_MS })
  let ids
  try {
    ;({ ids } = play(fake, served.url))
    await fake.settle()
  } finally {
    await served.close()
  }
  for (const hook of fake.webhooks) for (const row of fake.deliveries(hook.id)) assert.equal(row.status, 'succeeded')
  const records = new Map()
  for (const id of ids) records.set(id, summary(await store.get(id)))
  ran.clear()
  return records
}

async function doctor(fake) {
  let out = ''
  let err = ''
  const code = await main(['doctor', '--json', '--base-url', fake.url], {
    stdout: { write: (t) => (out += t) },
    stderr: { write: (t) => (err += t) },
    env: { ONEINBOX_API_KEY: KEY },
  })
  assert.ok(!(out + err).includes(KEY))
  return { code, err, diagnosis: JSON.parse(out) }
}

test('the doctor names the outage and the drops; reconcile recovers every call', async () => {
  const expected = await faultFree()
  const store = new MemoryStore()
  const served = await serve(store)
  const fake = new FakeOneInbox({ apiKey: KEY, seed: SEED, signingSecret: SECRET, faults: FAULTS, startMs: START_MS })
  let hook
  let ids
  try {
    // The receiver is down from 100 s after the calls start, for three hours: longer than
    // OneInbox's retries (10 s, 1 min, 5 min, 30 min, 2 h), so those deliveries are lost.
    ;({ hook, ids } = play(fake, served.url))
    fake.outage(served.origin, { start: 100, duration: 3 * 3600 })
    await fake.settle()
  } finally {
    await served.close()
  }
  assert.deepEqual([...ids].sort(), [...expected.keys()].sort())
  const errors = new Set(fake.deliveries(hook.id).map((r) => r.error))
  assert.ok(errors.has('dropped') && errors.has('connection refused'), [...errors].join())

  await fake.listen()
  try {
    const { code, err, diagnosis } = await doctor(fake)
    assert.deepEqual([code, err], [2, ''])
    const causes = Object.fromEntries(diagnosis.causes.map((c) => [c.code, c]))
    assert.ok(causes.connection_refused.windows.length > 0, 'the outage is named with its window')
    assert.ok(causes.connection_refused.failed_for_good > 0)
    assert.ok(causes.no_response.failed_for_good > 0, 'the dropped deliveries')
    const never = diagnosis.calls_never_succeeded.map((m) => m.call_id)
    assert.ok(never.length > 0 && never.every((id) => ids.includes(id)))

    const incomplete = []
    for (const id of ids) {
      const record = await store.get(id)
      if (record === null || JSON.stringify(summary(record)) !== JSON.stringify(expected.get(id))) incomplete.push(id)
    }
    assert.ok(incomplete.length > 0, 'the outage and the drops left records incomplete')

    // What doctor --reconcile does, on this process's store: the calls whose events never
    // succeeded; then a scheduled run finds the rest overdue (three hours on).
    const client = fake.client()
    const named = await reconcile(store, client, router, { callIds: never })
    assert.equal(named.checked, never.length)
    const later = await reconcile(store, client, router, { now: Date.now() + 3 * 3600 * 1000 })
    assert.deepEqual(later.errors, {})
    assert.ok(Object.keys(named.recovered).length + Object.keys(later.recovered).length > 0)
  } finally {
    await fake.close()
  }

  for (const id of ids) {
    const record = await store.get(id)
    assert.ok(record !== null, id)
    assert.deepEqual(summary(record), expected.get(id), id)
  }
  for (const [key, n] of ran) if (!key.endsWith(' transcript.partial')) assert.equal(n, 1, key)
  for (const id of ids) {
    for (const event of (await store.get(id)).events_seen) {
      if (event !== 'transcript.partial') assert.ok(ran.has(`${id} ${event}`), `${id} ${event} ran`)
    }
  }
})
