// `PostgresStore` (re-exported by `oneinbox-webhooks/stores`): the inbox and the call records in
// PostgreSQL over `pg` (your dependency: a `Pool` or a client; this package never loads `pg`).
// The statements and steps are sql.js's, the same as the Python package's PostgresStore, so
// Python and Node workers share one database: they read and write the same rows.
// Types: postgres.d.ts.
'use strict'

const { AsyncLocalStorage } = require('node:async_hooks')
const { InboxPolicy, currentDelivery } = require('./inbox.js')
const { describeType, optionsArg } = require('./internal.js')
const { POSTGRES, Raced, SqlSteps, runSteps } = require('./sql.js')

// The key of the advisory lock that serializes migrations (the Python store's too): a CREATE …
// IF NOT EXISTS is not safe against a concurrent CREATE of the same table in Postgres.
const MIGRATION_LOCK = 0x6f6e6569
const RETRIES = 5
// The client whose transaction(fn) runs now, with its store: the store's own calls inside `fn`
// use it (no second client waiting on the rows `fn`'s transaction has locked, no deadlock on a
// Client it already holds).
/** @type {AsyncLocalStorage<{ store: PostgresStore, client: PostgresClient }>} */
const held = new AsyncLocalStorage()
const OPTIONS = ['lease', 'maxAttempts']

/** @typedef {import('./oneinbox').Event} Event */
/** @typedef {import('./postgres').PostgresClient} PostgresClient */
/** @typedef {import('./postgres').PgDelivery} PgDelivery */
/** @typedef {import('./inbox').InboxVerdict} InboxVerdict */
/** A client a Pool lends. @typedef {PostgresClient & { release(): void }} PoolClient */
/**
 * @template T
 * @typedef {import('./sql.js').Steps<T>} Steps
 */

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
 * @param {unknown} value
 * @param {string} what
 * @returns {asserts value is string}
 */
