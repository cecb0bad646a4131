// PostgresStore over `pg` (a Pool and a Client) on a real PostgreSQL server started by the test
// (helpers/postgres-server.js), a new database per test; and Python's PostgresStore sharing one
// database with it (the .venv's Python, built by `just build-python`).
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { CallRecord, Router, UsageError, dedupeKey, parseEvent } = require('..')
const { drain } = require('../inbox.js')
const { PostgresStore } = require('oneinbox-webhooks/stores')
const { POSTGRES, schema } = require('../sql.js')
const { startPostgres } = require('./helpers/postgres-server.js')
const { Worker } = require('node:worker_threads')
const { CALL_ID, bodies } = require('./helpers/deliveries.js')

const T0 = 1_700_000_000_000 // Unix ms; every test passes `now`
const LEASE_MS = 60_000
const REPO = path.join(__dirname, '..', '..', '..')

const ended = (callId = 'call_1', outcome = 'Booked') =>
  Buffer.from(`{"event":"call.ended","call_id":"${callId}","agent_id":"agt_1","outcome":"${outcome}","duration_seconds":42}`)
const started = (callId = 'call_1') => Buffer.from(`{"event":"call.started","call_id":"${callId}","agent_id":"agt_1"}`)

let server
const closers = []
before(async () => {
  server = await startPostgres()
})
after(async () => {
  await Promise.allSettled(closers.map((close) => close()))
  server?.stop()
})

async function pool() {
  const { Pool } = require('pg')
  const db = new Pool({ connectionString: server.newDatabase(), max: 4 })
  db.on('error', () => {}) // an idle client's connection ends with the server
  closers.push(() => db.end())
  return db
}

async function client() {
  const { Client } = require('pg')
  const db = new Client({ connectionString: server.newDatabase() })
  db.on('error', () => {})
  await db.connect()
  closers.push(() => db.end())
  return db
}

async function newStore(kind = 'pool') {
  const db = kind === 'pool' ? await pool() : await client()
  return { store: new PostgresStore(db, { lease: LEASE_MS / 1000, maxAttempts: 3 }), db }
}

for (const kind of ['pool', 'client']) {
  test(`${kind}: the first arrival runs, a retry after done repeats`, async () => {
    const { store } = await newStore(kind)
    const body = ended()
    const event = parseEvent(body)
    const first = await store.arrive(event, body, { now: T0 })
    assert.equal(first.verdict, 'run')
    assert.equal(first.key, dedupeKey(event))
    assert.deepEqual(
      { ...first.delivery, body: first.delivery.body.toString() },
      {
        key: first.key,
        callId: 'call_1',
        event: 'call.ended',
        body: body.toString(),
        attempt: 1,
      },
    )
    assert.ok(Buffer.isBuffer(first.delivery.body))
    assert.equal(first.record.outcome, 'Booked')
    assert.equal(await store.finish(first.delivery, null, { now: T0 + 1000 }), 'done')
    const again = await store.arrive(event, body, { now: T0 + 2000 })
    assert.equal(again.verdict, 'repeat')
    assert.equal(again.delivery, null)
    assert.deepEqual(await store.row(first.key), { state: 'done', attempts: 1, dueAt: null, lastError: null, updatedAt: T0 + 1000 })
  })

  test(`${kind}: a failed handler runs again on the retry, a third copy repeats`, async () => {
    const { store } = await newStore(kind)
    const body = ended()
    const event = parseEvent(body)
    const first = await store.arrive(event, body, { now: T0 })
    assert.equal(await store.finish(first.delivery, 'Error: db down', { now: T0 + 1000 }), 'failed')
    assert.deepEqual(await store.row(first.key), {
      state: 'failed',
      attempts: 1,
      dueAt: T0 + 1000 + 10_000,
      lastError: 'Error: db down',
      updatedAt: T0 + 1000,
    })
    const second = await store.arrive(event, body, { now: T0 + 2000 })
    assert.equal(second.verdict, 'run')
    assert.equal(second.delivery.attempt, 2)
    assert.equal(await store.finish(second.delivery, null, { now: T0 + 3000 }), 'done')
    assert.equal((await store.arrive(event, body, { now: T0 + 4000 })).verdict, 'repeat')
  })
}

