// The framework adapters (oneinbox-webhooks/express, /fastify, /fetch): one table of behaviour
// rows, each run against every adapter (helpers/adapters.js), plus what is particular to each.
'use strict'

const assert = require('node:assert/strict')
const { describe, it } = require('node:test')

const { Receiver, Router, ValidationError, parseEvent } = require('../oneinbox.js')
const { MemoryStore, currentDelivery } = require('../stores.js')
const { PATH, TOKEN, SECRET, TARGETS, delivery, event, recordingLogger, endless, stalled, once } = require('./helpers/adapters.js')
const native = require('../index.js')

const SMALL_LIMIT = 1024

function receiver(options = {}) {
  return new Receiver({ urlTokens: TOKEN, signingSecrets: SECRET, ...options })
}

/** A router that counts the events it was given. */
function countingRouter(handler = async () => {}) {
  const seen = []
  const router = new Router().onAny(async (e) => {
    seen.push(e)
    await handler(e)
  })
  return { router, seen }
}

function post(d, headers = d.headers) {
  return { method: 'POST', headers, body: d.body }
}

function withHeader(headers, name, value) {
  const rest = headers.filter(([n]) => n.toLowerCase() !== name)
  return value === undefined ? rest : [...rest, [name, value]]
}

// Nothing any logger was given may hold the URL token or the signing secret (or its key bytes).
function assertNoSecrets(logger) {
  const text = logger.text()
  assert.ok(!text.includes(TOKEN), 'the URL token reached the logger')
  assert.ok(!text.includes(SECRET), 'the signing secret reached the logger')
  assert.ok(!text.includes(SECRET.slice('whsec_'.length)), 'the signing key reached the logger')
  assert.ok(!text.includes('token='), 'a URL with its token reached the logger')
}

async function withEndpoint(target, options, fn) {
  const logger = options.logger ?? recordingLogger()
  const endpoint = await target.start({ ...options, logger })
  if (Array.isArray(logger.calls)) {
    // What the adapter logged when it was made: the core's warning, once, when it has no store.
    const startup = logger.calls.splice(0).map((c) => [c.level, c.args[0]])
    const noStore = options.store === undefined || options.store === null
    assert.deepEqual(startup, noStore ? [['warn', native.answerNoStoreWarning().line]] : [])
  }
  try {
    await fn(endpoint, logger)
  } finally {
    await endpoint.close()
    assertNoSecrets(logger)
  }
}

