// The chaos test on Redis (issue 25): 8 receiver processes (Express, `webhookMiddleware`, one
// RedisStore each on one redis-server) POST 50 calls' deliveries to themselves, each delivery
// sent by two of them, with duplicates, in shuffled seeded orders (helpers/chaos-plan.js). A 500
// is sent again once, as OneInbox retries it. Handler runs fail 20 % of the time (a seeded
// function of the delivery and attempt). Process 0 is SIGKILLed in the middle of a handler.
// Then `drain`, with handlers that still fail 20 % of the time (until maxAttempts, 3), runs until
// nothing is due.
//
// Every delivery's handler completed at least once, except a dead one: dead exactly when each of
// its 3 attempts failed (or, for the killed process's delivery, died); and every call's record is
// the sequential fold of its events.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { CallRecord, Router, dedupeKey, parseEvent } = require('..')
const { RedisStore, currentDelivery, drain } = require('oneinbox-webhooks/stores')
const { useRedis } = require('./helpers/redis-server.js')
const { spawnReceiver } = require('./helpers/receiver-process.js')
const plan = require('./helpers/chaos-plan.js')

// A lease far longer than a handler run, so that only the killed process's claim runs out.
const LEASE = 5 // seconds
const MAX_ATTEMPTS = 3
const KILLED = 0
const STALL_AT = 20 // the killed process's handler run that never ends
const redis = useRedis()

test('the plan: 50 calls, every delivery sent by two processes, one of them never the killed one', () => {
  const all = plan.all()
  assert.equal(new Set(all.map((d) => d.callId)).size, plan.CALLS)
  const keys = new Set(all.map((d) => dedupeKey(parseEvent(d.body))))
  assert.equal(keys.size, all.length)
  const senders = new Map([...keys].map((k) => [k, new Set()]))
  for (let p = 0; p < plan.PROCESSES; p++) {
    const sequence = plan.share(p)
    assert.ok(new Set(sequence).size < sequence.length, 'duplicates')
    for (const body of sequence) senders.get(dedupeKey(parseEvent(body))).add(p)
  }
  for (const who of senders.values()) {
    assert.equal(who.size, 2)
    assert.ok([...who].some((p) => p !== KILLED))
  }
  const runs = [...keys].map((k) => plan.fails(k, 1))
  const rate = runs.filter(Boolean).length / runs.length
  assert.ok(rate > 0.12 && rate < 0.28, `fail rate ${rate}`)
  // Some deliveries fail on every attempt: the run meets dead letters.
  assert.ok([...keys].filter((k) => plan.failsAll(k, MAX_ATTEMPTS)).length >= 2)
})

