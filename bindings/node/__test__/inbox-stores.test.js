// The inbox through MemoryStore (the same cases as Python's tests/test_inbox_stores.py): the
// verdicts and rows are the core's, handlers complete at least once across failures and
// crashed claims, records fold each delivery once, and the worker (drain) runs what is due.
// (RedisStore and PostgresStore get their inbox elsewhere; the crash test needs one of them.)
'use strict'

require('./helpers/no-client-env.js')
const assert = require('node:assert/strict')
const { test } = require('node:test')

const { CallRecord, Router, UsageError, parseEvent } = require('../oneinbox.js')
const { MemoryStore, drain, currentDelivery, DEFAULT_RETENTION } = require('../stores.js')
const { inboxBackoffMs } = require('../inbox.js')
const { makeEvent } = require('../testing.js')

const T0 = 1_800_000_000_000 // a fixed clock, in Unix ms
const at = (ms) => ({ now: T0 + ms })
const EMPTY = { done: [], failed: [], dead: [] }

function store() {
  return new MemoryStore({ lease: 30, maxAttempts: 3 })
}

function event(name = 'call.ended', callId = 'call_1') {
  const body = Buffer.from(makeEvent(name, { call_id: callId }), 'utf8')
  return [parseEvent(body), body]
}

/** A router whose call.ended handler fails its first `failures` runs; `runs` lists (call, attempt). */
function handlers(failures = 0) {
  const h = { failures, runs: [] }
  h.router = new Router().on('call.ended', (e) => {
    const delivery = currentDelivery()
    assert.notEqual(delivery, null)
    h.runs.push([e.call_id, delivery.attempt])
    if (h.failures > 0) {
      h.failures--
      throw new Error('database briefly down')
    }
  })
  return h
}

test('a failed handler runs again, then a copy is a repeat', async () => {
  const s = store()
  const [e, body] = event()
  const first = await s.arrive(e, body, at(0))
  assert.deepEqual([first.verdict, first.delivery.attempt, first.retryAfterMs], ['run', 1, null])
  assert.ok(first.delivery.body.equals(body))
  assert.equal(first.record.status, 'completed')
  assert.equal(await s.finish(first.delivery, 'Error: down', at(1000)), 'failed')
  assert.deepEqual(await s.row(first.key), {
    state: 'failed',
    attempts: 1,
    dueAt: T0 + 1000 + inboxBackoffMs(1),
    lastError: 'Error: down',
    updatedAt: T0 + 1000,
  })
  const retry = await s.arrive(e, body, at(2000)) // OneInbox's retry, before the inbox's due time
  assert.deepEqual([retry.verdict, retry.delivery.attempt], ['run', 2])
  assert.equal(await s.finish(retry.delivery, null, at(3000)), 'done')
  const third = await s.arrive(e, body, at(4000))
  assert.deepEqual([third.verdict, third.delivery], ['repeat', null])
  assert.deepEqual(await s.due(at(10_000_000)), [])
})

test('a live claim is busy until its lease ends', async () => {
  const s = store()
  const [e, body] = event()
  const first = await s.arrive(e, body, at(0))
  const busy = await s.arrive(e, body, at(10_000))
  assert.deepEqual([busy.verdict, busy.retryAfterMs, busy.delivery], ['busy', 20_000, null])
  // The worker died: at the lease's end the delivery is due, and a copy takes it over.
  assert.deepEqual(await s.due(at(29_999)), [])
  assert.deepEqual(await s.due(at(30_000)), [first.key])
  const taken = await s.arrive(e, body, at(30_000))
  assert.deepEqual([taken.verdict, taken.delivery.attempt], ['run', 2])
  // The first worker's late failure is stale; its late success would be recorded.
  assert.equal(await s.finish(first.delivery, 'late', at(31_000)), 'stale')
  assert.equal(await s.finish(taken.delivery, null, at(32_000)), 'done')
})