test('a copy during a live claim is busy; at the lease end a worker takes it over', async () => {
  const { store } = await newStore()
  const body = ended()
  const event = parseEvent(body)
  const first = await store.arrive(event, body, { now: T0 })
  const busy = await store.arrive(event, body, { now: T0 + 10_000 })
  assert.equal(busy.verdict, 'busy')
  assert.equal(busy.retryAfterMs, 50_000)
  assert.deepEqual(await store.due({ now: T0 + 10_000 }), [])
  assert.deepEqual(await store.due({ now: T0 + LEASE_MS }), [first.key])
  const taken = await store.take(first.key, { now: T0 + LEASE_MS })
  assert.equal(taken.verdict, 'run')
  assert.equal(taken.delivery.attempt, 2)
  assert.deepEqual(taken.delivery.body, body)
  assert.deepEqual(await store.take(first.key, { now: T0 + LEASE_MS + 1 }), { verdict: 'not_due', delivery: null })
  assert.equal(await store.finish(first.delivery, null, { now: T0 + LEASE_MS + 2 }), 'done')
  assert.equal(await store.finish(taken.delivery, null, { now: T0 + LEASE_MS + 3 }), 'stale')
})

test('release gives the claim back at once', async () => {
  const { store } = await newStore()
  const body = ended()
  const first = await store.arrive(parseEvent(body), body, { now: T0 })
  assert.equal(await store.release(first.delivery, 'shutting down', { now: T0 + 1 }), 'released')
  assert.deepEqual(await store.due({ now: T0 + 1 }), [first.key])
})

test('max attempts make a dead letter; replay makes it due again', async () => {
  const { store } = await newStore()
  const body = ended()
  const event = parseEvent(body)
  const arrival = await store.arrive(event, body, { now: T0 })
  let delivery = arrival.delivery
  const verdicts = []
  for (let attempt = 0; attempt < 3; attempt++) {
    verdicts.push(await store.finish(delivery, `boom ${attempt + 1}`, { now: T0 + attempt }))
    if (attempt < 2) delivery = (await store.take(arrival.key, { now: T0 + 10_000_000 })).delivery
  }
  assert.deepEqual(verdicts, ['failed', 'failed', 'dead'])
  assert.deepEqual(await store.due({ now: T0 + 100_000_000 }), [])
  assert.equal((await store.arrive(event, body, { now: T0 + 5 })).verdict, 'dead')
  const [letter, ...rest] = await store.dead()
  assert.equal(rest.length, 0)
  assert.deepEqual(
    { ...letter, body: letter.body.toString() },
    {
      key: arrival.key,
      callId: 'call_1',
      event: 'call.ended',
      attempts: 3,
      lastError: 'boom 3',
      updatedAt: T0 + 2,
      body: body.toString(),
    },
  )
  assert.equal(await store.replay(arrival.key, { now: T0 + 6 }), 'replayed')
  assert.deepEqual(await store.dead(), [])
  assert.deepEqual(await store.due({ now: T0 + 6 }), [arrival.key])
  assert.equal(await store.replay('no such key', { now: T0 + 6 }), 'not_due') // replay-of-missing-row.json
})

