// Access logs without URL tokens (issue 28): Fastify's own request log ("incoming request",
// pino) with `requestSerializer`, and the Express helpers for morgan (`redactedUrl`) and
// pino-http (`redactRequest`) on a real request through Express.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { Writable } = require('node:stream')
const Fastify = require('fastify')
const express = require('express')
const { newUrlToken } = require('../oneinbox.js')
const { requestSerializer } = require('../fastify.js')
const { redactRequest, redactedUrl } = require('../express.js')

const TOKEN = newUrlToken()

test('fastify: requestSerializer keeps Fastify request fields and redacts the token', async () => {
  const lines = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  const app = Fastify({ logger: { stream, serializers: { req: requestSerializer } } })
  app.post('/webhooks/oneinbox', async (_req, reply) => reply.code(204).send())
  const res = await app.inject({
    method: 'POST',
    url: `/webhooks/oneinbox?team=a&token=${TOKEN}`,
    payload: '{}',
    headers: { 'content-type': 'application/json' },
  })
  assert.equal(res.statusCode, 204)
  await app.close()
  assert.ok(lines.length > 0)
  assert.ok(lines.every((l) => !l.includes(TOKEN)))
  const incoming = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'incoming request')
  assert.equal(incoming.req.url, '/webhooks/oneinbox?team=a&token=[redacted]')
  assert.equal(incoming.req.method, 'POST')
  assert.deepEqual(Object.keys(incoming.req).sort(), ['host', 'method', 'remoteAddress', 'url'].sort())
})

test('fastify: without it, the token is in the access log (what the serializer fixes)', async () => {
  const lines = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString('utf8'))
      done()
    },
  })
  const app = Fastify({ logger: { stream } })
  app.post('/h', async (_req, reply) => reply.code(204).send())
  await app.inject({ method: 'POST', url: `/h?token=${TOKEN}`, payload: '{}', headers: { 'content-type': 'application/json' } })
  await app.close()
  assert.ok(lines.some((l) => l.includes(TOKEN)))
})

test('express: redactedUrl (a morgan url token) and redactRequest (a pino-http req serializer)', async () => {
  const seen = []
  const app = express()
  app.use((req, _res, next) => {
    // What morgan's `url` token and pino-http's serializer would be given for this request.
    seen.push({ url: redactedUrl(req), req: redactRequest({ method: req.method, url: req.originalUrl, query: { ...req.query } }) })
    next()
  })
  app.post('/webhooks/oneinbox', (_req, res) => res.status(204).end())
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  try {
    const { port } = server.address()
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/oneinbox?team=a&token=${TOKEN}`, { method: 'POST' })
    assert.equal(res.status, 204)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  assert.deepEqual(seen, [
    {
      url: '/webhooks/oneinbox?team=a&token=[redacted]',
      req: { method: 'POST', url: '/webhooks/oneinbox?team=a&token=[redacted]', query: { team: 'a', token: '[redacted]' } },
    },
  ])
  // Without a token nothing changes, and the input is not modified.
  const plain = { url: '/health', query: {} }
  assert.deepEqual(redactRequest(plain), { url: '/health', query: {} })
  assert.notEqual(redactRequest(plain), plain)
})