test('drain runs what is due once', async () => {
  const s = store()
  const h = handlers(1)
  const [e, body] = event()
  const first = await s.arrive(e, body, at(0))
  await s.finish(first.delivery, 'boom', at(0))
  assert.deepEqual(await drain(s, h.router, at(5000)), EMPTY) // not due yet
  assert.deepEqual(await drain(s, h.router, at(10_000)), { ...EMPTY, failed: [first.key] }) // attempt 2 fails
  assert.deepEqual(await drain(s, h.router, at(10_000 + inboxBackoffMs(2))), { ...EMPTY, done: [first.key] })
  assert.deepEqual(await drain(s, h.router, at(100_000_000)), EMPTY)
  assert.deepEqual(h.runs, [
    ['call_1', 2],
    ['call_1', 3],
  ])
  assert.equal(currentDelivery(), null)
})

test('drain runs async handlers, the kept bytes, at most limit deliveries', async () => {
  const s = store()
  const seen = []
  const router = new Router().on('call.ended', async (e) => {
    await new Promise((r) => setTimeout(r, 1))
    seen.push([e.call_id, currentDelivery().key])
  })
  const keys = []
  for (const id of ['a', 'b', 'c']) {
    const [e, body] = event('call.ended', id)
    const a = await s.arrive(e, body, at(0))
    await s.finish(a.delivery, 'x', at(0))
    keys.push(a.key)
  }
  const report = await drain(s, router, { now: T0 + 3_600_000, limit: 2 })
  assert.deepEqual(report, { ...EMPTY, done: keys.slice(0, 2) })
  assert.deepEqual(await drain(s, router, at(3_600_000)), { ...EMPTY, done: keys.slice(2) })
  assert.deepEqual(
    seen.map(([id]) => id),
    ['a', 'b', 'c'],
  )
})

test('dead letters keep their body and replay', async () => {
  const s = store()
  const h = handlers(10)
  const [e, body] = event()
  const arrival = await s.arrive(e, body, at(0))
  await s.finish(arrival.delivery, 'one', at(0))
  let now = 0
  for (let i = 0; i < 2; i++) {
    now += 3_600_000
    await drain(s, h.router, at(now))
  }
  const [letter, ...more] = await s.dead()
  assert.equal(more.length, 0)
  assert.deepEqual([letter.key, letter.attempts, letter.callId, letter.event], [arrival.key, 3, 'call_1', 'call.ended'])
  assert.equal(letter.lastError, 'Error: database briefly down')
  assert.ok(letter.body.equals(body))
  assert.equal(letter.updatedAt, T0 + now)
  assert.equal((await s.arrive(e, body, at(now + 1))).verdict, 'dead')
  assert.deepEqual(await s.due(at(now + 10 ** 9)), [])
  h.failures = 0
  assert.equal(await s.replay(arrival.key, at(now + 2)), 'replayed')
  assert.deepEqual(await drain(s, h.router, at(now + 2)), { ...EMPTY, done: [arrival.key] })
  assert.deepEqual(await s.dead(), [])
  assert.equal(await s.replay('no such key', at(now)), 'not_due')
})

test('a crashed claim dies after its last lease', async () => {
  const s = store()
  const [e, body] = event()
  const { key } = await s.arrive(e, body, at(0)) // attempt 1: its worker dies with it
  for (const attempt of [2, 3]) {
    // each lease runs out; a worker takes it and dies too
    assert.deepEqual(await s.take(key, at(30_000 * attempt - 31_000)), { verdict: 'not_due', delivery: null })
    const { verdict, delivery } = await s.take(key, at(30_000 * (attempt - 1)))
    assert.deepEqual([verdict, delivery.attempt, delivery.callId, delivery.event], ['run', attempt, 'call_1', 'call.ended'])
  }
  assert.deepEqual(await drain(s, handlers().router, at(90_000)), { ...EMPTY, dead: [key] })
  const [letter] = await s.dead()
  assert.equal(letter.lastError, 'attempt 3 did not finish within its lease')
})

