// Every shared fixture in tests/fixtures/answers as its own named test, run as the Rust runner
// (crates/oneinbox-webhooks/tests/answers_fixtures.rs) runs it, through the addon's answer*
// functions that adapter-core.js calls: the steps in order, stopping at the first answer, which
// must come at the last step the case gives inputs for and equal the expected answer (status,
// headers, body bytes, whether to close the connection, log level and line). Then some of the
// cases end to end through every adapter (Express, Fastify, the fetch handler).
'use strict'

const { describe, test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
const native = require('../index.js')
const { Receiver, Router } = require('..')
const { MemoryStore } = require('../stores.js')
const { TOKEN, TARGETS, delivery, event } = require('./helpers/adapters.js')

const answersDir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'answers')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(answersDir, 'fixture.schema.json')))
const files = fs
  .readdirSync(answersDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()
const STEPS = ['request', 'read', 'receive', 'store', 'claim', 'handlers']

/** An addon answer in the fixtures' form. */
function asFixture(answer) {
  return {
    status: answer.status,
    headers: answer.headers,
    body_text: answer.body === undefined || answer.body === null ? '' : answer.body.toString('utf8'),
    close_connection: answer.closeConnection,
    log: { level: answer.logLevel, line: answer.logLine },
    ...(answer.reason == null ? {} : { reason: answer.reason }),
  }
}

/** The steps in order: the first answer and the step that gave it. */
function drive(f) {
  const r = f.request
  const limit = r.max_body_bytes
  let answer = native.answerBeforeBody(r.method, r.content_type, r.content_length, limit)
  if (answer !== null) return [answer, 'request']
  answer = native.answerAfterRead(f.read.result, limit, f.read.length, f.read.fix)
  if (answer !== null) return [answer, 'read']
  const receive = f.receive
  answer = native.answerAfterReceive(receive.result, receive.code, receive.issues)
  if (answer !== null) return [answer, 'receive']
  if ('store' in f) {
    answer = native.answerAfterStore(receive.event, receive.call_id, f.store)
    if (answer !== null) return [answer, 'store']
  }
  if ('claim' in f) {
    answer = native.answerAfterClaim(receive.event, receive.call_id, f.claim.verdict, f.claim.retry_after_ms)
    if (answer !== null) return [answer, 'claim']
  }
  return [native.answerAfterHandlers(receive.event, receive.call_id, f.handlers), 'handlers']
}

test('answers: every fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} answers fixtures`)
})

for (const file of files) {
  test(`answers: ${path.basename(file, '.json')}`, () => {
    const f = readJson(path.join(answersDir, file))
    assert.ok(checkFixture(f), JSON.stringify(checkFixture.errors))
    const [answer, step] = drive(f)
    const last = STEPS.findLastIndex((s) => s in f)
    assert.equal(step, STEPS[last], `answered at ${step}, but the case gives ${STEPS[last]}`)
    assert.deepEqual(asFixture(answer), f.answer)
    assert.ok(!/[\r\n]/.test(answer.logLine))
    if ('late_log' in f) {
      assert.equal(f.handlers, 'late')
      const late = 'claim' in f ? native.answerLateFailureDue : native.answerLateFailure
      assert.deepEqual(late(f.receive.event, f.receive.call_id), f.late_log)
    }
  })
}

test('answers: an unknown step result is refused', () => {
  assert.throws(() => native.answerAfterClaim('call.ended', 'c', 'Run'), /unknown inbox verdict/)
  assert.throws(() => native.answerAfterRead('eaten', 10), /unknown read result/)
  assert.throws(() => native.answerAfterReceive('unauthenticated', 'ok?'), /unknown verification code/)
  assert.throws(() => native.answerAfterReceive('invalid', null, [{ code: 'nope', path: '', message: '' }]), /unknown issue code/)
  assert.throws(() => native.answerAfterStore('call.ended', 'c', 'maybe'), /unknown store result/)
  assert.throws(() => native.answerAfterHandlers('call.ended', 'c', 'slow'), /unknown handlers result/)
})

// ---- end to end -------------------------------------------------------------------------

const readCase = (name) => readJson(path.join(answersDir, `${name}.json`))

// The cases answered from the request line and headers alone whose Content-Length a client
// sends as it is (the length of the body it is given).
const EARLY = files
  .map((f) => path.basename(f, '.json'))
  .filter((name) => {
    const c = readCase(name)
    const length = c.request.content_length
    return !('read' in c) && c.request.method !== null && (length === null || (/^\d+$/.test(length) && Number(length) <= 10000))
  })

// The body each later case stands for (the early ones send filler of their Content-Length).
const LATER = {
  'invalid-json-400-one-issue': () => Buffer.from('{"event":'),
  'unauthenticated-token-mismatch-401': () => event('call.ended'),
  'store-repeat-204': () => event('call.ended'),
  'handlers-failed-500': () => event('call.ended'),
}

/** A logger that keeps every line of every level. */
function levelLogger() {
  const lines = []
  const at = (level) => (line) => lines.push([level, line])
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

for (const target of TARGETS) {
  describe(`answers end to end: ${target.name}`, () => {
    for (const name of [...EARLY, ...Object.keys(LATER)]) {
      test(name, async () => {
        const c = readCase(name)
        const expected = c.answer
        const router = new Router().on('call.ended', () => {
          throw new Error('handler bug')
        })
        const receiver = new Receiver({ urlTokens: TOKEN, maxBodyBytes: c.request.max_body_bytes })
        const logger = levelLogger()
        const store = 'store' in c ? new MemoryStore() : undefined
        // The `store` step is the record path's answer (atMostOnce: a repeat is never run
        // again); the inbox's answers are the `claim` cases, run in adapters.test.js.
        const endpoint = await target.start({ receiver, router, store, logger, ...(store ? { atMostOnce: true } : {}) })
        try {
          const body = name in LATER ? LATER[name]() : Buffer.alloc(Number(c.request.content_length ?? 0), 0x78)
          const d = delivery(body, name.startsWith('unauthenticated') ? { token: 'not-the-token' } : {})
          const headers = d.headers.filter(([n]) => n.toLowerCase() !== 'content-type')
          if (c.request.content_type !== null) headers.push(['content-type', c.request.content_type])
          const init = { method: c.request.method, headers, body: body.length > 0 ? body : undefined }
          if (c.store === 'repeat') await (await endpoint.send(d.path, init)).arrayBuffer()
          logger.lines.length = 0
          const res = await endpoint.send(d.path, init)
          assert.equal(res.status, expected.status)
          for (const [header, value] of expected.headers) assert.equal(res.headers.get(header), value)
          assert.equal(await res.text(), expected.body_text)
          const { level, line } = expected.log
          assert.deepEqual(logger.lines, level === 'none' ? [] : [[level, line]])
        } finally {
          await endpoint.close()
        }
      })
    }
  })
}
