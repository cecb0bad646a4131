// The three framework adapters behind one interface for the table-driven adapter tests: each
// target starts an endpoint with the given options and sends requests to it. Express and Fastify
// listen on a loopback port (port 0) and are hit with `fetch` (or `http.request` where a test needs
// to control how the body is sent); the fetch handler is called with real `Request` objects.
'use strict'

const crypto = require('node:crypto')
const http = require('node:http')
const { inspect } = require('node:util')

const express = require('express')
const Fastify = require('fastify')

const native = require('../../index.js')
const { newUrlToken } = require('../../oneinbox.js')
const { webhookMiddleware } = require('../../express.js')
const { oneinboxWebhooks } = require('../../fastify.js')
const { webhookHandler } = require('../../fetch.js')

const PATH = '/webhooks/oneinbox'
const TOKEN = newUrlToken()
const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`

/**
 * A delivery as OneInbox makes it (the core's testing module through the native addon): the
 * path with the URL token, the Standard Webhooks headers and the body.
 */
function delivery(body, { path = PATH, token = TOKEN, secret = SECRET, msgId = `msg_${crypto.randomUUID()}` } = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  const made = native.makeDelivery(bytes, `http://localhost${path}`, token, secret, msgId, Math.floor(Date.now() / 1000))
  if (Array.isArray(made)) throw new Error(`makeDelivery: ${JSON.stringify(made)}`)
  const url = new URL(made.url)
  return { path: url.pathname + url.search, headers: made.headers.map(([n, v]) => [n, v]), body: made.body }
}

/** The guide's payload of `name`, with wire-name overrides. */
function event(name, overrides) {
  const made = native.makeEvent(name, overrides === undefined ? undefined : JSON.stringify(overrides))
  if (Array.isArray(made)) throw new Error(`makeEvent: ${JSON.stringify(made)}`)
  return made
}

/** A logger that keeps every call; `text()` is everything it was given, inspected deeply. */
function recordingLogger() {
  const calls = []
  return {
    calls,
    error: (...args) => calls.push({ level: 'error', args }),
    warn: (...args) => calls.push({ level: 'warn', args }),
    text: () => calls.map((c) => c.args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' ')).join('\n'),
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`))
  })
}

function close(server) {
  server.closeAllConnections?.()
  return new Promise((resolve) => server.close(() => resolve()))
}

// Sends a POST with `http.request`, writing `chunks` (an async iterable of Buffers) until the
// answer arrives: resolves to { status, headers, body, written } where `written` counts the bytes
// sent before the answer. With `contentLength`, that header is sent (else the body is chunked).
function rawPost(base, path, { headers, chunks, contentLength }) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base)
    const h = Object.fromEntries(headers)
    if (contentLength !== undefined) h['content-length'] = String(contentLength)
    const req = http.request(url, { method: 'POST', headers: h })
    let written = 0
    let answered = false
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    req.on('response', (res) => {
      answered = true
      const parts = []
      res.on('data', (c) => parts.push(c))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString('utf8'), written })
      })
    })
    ;(async () => {
      for await (const chunk of chunks) {
        if (answered || req.destroyed) return
        written += chunk.length
        await new Promise((r) => req.write(chunk, r))
        await new Promise((r) => setImmediate(r))
      }
      if (!answered && !req.destroyed) req.end()
    })().catch(() => {})
  })
}

// An endless body: 256-byte chunks, written until the server answers.
async function* endless() {
  for (;;) yield Buffer.alloc(256, 0x20)
}

// A first 256 bytes, then nothing more, ever: only a Content-Length check can answer it.
async function* stalled() {
  yield Buffer.alloc(256, 0x20)
  await new Promise(() => {})
}

async function* once(bytes) {
  yield bytes
}

/** A target over an HTTP server (Express or Fastify). */
function serverTarget(name, start, { readsBodyFirst = false } = {}) {
  return {
    name,
    readsBodyFirst,
    async start(options) {
      const { base, stop } = await start(options)
      return {
        send: (path, init = {}) => fetch(new URL(path, base), init),
        raw: (path, init) => rawPost(base, path, init),
        close: stop,
      }
    },
  }
}

function expressTarget(name, mount, options) {
  return serverTarget(
    name,
    async (opts) => {
      const app = express()
      mount(app, webhookMiddleware(opts))
      const server = http.createServer(app)
      const base = await listen(server)
      return { base, stop: () => close(server) }
    },
    options,
  )
}

function fastifyTarget(name, register) {
  return serverTarget(name, async (opts) => {
    const app = Fastify()
    register(app, opts)
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    return { base, stop: () => app.close() }
  })
}

const fetchTarget = {
  name: 'fetch handler',
  readsBodyFirst: false,
  async start(options) {
    const handler = webhookHandler(options)
    const origin = 'https://example.test'
    return {
      handler,
      send: (path, init = {}) => handler(new Request(new URL(path, origin), init)),
      async raw(path, { headers, chunks, contentLength }) {
        const h = new Headers(headers)
        if (contentLength !== undefined) h.set('content-length', String(contentLength))
        const iterator = chunks[Symbol.asyncIterator]()
        let written = 0
        const body = new ReadableStream({
          async pull(controller) {
            const { done, value } = await iterator.next()
            if (done) controller.close()
            else {
              written += value.length
              controller.enqueue(new Uint8Array(value))
            }
          },
        })
        const response = await handler(new Request(new URL(path, origin), { method: 'POST', headers: h, body, duplex: 'half' }))
        return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text(), written }
      },
      close: async () => {},
    }
  },
}

/** Every adapter the table runs over. */
const TARGETS = [
  expressTarget('express', (app, mw) => {
    app.all(PATH, mw)
  }),
  expressTarget('express, express.json() mounted after the webhook route', (app, mw) => {
    app.all(PATH, mw)
    app.use(express.json())
    app.post('/other', (req, res) => res.json({ got: req.body }))
  }),
  expressTarget(
    "express, express.raw({ type: 'application/json' }) on the route",
    (app, mw) => {
      app.all(PATH, express.raw({ type: 'application/json' }), mw)
    },
    { readsBodyFirst: true },
  ),
  fastifyTarget('fastify', (app, opts) => {
    app.register(oneinboxWebhooks, opts)
  }),
  fastifyTarget('fastify, registered with a prefix and path beside JSON routes', (app, opts) => {
    app.post('/other', async (request) => ({ got: request.body }))
    app.register(oneinboxWebhooks, { ...opts, prefix: '/webhooks', path: '/oneinbox' })
  }),
  fetchTarget,
]

module.exports = { PATH, TOKEN, SECRET, TARGETS, delivery, event, recordingLogger, endless, stalled, once, express, Fastify }