test('release gives a claim back, due at once, its attempt not counted', async () => {
  const s = store()
  const [e, body] = event()
  const a = await s.arrive(e, body, at(0))
  assert.equal(await s.release(a.delivery, 'shutting down', at(100)), 'released')
  assert.deepEqual(await s.due(at(100)), [a.key])
  const { delivery } = await s.take(a.key, at(100))
  assert.equal(delivery.attempt, 1)
})

test('claim marks done or failed, and rethrows', async () => {
  const s = store()
  const [e, body] = event()
  let inside
  const arrival = await s.claim(
    e,
    body,
    async (delivery) => {
      inside = currentDelivery()
      assert.equal(delivery, inside)
    },
    at(0),
  )
  assert.equal(arrival.verdict, 'run')
  assert.equal(inside, arrival.delivery)
  assert.equal(currentDelivery(), null)
  assert.equal((await s.row(arrival.key)).state, 'done')
  let ran = false
  const again = await s.claim(
    e,
    body,
    () => {
      ran = true
    },
    at(1),
  )
  assert.equal(again.verdict, 'repeat')
  assert.equal(ran, false)
  const [other, otherBody] = event('call.ended', 'call_2')
  let failedKey
  await assert.rejects(
    s.claim(
      other,
      otherBody,
      (delivery) => {
        failedKey = delivery.key
        throw new RangeError('bad')
      },
      at(0),
    ),
    /bad/,
  )
  const row = await s.row(failedKey)
  assert.deepEqual([row.state, row.lastError], ['failed', 'RangeError: bad'])
  // Without a body (the function second), the event's JSON is kept: it reads back as the same event.
  const [third] = event('call.ended', 'call_3')
  const kept = await s.claim(third, () => {}, at(0))
  assert.deepEqual(parseEvent(kept.delivery.body), third)
})

test('records fold each delivery once', async () => {
  const s = store()
  const bodies = ['call.started', 'transcript.final', 'call.ended', 'call.analyzed'].map((n) => makeEvent(n, { call_id: 'c' }))
  const expected = new CallRecord('c')
  let i = 0
  for (const body of [...bodies, ...bodies]) {
    // every delivery twice
    const arrival = await s.arrive(parseEvent(body), Buffer.from(body), at(i))
    if (arrival.delivery) await s.finish(arrival.delivery, null, at(i))
    expected.apply(parseEvent(body))
    assert.equal(arrival.record.toJson(), expected.toJson())
    i++
  }
  assert.equal((await s.get('c')).toJson(), expected.toJson())
  // The at-most-once record() sees the same deliveries as old.
  for (const body of bodies) assert.equal((await s.record(parseEvent(body))).new, false)
})

test('prune drops old done rows and keeps records', async () => {
  const s = store()
  const [doneE, doneBody] = event('call.ended', 'done')
  const [deadE, deadBody] = event('call.ended', 'dead')
  const a = await s.arrive(doneE, doneBody, at(0))
  await s.finish(a.delivery, null, at(0))
  let b = await s.arrive(deadE, deadBody, at(0))
  for (let attempt = 1; attempt <= 3; attempt++) {
    await s.finish(b.delivery, 'x', at(0))
    if (attempt < 3) b = await s.arrive(deadE, deadBody, at(0))
  }
  assert.equal(await s.prune({ olderThan: 3600, ...at(3_599_000) }), 0)
  assert.equal(await s.prune({ olderThan: 3600, ...at(3_600_000) }), 1)
  assert.equal(await s.row(a.key), null)
  assert.notEqual(await s.get('done'), null)
  assert.equal(await s.prune({ olderThan: 0, ...at(3_600_000) }), 0) // dead letters stay
  assert.equal(await s.prune({ olderThan: 0, includeDead: true, ...at(3_600_000) }), 1)
  assert.deepEqual(await drain(s, handlers().router, at(10 ** 9)), EMPTY)
  await assert.rejects(s.prune({ olderThan: -1 }), /olderThan/)
  // The default age is DEFAULT_RETENTION, which drain applies when given it as retention.
  assert.equal(DEFAULT_RETENTION, 7 * 24 * 3600)
  const [c, cBody] = event('call.ended', 'kept')
  const kept = await s.arrive(c, cBody, at(0))
  await s.finish(kept.delivery, null, at(0))
  assert.equal(await s.prune(at(DEFAULT_RETENTION * 1000 - 1)), 0)
  await drain(s, handlers().router, { now: T0 + DEFAULT_RETENTION * 1000, retention: DEFAULT_RETENTION })
  assert.equal(await s.row(kept.key), null)
})

