// The Express and Fastify adapters never block the event loop on a store: while deliveries go
// through a RedisStore on a real redis-server (on loopback, 16 at a time), the event loop's delay
// (`perf_hooks.monitorEventLoopDelay`) stays small. The same measure over a store that blocks for
// 100 ms in each `arrive` shows that it would see a blocking store. The thresholds are generous:
// the machine may be loaded, and the deliveries' own work shares this one thread.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const express = require('express')
const Fastify = require('fastify')
const { Receiver, Router } = require('..')
const { RedisStore } = require('oneinbox-webhooks/stores')
const { webhookMiddleware } = require('oneinbox-webhooks/express')
const { oneinboxWebhooks } = require('oneinbox-webhooks/fastify')
const { makeCall, makeDelivery, CALL_SEQUENCE } = require('oneinbox-webhooks/testing')
const { useRedis } = require('./helpers/redis-server.js')

const PATH = '/webhooks/oneinbox'
const TOKEN = `tok_${crypto.randomBytes(8).toString('hex')}`
const MS = 1e6 // the histogram is in nanoseconds
const redis = useRedis()

// Handlers that wait a little, as handlers that write somewhere do.
function router() {
  const r = new Router()
  for (const name of new Set(CALL_SEQUENCE)) r.on(name, () => new Promise((resolve) => setTimeout(resolve, 1)))
  return r
}

const ADAPTERS = {
  async express(options) {
    const app = express()
    app.post(PATH, webhookMiddleware(options))
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    return { url: `http://127.0.0.1:${server.address().port}${PATH}`, close: () => new Promise((r) => server.close(r)) }
  },
  async fastify(options) {
    const app = Fastify()
    app.register(oneinboxWebhooks, options)
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url: `${base}${PATH}`, close: () => app.close() }
  },
}

// Sends `calls` calls' deliveries, 16 at a time, through `adapter` over `store`: the answers'
// statuses and the event loop's delay meanwhile.
async function measure(adapter, store, calls) {
  const bodies = Array.from({ length: calls }, () => makeCall()).flat()
  const server = await ADAPTERS[adapter]({ receiver: new Receiver({ urlTokens: [TOKEN] }), router: router(), store })
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  const statuses = []
  try {
    histogram.enable()
    let next = 0
    const lane = async () => {
      while (next < bodies.length) {
        const d = makeDelivery(bodies[next++], { url: server.url, urlToken: TOKEN })
        const answer = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body })
        await answer.arrayBuffer()
        statuses.push(answer.status)
      }
    }
    await Promise.all(Array.from({ length: 16 }, lane))
  } finally {
    histogram.disable()
    await server.close()
  }
  return { statuses, p50: histogram.percentile(50) / MS, p99: histogram.percentile(99) / MS, max: histogram.max / MS }
}

// A RedisStore whose `arrive` first blocks the thread for 100 ms, as a synchronous store would.
function blocking(store) {
  return {
    record: (event) => store.record(event),
    arrive(...args) {
      const until = Date.now() + 100
      while (Date.now() < until) {}
      return store.arrive(...args)
    },
    finish: (...args) => store.finish(...args),
  }
}

for (const adapter of Object.keys(ADAPTERS)) {
  test(`${adapter}: deliveries through a RedisStore never block the event loop`, async (t) => {
    const store = new RedisStore(redis.client, { prefix: `loop-${crypto.randomUUID()}:` })
    const { statuses, p50, p99, max } = await measure(adapter, store, 40)
    assert.equal(statuses.length, 40 * CALL_SEQUENCE.length)
    assert.deepEqual([...new Set(statuses)], [204])
    t.diagnostic(`event loop delay: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`)
    // Measured at about 6 ms and 10 to 35 ms on 2 busy cores; a blocking store gives 100 ms.
    assert.ok(p50 < 50, `median delay ${p50} ms`)
    assert.ok(p99 < 200, `p99 delay ${p99} ms`)
  })

  test(`${adapter}: the same measure sees a store that blocks`, async (t) => {
    const store = blocking(new RedisStore(redis.client, { prefix: `loop-${crypto.randomUUID()}:` }))
    const { statuses, p50, max } = await measure(adapter, store, 2)
    assert.deepEqual([...new Set(statuses)], [204])
    t.diagnostic(`event loop delay: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`)
    assert.ok(p50 >= 80 && max >= 90, `median delay ${p50} ms, max ${max} ms`)
  })
}
