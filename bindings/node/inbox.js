// The inbox: where each delivery stands between its arrival and the end of its handlers. A
// store keeps one row per delivery (`claimed`, `done`, `failed`, `dead`); every change of a row
// is one step of `InboxPolicy`, the core's state machine (the same in Python and Rust, on the
// shared fixtures of tests/fixtures/inbox). The stores read the row, ask the step and write its
// answer in one transaction; they decide nothing themselves. Times are Unix milliseconds.
//
// The stores (stores.js: `MemoryStore`; `RedisStore` and `PostgresStore` with an inbox) offer
// `arrive`, `finish`, `release`, `due`, `take`, `replay`, `dead`, `prune` and `claim`; the
// adapters arrive each delivery, run its handlers and finish it. `drain` (the worker) runs every
// due delivery once: one whose handler failed, or whose process died mid-run. Handlers read the
// delivery they run for with `currentDelivery()`.
'use strict'

const { AsyncLocalStorage } = require('node:async_hooks')
const native = require('./native.js')
const { describeType, callNative, valueOrThrow, optionsArg } = require('./internal.js')

const { INBOX_DEFAULT_LEASE_MS, INBOX_DEFAULT_MAX_ATTEMPTS } = native

/** @typedef {import('./inbox').InboxRow} InboxRow */
/** @typedef {import('./inbox').InboxStep} InboxStep */
/** @typedef {import('./inbox').Delivery} Delivery */

/**
 * @param {unknown} value
 * @param {string} what
 * @returns {number}
 */
function number(value, what) {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${describeType(value)}`)
  return value
}

/**
 * @param {unknown} value
 * @param {string} what
 * @returns {number}
 */
function whole(value, what) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${what} must be a whole number of milliseconds, got ${describeType(value)}`)
  return value
}

class InboxPolicy {
  /** @type {import('./index').NativeInboxPolicy} */
  #native

  /**
   * `lease`: seconds a claim lasts (default 60); `maxAttempts`: handler runs before a
   * delivery is dead (default 10). A value out of range is a UsageError.
   * @param {import('./inbox').InboxPolicyOptions} [options]
   */
  constructor(options) {
    const opts = optionsArg(options, 'new InboxPolicy(options)', ['lease', 'maxAttempts'], { noun: 'option' })
    const lease = opts.lease === undefined ? INBOX_DEFAULT_LEASE_MS / 1000 : number(opts.lease, 'lease')
    const maxAttempts = opts.maxAttempts === undefined ? INBOX_DEFAULT_MAX_ATTEMPTS : number(opts.maxAttempts, 'maxAttempts')
    this.#native = valueOrThrow(callNative(() => native.newInboxPolicy(lease, maxAttempts)))
  }

  /** The lease in milliseconds. */
  get leaseMs() {
    return this.#native.leaseMs
  }

  get maxAttempts() {
    return this.#native.maxAttempts
  }

  /**
   * @param {InboxRow | null} row
   * @param {string} kind
   * @param {number | undefined} attempt
   * @param {string | null | undefined} text
   * @param {number} now
   * @returns {InboxStep}
   */
  #step(row, kind, attempt, text, now) {
    if (row !== null && (typeof row !== 'object' || Array.isArray(row))) {
      throw new TypeError(`row must be an inbox row or null, got ${describeType(row)}`)
    }
    whole(now, 'now')
    // A store's nulls are the addon's absent values.
    const native = row && { ...row, dueAt: row.dueAt ?? undefined, lastError: row.lastError ?? undefined }
    const step = callNative(() => this.#native.step(native, kind, attempt, text ?? undefined, now))
    const r = step.row
    return {
      row: r
        ? {
            state: /** @type {InboxRow['state']} */ (r.state),
            attempts: r.attempts,
            dueAt: r.dueAt ?? null,
            lastError: r.lastError ?? null,
            updatedAt: r.updatedAt,
          }
        : null,
      // The core's verdict names, which inbox.d.ts lists.
      verdict: /** @type {InboxStep['verdict']} */ (step.verdict),
      attempt: step.attempt ?? null,
      retryAfterMs: step.retryAfterMs ?? null,
      dueAt: step.dueAt ?? null,
    }
  }