test('the memory store is bounded', async () => {
  const s = new MemoryStore({ maxDeliveries: 2 })
  const keys = []
  for (let i = 0; i < 4; i++) {
    const [e, body] = event('call.ended', `c${i}`)
    const a = await s.arrive(e, body, at(i))
    await s.finish(a.delivery, null, at(i))
    keys.push(a.key)
  }
  const kept = []
  for (const k of keys) kept.push((await s.row(k)) !== null)
  assert.deepEqual(kept, [false, false, true, true])
  for (let i = 0; i < 4; i++) assert.notEqual(await s.get(`c${i}`), null)
})

test('arguments are checked', async () => {
  assert.throws(() => new MemoryStore({ maxDeliveries: 0 }), /maxDeliveries/)
  assert.throws(
    () => new MemoryStore({ lease: 0 }),
    (err) => err instanceof UsageError && err.issues[0].path === '/lease',
  )
  assert.throws(() => new MemoryStore({ lease: '60' }), TypeError)
  assert.throws(
    () => new MemoryStore({ leese: 60 }),
    (err) => err instanceof UsageError && err.issues[0].path === '/leese',
  )
  const s = new MemoryStore()
  await assert.rejects(s.due({ limit: 0 }), /limit/)
  await assert.rejects(s.arrive(event()[0], 'text'), /body must be a Buffer/)
  await assert.rejects(s.arrive(event()[0], undefined, { now: 'soon' }), /now must be/)
  await assert.rejects(s.finish({}, null), /takes a delivery/)
  await assert.rejects(s.take(1), /key must be a string/)
  await assert.rejects(drain({}, new Router()), /store must have an inbox/)
  await assert.rejects(drain(s, {}), /router must be a Router/)
  await assert.rejects(s.claim(event()[0], undefined, 'not a function'), /fn must be a function/)
})

test('a delivery whose store dies with it: drain after the lease, with the wall clock', async () => {
  const s = new MemoryStore({ lease: 0.05 })
  const h = handlers()
  const [e, body] = event('call.ended', 'call_crash')
  await s.arrive(e, body) // claimed; its "process" never finishes it
  assert.deepEqual(await drain(s, h.router), EMPTY) // the lease is still live
  await new Promise((r) => setTimeout(r, 80))
  const report = await drain(s, h.router)
  assert.equal(report.done.length, 1)
  assert.deepEqual(h.runs, [['call_crash', 2]])
  assert.deepEqual(await drain(s, h.router, { now: Date.now() + 10 ** 9 }), EMPTY)
})

// ---- the worker command: npx oneinbox-webhooks worker --store URL --router ./file.js ----------

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { main, runWorker } = require('../bin/oneinbox-webhooks.js')

const BIN = path.join(__dirname, '..', 'bin', 'oneinbox-webhooks.js')

function sink() {
  const chunks = []
  return { write: (t) => chunks.push(String(t)), text: () => chunks.join('') }
}

function routerFile(source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-worker-'))
  const file = path.join(dir, 'router.js')
  fs.writeFileSync(file, source.replace('PACKAGE', JSON.stringify(path.join(__dirname, '..', 'oneinbox.js'))))
  return file
}

const ROUTER = `const { Router } = require(PACKAGE)
module.exports = new Router().on('call.ended', () => {})
`

