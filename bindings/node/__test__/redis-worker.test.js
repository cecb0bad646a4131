// The worker command over Redis: `npx oneinbox-webhooks worker --store redis://... --router FILE
// --once` (bin/oneinbox-webhooks.js, run by node as npx runs it) runs a due delivery of a real
// redis-server's inbox through the router file's handlers; a store URL with a password is never
// printed, whether the password is right or wrong; the worker loop outlives a dropped connection.
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile, spawn } = require('node:child_process')
const { createClient } = require('redis')
const { parseEvent } = require('..')
const { RedisStore } = require('oneinbox-webhooks/stores')
const { makeEvent } = require('oneinbox-webhooks/testing')
const { startRedis } = require('./helpers/redis-server.js')

const BIN = path.join(__dirname, '..', 'bin', 'oneinbox-webhooks.js')
const PASSWORD = 's3cret-worker-pw'
let redis
let client
let dir
before(async () => {
  redis = await startRedis()
  client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  // A second user with a password; the default one (this test's client) keeps none.
  await client.sendCommand(['ACL', 'SETUSER', 'worker', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'])
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-redis-worker-'))
})
after(async () => {
  await client?.close()
  await redis?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

// A router file whose call.ended handler appends the call id and attempt to `log`.
function routerFile(log) {
  const file = path.join(dir, `router-${path.basename(log)}.js`)
  const pkg = JSON.stringify(path.join(__dirname, '..', 'oneinbox.js'))
  const stores = JSON.stringify(path.join(__dirname, '..', 'stores.js'))
  fs.writeFileSync(
    file,
    `const fs = require('node:fs')
const { Router } = require(${pkg})
const { currentDelivery } = require(${stores})
module.exports = new Router().on('call.ended', (event) => {
  fs.appendFileSync(${JSON.stringify(log)}, event.call_id + ' ' + currentDelivery().attempt + '\\n')
})
`,
  )
  return file
}

function worker(...argv) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'worker', ...argv], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr })
    })
  })
}

// A delivery of `callId` whose handler failed an hour ago: due now, attempt 2 next. The worker's
// store uses the default prefix and settings, so this one does too.
async function dueDelivery(callId) {
  const store = new RedisStore(client)
  const body = makeEvent('call.ended', { call_id: callId })
  const now = Date.now() - 3_600_000
  const arrival = await store.arrive(parseEvent(body), body, { now })
  assert.equal(arrival.verdict, 'run')
  assert.equal(await store.finish(arrival.delivery, 'Error: down', { now }), 'failed')
  assert.deepEqual(await store.due(), [arrival.key])
  return { store, key: arrival.key }
}

test('worker --once over redis:// runs the due delivery and exits 0; run again, it runs nothing', async () => {
  const { store, key } = await dueDelivery('call_worker')
  const log = path.join(dir, 'plain.log')
  const router = routerFile(log)
  const first = await worker('--store', redis.url, '--router', router, '--once')
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /^\S+ drained: 1 done, 0 failed, 0 dead\n$/)
  assert.match(first.stderr, /draining the redis store/)
  assert.equal(fs.readFileSync(log, 'utf8'), 'call_worker 2\n')
  assert.equal((await store.row(key)).state, 'done')
  const second = await worker('--store', redis.url, '--router', router, '--once')
  assert.deepEqual([second.code, second.stdout], [0, ''])
  assert.equal(fs.readFileSync(log, 'utf8'), 'call_worker 2\n')
})

test('worker --once with a password in the store URL: it runs, and the password is never printed', async () => {
  const { store, key } = await dueDelivery('call_password')
  const log = path.join(dir, 'password.log')
  const router = routerFile(log)
  const url = `redis://worker:${PASSWORD}@127.0.0.1:${redis.port}`
  const ran = await worker('--store', url, '--router', router, '--once')
  assert.equal(ran.code, 0, ran.stderr)
  assert.match(ran.stdout, /drained: 1 done/)
  assert.equal(fs.readFileSync(log, 'utf8'), 'call_password 2\n')
  assert.equal((await store.row(key)).state, 'done')
  // A wrong password: exit 1, the server's refusal said, neither password printed.
  const wrong = `redis://worker:not-${PASSWORD}@127.0.0.1:${redis.port}`
  const refused = await worker('--store', wrong, '--router', router, '--once')
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /WRONGPASS|invalid username-password/i)
  for (const out of [ran.stdout, ran.stderr, refused.stdout, refused.stderr]) {
    assert.ok(!out.includes(PASSWORD), out)
  }
})

test('worker: a password that is not valid percent-encoding is still never printed', async () => {
  const router = routerFile(path.join(dir, 'percent.log'))
  const url = `redis://worker:s3cr%zzet@127.0.0.1:${redis.port}`
  const ran = await worker('--store', url, '--router', router, '--once')
  assert.equal(ran.code, 1)
  assert.match(ran.stderr, /^oneinbox-webhooks worker: /m)
  assert.ok(!`${ran.stdout}${ran.stderr}`.includes('s3cr'), ran.stderr)
})

test('worker loop over redis://: a connection the server dropped is made again, and the worker runs what is due', async () => {
  const log = path.join(dir, 'reconnect.log')
  const child = spawn(process.execPath, [BIN, 'worker', '--store', redis.url, '--router', routerFile(log), '--interval', '0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    err += d
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const until = async (what, ok) => {
    const deadline = Date.now() + 30_000
    while (!ok()) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `${what}: out ${out} err ${err}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  try {
    await until('the banner', () => err.includes('draining the redis store'))
    // The server drops every connection but this test's (a restart, a network blip).
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'])
    await new Promise((r) => setTimeout(r, 300))
    await dueDelivery('call_reconnect')
    await until('the due delivery run', () => out.includes('drained: 1 done'))
    assert.equal(fs.readFileSync(log, 'utf8'), 'call_reconnect 2\n')
  } finally {
    child.kill('SIGTERM')
  }
  assert.deepEqual(await exited, { code: 0, signal: null })
})
