// The router: which handlers run, in which order, sync and async, and the exhaustive check.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { parseEvent, Router, MissingHandlersError, KNOWN_EVENTS, OneInboxError, UsageError } = require('..')

const EVENTS = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'events')
const GUIDE = Object.fromEntries(
  KNOWN_EVENTS.map((name) => {
    const fixture = JSON.parse(fs.readFileSync(path.join(EVENTS, `guide-${name.replace(/\./g, '-')}.json`), 'utf8'))
    return [name, parseEvent(fixture.body_text)]
  }),
)
const UNKNOWN = parseEvent('{"event":"call.transferred","call_id":"call_abc123","to":"+15550001111"}')

test('KNOWN_EVENTS are the seven guide events, in order, frozen', () => {
  assert.deepEqual(KNOWN_EVENTS, [
    'call.started',
    'call.ended',
    'call.analyzed',
    'call.failed',
    'call.recording.available',
    'transcript.partial',
    'transcript.final',
  ])
  assert.ok(Object.isFrozen(KNOWN_EVENTS))
  for (const [name, event] of Object.entries(GUIDE)) assert.equal(event.event, name)
})

test('each event reaches the handlers of its name; on() chains', async () => {
  const seen = []
  const router = new Router()
  for (const name of KNOWN_EVENTS) {
    assert.equal(
      router.on(name, (e) => seen.push(`${name} ${e.event}`)),
      router,
    )
  }
  for (const [name, event] of Object.entries(GUIDE)) {
    seen.length = 0
    assert.equal(await router.dispatch(event), 1)
    assert.deepEqual(seen, [`${name} ${name}`])
  }
  assert.equal(await router.dispatch(UNKNOWN), 0)
})

test('handlers run in registration order: by name, onUnknown, onAny', async () => {
  const calls = []
  const router = new Router()
    .onAny((e) => calls.push(`any1 ${e.event}`))
    .on('call.ended', (e) => calls.push(`ended ${e.outcome}`))
    .onUnknown((e) => calls.push(`unknown ${e.event} ${e.to}`))
    .on('call.ended', (e) => calls.push(`ended2 ${e.duration_seconds}`))
    .onAny((e) => calls.push(`any2 ${e.call_id}`))
  assert.equal(await router.dispatch(GUIDE['call.ended']), 4)
  assert.deepEqual(calls, ['any1 call.ended', 'ended Appointment Booked', 'ended2 87', 'any2 call_abc123'])
  calls.length = 0
  assert.equal(await router.dispatch(UNKNOWN), 3)
  assert.deepEqual(calls, ['any1 call.transferred', 'unknown call.transferred +15550001111', 'any2 call_abc123'])
  calls.length = 0
  assert.equal(await router.dispatch(GUIDE['call.started']), 2)
  // A later registration is seen by the next dispatch.
  router.on('call.started', () => calls.push('started'))
  calls.length = 0
  assert.equal(await router.dispatch(GUIDE['call.started']), 3)
  assert.deepEqual(calls, ['any1 call.started', 'any2 call_abc123', 'started'])
})

test('dispatch awaits async handlers one after the other, and sync ones in between', async () => {
  const order = []
  const router = new Router()
    .on('transcript.final', async (e) => {
      order.push('slow start')
      await new Promise((resolve) => setTimeout(resolve, 10))
      order.push(`slow end ${e.messages.length}`)
    })
    .on('transcript.final', () => order.push('sync'))
    .onAny(async () => order.push('any'))
  const pending = router.dispatch(GUIDE['transcript.final'])
  assert.ok(pending instanceof Promise)
  assert.equal(await pending, 3)
  assert.deepEqual(order, ['slow start', 'slow end 3', 'sync', 'any'])
})

test('a handler error rejects dispatch and stops the handlers after it', async () => {
  const ran = []
  const router = new Router()
    .on('call.failed', async () => {
      throw new Error('handler failed')
    })
    .onAny(() => ran.push('after'))
  await assert.rejects(router.dispatch(GUIDE['call.failed']), /handler failed/)
  const sync = new Router().on('call.failed', () => {
    throw new RangeError('sync failure')
  })
  await assert.rejects(sync.dispatch(GUIDE['call.failed']), RangeError)
  assert.deepEqual(ran, [])
})

test('exhaustive check() names each known event without a handler', () => {
  const router = new Router({ exhaustive: true })
  assert.equal(router.exhaustive, true)
  router.on('call.started', () => {}).on('call.ended', () => {})
  router.onAny(() => {}).onUnknown(() => {}) // neither counts
  const missing = ['call.analyzed', 'call.failed', 'call.recording.available', 'transcript.partial', 'transcript.final']
  assert.throws(
    () => router.check(),
    (err) => {
      assert.ok(err instanceof MissingHandlersError)
      assert.ok(err instanceof OneInboxError)
      assert.equal(err.code, 'ERR_ONEINBOX_MISSING_HANDLERS')
      assert.equal(err.name, 'MissingHandlersError')
      assert.deepEqual(err.missing, missing)
      assert.ok(Object.isFrozen(err.missing))
      assert.equal(
        err.message,
        'no handler for 5 known events: call.analyzed, call.failed, call.recording.available, ' +
          'transcript.partial, transcript.final (register one with router.on(name, handler))',
      )
      return true
    },
  )
  for (const name of missing.slice(0, -1)) router.on(name, () => {})
  assert.throws(() => router.check(), /^MissingHandlersError: no handler for 1 known event: transcript.final \(/)
  router.on('transcript.final', () => {})
  router.check()
})

test('check() does nothing unless exhaustive', () => {
  new Router().check()
  new Router({}).check()
  new Router({ exhaustive: false }).check()
  assert.equal(new Router().exhaustive, false)
})

test('misuse is refused with a clear error', async () => {
  const router = new Router()
  assert.throws(() => router.on('call.endd', () => {}), {
    name: 'RangeError',
    message: /"call.endd" is not a known event name .*router.onUnknown/,
  })
  assert.throws(() => router.on('(unknown event)', () => {}), RangeError)
  assert.throws(() => router.on(undefined, () => {}), /the event name must be a string, got undefined/)
  assert.throws(() => router.on('call.ended'), /the handler must be a function, got undefined/)
  assert.throws(() => router.onAny('x'), /router.onAny: the handler must be a function, got string/)
  assert.throws(() => router.onUnknown(null), /router.onUnknown: the handler must be a function, got null/)
  await assert.rejects(router.dispatch('{"event":"call.ended"}'), {
    name: 'TypeError',
    message: /takes an event returned by parseEvent or Receiver.receive, got string/,
  })
  await assert.rejects(router.dispatch({ event: 1 }), TypeError)
  await assert.rejects(router.dispatch(null), TypeError)
  assert.throws(
    () => new Router({ exhaustiv: true }),
    (err) => {
      assert.ok(err instanceof UsageError)
      assert.deepEqual(
        err.issues.map((i) => [i.code, i.path]),
        [['unknown_field', '/exhaustiv']],
      )
      return true
    },
  )
  assert.throws(() => new Router({ exhaustive: 'yes' }), /exhaustive must be a boolean, got string/)
  assert.throws(() => new Router(true), /options must be an object, got boolean/)
  assert.equal(Object.prototype.toString.call(router), '[object Router]')
})