test('due is oldest first and limited; prune drops old done rows and keeps the record', async () => {
  const { store } = await newStore()
  const keys = []
  for (let i = 0; i < 3; i++) {
    const body = ended(`call_${i}`)
    keys.push((await store.arrive(parseEvent(body), body, { now: T0 + i })).key)
  }
  assert.deepEqual(await store.due({ now: T0 + 10_000_000 }), keys)
  assert.deepEqual(await store.due({ now: T0 + 10_000_000, limit: 2 }), keys.slice(0, 2))
  await assert.rejects(store.due({ now: T0, limit: 0 }), RangeError)
  await assert.rejects(store.due({ now: T0, olderThan: 1 }), UsageError)
  const done = await store.take(keys[0], { now: T0 + LEASE_MS })
  await store.finish(done.delivery, null, { now: T0 + LEASE_MS })
  assert.equal(await store.prune({ olderThan: 3600, now: T0 + LEASE_MS + 10 }), 0)
  assert.equal(await store.prune({ olderThan: 3600, now: T0 + LEASE_MS + 3_600_000 }), 1)
  assert.equal(await store.row(keys[0]), null)
  assert.equal((await store.get('call_0')).outcome, 'Booked')
})

test('record is at most once and get is the fold', async () => {
  const { store } = await newStore()
  const a = parseEvent(started())
  const b = parseEvent(ended())
  assert.equal((await store.record(a)).new, true)
  assert.equal((await store.record(b)).new, true)
  const again = await store.record(b)
  assert.equal(again.new, false)
  const expected = new CallRecord('call_1')
  expected.apply(a)
  expected.apply(b)
  assert.equal(again.record.toJson(), expected.toJson())
  assert.equal((await store.get('call_1')).toJson(), expected.toJson())
  assert.equal(await store.get('call_none'), null)
})

test('concurrent copies through a pool: each delivery runs once, the others are busy', async () => {
  const { store } = await newStore()
  const bodies = Array.from({ length: 12 }, (_, i) => ended(`call_${i}`))
  const arrivals = await Promise.all(bodies.flatMap((body) => [1, 2, 3].map(() => store.arrive(parseEvent(body), body, { now: T0 }))))
  const verdicts = arrivals.map((a) => a.verdict).sort()
  assert.deepEqual(verdicts, [...Array(24).fill('busy'), ...Array(12).fill('run')])
  assert.equal((await store.due({ now: T0 + LEASE_MS })).length, 12)
})

test('8 workers on one new database: each delivery is new exactly once; all read the sequential fold', async () => {
  const dsn = server.newDatabase()
  const barrier = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, seed) => {
      const worker = new Worker(path.join(__dirname, 'helpers', 'postgres-worker.js'), {
        workerData: { dsn, seed, barrier, parties: 8 },
      })
      return new Promise((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
    }),
  )
  assert.deepEqual(
    results.filter((r) => r.error).map((r) => r.error),
    [],
  )
  const keys = new Set(bodies().map((b) => dedupeKey(parseEvent(b))))
  const claims = new Map([...keys].map((k) => [k, 0]))
  for (const { outcomes } of results) {
    assert.equal(outcomes.length, 14)
    for (const [key, isNew] of outcomes) if (isNew) claims.set(key, claims.get(key) + 1)
  }
  assert.deepEqual(Object.fromEntries(claims), Object.fromEntries([...keys].map((k) => [k, 1])))
  const expected = new CallRecord(CALL_ID)
  for (const body of bodies()) expected.apply(parseEvent(body))
  for (const { final, records } of results) {
    assert.equal(final, expected.toJson())
    for (const text of records) assert.equal(CallRecord.fromJson(expected.toJson()).merge(CallRecord.fromJson(text)), false)
  }
})

test('the tables are made on first use or by migrate, with the DDL in docs/reference.md', async () => {
  const { store, db } = await newStore('client')
  const tables = "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'oneinbox_%'"
  assert.equal((await db.query(tables)).rows[0].n, 0)
  assert.equal(await store.get('call_1'), null)
  // oneinbox_inbox, oneinbox_calls and oneinbox_open_calls
  assert.equal((await db.query(tables)).rows[0].n, 3)
  await store.migrate()
  const readme = fs.readFileSync(path.join(REPO, 'docs', 'reference.md'), 'utf8')
  const block = readme.split('<!-- postgres-ddl: begin')[1].split('<!-- postgres-ddl: end')[0]
  const sql = block.split('```sql\n')[1].split('```')[0]
  assert.equal(
    sql,
    schema(POSTGRES)
      .map((s) => `${s};\n`)
      .join(''),
  )
})

