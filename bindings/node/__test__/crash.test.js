// The crash test (issue 25): a receiver process (Express, a RedisStore, a 200 ms ack timeout, a
// 1 s lease) answers 202 while its handler still runs, and is SIGKILLed before the handler ends.
// Nothing is lost: `drain` runs the delivery once the lease is over (attempt 2), and only once.
// Python's twin: bindings/python/tests/test_inbox_stores.py::test_a_receiver_killed_after_its_202_loses_nothing.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Router } = require('..')
const { RedisStore, currentDelivery, drain } = require('oneinbox-webhooks/stores')
const { makeDelivery, makeEvent } = require('oneinbox-webhooks/testing')
const { useRedis } = require('./helpers/redis-server.js')
const { spawnReceiver } = require('./helpers/receiver-process.js')

const LEASE = 1 // seconds
const redis = useRedis()

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

test('a receiver killed after its 202 loses nothing: drain after the lease runs the handler once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-crash-'))
  const marker = path.join(dir, 'started')
  const prefix = `crash-${crypto.randomUUID()}:`
  const token = `tok_${crypto.randomBytes(8).toString('hex')}`
  const receiver = await spawnReceiver({
    mode: 'crash',
    redisPort: redis.server.port,
    prefix,
    token,
    lease: LEASE,
    ackTimeoutMs: 200,
    marker,
  })
  try {
    const d = makeDelivery(makeEvent('call.ended', { call_id: 'call_crash' }), { url: receiver.url, urlToken: token })
    const answer = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body })
    assert.equal(answer.status, 202)
    const deadline = Date.now() + 30_000
    while (!fs.existsSync(marker)) {
      assert.ok(Date.now() < deadline, 'the handler never started')
      await sleep(10)
    }
  } finally {
    receiver.child.kill('SIGKILL')
    assert.equal((await receiver.exited).signal, 'SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }

  const runs = []
  const router = new Router().on('call.ended', (event) => {
    runs.push([event.call_id, currentDelivery().attempt])
  })
  const store = new RedisStore(redis.client, { prefix, lease: LEASE })
  const [key] = await redis.client.keys(`${prefix}d:*`)
  const row = await store.row(key.slice(`${prefix}d:`.length))
  assert.equal(row.state, 'claimed') // the dead process's claim
  // While the lease is live, nothing is due (the clock is pinned to just before its end: a
  // loaded machine may take longer than the lease to get here).
  assert.deepEqual(await drain(store, router, { now: row.dueAt - 1 }), { done: [], failed: [], dead: [] })
  assert.deepEqual(runs, [])
  const wait = row.dueAt - Date.now()
  if (wait > 0) await sleep(wait + 50)
  const report = await drain(store, router)
  assert.equal(report.done.length, 1)
  assert.deepEqual([report.failed, report.dead], [[], []])
  assert.deepEqual(runs, [['call_crash', 2]])
  assert.equal((await store.row(report.done[0])).state, 'done')
  // A second drain, even far later, runs nothing.
  assert.deepEqual(await drain(store, router, { now: Date.now() + 10 ** 9 }), { done: [], failed: [], dead: [] })
  assert.deepEqual(runs, [['call_crash', 2]])
  assert.equal((await store.get('call_crash')).status, 'completed')
})