function deferred() {
  let resolve
  let reject
  const promise = new Promise((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

// One row of the behaviour every adapter shares: a name and a check over a started target.
const ROWS = [
  {
    name: '204 once authenticated, parsed and handled by an async handler',
    async run(target) {
      const { router, seen } = countingRouter(() => new Promise((r) => setTimeout(r, 5)))
      let typed
      router.on('call.ended', (e) => {
        typed = e.outcome
      })
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint, logger) => {
        const res = await endpoint.send(...sendArgs(delivery(event('call.ended'))))
        assert.equal(res.status, 204)
        assert.equal(await res.text(), '')
        assert.equal(seen.length, 1)
        assert.equal(seen[0].event, 'call.ended')
        assert.equal(seen[0].call_id, 'call_abc123')
        assert.equal(typed, 'Appointment Booked')
        assert.equal(logger.calls.length, 0)
      })
    },
  },
  {
    name: '204 for application/json with parameters and for +json types',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint) => {
        for (const type of [
          'application/json; charset=utf-8',
          'Application/JSON',
          'application/vnd.oneinbox+json',
          'application/cloudevents+json; charset=UTF-8',
        ]) {
          const d = delivery(event('call.started', { call_id: `call_${seen.length}` }))
          const res = await endpoint.send(d.path, post(d, withHeader(d.headers, 'content-type', type)))
          assert.equal(res.status, 204, type)
        }
        assert.equal(seen.length, 4)
      })
    },
  },
  {
    name: 'atMostOnce: 204 for a duplicate delivery (MemoryStore), whose handler is not run again',
    async run(target) {
      const { router, seen } = countingRouter()
      const store = new MemoryStore()
      await withEndpoint(target, { receiver: receiver(), router, store, atMostOnce: true }, async (endpoint) => {
        const body = event('call.ended')
        const first = delivery(body)
        assert.equal((await endpoint.send(...sendArgs(first))).status, 204)
        // The same delivery again (a retry), then the same event under a new message id.
        assert.equal((await endpoint.send(...sendArgs(first))).status, 204)
        assert.equal((await endpoint.send(...sendArgs(delivery(body)))).status, 204)
        assert.equal(seen.length, 1)
        // A different event of the same call is new.
        assert.equal((await endpoint.send(...sendArgs(delivery(event('call.analyzed'))))).status, 204)
        assert.equal(seen.length, 2)
        // Two copies of one delivery at once: both acknowledged, handled once.
        const twice = delivery(event('call.recording.available'))
        const answers = await Promise.all([endpoint.send(...sendArgs(twice)), endpoint.send(...sendArgs(twice))])
        assert.deepEqual(
          answers.map((r) => r.status),
          [204, 204],
        )
        assert.equal(seen.length, 3)
        const record = await store.get('call_abc123')
        assert.deepEqual([...record.events_seen], ['call.analyzed', 'call.ended', 'call.recording.available'])
      })
    },
  },
  {
    name: '400 with every issue for an invalid payload; no handler runs',
    async run(target) {
      const { router, seen } = countingRouter()
      const body = '{"event":"call.ended","call_id":"","duration_seconds":"long"}'
      let expected
      try {
        parseEvent(body)
      } catch (err) {
        assert.ok(err instanceof ValidationError)
        expected = err.issues.map((i) => ({ code: i.code, path: i.path, message: i.message }))
      }
      assert.ok(expected.length >= 2)
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint, logger) => {
        const res = await endpoint.send(...sendArgs(delivery(body)))
        assert.equal(res.status, 400)
        assert.match(res.headers.get('content-type'), /^application\/json/)
        assert.deepEqual(await res.json(), { issues: expected })
        // Not JSON at all.
        const bad = await endpoint.send(...sendArgs(delivery('{"event":')))
        assert.equal(bad.status, 400)
        assert.equal((await bad.json()).issues[0].code, 'invalid_json')
        assert.equal(seen.length, 0)
        assert.equal(logger.calls.length, 0)
      })
    },
  },
  {
    name: '401 saying why when authentication fails (body and warn line, never a secret); no handler runs',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint, logger) => {
        const body = event('call.ended')
        // Issue 28: the reason is in the body and in a warn line (10 per reason per minute).
        const cases = {
          'wrong token': [delivery(body, { token: 'not-the-token' }), 'token_mismatch'],
          'wrong secret': [delivery(body, { secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` }), 'no_matching_signature'],
        }
        const noToken = delivery(body)
        noToken.path = PATH
        cases['no token'] = [noToken, 'missing_token']
        const tampered = delivery(body)
        tampered.body = Buffer.from(body.toString('utf8').replace('Appointment Booked', 'Refund Issued'))
        cases['a body changed after signing'] = [tampered, 'no_matching_signature']
        const unsigned = delivery(body)
        unsigned.headers = unsigned.headers.filter(([n]) => !n.startsWith('webhook-'))
        cases['no signature'] = [unsigned, 'missing_header']
        for (const [what, [d, code]] of Object.entries(cases)) {
          const res = await endpoint.send(...sendArgs(d))
          assert.equal(res.status, 401, what)
          assert.equal(res.headers.get('content-type'), 'application/json', what)
          assert.equal((await res.json()).error, code, what)
        }
        assert.equal(seen.length, 0)
        assert.deepEqual(
          logger.calls.map((c) => [c.level, ...c.args]),
          Object.values(cases).map(([, code]) => ['warn', `oneinbox-webhooks: delivery not authenticated (${code}); answered 401`]),
        )
      })
    },
  },
  {
    name: '413 from Content-Length, before the body is read',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver({ maxBodyBytes: SMALL_LIMIT }), router }, async (endpoint) => {
        const d = delivery(event('call.ended', { ai_summary: 'x'.repeat(4 * SMALL_LIMIT) }))
        let res
        if (target.readsBodyFirst) {
          // express.raw() reads the whole body before the middleware runs: send all of it.
          res = await endpoint.raw(d.path, { headers: d.headers, chunks: once(d.body), contentLength: d.body.length })
        } else {
          // Announce a long body, send a first chunk and stall: the answer comes without the rest.
          res = await endpoint.raw(d.path, { headers: d.headers, chunks: stalled(), contentLength: 1024 * 1024 })
          assert.ok(res.written <= 256)
        }
        assert.equal(res.status, 413)
        assert.equal(res.body, '')
        assert.equal(seen.length, 0)
      })
    },
  },
  {
    name: '413 while streaming a body without Content-Length, and reading stops',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver({ maxBodyBytes: SMALL_LIMIT }), router }, async (endpoint) => {
        const d = delivery(event('call.ended', { ai_summary: 'x'.repeat(4 * SMALL_LIMIT) }))
        let res
        if (target.readsBodyFirst) {
          res = await endpoint.raw(d.path, { headers: d.headers, chunks: once(d.body) })
        } else {
          // An endless chunked body: only stopping at the limit can answer it.
          res = await endpoint.raw(d.path, { headers: d.headers, chunks: endless() })
          assert.ok(res.written < 64 * 1024, `read ${res.written} bytes before answering`)
        }
        assert.equal(res.status, 413)
        assert.equal(res.body, '')
        // Under the limit, a chunked body is read whole and accepted.
        const small = delivery(event('call.ended'))
        const ok = await endpoint.raw(small.path, { headers: small.headers, chunks: once(small.body) })
        assert.equal(ok.status, 204)
        assert.equal(seen.length, 1)
      })
    },
  },
  {
    name: '413 from the receiver limit for a whole body sent with its length',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver({ maxBodyBytes: SMALL_LIMIT }), router }, async (endpoint) => {
        const d = delivery(event('call.ended', { ai_summary: 'x'.repeat(2 * SMALL_LIMIT) }))
        const res = await endpoint.send(d.path, post(d, withHeader(d.headers, 'content-length', String(d.body.length))))
        assert.equal(res.status, 413)
        assert.equal(await res.text(), '')
        // Just under the limit is read and accepted.
        const fits = delivery(event('call.ended', { ai_summary: 'x'.repeat(SMALL_LIMIT - 400) }))
        assert.ok(fits.body.length <= SMALL_LIMIT)
        assert.equal((await endpoint.send(...sendArgs(fits))).status, 204)
        assert.equal(seen.length, 1)
      })
    },
  },
  {
    name: '415 for a content type other than JSON; no handler runs',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint) => {
        for (const type of [
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/jsonp',
          'text/json',
          'application/+json',
          undefined,
        ]) {
          const d = delivery(event('call.ended'))
          const res = await endpoint.send(d.path, post(d, withHeader(d.headers, 'content-type', type)))
          assert.equal(res.status, 415, String(type))
          // Issue 28: the body says what is accepted and what came.
          const explained = await res.json()
          assert.equal(explained.error, 'unsupported_media_type', String(type))
          assert.deepEqual(explained.accepted, ['application/json', 'application/<name>+json'])
          assert.equal(explained.received, type ?? null, String(type))
        }
        assert.equal(seen.length, 0)
      })
    },
  },
  {
    name: '405 with Allow: POST for another method',
    async run(target) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint) => {
        const d = delivery(event('call.ended'))
        for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
          const init = method === 'GET' ? { method } : { method, headers: d.headers, body: d.body }
          const res = await endpoint.send(d.path, init)
          assert.equal(res.status, 405, method)
          assert.equal(res.headers.get('allow'), 'POST', method)
          assert.equal(await res.text(), '', method)
        }
        assert.equal(seen.length, 0)
      })
    },
  },
  {
    name: '500 with no detail when a handler throws or rejects, logged with the call id and event name',
    async run(target) {
      const router = new Router()
        .on('call.ended', () => {
          throw new Error('handler bug')
        })
        .on('call.failed', async () => {
          await null
          throw new Error('async handler bug')
        })
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint, logger) => {
        const ended = await endpoint.send(...sendArgs(delivery(event('call.ended', { call_id: 'call_sync' }))))
        assert.equal(ended.status, 500)
        assert.equal(await ended.text(), '')
        const failed = await endpoint.send(...sendArgs(delivery(event('call.failed', { call_id: 'call_async' }))))
        assert.equal(failed.status, 500)
        assert.equal(await failed.text(), '')
        assert.equal(logger.calls.length, 2)
        const [first, second] = logger.calls
        assert.equal(first.level, 'error')
        assert.match(first.args[0], /"call\.ended"/)
        assert.match(first.args[0], /"call_sync"/)
        assert.equal(first.args[1].message, 'handler bug')
        assert.match(second.args[0], /"call\.failed"/)
        assert.match(second.args[0], /"call_async"/)
        assert.equal(second.args[1].message, 'async handler bug')
        for (const call of logger.calls) assert.ok(!call.args[0].includes('\n'), 'one line')
      })
    },
  },
  {
    name: 'at least once (MemoryStore): a handler failing once gives 500, the retry 204 with a second run, a third copy 204 unrun',
    async run(target) {
      let runs = 0
      const attempts = []
      const router = new Router().on('call.ended', () => {
        runs++
        attempts.push(currentDelivery().attempt)
        if (runs === 1) throw new Error('database briefly down')
      })
      const store = new MemoryStore()
      await withEndpoint(target, { receiver: receiver(), router, store }, async (endpoint) => {
        const d = delivery(event('call.ended'))
        const statuses = []
        for (let i = 0; i < 3; i++) statuses.push((await endpoint.send(...sendArgs(d))).status)
        assert.deepEqual(statuses, [500, 204, 204])
        assert.equal(runs, 2)
        assert.deepEqual(attempts, [1, 2])
        assert.equal(currentDelivery(), null)
        assert.deepEqual(await store.due({ now: Date.now() + 10 ** 9 }), [])
      })
    },
  },
  {
    name: 'at least once: 409 with Retry-After for a copy whose handlers run now; never two runs at once',
    async run(target) {
      const gate = deferred()
      const started = deferred()
      let running = 0
      let most = 0
      const router = new Router().on('call.ended', async () => {
        running++
        most = Math.max(most, running)
        started.resolve()
        await gate.promise
        running--
      })
      const store = new MemoryStore({ lease: 30 })
      await withEndpoint(target, { receiver: receiver(), router, store, ackTimeoutMs: null }, async (endpoint, logger) => {
        const d = delivery(event('call.ended'))
        const first = endpoint.send(...sendArgs(d))
        await started.promise
        const busy = await endpoint.send(...sendArgs(d))
        assert.equal(busy.status, 409)
        assert.equal(await busy.text(), '')
        const retryAfter = Number(busy.headers.get('retry-after'))
        assert.ok(retryAfter >= 29 && retryAfter <= 30, `Retry-After ${retryAfter}`)
        gate.resolve()
        assert.equal((await first).status, 204)
        assert.equal(most, 1)
        assert.equal(logger.calls.length, 0)
      })
    },
  },
  {
    name: 'at least once: a failure after the 202 is recorded (due again) and logged',
    async run(target) {
      const gate = deferred()
      const failed = deferred()
      const router = new Router().on('call.ended', async () => {
        await gate.promise
        failed.resolve()
        throw new Error('late failure')
      })
      const store = new MemoryStore()
      await withEndpoint(target, { receiver: receiver(), router, store, ackTimeoutMs: 30 }, async (endpoint, logger) => {
        const d = delivery(event('call.ended'))
        assert.equal((await endpoint.send(...sendArgs(d))).status, 202)
        gate.resolve()
        await failed.promise
        await new Promise((r) => setTimeout(r, 20))
        const [key] = await store.due({ now: Date.now() + 3_600_000 })
        const row = await store.row(key)
        assert.equal(row.state, 'failed')
        assert.equal(row.lastError, 'Error: late failure')
        assert.equal(logger.calls.length, 1)
        assert.match(logger.calls[0].args[0], /failed after the delivery was answered 202; it is due again/)
        assert.equal(logger.calls[0].args[1].message, 'late failure')
      })
    },
  },
  {
    name: 'at least once: 500 when store.arrive fails (no handler runs); 500 logged when store.finish fails',
    async run(target) {
      const { router, seen } = countingRouter()
      const memory = new MemoryStore()
      const down = {
        record: (e) => memory.record(e),
        get: (c) => memory.get(c),
        arrive: async () => {
          throw new Error('store down')
        },
        finish: (...a) => memory.finish(...a),
      }
      await withEndpoint(target, { receiver: receiver(), router, store: down }, async (endpoint, logger) => {
        assert.equal((await endpoint.send(...sendArgs(delivery(event('call.ended'))))).status, 500)
        assert.equal(seen.length, 0)
        assert.match(logger.calls[0].args[0], /store\.\w+ failed for "call\.ended" of call "call_abc123"/)
      })
      const finishDown = {
        record: (e) => memory.record(e),
        get: (c) => memory.get(c),
        arrive: (...a) => memory.arrive(...a),
        finish: async () => {
          throw new Error('store down at finish')
        },
      }
      await withEndpoint(target, { receiver: receiver(), router, store: finishDown }, async (endpoint, logger) => {
        assert.equal((await endpoint.send(...sendArgs(delivery(event('call.analyzed'))))).status, 500)
        assert.equal(seen.length, 1)
        assert.match(logger.calls[0].args[0], /store\.finish failed for "call\.analyzed" of call "call_abc123"; the delivery is due again/)
        assert.equal(logger.calls[0].args[1].message, 'store down at finish')
      })
    },
  },
  {
    name: 'atMostOnce: a handler that failed is not run again (what at-most-once loses)',
    async run(target) {
      let runs = 0
      const router = new Router().on('call.ended', () => {
        runs++
        throw new Error('once')
      })
      await withEndpoint(target, { receiver: receiver(), router, store: new MemoryStore(), atMostOnce: true }, async (endpoint) => {
        const d = delivery(event('call.ended'))
        assert.equal((await endpoint.send(...sendArgs(d))).status, 500)
        assert.equal((await endpoint.send(...sendArgs(d))).status, 204)
        assert.equal(runs, 1)
      })
    },
  },
  {
    name: '500 logged when the store fails; the handler does not run',
    async run(target) {
      const { router, seen } = countingRouter()
      const store = {
        record: async () => {
          throw new Error('store down')
        },
        get: async () => null,
      }
      await withEndpoint(target, { receiver: receiver(), router, store }, async (endpoint, logger) => {
        const res = await endpoint.send(...sendArgs(delivery(event('call.ended'))))
        assert.equal(res.status, 500)
        assert.equal(await res.text(), '')
        assert.equal(seen.length, 0)
        assert.equal(logger.calls.length, 1)
        assert.match(logger.calls[0].args[0], /store\.record failed for "call\.ended" of call "call_abc123"/)
      })
    },
  },
  {
    name: '202 for a handler slower than ackTimeoutMs, which then finishes',
    async run(target) {
      const gate = deferred()
      const finished = deferred()
      let started = 0
      const router = new Router()
        .on('call.ended', async () => {
          started++
          await gate.promise
          finished.resolve('done')
        })
        .on('call.failed', async () => {
          await gate.promise
          throw new Error('late failure')
        })
      await withEndpoint(target, { receiver: receiver(), router, ackTimeoutMs: 50 }, async (endpoint, logger) => {
        const before = Date.now()
        const res = await endpoint.send(...sendArgs(delivery(event('call.ended'))))
        assert.equal(res.status, 202)
        assert.ok(Date.now() - before >= 45, 'answered before ackTimeoutMs')
        assert.equal(started, 1)
        const late = await endpoint.send(...sendArgs(delivery(event('call.failed'))))
        assert.equal(late.status, 202)
        // A fast handler under the same timeout is still 204.
        const quick = await endpoint.send(...sendArgs(delivery(event('call.started'))))
        assert.equal(quick.status, 204)
        gate.resolve()
        assert.equal(await finished.promise, 'done')
        await new Promise((r) => setTimeout(r, 20))
        // The failure after the 202 answer is logged (it cannot be answered any more).
        assert.equal(logger.calls.length, 1)
        assert.match(logger.calls[0].args[0], /"call\.failed" of call "call_abc123" failed after the delivery was answered 202/)
        assert.equal(logger.calls[0].args[1].message, 'late failure')
      })
    },
  },
]

// `endpoint.send` arguments for a delivery: its path (with the token) and a POST of it.
function sendArgs(d) {
  return [d.path, post(d)]
}

for (const target of TARGETS) {
  describe(`adapter: ${target.name}`, () => {
    for (const row of ROWS) {
      it(row.name, () => row.run(target))
    }
  })
}

describe('adapter options', () => {
  const { webhookMiddleware } = require('../express.js')
  const { webhookHandler } = require('../fetch.js')
  const { UsageError } = require('../oneinbox.js')
  for (const [name, make] of [
    ['webhookMiddleware', webhookMiddleware],
    ['webhookHandler', webhookHandler],
  ]) {
    it(`${name} refuses missing or wrong options`, () => {
      const router = new Router()
      assert.throws(() => make(), TypeError)
      assert.throws(() => make({ router }), /receiver must be a Receiver/)
      assert.throws(() => make({ receiver: receiver() }), /router must be a Router/)
      assert.throws(() => make({ receiver: receiver(), router, store: {} }), /store must be a store/)
      assert.throws(() => make({ receiver: receiver(), router, ackTimeoutMs: -1 }), /ackTimeoutMs/)
      assert.throws(() => make({ receiver: receiver(), router, ackTimeoutMs: '50' }), /ackTimeoutMs/)
      assert.throws(() => make({ receiver: receiver(), router, logger: {} }), /logger must have an error/)
      assert.throws(() => make({ receiver: receiver(), router, atMostOnce: 'yes' }), /atMostOnce must be a boolean/)
      // A misspelt option must not silently turn duplicate detection off.
      assert.throws(
        () => make({ receiver: receiver(), router, stor: new MemoryStore() }),
        (err) => err instanceof UsageError && err.issues[0].path === '/stor',
      )
      assert.equal(typeof make({ receiver: receiver(), router, store: new MemoryStore(), ackTimeoutMs: 0 }), 'function')
      assert.equal(typeof make({ receiver: receiver(), router, store: null, ackTimeoutMs: null }), 'function')
    })
  }
})

describe('the main package loads no framework', () => {
  it('requiring oneinbox-webhooks and its adapters loads neither express nor fastify', () => {
    const { execFileSync } = require('node:child_process')
    const path = require('node:path')
    const script = `
      require('./oneinbox.js'); require('./stores.js')
      require('./express.js'); require('./fastify.js'); require('./fetch.js')
      const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](express|fastify)[\\\\/]/.test(f))
      process.stdout.write(JSON.stringify(loaded))
    `
    const out = execFileSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' })
    assert.deepEqual(JSON.parse(out), [])
  })
})

describe('express with express.json() mounted first', () => {
  const http = require('node:http')
  const { express } = require('./helpers/adapters.js')
  const { webhookMiddleware } = require('../express.js')

  async function start(options) {
    const app = express()
    app.use(express.json())
    app.all(PATH, webhookMiddleware(options))
    const server = http.createServer(app)
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${server.address().port}`
    return {
      send: (path, init) => fetch(new URL(path, base), init),
      close: () => {
        server.closeAllConnections()
        return new Promise((r) => server.close(r))
      },
    }
  }

  it('answers 500 and logs one line naming the fix, never accepting the consumed body', async () => {
    const { router, seen } = countingRouter()
    const logger = recordingLogger()
    const endpoint = await start({ receiver: receiver(), router, store: new MemoryStore(), logger })
    try {
      const res = await endpoint.send(...sendArgs(delivery(event('call.ended'))))
      assert.equal(res.status, 500)
      assert.equal(await res.text(), '')
      assert.equal(seen.length, 0)
      assert.equal(logger.calls.length, 1)
      const [line, ...rest] = logger.calls[0].args
      assert.equal(rest.length, 0)
      assert.ok(!line.includes('\n'))
      assert.match(line, /before express\.json\(\)/)
      assert.match(line, /express\.raw\(\{ type: 'application\/json' \}\)/)
      // A forged delivery gets the same answer: nothing is accepted without the raw bytes.
      const forged = delivery(event('call.ended'), { token: 'forged' })
      assert.equal((await endpoint.send(...sendArgs(forged))).status, 500)
      assert.equal(seen.length, 0)
      assert.equal(logger.calls.length, 2)
    } finally {
      await endpoint.close()
    }
    assertNoSecrets(logger)
  })

  it('still answers 405 and 415, and reads +json bodies express.json() left alone', async () => {
    const { router, seen } = countingRouter()
    const logger = recordingLogger()
    const endpoint = await start({ receiver: receiver(), router, logger })
    try {
      const d = delivery(event('call.ended'))
      assert.equal((await endpoint.send(d.path, { method: 'GET' })).status, 405)
      assert.equal((await endpoint.send(d.path, post(d, withHeader(d.headers, 'content-type', 'text/plain')))).status, 415)
      const plusJson = await endpoint.send(d.path, post(d, withHeader(d.headers, 'content-type', 'application/vnd.oneinbox+json')))
      assert.equal(plusJson.status, 204)
      assert.equal(seen.length, 1)
      assert.deepEqual(
        logger.calls.filter((c) => c.level === 'error'),
        [],
      ) // warn: no store, a 415
    } finally {
      await endpoint.close()
    }
  })
})

