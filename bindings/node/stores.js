// `oneinbox-webhooks/stores`: call records that survive retries, reordering and several workers.
// Types: stores.d.ts. The main package never loads this file.
//
// A store keeps, per delivery (by `dedupeKey(event)`), its progress in the inbox, and per call its
// `CallRecord`, into which each new delivery is folded as it arrives. `RedisStore` (redis.js)
// writes the same keys and values as Python's `oneinbox_webhooks.stores.RedisStore`, so Python
// and Node workers can share one Redis.
'use strict'

const { Ledger } = require('./oneinbox.js')
const { ValidationError } = require('./errors.js')

const native = require('./native.js')

const { LEDGER_INTERNALS, callNative, describeType, optionsArg, valueOrThrow } = require('./internal.js')
const {
  DEFAULT_RETENTION,
  INBOX_DEFAULT_LEASE_MS,
  INBOX_DEFAULT_MAX_ATTEMPTS,
  claimWith,
  currentDelivery,
  drain,
  nowMs,
} = require('./inbox.js')

/** @typedef {import('./oneinbox').Event} Event */
/** @typedef {import('./stores').Recorded} Recorded */
/** @typedef {import('./inbox').Delivery} Delivery */
/** @typedef {import('./inbox').InboxVerdict} InboxVerdict */
/** @typedef {import('./oneinbox').CallRecord} CallRecord */

/**
 * The core's verdict names, which inbox.d.ts lists.
 * @param {string} name
 * @returns {InboxVerdict}
 */
function verdictOf(name) {
  return /** @type {InboxVerdict} */ (name)
}

/**
 * @param {unknown} event
 * @param {string} where
 * @returns {asserts event is Event}
 */
function checkEvent(event, where) {
  if (event === null || typeof event !== 'object' || !('call_id' in event) || typeof event.call_id !== 'string') {
    throw new TypeError(`${where} takes an event returned by parseEvent or Receiver.receive, got ${describeType(event)}`)
  }
}

/**
 * @param {unknown} callId
 * @param {string} where
 * @returns {asserts callId is string}
 */
function checkCallId(callId, where) {
  if (typeof callId !== 'string') {
    throw new TypeError(`${where}: callId must be a string, got ${describeType(callId)}`)
  }
}

/**
 * `limit`-like arguments: a whole number of 1 or more.
 * @param {unknown} value
 * @param {string} name
 * @param {string} where
 * @returns {number}
 */
function count(value, name, where) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${where}: ${name} must be a whole number of 1 or more, got ${describeType(value)} ${String(value)}`)
  }
  return value
}

/**
 * @param {unknown} value
 * @param {string} name
 * @param {string} where
 * @returns {number}
 */
function seconds(value, name, where) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where}: ${name} must be a non-negative number of seconds, got ${describeType(value)} ${String(value)}`)
  }
  return value
}

/**
 * @param {unknown} delivery
 * @param {string} where
 * @returns {asserts delivery is Delivery}
 */
function checkDelivery(delivery, where) {
  if (
    delivery === null ||
    typeof delivery !== 'object' ||
    !('key' in delivery) ||
    typeof delivery.key !== 'string' ||
    !('attempt' in delivery) ||
    !Number.isSafeInteger(delivery.attempt)
  ) {
    throw new TypeError(`${where} takes a delivery of store.arrive or store.take, got ${describeType(delivery)}`)
  }
}

/**
 * @param {unknown} key
 * @param {string} where
 * @returns {asserts key is string}
 */
function checkKey(key, where) {
  if (typeof key !== 'string') throw new TypeError(`${where}: key must be a string, got ${describeType(key)}`)
}

/**
 * The raw body to keep: the bytes given, or the event's wire JSON.
 * @param {Event} event
 * @param {unknown} body
 * @param {string} where
 * @returns {Buffer}
 */
function bodyOf(event, body, where) {
  if (body === undefined || body === null) return Buffer.from(JSON.stringify(event), 'utf8')
  if (body instanceof Uint8Array) return Buffer.from(body)
  throw new TypeError(`${where}: body must be a Buffer or a Uint8Array, got ${describeType(body)}`)
}

/**
 * @param {string} key
 * @param {string} callId
 * @param {string} event
 * @param {Buffer} body
 * @param {number} attempt
 * @returns {Delivery}
 */
function delivery(key, callId, event, body, attempt) {
  return Object.freeze({ key, callId, event, body, attempt })
}

/**
 * @param {import('./index').NativeInboxRow} r
 * @returns {import('./inbox').InboxRow}
 */