test('8 processes, one SIGKILLed mid-handler, 20 % failing handlers, then drain: nothing lost, records are the fold', async (t) => {
  const started = Date.now()
  const prefix = `chaos-${crypto.randomUUID()}:`
  const token = `tok_${crypto.randomBytes(8).toString('hex')}`
  const config = { mode: 'chaos', redisPort: redis.server.port, prefix, token, lease: LEASE, maxAttempts: MAX_ATTEMPTS }
  const receivers = await Promise.all(
    Array.from({ length: plan.PROCESSES }, (_, seed) =>
      spawnReceiver({ ...config, seed, stallAt: seed === KILLED ? STALL_AT : undefined }, 120_000),
    ),
  )
  const killed = receivers[KILLED]
  let stalled
  try {
    // Process 0 is killed while its STALL_AT-th handler run sleeps.
    const running = await killed.waitFor(/^running /, STALL_AT)
    stalled = running[STALL_AT - 1].split(' ')[1]
    killed.child.kill('SIGKILL')
    assert.equal((await killed.exited).signal, 'SIGKILL')
    const others = receivers.filter((r) => r !== killed)
    await Promise.all(others.map((r) => r.waitFor(/^sent$/)))
    const codes = await Promise.all(others.map((r) => r.exited))
    assert.deepEqual(
      codes.map((c) => c.code),
      Array(others.length).fill(0),
    )
    const answers = others.flatMap((r) => r.lines.filter((l) => l.startsWith('answer ')).map((l) => Number(l.slice(7))))
    const seen = new Set(answers)
    for (const status of seen) assert.ok([204, 409, 500].includes(status), `answer ${status}`)
    assert.ok(seen.has(204) && seen.has(500), `answers ${[...seen]}`)
  } finally {
    for (const r of receivers) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL')
  }
  const store = new RedisStore(redis.client, { prefix, lease: LEASE, maxAttempts: MAX_ATTEMPTS })
  assert.equal((await store.row(stalled)).state, 'claimed') // the dead process's claim

  // The worker: handlers that still fail 20 % of the time, until nothing is due. The clock
  // jumps a day a round, past any lease and backoff.
  const router = new Router()
  for (const name of plan.EVENTS) {
    router.on(name, async () => {
      const { key, attempt } = currentDelivery()
      const ok = !plan.fails(key, attempt)
      await plan.log(redis.client, prefix, { key, attempt, ok, by: 'drain' })
      if (!ok) throw new Error(`chaos: attempt ${attempt} fails`)
    })
  }
  let now = Date.now()
  let rounds = 0
  const drained = { done: [], failed: [], dead: [] }
  for (;;) {
    now += 24 * 3600 * 1000
    if ((await store.due({ now, limit: 1 })).length === 0) break
    rounds += 1
    assert.ok(rounds <= MAX_ATTEMPTS + 2, `still due after ${rounds} drains`)
    const report = await drain(store, router, { now, limit: 1000 })
    for (const k of Object.keys(drained)) drained[k].push(...report[k])
  }
  assert.ok(drained.done.length + drained.dead.length >= 1, 'the drain ran the stalled delivery at least')

  const log = (await redis.client.lRange(`${prefix}log`, 0, -1)).map((l) => JSON.parse(l))
  const byKey = new Map()
  for (const entry of log) {
    if (!byKey.has(entry.key)) byKey.set(entry.key, [])
    byKey.get(entry.key).push(entry)
  }
  const all = plan.all()
  let dead = 0
  for (const { body } of all) {
    const key = dedupeKey(parseEvent(body))
    const row = await store.row(key)
    const runs = byKey.get(key) ?? []
    // Dead exactly when each allowed attempt failed (or, for the stalled one, died).
    if (key !== stalled) assert.equal(row.state === 'dead', plan.failsAll(key, MAX_ATTEMPTS), key)
    if (row.state === 'dead') {
      dead += 1
      assert.equal(row.attempts, MAX_ATTEMPTS, key)
      assert.ok(!runs.some((r) => r.ok), key)
      assert.equal(runs.length, key === stalled ? MAX_ATTEMPTS - 1 : MAX_ATTEMPTS, key)
    } else {
      assert.equal(row.state, 'done', key)
      assert.ok(
        runs.some((r) => r.ok),
        `${key}: no completed run in ${JSON.stringify(runs)}`,
      )
      // The run that completed is the attempt the row ends on.
      assert.ok(
        runs.some((r) => r.ok && r.attempt === row.attempts),
        key,
      )
    }
    // No attempt past the last allowed one ever ran.
    for (const r of runs) assert.ok(r.attempt >= 1 && r.attempt <= MAX_ATTEMPTS, key)
  }
  assert.ok(dead >= 2)
  assert.deepEqual((await store.dead({ limit: 1000 })).length, dead)
  // The stalled delivery ran again after the kill.
  assert.ok((await store.row(stalled)).attempts >= 2)

  for (const callId of plan.callIds()) {
    const fold = new CallRecord(callId)
    for (const d of all) if (d.callId === callId) fold.apply(parseEvent(d.body))
    assert.equal((await store.get(callId)).toJson(), fold.toJson(), callId)
  }
  const counts = Object.entries(drained).map(([k, v]) => `${v.length} ${k}`)
  t.diagnostic(
    `${all.length} deliveries, ${log.length} handler runs, ${rounds} drains (${counts}), ${dead} dead: ${Date.now() - started} ms`,
  )
})