test('worker: one drain runs what is due and prints one line; an empty drain prints nothing', async () => {
  const s = store()
  const h = handlers()
  const [e, body] = event()
  const a = await s.arrive(e, body)
  await s.release(a.delivery, 'test') // due now
  const out = sink()
  const err = sink()
  assert.equal(await runWorker({ store: s, router: h.router, once: true, out, err }), 0)
  assert.match(out.text(), /^\S+ drained: 1 done, 0 failed, 0 dead\n$/)
  assert.deepEqual(h.runs, [['call_1', 1]])
  assert.equal(await runWorker({ store: s, router: h.router, once: true, out, err }), 0)
  assert.equal(out.text().split('\n').length, 2, 'an empty drain prints nothing')
  assert.equal(err.text(), '')
})

test('worker: a signal stops the loop after the delivery it runs', async () => {
  const s = store()
  let finish
  const started = new Promise((resolve) => {
    finish = resolve
  })
  let ended = false
  const router = new Router().on('call.ended', async () => {
    finish()
    await new Promise((r) => setTimeout(r, 30))
    ended = true
  })
  const [e, body] = event()
  const a = await s.arrive(e, body)
  await s.release(a.delivery, 'test')
  const out = sink()
  const running = runWorker({ store: s, router, intervalMs: 10, out, err: sink(), signals: ['SIGUSR2'] })
  await started
  process.emit('SIGUSR2')
  assert.equal(await running, 0)
  assert.equal(ended, true)
  assert.equal((await s.row(a.key)).state, 'done')
  assert.equal(process.listenerCount('SIGUSR2'), 0)
})

test('worker: a failed drain is said and tried again; once exits 1', async () => {
  const broken = {
    due: async () => {
      throw new Error('store down')
    },
    take: async () => ({}),
    finish: async () => 'done',
  }
  const err = sink()
  assert.equal(await runWorker({ store: broken, router: new Router(), once: true, out: sink(), err }), 1)
  assert.match(err.text(), /drain failed: store down/)
})

test('worker command: usage errors exit 2 and never print the store URL', async () => {
  const file = routerFile(ROUTER)
  const run = async (...argv) => {
    const stdout = sink()
    const stderr = sink()
    const code = await main(['worker', ...argv], { stdout, stderr, env: {} })
    return { code, out: stdout.text(), err: stderr.text() }
  }
  assert.equal((await run('--router', file)).code, 2)
  assert.equal((await run('--store', 'memory:')).code, 2)
  assert.equal((await run('--store', 'memory:', '--router', file, '--interval', '0')).code, 2)
  const scheme = await run('--store', 'ftp://user:s3cret@host/x', '--router', file)
  assert.equal(scheme.code, 2)
  assert.match(scheme.err, /unknown scheme "ftp:"/)
  assert.ok(!scheme.err.includes('s3cret'))
  const noRouter = await run('--store', 'memory:', '--router', routerFile('module.exports = 42\n'))
  assert.equal(noRouter.code, 2)
  assert.match(noRouter.err, /exports no Router/)
  const once = await run('--store', 'memory:', '--router', file, '--once')
  assert.deepEqual([once.code, once.out], [0, ''])
  assert.match((await run('--help')).out, /usage: oneinbox-webhooks worker/)
})

test('worker command: a store that cannot be reached exits 1 without its password', async () => {
  const file = routerFile(ROUTER)
  const stderr = sink()
  const code = await main(['worker', '--store', 'redis://user:s3cret-pw@127.0.0.1:1/0', '--router', file, '--once'], {
    stdout: sink(),
    stderr,
    env: {},
  })
  assert.equal(code, 1)
  assert.match(stderr.text(), /ECONNREFUSED/)
  assert.ok(!stderr.text().includes('s3cret-pw'), stderr.text())
})

test('worker process: SIGTERM stops it cleanly', async () => {
  const file = routerFile(ROUTER)
  const child = spawn(process.execPath, [BIN, 'worker', '--router', file, '--interval', '0.05'], {
    env: { ...process.env, ONEINBOX_STORE_URL: 'memory:' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d
      if (err.includes('draining the memory store')) resolve()
    })
    child.once('exit', () => reject(new Error(`exited early: ${err}`)))
  })
  child.kill('SIGTERM')
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))
  assert.deepEqual([code, signal], [0, null])
})
