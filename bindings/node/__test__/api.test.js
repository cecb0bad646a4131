// parseEvent's argument handling, the Error classes, the panic guard, and worker threads.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const pkg = require('..')
const { parseEvent, OneInboxError, ValidationError, UsageError, ApiError } = pkg

const ENDED = '{"event":"call.ended","call_id":"call_abc123","duration_seconds":87,"extra_member":{"a":[1,2]}}'

test('exports exactly the public API', () => {
  assert.deepEqual(Object.keys(pkg).sort(), [
    'Api',
    'ApiError',
    'AuthenticationError',
    'CallRecord',
    'Client',
    'KNOWN_EVENTS',
    'Ledger',
    'MissingHandlersError',
    'OneInboxError',
    'PreparedRequest',
    'Receiver',
    'ReconcilePolicy',
    'Router',
    'Secret',
    'TransportError',
    'UsageError',
    'ValidationError',
    'Webhook',
    'addUrlToken',
    'dedupeKey',
    'diagnose',
    'newSigningSecret',
    'newUrlToken',
    'parseEvent',
    'recordIsOpen',
    'redactUrlToken',
    'renderDiagnosis',
    'retryAfter',
    'sign',
    'synthesize',
    'verifySignature',
    'verifyUrlToken',
  ])
})

test('Buffer, Uint8Array and string bodies give the same plain object with wire names', () => {
  const fromBuffer = parseEvent(Buffer.from(ENDED))
  const bytes = new TextEncoder().encode(ENDED)
  // A view into a larger buffer, at an offset.
  const padded = new Uint8Array(bytes.length + 8)
  padded.set(bytes, 4)
  for (const body of [ENDED, bytes, padded.subarray(4, 4 + bytes.length)]) {
    assert.deepEqual(parseEvent(body), fromBuffer)
  }
  assert.deepEqual(fromBuffer, JSON.parse(ENDED))
  assert.equal(Object.getPrototypeOf(fromBuffer), Object.prototype)
})

test('a parsed object instead of the raw body is a TypeError naming express.raw', () => {
  for (const wrong of [JSON.parse(ENDED), null, undefined, 42, [1], new ArrayBuffer(4)]) {
    assert.throws(
      () => parseEvent(wrong),
      (err) =>
        err instanceof TypeError &&
        /raw request body/.test(err.message) &&
        /express\.raw\(\{ type: 'application\/json' \}\)/.test(err.message),
    )
  }
})

