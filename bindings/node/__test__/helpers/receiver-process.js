// A receiver process for crash.test.js and chaos.test.js (a child process, so that a test can
// SIGKILL it): an Express app with `webhookMiddleware` over a RedisStore on the test's
// redis-server, listening on a loopback port. Its settings come as JSON in argv[2].
//
// - mode `crash`: the call.ended handler writes `marker`, then sleeps far longer than any test.
// - mode `chaos`: the process POSTs its share of the chaos plan (helpers/chaos-plan.js) to its
//   own receiver; each handler run is logged to a Redis list first (`running`), then fails when
//   the plan says so, or is logged `ok`; one line per answer on stdout (`answer <status>`), and
//   `running <key> <attempt>` as each handler starts; run number `stallAt` never ends, so the
//   test kills the process mid-handler.
'use strict'

const fs = require('node:fs')
const express = require('express')
const { createClient } = require('redis')
const { Receiver, Router } = require('../..')
const { RedisStore, currentDelivery } = require('../../stores.js')
const { webhookMiddleware } = require('../../express.js')
const { makeDelivery } = require('../../testing.js')
const plan = require('./chaos-plan.js')

const PATH = '/webhooks/oneinbox'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function crashRouter(config) {
  return new Router().on('call.ended', async () => {
    fs.writeFileSync(config.marker, 'started')
    await sleep(600_000)
  })
}

function chaosRouter(config, client) {
  let runs = 0
  const handle = async () => {
    const { key, attempt } = currentDelivery()
    runs += 1
    process.stdout.write(`running ${key} ${attempt}\n`)
    // With `stallAt`, that run waits for the test's SIGKILL: it dies mid-handler.
    await sleep(runs === config.stallAt ? 600_000 : plan.pause(config.seed, key, attempt))
    if (plan.fails(key, attempt)) {
      await plan.log(client, config.prefix, { key, attempt, ok: false, by: config.seed })
      throw new Error(`chaos: attempt ${attempt} fails`)
    }
    await plan.log(client, config.prefix, { key, attempt, ok: true, by: config.seed })
  }
  const router = new Router()
  for (const name of plan.EVENTS) router.on(name, handle)
  return router
}

async function main(config) {
  const client = createClient({ url: `redis://127.0.0.1:${config.redisPort}` })
  client.on('error', () => {})
  await client.connect()
  const store = new RedisStore(client, { prefix: config.prefix, lease: config.lease, maxAttempts: config.maxAttempts })
  const receiver = new Receiver({ urlTokens: [config.token] })
  const router = config.mode === 'crash' ? crashRouter(config) : chaosRouter(config, client)
  const app = express()
  app.post(PATH, webhookMiddleware({ receiver, router, store, ackTimeoutMs: config.ackTimeoutMs, logger: { error: () => {} } }))
  const server = await new Promise((resolve) => {
    const s = app.listen(config.port ?? 0, '127.0.0.1', () => resolve(s))
  })
  const url = `http://127.0.0.1:${server.address().port}${PATH}`
  process.stdout.write(`listening ${url}\n`)
  if (config.mode !== 'chaos') return
  for (const body of plan.share(config.seed)) {
    const d = makeDelivery(body, { url, urlToken: config.token })
    // A 500 (a handler failed) is sent again once at once, as OneInbox retries it.
    for (let copy = 0; copy < 2; copy++) {
      const answer = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body })
      await answer.arrayBuffer()
      process.stdout.write(`answer ${answer.status}\n`)
      if (answer.status !== 500) break
    }
  }
  process.stdout.write('sent\n')
  server.close()
  await client.close()
}

/**
 * Starts this file as a child process with `config`: `{ child, url, lines, waitFor(pattern,
 * count), exited }`; `waitFor` resolves once `count` lines of stdout match `pattern`, and
 * rejects when the child exits first or after `timeoutMs`.
 */
async function spawnReceiver(config, timeoutMs = 60_000) {
  const { spawn } = require('node:child_process')
  const readline = require('node:readline')
  const child = spawn(process.execPath, [__filename, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = []
  let stderr = ''
  let waiters = []
  const check = () => {
    waiters = waiters.filter((w) => !w.check())
  }
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    check()
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  exited.then(({ code, signal }) => {
    for (const w of waiters) w.fail(new Error(`receiver exited (${code ?? signal}) early: ${stderr.slice(-2000)}`))
    waiters = []
  })
  const waitFor = (pattern, count = 1) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${count} lines ${pattern} in ${timeoutMs} ms: ${stderr.slice(-2000)}`)),
        timeoutMs,
      )
      const w = {
        check: () => {
          const matching = lines.filter((l) => pattern.test(l))
          if (matching.length < count) return false
          clearTimeout(timer)
          resolve(matching)
          return true
        },
        fail: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      }
      if (!w.check()) waiters.push(w)
    })
  const [listening] = await waitFor(/^listening /)
  return { child, url: listening.slice('listening '.length), lines, waitFor, exited }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2])).catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`)
    process.exit(1)
  })
}

module.exports = { spawnReceiver }