test('options and arguments are checked', async () => {
  assert.throws(() => new PostgresStore('postgresql://x'), TypeError)
  assert.throws(() => new PostgresStore({ query() {}, connect() {} }, { lease: 0 }), UsageError)
  assert.throws(() => new PostgresStore({ query() {}, connect() {} }, { leese: 1 }), UsageError)
  const { store } = await newStore()
  await assert.rejects(store.arrive({}, null), TypeError)
  await assert.rejects(store.finish({ key: 'k' }, null), TypeError)
  await assert.rejects(store.arrive(parseEvent(ended()), null, { now: 'soon' }), TypeError)
  assert.equal(Object.prototype.toString.call(store), '[object PostgresStore]')
  assert.deepEqual(store.toJSON(), { db: 'Pool', lease: 60, maxAttempts: 3 })
})

// ---- the transactional handler ---------------------------------------------------------------

async function effects(db) {
  await db.query('CREATE TABLE IF NOT EXISTS effects (call_id TEXT, attempt INTEGER)')
  return (await db.query('SELECT call_id, attempt FROM effects ORDER BY attempt')).rows
}

test('a transactional handler that fails leaves no write and the delivery failed', async () => {
  const { store, db } = await newStore('client')
  await effects(db)
  const body = ended()
  const { delivery } = await store.arrive(parseEvent(body), body, { now: T0 })
  await assert.rejects(
    store.transaction(
      async (tx) => {
        await tx.query('INSERT INTO effects VALUES ($1, $2)', ['call_1', delivery.attempt])
        assert.equal((await store.row(delivery.key)).state, 'claimed') // a Client: no deadlock
        throw new Error('failed after its write')
      },
      { delivery, now: T0 + 1 },
    ),
    /failed after its write/,
  )
  assert.deepEqual(await effects(db), [])
  assert.equal((await store.row(delivery.key)).state, 'claimed')
  assert.equal(await store.finish(delivery, 'Error: failed after its write', { now: T0 + 2 }), 'failed')
})

test('a transactional handler commits its write with the done mark; a superseded one writes nothing', async () => {
  const { store, db } = await newStore()
  await effects(db)
  const body = ended()
  const slow = (await store.arrive(parseEvent(body), body, { now: T0 })).delivery
  const taken = (await store.take(slow.key, { now: T0 + LEASE_MS })).delivery
  // The store's own calls inside the block use its client: no deadlock on the locked row.
  const write = (delivery) => async (tx) => {
    await tx.query('INSERT INTO effects VALUES ($1, $2)', ['call_1', delivery.attempt])
    assert.equal((await store.row(delivery.key)).attempts, 2)
    return 'ok'
  }
  assert.equal(await store.transaction(write(taken), { delivery: taken, now: T0 + LEASE_MS + 1 }), 'ok')
  assert.deepEqual(await effects(db), [{ call_id: 'call_1', attempt: 2 }])
  assert.equal((await store.row(slow.key)).state, 'done')
  // The first run's handler ends late: its write rolls back, it happened once.
  assert.equal(await store.transaction(write(slow), { delivery: slow, now: T0 + LEASE_MS + 2 }), 'ok')
  assert.deepEqual(await effects(db), [{ call_id: 'call_1', attempt: 2 }])
  assert.equal(await store.finish(taken, null, { now: T0 + LEASE_MS + 3 }), 'stale')
})