  /**
   * A copy of the delivery arrived at a receiver; `covered`: its call's record says its
   * handlers already ran through reconciliation (`record.covers`).
   * @param {InboxRow | null} row
   * @param {number} now
   * @param {boolean} [covered]
   * @returns {InboxStep}
   */
  arrive(row, now, covered = false) {
    return this.#step(row, covered ? 'covered' : 'arrive', undefined, undefined, now)
  }

  /**
   * A worker found the delivery due and wants to run it.
   * @param {InboxRow | null} row
   * @param {number} now
   * @returns {InboxStep}
   */
  claim(row, now) {
    return this.#step(row, 'claim', undefined, undefined, now)
  }

  /**
   * The handlers of claim `attempt` ended: `error` is `null` when they completed.
   * @param {InboxRow | null} row
   * @param {number} attempt
   * @param {string | null} error
   * @param {number} now
   * @returns {InboxStep}
   */
  finish(row, attempt, error, now) {
    if (error !== null && typeof error !== 'string') throw new TypeError(`error must be a string or null, got ${describeType(error)}`)
    return this.#step(row, 'finish', attempt, error, now)
  }

  /**
   * Claim `attempt` is given back without running its handlers.
   * @param {InboxRow | null} row
   * @param {number} attempt
   * @param {string} reason
   * @param {number} now
   * @returns {InboxStep}
   */
  release(row, attempt, reason, now) {
    if (typeof reason !== 'string') throw new TypeError(`reason must be a string, got ${describeType(reason)}`)
    return this.#step(row, 'release', attempt, reason, now)
  }

  /**
   * Run the delivery again on purpose (a dead letter, a failed or a done delivery).
   * @param {InboxRow | null} row
   * @param {number} now
   * @returns {InboxStep}
   */
  replay(row, now) {
    return this.#step(row, 'replay', undefined, undefined, now)
  }

  get [Symbol.toStringTag]() {
    return 'InboxPolicy'
  }
}

/**
 * The wait after failed attempt `attempt`, in milliseconds.
 * @param {number} attempt
 * @returns {number}
 */
function inboxBackoffMs(attempt) {
  return callNative(() => native.inboxBackoffMs(attempt))
}

/** Seconds a done delivery's row and body are kept before `prune` drops them (7 days). */
const DEFAULT_RETENTION = 7 * 24 * 3600

/** @type {AsyncLocalStorage<Delivery>} */
const running = new AsyncLocalStorage()

/**
 * The delivery whose handlers run now (`{ key, callId, event, body, attempt }`: its key and
 * attempt for a handler's own idempotency), or `null` outside a run by an adapter, `drain` or
 * `store.claim`.
 */
function currentDelivery() {
  return running.getStore() ?? null
}

/**
 * Calls `fn()` with `currentDelivery()` set to `delivery`; resolves to what it resolves to.
 * @param {Delivery} delivery
 * @param {() => unknown} fn
 * @returns {Promise<unknown>}
 */
function runAs(delivery, fn) {
  return running.run(delivery, async () => fn())
}

/**
 * `now` (Unix ms; `undefined`: the clock) as whole Unix milliseconds.
 * @param {unknown} now
 * @returns {number}
 */
function nowMs(now) {
  if (now === undefined || now === null) return Date.now()
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`now must be finite Unix milliseconds (Date.now()), got ${describeType(now)}`)
  }
  return Math.floor(now)
}

/**
 * How a handler's failure is kept: its name and message, at most 1,000 characters.
 * @param {unknown} error
 * @returns {string}
 */