describe('express: other routes', () => {
  it('express.json() mounted after the webhook route still parses the app’s own JSON routes', async () => {
    const target = TARGETS.find((t) => t.name.startsWith('express, express.json() mounted after'))
    const { router } = countingRouter()
    await withEndpoint(target, { receiver: receiver(), router }, async (endpoint) => {
      const res = await endpoint.send('/other', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' })
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { got: { a: [1, 2] } })
    })
  })

  it('the middleware also serves a plain node:http server', async () => {
    const http = require('node:http')
    const { webhookMiddleware } = require('../express.js')
    const { router, seen } = countingRouter()
    const logger = recordingLogger()
    const server = http.createServer(webhookMiddleware({ receiver: receiver(), router, logger }))
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    try {
      const d = delivery(event('call.ended'))
      const res = await fetch(`http://127.0.0.1:${server.address().port}${d.path}`, post(d))
      assert.equal(res.status, 204)
      assert.equal(seen.length, 1)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})

describe('fastify: encapsulation', () => {
  const { Fastify } = require('./helpers/adapters.js')
  const { oneinboxWebhooks } = require('../fastify.js')

  it('the buffer parser stays in the plugin: the app’s JSON routes elsewhere still get parsed bodies', async () => {
    for (const target of TARGETS.filter((t) => t.name.startsWith('fastify, registered with a prefix'))) {
      const { router, seen } = countingRouter()
      await withEndpoint(target, { receiver: receiver(), router }, async (endpoint) => {
        const res = await endpoint.send('/other', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' })
        assert.equal(res.status, 200)
        assert.deepEqual(await res.json(), { got: { a: [1, 2] } })
        const d = delivery(event('call.ended'))
        assert.equal((await endpoint.send(...sendArgs(d))).status, 204)
        assert.equal(seen.length, 1)
      })
    }
  })

  it('without a logger option, failures go to the Fastify instance’s logger', async () => {
    const lines = []
    const stream = { write: (line) => lines.push(JSON.parse(line)) }
    const app = Fastify({ logger: { stream, level: 'error' } })
    const router = new Router().on('call.ended', () => {
      throw new Error('handler bug')
    })
    app.register(oneinboxWebhooks, { receiver: receiver(), router })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const d = delivery(event('call.ended'))
      const res = await fetch(new URL(d.path, base), post(d))
      assert.equal(res.status, 500)
      assert.equal(await res.text(), '')
    } finally {
      await app.close()
    }
    const ours = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('oneinbox-webhooks:'))
    assert.equal(ours.length, 1)
    assert.match(ours[0].msg, /"call\.ended" of call "call_abc123"/)
    assert.equal(ours[0].err.message, 'handler bug')
    const all = JSON.stringify(lines)
    assert.ok(!all.includes(TOKEN) && !all.includes(SECRET.slice('whsec_'.length)))
  })

  it('refuses wrong options when registered', async () => {
    const app = Fastify()
    app.register(oneinboxWebhooks, { receiver: receiver(), router: new Router(), stor: new MemoryStore() })
    await assert.rejects(app.ready(), /no option "stor"/)
    const app2 = Fastify()
    app2.register(oneinboxWebhooks, { receiver: receiver(), router: new Router(), path: 'no-slash' })
    await assert.rejects(app2.ready(), /path must be a string starting with "\/"/)
  })
})

describe('fetch handler: Request specifics', () => {
  const { webhookHandler } = require('../fetch.js')

  it('a body already read elsewhere is a logged 500, not an accept', async () => {
    const { router, seen } = countingRouter()
    const logger = recordingLogger()
    const handler = webhookHandler({ receiver: receiver(), router, logger })
    const d = delivery(event('call.ended'))
    const request = new Request(new URL(d.path, 'https://example.test'), post(d))
    await request.text()
    const res = await handler(request)
    assert.equal(res.status, 500)
    assert.equal(seen.length, 0)
    const errors = logger.calls.filter((c) => c.level === 'error') // besides the no-store warning
    assert.equal(errors.length, 1)
    assert.match(errors[0].args[0], /already read/)
    assertNoSecrets(logger)
  })

  it('ackTimeoutMs null (or Infinity) waits for the handlers however long they take', async () => {
    for (const ackTimeoutMs of [null, Infinity]) {
      const gate = deferred()
      const router = new Router().on('call.ended', () => gate.promise)
      const handler = webhookHandler({ receiver: receiver(), router, ackTimeoutMs, logger: recordingLogger() })
      const d = delivery(event('call.ended'))
      let answered = false
      const pending = handler(new Request(new URL(d.path, 'https://example.test'), post(d))).then((r) => {
        answered = true
        return r
      })
      await new Promise((r) => setTimeout(r, 30))
      assert.equal(answered, false)
      gate.resolve()
      assert.equal((await pending).status, 204)
    }
  })

  it('an endless body stream is cancelled at the limit', async () => {
    const { router } = countingRouter()
    const handler = webhookHandler({ receiver: receiver({ maxBodyBytes: SMALL_LIMIT }), router, logger: recordingLogger() })
    const d = delivery(event('call.ended'))
    let pulled = 0
    let cancelled = false
    const body = new ReadableStream({
      pull(controller) {
        pulled += 256
        controller.enqueue(new Uint8Array(256))
      },
      cancel() {
        cancelled = true
      },
    })
    const res = await handler(
      new Request(new URL(d.path, 'https://example.test'), { method: 'POST', headers: d.headers, body, duplex: 'half' }),
    )
    assert.equal(res.status, 413)
    assert.ok(pulled <= SMALL_LIMIT + 4 * 256, `pulled ${pulled} bytes`)
    await new Promise((r) => setImmediate(r))
    assert.ok(cancelled)
  })
})