test('in a run, transaction() takes the current delivery: the write and the done mark commit together', async () => {
  const { store, db } = await newStore()
  await effects(db)
  const body = ended()
  const first = await store.arrive(parseEvent(body), body, { now: T0 })
  await store.finish(first.delivery, 'Error: down', { now: T0 })
  const router = new Router().on('call.ended', async (e) => {
    // No `delivery` option: the one whose handlers run now (currentDelivery()).
    await store.transaction((tx) => tx.query('INSERT INTO effects VALUES ($1, $2)', [e.call_id, 2]))
  })
  const report = await drain(store, router, { now: T0 + 3_600_000 })
  assert.deepEqual(report.done, [first.key])
  assert.deepEqual(await effects(db), [{ call_id: 'call_1', attempt: 2 }])
  assert.equal((await store.row(first.key)).state, 'done')
  // Outside a run there is no delivery: a plain transaction.
  await store.transaction((tx) => tx.query('INSERT INTO effects VALUES ($1, $2)', ['outside', 9]))
  assert.equal((await effects(db)).length, 2)
})

// ---- Python and Node on one database ---------------------------------------------------------

function python(code, dsn) {
  const exe = path.join(REPO, '.venv', 'bin', 'python')
  assert.ok(fs.existsSync(exe), `${exe} is missing: run \`just venv\` and \`just build-python\``)
  return JSON.parse(execFileSync(exe, ['-c', code, dsn, String(T0 / 1000)], { encoding: 'utf8', cwd: REPO }))
}

test('Python arrives, Node finishes; Node arrives, Python takes and finishes', async () => {
  const { Pool } = require('pg')
  const dsn = server.newDatabase()
  const db = new Pool({ connectionString: dsn })
  db.on('error', () => {})
  closers.push(() => db.end())
  const store = new PostgresStore(db)
  const body = ended('call_py')
  const fromPython = python(
    `
import json, sys
from oneinbox_webhooks import parse_event
from oneinbox_webhooks.stores import PostgresStore
with PostgresStore(sys.argv[1]) as store:
    body = ${JSON.stringify(body.toString())}.encode()
    a = store.arrive(parse_event(body), body, now=float(sys.argv[2]))
    print(json.dumps({"verdict": a.verdict, "key": a.key, "attempt": a.delivery.attempt}))
`,
    dsn,
  )
  assert.deepEqual(fromPython, { verdict: 'run', key: dedupeKey(parseEvent(body)), attempt: 1 })
  // Node sees Python's live claim, then finishes it.
  assert.equal((await store.arrive(parseEvent(body), body, { now: T0 + 1000 })).verdict, 'busy')
  const delivery = { key: fromPython.key, callId: 'call_py', event: 'call.ended', body, attempt: 1 }
  assert.equal(await store.finish(delivery, null, { now: T0 + 2000 }), 'done')

  const nodeBody = ended('call_node', 'Voicemail')
  const arrival = await store.arrive(parseEvent(nodeBody), nodeBody, { now: T0 })
  assert.equal(await store.finish(arrival.delivery, 'Error: down', { now: T0 + 1 }), 'failed')
  const fromNode = python(
    `
import json, sys
from oneinbox_webhooks.stores import PostgresStore
with PostgresStore(sys.argv[1]) as store:
    now = float(sys.argv[2]) + 3600
    keys = store.due(now=now)
    verdict, delivery = store.take(keys[0], now=now)
    done = store.finish(delivery, None, now=now)
    record = store.get("call_node")
    print(json.dumps({"keys": keys, "verdict": verdict, "attempt": delivery.attempt, "body": delivery.body.decode(),
                      "done": done, "outcome": record.outcome, "record": record.to_json()}))
`,
    dsn,
  )
  assert.deepEqual(fromNode.keys, [arrival.key])
  assert.equal(fromNode.verdict, 'run')
  assert.equal(fromNode.attempt, 2)
  assert.equal(fromNode.body, nodeBody.toString())
  assert.equal(fromNode.done, 'done')
  assert.equal(fromNode.outcome, 'Voicemail')
  assert.equal(fromNode.record, (await store.get('call_node')).toJson())
  assert.equal((await store.row(arrival.key)).state, 'done')
})