function checkString(value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${describeType(value)}`)
}

/**
 * The options of `where` (unknown names refused) and their `now` (Unix ms; absent: the clock).
 * @param {unknown} options
 * @param {string} where
 * @param {readonly string[]} [known]
 * @returns {Record<string, unknown> & { now: number }}
 */
function optionsOf(options, where, known = ['now']) {
  const opts = optionsArg(options ?? {}, where, known)
  const now = opts.now === undefined || opts.now === null ? Date.now() : opts.now
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError(`${where}: now must be Unix milliseconds, got ${describeType(now)}`)
  return { ...opts, now: Math.floor(now) }
}

/**
 * @param {Record<string, unknown>} options
 * @param {string} where
 * @returns {number}
 */
function limitOf(options, where) {
  const limit = options.limit ?? 100
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`${where}: limit must be a whole number of 1 or more, got ${limit}`)
  return limit
}

/**
 * @param {Event} event
 * @param {unknown} [body]
 * @returns {Buffer}
 */
function bodyOf(event, body) {
  if (body === undefined || body === null) return Buffer.from(JSON.stringify(event), 'utf8')
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return Buffer.from(body)
  throw new TypeError(`body must be a Buffer, a Uint8Array or a string, got ${describeType(body)}`)
}

/**
 * @param {unknown} delivery
 * @param {string} where
 * @returns {asserts delivery is PgDelivery}
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
    throw new TypeError(`${where} takes a delivery from arrive or take, got ${describeType(delivery)}`)
  }
}

/**
 * A store in PostgreSQL, shared by every process of every machine (and by Python's
 * PostgresStore on the same database). `db` is a `pg.Pool` (a client per transaction) or a
 * `pg.Client` (one transaction at a time); the tables are created on first use, or by
 * `migrate()`. Each change is one transaction that locks the rows it reads. Times are Unix ms.
 */
class PostgresStore {
  /** @type {PostgresClient} */
  #db
  /** @type {boolean} */
  #pool
  /** @type {import('./sql.js').SqlSteps} */
  #sql
  /** @type {Promise<unknown>} */
  #queue = Promise.resolve()
  /** @type {Promise<void> | null} */
  #migrated = null

  /**
   * @param {PostgresClient} db
   * @param {import('./postgres').PostgresStoreOptions} [options]
   */
  constructor(db, options) {
    if (db === null || typeof db !== 'object' || typeof db.query !== 'function' || typeof db.connect !== 'function') {
      throw new TypeError(`new PostgresStore(db, options): db must be a pg Pool or Client, got ${describeType(db)}`)
    }
    const opts = optionsArg(options ?? {}, 'new PostgresStore(db, options)', OPTIONS, { noun: 'option' })
    this.#db = db
    // A Pool counts its clients; a Client does not.
    this.#pool = 'totalCount' in db && typeof db.totalCount === 'number'
    // InboxPolicy checks them (a wrong type is its TypeError).
    const policy = /** @type {import('./inbox').InboxPolicyOptions} */ ({ lease: opts.lease, maxAttempts: opts.maxAttempts })
    this.#sql = new SqlSteps(POSTGRES, new InboxPolicy(policy))
  }

  /** The inbox's policy (lease, maxAttempts). */
  get policy() {
    return this.#sql.policy
  }

  // Runs `fn(client)` inside BEGIN … COMMIT (ROLLBACK on a throw) on a client of its own.
  /**
   * @template T
   * @param {(client: PostgresClient) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async #transaction(fn) {
    const holding = held.getStore()
    if (holding?.store === this) return fn(holding.client)
    if (this.#pool) {
      // A Pool's connect lends a client, given back with release().
      const client = /** @type {PoolClient} */ (await this.#db.connect())
      try {
        return await inTransaction(client, fn)
      } finally {
        client.release()
      }
    }
    const turn = this.#queue.then(() => inTransaction(this.#db, fn))
    this.#queue = turn.catch(() => {})
    return turn
  }

  // The tables, made once (a failed attempt is tried again by the next call).
  /** @returns {Promise<void>} */
  #ready() {
    if (this.#migrated === null) {
      this.#migrated = this.migrate().catch((err) => {
        this.#migrated = null
        throw err
      })
    }
    return this.#migrated
  }

  /**
   * @template T
   * @param {() => Steps<T>} make
   * @returns {Promise<T>}
   */
  async #run(make) {
    await this.#ready()
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transaction((client) => runSteps(client, make()))
      } catch (err) {
        if (!(err instanceof Raced) || attempt >= RETRIES) throw err
      }
    }
  }

  /** Creates the tables and indexes if missing (the store does it on first use too). */
  async migrate() {
    await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      for (const statement of this.#sql.schema()) await client.query(statement)
    })
  }

  /**
   * At most once: records the delivery as done: `{ new, record }`.
   * @param {Event} event
   */
  async record(event) {
    checkEvent(event, 'store.record')
    const now = Date.now()
    const body = bodyOf(event)
    return this.#run(() => this.#sql.record(event, body, now))
  }

  /**
   * The call's record, or `null`.
   * @param {string} callId
   */
  async get(callId) {
    checkString(callId, 'store.get: callId')
    return this.#run(() => this.#sql.getRecord(callId))
  }

  /**
   * A delivery arrived: `{ verdict, key, delivery, retryAfterMs, record }`.
   * @param {Event} event
   * @param {Buffer | Uint8Array | string | null} [body]
   * @param {{ now?: number }} [options]
   */
  async arrive(event, body, options) {
    checkEvent(event, 'store.arrive')
    const bytes = bodyOf(event, body)
    const { now } = optionsOf(options, 'store.arrive')
    return this.#run(() => this.#sql.arrive(event, bytes, now))
  }

  /**
   * The handlers of `delivery` ended (`error`: null when they completed): the verdict.
   * @param {PgDelivery} delivery
   * @param {string | null} [error]
   * @param {{ now?: number }} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async finish(delivery, error, options) {
    checkDelivery(delivery, 'store.finish')
    if (error !== undefined && error !== null) checkString(error, 'store.finish: error')
    const { now } = optionsOf(options, 'store.finish')
    return (await this.#run(() => this.#sql.finishSteps(delivery, error ?? null, now))).verdict
  }

  /**
   * Gives the claim back without running its handlers: the verdict.
   * @param {PgDelivery} delivery
   * @param {string} reason
   * @param {{ now?: number }} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async release(delivery, reason, options) {
    checkDelivery(delivery, 'store.release')
    checkString(reason, 'store.release: reason')
    const { now } = optionsOf(options, 'store.release')
    return (await this.#run(() => this.#sql.releaseSteps(delivery, reason, now))).verdict
  }

  /**
   * The keys of the deliveries due at `now`, oldest first, at most `limit` (100).
   * @param {{ now?: number, limit?: number }} [options]
   */
  async due(options) {
    const opts = optionsOf(options, 'store.due', ['now', 'limit'])
    const limit = limitOf(opts, 'store.due')
    return this.#run(() => this.#sql.dueKeys(opts.now, limit))
  }

  /**
   * Claims a due delivery for a worker: `{ verdict, delivery }`.
   * @param {string} key
   * @param {{ now?: number }} [options]
   */
  async take(key, options) {
    checkString(key, 'store.take: key')
    const { now } = optionsOf(options, 'store.take')
    return this.#run(() => this.#sql.take(key, now))
  }

  /**
   * Makes a dead letter (or any delivery not claimed) due again: the verdict.
   * @param {string} key
   * @param {{ now?: number }} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async replay(key, options) {
    checkString(key, 'store.replay: key')
    const { now } = optionsOf(options, 'store.replay')
    return (await this.#run(() => this.#sql.replaySteps(key, now))).verdict
  }

  /**
   * The dead letters, oldest first: `{ key, callId, event, attempts, lastError, updatedAt, body }`.
   * @param {{ limit?: number }} [options]
   */
  async dead(options) {
    const limit = limitOf(optionsArg(options ?? {}, 'store.dead', ['limit']), 'store.dead')
    return this.#run(() => this.#sql.deadLetters(limit))
  }

  /**
   * Drops done deliveries (and dead ones with `includeDead`) older than `olderThan` seconds.
   * @param {{ now?: number, olderThan?: number, includeDead?: boolean }} [options]
   */
  async prune(options) {
    const opts = optionsOf(options, 'store.prune', ['now', 'olderThan', 'includeDead'])
    const olderThan = opts.olderThan ?? 7 * 24 * 3600
    if (typeof olderThan !== 'number' || !Number.isFinite(olderThan) || olderThan < 0) {
      throw new RangeError(`store.prune: olderThan must be a non-negative number of seconds, got ${describeType(olderThan)}`)
    }
    const includeDead = opts.includeDead === true
    return this.#run(() => this.#sql.pruneRows(Math.floor(olderThan * 1000), includeDead, opts.now))
  }

  /**
   * The inbox row of `key`, or `null`.
   * @param {string} key
   */
  async row(key) {
    checkString(key, 'store.row: key')
    return this.#run(() => this.#sql.peekRow(key))
  }

  /**
   * For `reconcile`: the open calls last changed at or before `changedBefore` (Unix ms), oldest
   * first, at most `limit` (1000): one indexed query on `oneinbox_open_calls`.
   * @param {number} changedBefore
   * @param {number} [limit]
   * @returns {Promise<import('./stores').OpenCall[]>}
   */
  async openCalls(changedBefore, limit = 1000) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number of 1 or more, got ${limit}`)
    return this.#run(() => this.#sql.listOpen(Math.trunc(changedBefore), limit))
  }

  /**
   * Folds the snapshot `call` into its call's record: the record, or `null` when there is none.
   * @param {object} call
   * @param {{ now?: number }} [options]
   * @returns {Promise<import('./oneinbox').CallRecord | null>}
   */
  async applyCall(call, options) {
    if (call === null || typeof call !== 'object' || typeof (/** @type {{ id?: unknown }} */ (call).id) !== 'string') {
      throw new TypeError('store.applyCall: expected a call object with an id')
    }
    const ms = options?.now ?? Date.now()
    return this.#run(() => this.#sql.applyCall(call, ms))
  }

  /**
   * Drops `callId` from the open calls.
   * @param {string} callId
   * @returns {Promise<void>}
   */
  async settle(callId) {
    checkString(callId, 'store.settle: callId')
    await this.#run(() => this.#sql.settle(callId))
  }

  /**
   * Runs `fn(client)` in one transaction, for a handler's own writes. With `delivery` (by
   * default `currentDelivery()`, the one whose handler runs; `null`: none), its row is locked first and marked done at the end, in the same
   * transaction: the writes and the mark commit together or not at all; when another run
   * completed the delivery first, the writes are rolled back (they happened once).
   * @template T
   * @param {(client: PostgresClient) => Promise<T>} fn
   * @param {{ delivery?: PgDelivery | null, now?: number }} [options]
   * @returns {Promise<T>}
   */
  async transaction(fn, options) {
    if (typeof fn !== 'function') throw new TypeError(`store.transaction takes a function, got ${describeType(fn)}`)
    const opts = optionsOf(options, 'store.transaction', ['delivery', 'now'])
    const { now } = opts
    // The delivery whose handlers run now, unless one is named: as Python's transaction().
    const delivery = opts.delivery === undefined ? currentDelivery() : opts.delivery
    if (delivery !== null) checkDelivery(delivery, 'store.transaction')
    await this.#ready()
    return this.#transaction(async (client) => {
      if (delivery !== null) await runSteps(client, this.#sql.lock(delivery.key))
      const value = await held.run({ store: this, client }, () => fn(client))
      if (delivery !== null) {
        const step = await runSteps(client, this.#sql.finishSteps(delivery, null, now))
        if (step.verdict !== 'done') throw new Superseded(value)
      }
      return value
    }).catch((err) => {
      // The value of this transaction's own fn.
      if (err instanceof Superseded) return /** @type {T} */ (err.value)
      throw err
    })
  }

  get [Symbol.toStringTag]() {
    return 'PostgresStore'
  }

  toJSON() {
    return { db: this.#pool ? 'Pool' : 'Client', lease: this.policy.leaseMs / 1000, maxAttempts: this.policy.maxAttempts }
  }

  /**
   * @param {number} depth
   * @param {import('node:util').InspectOptionsStylized} options
   * @param {typeof import('node:util').inspect} inspect
   */
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    return `PostgresStore ${inspect(this.toJSON(), options)}`
  }
}

// Another run completed the delivery first: the transaction rolls back and `value` is returned.
class Superseded extends Error {
  /** @param {unknown} value */
  constructor(value) {
    super('superseded')
    this.value = value
  }
}

/**
 * @template T
 * @param {PostgresClient} client
 * @param {(client: PostgresClient) => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function inTransaction(client, fn) {
  await client.query('BEGIN')
  /** @type {T} */
  let value
  try {
    value = await fn(client)
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  }
  await client.query('COMMIT')
  return value
}

module.exports = { PostgresStore }