function rowOut(r) {
  return Object.freeze({
    // The core's state names, which inbox.d.ts lists.
    state: /** @type {import('./inbox').InboxState} */ (r.state),
    attempts: r.attempts,
    dueAt: r.dueAt ?? null,
    lastError: r.lastError ?? null,
    updatedAt: r.updatedAt,
  })
}

const MEMORY_OPTIONS = ['lease', 'maxAttempts', 'maxDeliveries']

/**
 * A store in this worker's memory: the default for one process. It keeps every call's record
 * while the process runs, and at most `maxDeliveries` deliveries in its inbox (the oldest done
 * ones are dropped first); a `worker_threads` worker has its own. Use `RedisStore` or
 * `PostgresStore` to share deliveries between processes or keep them across restarts: here a
 * delivery whose process dies is lost with it. `lease` (seconds) and `maxAttempts` set the
 * inbox (see `oneinbox-webhooks/inbox`).
 *
 * Every method returns a promise, as those of the stores over a server do, so that code written
 * for one store runs with another. Times (`now`) are Unix milliseconds (`Date.now()`).
 */
class MemoryStore {
  #ledger = new Ledger()
  /** @type {import('./index').NativeMemoryInbox} */
  #inbox

  /** @param {import('./stores').MemoryStoreOptions} [options] */
  constructor(options) {
    const where = 'new MemoryStore(options)'
    const opts = optionsArg(options, where, MEMORY_OPTIONS, { noun: 'option' })
    /** @type {(value: unknown, name: string, fallback: number) => number} */
    const number = (value, name, fallback) => {
      if (value === undefined) return fallback
      if (typeof value !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${describeType(value)}`)
      return value
    }
    const lease = number(opts.lease, 'lease', INBOX_DEFAULT_LEASE_MS / 1000)
    const maxAttempts = number(opts.maxAttempts, 'maxAttempts', INBOX_DEFAULT_MAX_ATTEMPTS)
    const maxDeliveries = opts.maxDeliveries === undefined ? 100_000 : count(opts.maxDeliveries, 'maxDeliveries', where)
    if (maxDeliveries > 0xffffffff) throw new RangeError(`${where}: maxDeliveries must be at most ${0xffffffff}`)
    this.#inbox = valueOrThrow(callNative(() => native.newMemoryInbox(lease, maxAttempts, maxDeliveries)))
  }

  /**
   * Claims the delivery of `event` (at most once, no inbox): `{ new, record }` (`record` is a copy).
   * @param {Event} event
   * @returns {Promise<Recorded>}
   */
  async record(event) {
    checkEvent(event, 'store.record')
    return this.#ledger.record(event)
  }

  /**
   * The call's record (a copy), or `null` if no delivery of it was recorded.
   * @param {string} callId
   */
  async get(callId) {
    checkCallId(callId, 'store.get')
    return this.#ledger.get(callId)
  }

  /**
   * A delivery of `event` arrived (`body`: its raw bytes, kept for the worker and a replay; the
   * event's wire JSON when absent): `{ verdict, key, delivery, retryAfterMs, record }`. The
   * verdict is `run` (run the handlers of `delivery`, then `finish` it), `repeat` (they completed
   * before), `busy` (another worker runs them, for `retryAfterMs` more) or `dead`; `record` is
   * the call's record with the delivery folded in (a copy).
   * @param {unknown} event
   * @param {unknown} [body]
   * @param {unknown} [options]
   * @returns {Promise<import('./inbox').Arrival<CallRecord>>}
   */
  async arrive(event, body, options) {
    checkEvent(event, 'store.arrive')
    const { now } = optionsArg(options, 'store.arrive(event, body, options)', ['now'], { noun: 'option' })
    const data = bodyOf(event, body, 'store.arrive')
    const ms = nowMs(now)
    // A static of record.js's Ledger that oneinbox.d.ts leaves out (package-internal).
    const ledger = /** @type {import('./internal.js').LedgerInternals} */ (
      /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (Ledger))[LEDGER_INTERNALS]
    )
    const text = JSON.stringify(event)
    const handle = ledger.handle(this.#ledger)
    const a = callNative(() => this.#inbox.arrive(handle, text, data, ms))
    if (Array.isArray(a)) throw new ValidationError(a)
    return Object.freeze({
      verdict: verdictOf(a.verdict),
      key: a.key,
      delivery: a.attempt === undefined || a.attempt === null ? null : delivery(a.key, event.call_id, event.event, data, a.attempt),
      retryAfterMs: a.retryAfterMs ?? null,
      record: ledger.record(a.record, event.call_id),
    })
  }

  /**
   * The handlers of `delivery` ended (`error`: why they failed; `null` when they completed): the verdict.
   * @param {unknown} delivery
   * @param {unknown} [error]
   * @param {unknown} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async finish(delivery, error, options) {
    checkDelivery(delivery, 'store.finish')
    if (error !== undefined && error !== null && typeof error !== 'string') {
      throw new TypeError(`store.finish: error must be a string or null, got ${describeType(error)}`)
    }
    const { now } = optionsArg(options, 'store.finish(delivery, error, options)', ['now'], { noun: 'option' })
    const ms = nowMs(now)
    return verdictOf(callNative(() => this.#inbox.finish(delivery.key, delivery.attempt, error ?? undefined, ms)))
  }

  /**
   * Gives the claim of `delivery` back without running it (due now): the verdict.
   * @param {unknown} delivery
   * @param {unknown} reason
   * @param {unknown} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async release(delivery, reason, options) {
    checkDelivery(delivery, 'store.release')
    if (typeof reason !== 'string') throw new TypeError(`store.release: reason must be a string, got ${describeType(reason)}`)
    const { now } = optionsArg(options, 'store.release(delivery, reason, options)', ['now'], { noun: 'option' })
    const ms = nowMs(now)
    return verdictOf(callNative(() => this.#inbox.release(delivery.key, delivery.attempt, reason, ms)))
  }

  /**
   * The keys of up to `limit` (default 100) deliveries due now, the longest due first.
   * @param {unknown} [options]
   * @returns {Promise<string[]>}
   */
  async due(options) {
    const where = 'store.due(options)'
    const { now, limit = 100 } = optionsArg(options, where, ['now', 'limit'], { noun: 'option' })
    const ms = nowMs(now)
    const n = Math.min(count(limit, 'limit', where), 0xffffffff)
    return callNative(() => this.#inbox.due(ms, n))
  }

  /**
   * A worker's claim of the due delivery `key`: `{ verdict, delivery }`, the delivery for `run`.
   * @param {unknown} key
   * @param {unknown} [options]
   * @returns {Promise<{ verdict: InboxVerdict, delivery: Delivery | null }>}
   */
  async take(key, options) {
    checkKey(key, 'store.take')
    const { now } = optionsArg(options, 'store.take(key, options)', ['now'], { noun: 'option' })
    const ms = nowMs(now)
    const t = callNative(() => this.#inbox.claim(key, ms))
    const k = t.kept
    const taken = k && t.attempt !== undefined && t.attempt !== null ? delivery(key, k.callId, k.event, k.body, t.attempt) : null
    return Object.freeze({ verdict: verdictOf(t.verdict), delivery: taken })
  }

  /**
   * For `reconcile`: the open calls (`recordIsOpen`) whose record last changed at or before
   * `changedBefore` (Unix ms), oldest first, at most `limit` (default 1000): `{ callId,
   * changedAt }`. Costs a pass over the open calls (kept beside the records), never the closed
   * ones.
   * @param {number} changedBefore
   * @param {number} [limit]
   * @returns {Promise<import('./stores').OpenCall[]>}
   */
  async openCalls(changedBefore, limit = 1000) {
    const n = Math.min(count(limit, 'limit', 'store.openCalls'), 0xffffffff)
    const before = nowMs(changedBefore)
    return callNative(() => this.#inbox.openCalls(before, n)).map((c) => Object.freeze({ callId: c.callId, changedAt: c.changedAt }))
  }

  /**
   * Folds the snapshot `call` (a plain object from `client.getCall`) into its call's record:
   * the record (a copy), or `null` when no delivery of the call was recorded.
   * @param {object} call
   * @param {unknown} [options]
   * @returns {Promise<CallRecord | null>}
   */
  async applyCall(call, options) {
    const { now } = optionsArg(options, 'store.applyCall(call, options)', ['now'], { noun: 'option' })
    const ms = nowMs(now)
    if (call === null || typeof call !== 'object' || Array.isArray(call)) {
      throw new TypeError(`store.applyCall: expected a call object, got ${describeType(call)}`)
    }
    const ledger = /** @type {import('./internal.js').LedgerInternals} */ (
      /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (Ledger))[LEDGER_INTERNALS]
    )
    const handle = ledger.handle(this.#ledger)
    const r = callNative(() => this.#inbox.applyCall(handle, JSON.stringify(call), ms))
    if (Array.isArray(r)) throw new ValidationError(r)
    const callId = /** @type {{ id: string }} */ (call).id
    return r ? ledger.record(r, callId) : null
  }

  /**
   * Drops `callId` from the open calls (reconcile found nothing missing).
   * @param {string} callId
   * @returns {Promise<void>}
   */
  async settle(callId) {
    checkCallId(callId, 'store.settle')
    this.#inbox.settle(callId)
  }

  /**
   * Makes the delivery `key` (a dead letter, say) due now, its attempts from 0: the verdict.
   * @param {unknown} key
   * @param {unknown} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async replay(key, options) {
    checkKey(key, 'store.replay')
    const { now } = optionsArg(options, 'store.replay(key, options)', ['now'], { noun: 'option' })
    const ms = nowMs(now)
    return verdictOf(callNative(() => this.#inbox.replay(key, ms)))
  }

  /**
   * Up to `limit` (default 100) dead letters, oldest first: `{ key, callId, event, attempts,
   * lastError, updatedAt, body }` (`updatedAt` in Unix ms).
   * @param {unknown} [options]
   * @returns {Promise<import('./inbox').DeadLetter[]>}
   */
  async dead(options) {
    const where = 'store.dead(options)'
    const { limit = 100 } = optionsArg(options, where, ['limit'], { noun: 'option' })
    const n = Math.min(count(limit, 'limit', where), 0xffffffff)
    return callNative(() => this.#inbox.dead(n)).map((k) =>
      Object.freeze({
        key: k.key,
        callId: k.callId,
        event: k.event,
        attempts: k.attempts,
        lastError: k.lastError ?? null,
        updatedAt: k.updatedAt,
        body: k.body,
      }),
    )
  }

  /**
   * Drops done deliveries last changed `olderThan` seconds ago or more (default
   * `DEFAULT_RETENTION`, 7 days; dead letters too with `includeDead`): how many. The calls'
   * records stay.
   * @param {unknown} [options]
   * @returns {Promise<number>}
   */
  async prune(options) {
    const where = 'store.prune(options)'
    const {
      olderThan = DEFAULT_RETENTION,
      includeDead = false,
      now,
    } = optionsArg(options, where, ['olderThan', 'includeDead', 'now'], {
      noun: 'option',
    })
    if (typeof includeDead !== 'boolean') throw new TypeError(`${where}: includeDead must be a boolean, got ${describeType(includeDead)}`)
    const before = nowMs(now) - Math.round(seconds(olderThan, 'olderThan', where) * 1000)
    return callNative(() => this.#inbox.prune(before, includeDead))
  }

  /**
   * The inbox row of the delivery `key` (`{ state, attempts, dueAt, lastError, updatedAt }`), or `null`.
   * @param {unknown} key
   * @returns {Promise<import('./inbox').InboxRow | null>}
   */
  async row(key) {
    checkKey(key, 'store.row')
    const r = callNative(() => this.#inbox.row(key))
    return r === undefined || r === null ? null : rowOut(r)
  }

  /**
   * Claims the delivery of `event` for a run of your own: `await store.claim(event, body, async
   * (delivery) => { ... })` calls the function when the verdict is `run` (with
   * `currentDelivery()` set), marks the delivery done when it returns and failed (due again)
   * when it throws, and rethrows. `body` may be left out. Resolves to the arrival.
   * @param {object} event
   * @param {Uint8Array | null | undefined | ((delivery: Delivery) => unknown)} body
   * @param {unknown} [fn]
   * @param {unknown} [options]
   * @returns {Promise<import('./inbox').Arrival<CallRecord>>}
   */
  claim(event, body, fn, options) {
    // Checked by claimWith, which also takes a function in `body`'s place (`body` left out).
    const rest = /** @type {[Uint8Array | null | undefined, (delivery: Delivery) => unknown, import('./inbox').AtTime | undefined]} */ ([
      body,
      fn,
      options,
    ])
    return claimWith(this, event, ...rest)
  }

  get [Symbol.toStringTag]() {
    return 'MemoryStore'
  }
}

const { RedisStore } = require('./redis.js')

const { reconcile } = require('./reconcile.js')
const { ReconcilePolicy } = require('./oneinbox.js')

module.exports = { MemoryStore, RedisStore, drain, currentDelivery, DEFAULT_RETENTION, reconcile, ReconcilePolicy }
module.exports.PostgresStore = require('./postgres.js').PostgresStore