function errorText(error) {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${describeType(error)}`
  const chars = Array.from(text)
  return chars.length <= 1000 ? text : `${chars.slice(0, 999).join('')}…`
}

/**
 * The event of a kept body: it was valid when it arrived, so it is read again with no limit but
 * the core's deepest nesting. (oneinbox.js is required here, not at the top: it loads this file's
 * neighbours, and the inbox's policy needs none of it.)
 * @param {Buffer} body
 * @returns {import('./oneinbox').Event}
 */
function readBody(body) {
  const { parseEvent } = require('./oneinbox.js')
  return parseEvent(body, { maxBodyBytes: Math.max(body.length, 1), maxDepth: native.MAX_DEPTH_CEILING })
}

/**
 * `store.claim(event, body, fn)` of any store over its own `arrive` and `finish`: runs
 * `fn(delivery)` when the verdict is `run` (with `currentDelivery()` set), marks the delivery
 * done when it returns and failed when it throws (then rethrows); resolves to the arrival.
 * `body` may be left out: `claimWith(store, event, fn, options)`.
 * @template R
 * @param {Pick<import('./inbox').InboxStore<R>, 'arrive' | 'finish'>} store
 * @param {object} event
 * @param {Uint8Array | null | undefined | ((delivery: Delivery) => unknown)} body
 * @param {unknown} fn
 * @param {unknown} [options]
 * @returns {Promise<import('./inbox').Arrival<R>>}
 */
async function claimWith(store, event, body, fn, options) {
  if (typeof body === 'function') return claimWith(store, event, undefined, body, fn)
  if (typeof fn !== 'function') throw new TypeError(`store.claim: fn must be a function, got ${describeType(fn)}`)
  const run = /** @type {(delivery: Delivery) => unknown} */ (fn)
  // `now` goes on unchecked: the store's arrive and finish check it.
  const { now } = /** @type {import('./inbox').AtTime} */ (
    optionsArg(options, 'store.claim(event, body, fn, options)', ['now'], { noun: 'option' })
  )
  const arrival = await store.arrive(event, body, { now })
  const { delivery } = arrival
  if (delivery === null) return arrival
  try {
    await runAs(delivery, () => run(delivery))
  } catch (err) {
    await store.finish(delivery, errorText(err), { now })
    throw err
  }
  await store.finish(delivery, null, { now })
  return arrival
}

/**
 * Runs every delivery due at `now` (at most `limit`, default 100) once through `router`'s
 * handlers: one whose handler failed, or whose worker died mid-run. Prunes done deliveries older
 * than `retention` seconds when given. Resolves to `{ done, failed, dead }`, lists of keys.
 * Awaits the store's methods, so every store works (MemoryStore, RedisStore, PostgresStore).
 * @type {typeof import('./inbox').drain}
 */
async function drain(store, router, options) {
  const where = 'drain(store, router, options)'
  // They go on unchecked: the store's methods check each.
  const {
    now,
    limit = 100,
    retention,
  } = /** @type {import('./inbox').DrainOptions} */ (optionsArg(options, where, ['now', 'limit', 'retention'], { noun: 'option' }))
  for (const method of /** @type {const} */ (['due', 'take', 'finish'])) {
    if (store === null || typeof store !== 'object' || typeof store[method] !== 'function') {
      throw new TypeError(`${where}: store must have an inbox (due, take, finish: MemoryStore), got ${describeType(store)}`)
    }
  }
  if (router === null || typeof router !== 'object' || typeof router.dispatch !== 'function') {
    throw new TypeError(`${where}: router must be a Router, got ${describeType(router)}`)
  }
  // A Router's dispatch takes any event (`Dispatcher` declares it with `never` for that).
  const dispatcher = /** @type {{ dispatch(event: import('./oneinbox').Event): unknown }} */ (router)
  /** @type {import('./inbox').DrainReport} */
  const report = { done: [], failed: [], dead: [] }
  for (const key of await store.due({ now, limit })) {
    const { verdict, delivery } = await store.take(key, { now })
    if (verdict === 'dead') report.dead.push(key)
    if (delivery === null || delivery === undefined) continue
    try {
      await runAs(delivery, () => dispatcher.dispatch(readBody(delivery.body)))
    } catch (err) {
      const after = await store.finish(delivery, errorText(err), { now })
      report[after === 'dead' ? 'dead' : 'failed'].push(key)
      continue
    }
    await store.finish(delivery, null, { now })
    report.done.push(key)
  }
  if (retention !== undefined && retention !== null) await store.prune({ olderThan: retention, now })
  return report
}

module.exports = {
  InboxPolicy,
  inboxBackoffMs,
  INBOX_DEFAULT_LEASE_MS,
  INBOX_DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETENTION,
  currentDelivery,
  drain,
  claimWith,
  errorText,
  nowMs,
  runAs,
}
