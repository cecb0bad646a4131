// `just bench-express`: requests per second of an Express receiver made with
// `webhookMiddleware` (+ `MemoryStore`), against a hand-written one (express.raw, a URL token
// check, JSON.parse + an ajv validator of schemas/events, a Map for duplicates), in the same
// run. Each server runs in a child process of its own (one core each on a 2-core machine is
// fair to both); this process drives it with CONCURRENCY keep-alive clients sending 350-byte
// `call.ended` deliveries, one per call. Servers alternate over ROUNDS rounds; the table shows
// the median of each.
import { fork } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const TOKEN = 'tok_bench_0123456789abcdef'

const RECEIVERS = {
  // The package: verification, parsing, the answer table, the store, the router.
  async package() {
    const express = require('express')
    const { Receiver, Router } = require('../oneinbox.js')
    const { MemoryStore } = require('../stores.js')
    const { webhookMiddleware } = require('../express.js')
    const router = new Router().on('call.ended', () => {})
    const receiver = new Receiver({ urlTokens: [TOKEN] })
    const app = express()
    app.post('/webhooks/oneinbox', webhookMiddleware({ receiver, router, store: new MemoryStore() }))
    return app
  },
  // What a careful user writes by hand.
  async handwritten() {
    const crypto = require('node:crypto')
    const express = require('express')
    const Ajv2020 = require('ajv/dist/2020').default
    const addFormats = require('ajv-formats').default
    const ajv = new Ajv2020({ strict: false })
    addFormats(ajv)
    const dir = join(root, 'schemas/events')
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')))
    }
    const validate = ajv.getSchema('https://schemas.oneinbox-webhooks.dev/events/event.schema.json')
    const expected = Buffer.from(TOKEN)
    const seen = new Map()
    const app = express()
    app.post('/webhooks/oneinbox', express.raw({ type: 'application/json' }), (req, res) => {
      const token = Buffer.from(String(req.query.token ?? ''))
      if (token.length !== expected.length || !crypto.timingSafeEqual(token, expected)) return res.sendStatus(401)
      let event
      try {
        event = JSON.parse(req.body.toString())
      } catch {
        return res.sendStatus(400)
      }
      if (!validate(event)) return res.status(400).json({ issues: validate.errors })
      const key = `${event.call_id}:${event.event}`
      if (seen.has(key)) return res.sendStatus(204)
      seen.set(key, event)
      return res.sendStatus(204)
    })
    return app
  },
}

async function serve(name) {
  const app = await RECEIVERS[name]()
  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
}

function body(i) {
  // The guide's call.ended (about 350 bytes compact) with a call id of its own.
  return JSON.stringify({
    event: 'call.ended',
    call_id: `call_${String(i).padStart(12, '0')}`,
    agent_id: 'agt_abc123',
    status: 'completed',
    duration_seconds: 87,
    to_number: '+919876543210',
    from_number: '+15739693824',
    outcome: 'Appointment Booked',
    ai_summary: 'Caller agreed to a product demo on Thursday at 3pm.',
    analysis: { summary: 'Caller agreed to a product demo on Thursday at 3pm.' },
  })
}

async function drive(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const path = `/webhooks/oneinbox?token=${TOKEN}`
  let sent = 0
  let bad = 0
  let badStatus = 0
  const deadline = Date.now() + SECONDS * 1000
  const one = (i) =>
    new Promise((resolve, reject) => {
      const payload = body(i)
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          if (res.statusCode !== 204) {
            bad++
            badStatus = res.statusCode
          }
          res.resume()
          res.on('end', resolve)
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  const started = Date.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) await one(sent++)
    }),
  )
  const elapsed = (Date.now() - started) / 1000
  agent.destroy()
  if (bad > 0) throw new Error(`${bad} answers were not 204 (the last: ${badStatus})`)
  return sent / elapsed
}

async function round(name) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', name], { stdio: 'inherit' })
  try {
    const { port } = await new Promise((resolve) => child.once('message', resolve))
    await drive(port) // warm-up
    return await drive(port)
  } finally {
    child.kill()
  }
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3])
} else {
  const rates = { package: [], handwritten: [] }
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of Object.keys(rates)) rates[name].push(await round(name))
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const pkg = median(rates.package)
  const hand = median(rates.handwritten)
  console.log(`Express receivers, ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds of ${SECONDS} s (median requests/s):`)
  console.log(`  webhookMiddleware + MemoryStore  ${pkg.toFixed(0)}`)
  console.log(`  hand-written (raw, token, ajv, Map)  ${hand.toFixed(0)}`)
  console.log(`  ratio  ${(pkg / hand).toFixed(2)}×`)
}