test('options are checked: wrong types are TypeErrors, numbers that break the core rule UsageErrors', () => {
  assert.throws(() => parseEvent(ENDED, { strict: 'yes' }), TypeError)
  assert.throws(() => parseEvent(ENDED, { maxDepth: '3' }), TypeError)
  assert.throws(() => parseEvent(ENDED, 'strict'), TypeError)
  assert.throws(
    () => parseEvent(ENDED, { maxBodyBytes: -1 }),
    (err) =>
      err instanceof UsageError &&
      err.issues.length === 1 &&
      err.issues[0].code === 'invalid_value' &&
      err.issues[0].path === '/maxBodyBytes',
  )
  assert.throws(
    () => parseEvent(ENDED, { maxDepth: 1.5 }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/maxDepth',
  )
  assert.throws(
    () => parseEvent(ENDED, { maxDepth: NaN }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/maxDepth',
  )
  assert.equal(parseEvent(ENDED, { maxDepth: Infinity, maxBodyBytes: Infinity }).event, 'call.ended')
  assert.equal(parseEvent(ENDED, {}).event, 'call.ended')
  assert.equal(parseEvent(ENDED, { maxBodyBytes: Number.MAX_SAFE_INTEGER }).event, 'call.ended')
})

test('parseEvent options are converted and checked by the addon, with the same messages', () => {
  assert.throws(() => parseEvent(ENDED, { strict: 'yes' }), { name: 'TypeError', message: 'options.strict must be a boolean, got string' })
  assert.throws(() => parseEvent(ENDED, { maxDepth: null }), { name: 'TypeError', message: 'options.maxDepth must be a number, got null' })
  assert.throws(() => parseEvent(ENDED, { maxBodyBytes: [] }), {
    name: 'TypeError',
    message: 'options.maxBodyBytes must be a number, got an array',
  })
  assert.throws(() => parseEvent(ENDED, 5), { name: 'TypeError', message: 'options must be an object, got number' })
  assert.throws(
    () => parseEvent(ENDED, { maxBodyBytes: -5, maxDepth: -1 }),
    (err) => err instanceof UsageError && err.issues.map((i) => i.path).join(' ') === '/maxBodyBytes /maxDepth',
  )
  // null is no options; any object is read for the three members only (as before).
  assert.equal(parseEvent(ENDED, null).event, 'call.ended')
  assert.equal(parseEvent(ENDED, { other: 1 }).event, 'call.ended')
  assert.throws(
    () => parseEvent(ENDED, { maxBodyBytes: 3 }),
    (err) => err instanceof ValidationError && err.issues[0].code === 'too_large',
  )
})

test('ValidationError lists every issue, with a stable code, and instanceof works', () => {
  let caught
  try {
    parseEvent('{"event":"call.analyzed","call_id":"call_1","agent_id":"agt_1"}', { strict: true })
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof ValidationError)
  assert.ok(caught instanceof OneInboxError)
  assert.ok(caught instanceof Error)
  assert.equal(caught.name, 'ValidationError')
  assert.equal(caught.code, 'ERR_ONEINBOX_VALIDATION')
  assert.deepEqual(
    caught.issues.map(({ code, path }) => ({ code, path })),
    [
      { code: 'missing_field', path: '/outcome' },
      { code: 'missing_field', path: '/ai_summary' },
    ],
  )
  assert.ok(caught.issues.every((i) => typeof i.message === 'string' && i.message.length > 0))
  assert.match(caught.message, /2 issues/)
  assert.ok(Object.isFrozen(caught.issues))
  assert.ok(typeof caught.stack === 'string')
})

test('a string body with a lone surrogate is invalid_json, never silently replaced', () => {
  assert.throws(
    () => parseEvent('{"event":"call.failed","call_id":"c\ud800"}'),
    (err) => err instanceof ValidationError && err.issues[0].code === 'invalid_json',
  )
})

test('the other Error classes: codes, fields, instanceof', () => {
  const usage = new UsageError([{ code: 'invalid_value', path: '/url', message: '`url` must be https' }])
  assert.ok(usage instanceof OneInboxError && usage instanceof Error)
  assert.equal(usage.code, 'ERR_ONEINBOX_USAGE')
  assert.equal(usage.name, 'UsageError')
  assert.equal(usage.issues[0].path, '/url')
  const details = [{ code: 'invalid_value', path: '/events/0', message: 'bad' }]
  const api = new ApiError(422, 'request validation failed', details, false)
  assert.ok(api instanceof OneInboxError && api instanceof Error)
  assert.equal(api.code, 'ERR_ONEINBOX_API')
  assert.equal(api.name, 'ApiError')
  assert.deepEqual([api.status, api.message, api.details, api.retryable], [422, 'request validation failed', details, false])
  assert.ok(Object.isFrozen(api.details))
  assert.deepEqual(new ApiError(503, 'x').details, [])
  const base = new OneInboxError('x')
  assert.equal(base.code, 'ERR_ONEINBOX')
  assert.ok(!(base instanceof ValidationError))
})

test('validateEventFast (the hot path) and validateEvent (the typed entry) agree', () => {
  const native = require('../index.js')
  const bodies = [
    '{}',
    ENDED,
    '{"event":"x","call_id":""}',
    '[1]',
    '{"event":"call.ended","call_id":"c","to_number":"1"}',
    '{"event":"call.ended","call_id":"c","region":"eu"}',
    '{"event":"x","call_id":"c"}',
  ]
  for (const text of bodies) {
    const body = Buffer.from(text)
    for (const strict of [false, true]) {
      assert.deepEqual(native.validateEventFast(body, strict, 1048576, 64), native.validateEvent(body, strict, 1048576, 64))
    }
    assert.deepEqual(native.validateEventFast(body), native.validateEvent(body, false, 1048576, 64))
    assert.deepEqual(native.validateEventFast(body, false, 3, 64), native.validateEvent(body, false, 3, 64))
    // parseEvent's options and their members (as oneinbox.js passes them), checked by the fast path.
    const withOptions = (o) => native.validateEventFast(body, o, o?.strict, o?.maxBodyBytes, o?.maxDepth)
    assert.deepEqual(withOptions({ strict: true }), native.validateEvent(body, true, 1048576, 64))
    assert.deepEqual(withOptions({ maxBodyBytes: 3, maxDepth: 64 }), native.validateEvent(body, false, 3, 64))
    assert.deepEqual(withOptions(null), native.validateEvent(body, false, 1048576, 64))
    assert.deepEqual(withOptions([]), native.validateEvent(body, false, 1048576, 64))
    // Options it does not take as they are: `undefined`, for parseOptions to report.
    for (const bad of [{ strict: 1 }, { maxDepth: -1 }, { maxBodyBytes: '3' }, { maxDepth: null }, true, 5, 'x']) {
      assert.equal(withOptions(bad), undefined)
    }
  }
  // Valid: `null` when the contract lists every member, `true` when some are unlisted or the
  // event is unknown (lenient mode only).
  assert.equal(native.validateEventFast(Buffer.from('{"event":"call.ended","call_id":"c"}')), null)
  assert.equal(native.validateEventFast(Buffer.from(ENDED)), true)
  assert.equal(native.validateEventFast(Buffer.from('{"event":"call.ended","call_id":"c","region":"eu"}')), true)
  assert.equal(native.validateEventFast(Buffer.from('{"event":"x","call_id":"c"}')), true)
  assert.ok(Array.isArray(native.validateEventFast(Buffer.from('{"event":"x","call_id":"c"}'), true)))
  assert.throws(() => native.validateEventFast('{}'), TypeError)
  assert.throws(() => native.validateEventFast(new Uint16Array(2)), TypeError)
  assert.throws(() => native.validateEventFast(), TypeError)
})

test('a Rust panic becomes a thrown Error and the process goes on', () => {
  const native = require('../index.js')
  assert.throws(() => native.__triggerPanicForTests(), /internal error \(a Rust panic/)
  assert.equal(parseEvent(ENDED).call_id, 'call_abc123')
})

test('the addon loads and works in two worker threads at once', async () => {
  const entry = path.join(__dirname, '..')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { parseEvent, ValidationError } = require(workerData.entry)
    const e = parseEvent(Buffer.from(workerData.body))
    let issues = null
    try { parseEvent('{}') } catch (err) { issues = err instanceof ValidationError ? err.issues.length : -1 }
    parentPort.postMessage({ call_id: e.call_id, issues })
  `
  const run = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { entry, body: ENDED } })
      w.once('message', resolve)
      w.once('error', reject)
    })
  const results = await Promise.all([run(), run()])
  assert.deepEqual(results, [
    { call_id: 'call_abc123', issues: 2 },
    { call_id: 'call_abc123', issues: 2 },
  ])
})
