// `RedisStore` (exported by `oneinbox-webhooks/stores`): the inbox and the call records in Redis,
// shared by every worker, process and machine that uses the same server, and by Python's
// `oneinbox_webhooks.stores.RedisStore`: the same keys, values and scripts (the core's
// `inbox/redis.rs`, read from the addon), so Python and Node workers share one Redis.
//
// Each change reads the delivery's hash (and, for an arrival, its call's hash), asks the core's
// `InboxPolicy` for the step, and writes it with one compare-and-set script; when another worker
// wrote in between, it reads and steps again. Recording costs the size of the event and the
// record, never a fold of the call's other deliveries.
'use strict'

const { CallRecord, dedupeKey, recordIsOpen } = require('./oneinbox.js')
const { REDIS_WRITE_SCRIPT, REDIS_PRUNE_SCRIPT, REDIS_RECORD_SCRIPT } = require('./native.js')
const { InboxPolicy, INBOX_DEFAULT_LEASE_MS, INBOX_DEFAULT_MAX_ATTEMPTS } = require('./inbox.js')
const { describeType, optionsArg } = require('./internal.js')

const TRIES = 50

/** @typedef {import('./oneinbox').Event} Event */
/** @typedef {import('./oneinbox').CallRecord} CallRecordT */
/** @typedef {import('./inbox').InboxRow} InboxRow */
/** @typedef {import('./inbox').InboxStep} InboxStep */
/** @typedef {import('./inbox').InboxVerdict} InboxVerdict */
/** @typedef {import('./inbox').Delivery} Delivery */
/** @typedef {import('./inbox').AtTime} AtTime */
/** @typedef {Record<string, string>} Fields */
/** @typedef {(string | number)[]} Command */
/**
 * @typedef {object} RedisCommands
 * @property {'node-redis' | 'ioredis'} kind
 * @property {(args: Command) => Promise<unknown>} send
 */

// Raw commands, whichever client it is: node-redis v4/v5 (`sendCommand([...])`) or ioredis
// (`call(...)`). Answers are RESP2: arrays, strings (or Buffers), integers, null.
/**
 * @param {unknown} value
 * @returns {RedisCommands}
 */
function redisCommands(value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw new TypeError(`new RedisStore(client): expected a node-redis or ioredis client, got ${describeType(value)}`)
  }
  // Read defensively: which of the two clients it is, is found out below.
  const client = /** @type {Partial<import('./stores').NodeRedisClient & import('./stores').IoRedisClient>} */ (value)
  if (typeof client.sendCommand === 'function' && typeof client.hGetAll === 'function') {
    const c = /** @type {import('./stores').NodeRedisClient} */ (client)
    return { kind: 'node-redis', send: (args) => c.sendCommand(args.map(String)) }
  }
  if (typeof client.call === 'function' && typeof client.hgetall === 'function') {
    const c = /** @type {import('./stores').IoRedisClient} */ (client)
    return { kind: 'ioredis', send: (args) => c.call(String(args[0]), ...args.slice(1).map(String)) }
  }
  throw new TypeError('new RedisStore(client): expected a node-redis client (sendCommand, hGetAll) or an ioredis client (call, hgetall)')
}

/** @type {(v: unknown) => string} */
const text = (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))

// HGETALL's answer as an object of text values: a flat [field, value, ...] array (RESP2, ioredis),
// or an object or a Map (node-redis maps it), values as strings or Buffers.
/**
 * @param {unknown} answer
 * @returns {Fields}
 */
function hash(answer) {
  /** @type {Fields} */
  const out = {}
  if (answer === null || answer === undefined) return out
  if (Array.isArray(answer)) {
    for (let i = 0; i + 1 < answer.length; i += 2) out[text(answer[i])] = text(answer[i + 1])
  } else if (answer instanceof Map) {
    for (const [k, v] of answer) out[text(k)] = text(v)
  } else if (typeof answer === 'object') {
    for (const [k, v] of Object.entries(answer)) out[k] = text(v)
  } else {
    throw new TypeError(`HGETALL answered ${describeType(answer)}, not the fields of a hash`)
  }
  return out
}

/**
 * @param {Fields} fields
 * @returns {InboxRow | null}
 */
function rowOf(fields) {
  if (fields.state === undefined) return null
  return {
    // Written from a step's row: one of the core's state names.
    state: /** @type {InboxRow['state']} */ (fields.state),
    attempts: Number(fields.attempts),
    dueAt: fields.due_at === undefined ? null : Number(fields.due_at),
    lastError: fields.last_error ?? null,
    updatedAt: Number(fields.updated_at),
  }
}

/** @type {(v: unknown) => string} */
const blank = (v) => (v === null || v === undefined ? '' : String(v))

/**
 * @param {{ now?: unknown } | undefined} options
 * @returns {number}
 */
function nowMs(options) {
  const now = options?.now
  if (now === undefined || now === null) return Date.now()
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`now must be Unix milliseconds, got ${describeType(now)}`)
  return Math.trunc(now)
}

/**
 * @param {{ limit?: unknown } | undefined} options
 * @returns {number}
 */
function limitOf(options) {
  const limit = options?.limit ?? 100
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number of 1 or more, got ${limit}`)
  return limit
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
 * @param {Event} event
 * @param {unknown} body
 * @returns {Buffer}
 */
function bodyOf(event, body) {
  if (body === undefined || body === null) return Buffer.from(JSON.stringify(event), 'utf8')
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  throw new TypeError(`body must be a Buffer, a Uint8Array or a string, got ${describeType(body)}`)
}

// A RESP2 array answer (ZRANGE, ZRANGEBYSCORE).
/**
 * @param {unknown} answer
 * @returns {unknown[]}
 */
function arrayAnswer(answer) {
  if (!Array.isArray(answer)) throw new TypeError(`Redis answered ${describeType(answer)}, not an array`)
  return answer
}

// Whether the write lists the call as open ('1'), drops it ('0') or leaves it (''): only a
// changed record moves.
/**
 * @param {boolean} changed
 * @param {CallRecord} record
 */
function openFlag(changed, record) {
  if (!changed) return ''
  return recordIsOpen(record) ? '1' : '0'
}

const SEVEN_DAYS = 7 * 24 * 3600
const REDIS_OPTIONS = ['prefix', 'ttlSeconds', 'lease', 'maxAttempts']

/**
 * A store in Redis: one hash per delivery (its raw body and inbox row), one per call (its folded
 * record), and sorted sets of the due, dead and done deliveries. Takes a connected node-redis
 * client (`createClient()`) or an ioredis client (`new Redis()`). With `ttlSeconds`, a call's
 * record expires that long after its last delivery; `lease` (seconds) and `maxAttempts` set the
 * inbox.
 */
class RedisStore {
  /** @type {RedisCommands} */
  #commands
  /** @type {string} */
  #prefix
  /** @type {number | undefined} */
  #ttl
  /** @type {import('./inbox').InboxPolicy} */
  #policy

  /**
   * @param {import('./stores').NodeRedisClient | import('./stores').IoRedisClient} client
   * @param {import('./stores').RedisStoreOptions} [options]
   */
  constructor(client, options) {
    this.#commands = redisCommands(client)
    const opts = optionsArg(options, 'new RedisStore(client, options)', REDIS_OPTIONS)
    let prefix = 'oneinbox:'
    if (opts.prefix !== undefined) {
      if (typeof opts.prefix !== 'string') throw new TypeError(`new RedisStore: prefix must be a string, got ${describeType(opts.prefix)}`)
      prefix = opts.prefix
    }
    let ttl
    if (opts.ttlSeconds !== undefined && opts.ttlSeconds !== null) {
      if (typeof opts.ttlSeconds !== 'number') {
        throw new TypeError(`new RedisStore: ttlSeconds must be a number, got ${describeType(opts.ttlSeconds)}`)
      }
      if (!Number.isSafeInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) {
        throw new RangeError(`new RedisStore: ttlSeconds must be a positive integer, got ${opts.ttlSeconds}`)
      }
      ttl = opts.ttlSeconds
    }
    this.#prefix = prefix
    this.#ttl = ttl
    // InboxPolicy checks them (a wrong type is its TypeError).
    this.#policy = new InboxPolicy(
      /** @type {import('./inbox').InboxPolicyOptions} */ ({
        lease: opts.lease ?? INBOX_DEFAULT_LEASE_MS / 1000,
        maxAttempts: opts.maxAttempts ?? INBOX_DEFAULT_MAX_ATTEMPTS,
      }),
    )
  }

  /** The inbox's policy. */
  get policy() {
    return this.#policy
  }

  /**
   * The Redis key of a call's record.
   * @param {string} callId
   * @returns {string}
   */
  key(callId) {
    if (typeof callId !== 'string') throw new TypeError(`store.key: callId must be a string, got ${describeType(callId)}`)
    return `${this.#prefix}r:${callId}`
  }

  /** @param {string} key */
  #deliveryKey(key) {
    return `${this.#prefix}d:${key}`
  }

  /**
   * @param {string} key
   * @returns {Promise<{ fields: Fields, version: string }>}
   */
  async #read(key) {
    const fields = hash(await this.#commands.send(['HGETALL', this.#deliveryKey(key)]))
    return { fields, version: fields.v ?? '' }
  }

  /**
   * @param {string} callId
   * @returns {Promise<{ record: CallRecordT, version: string }>}
   */
  async #readRecord(callId) {
    const fields = hash(await this.#commands.send(['HGETALL', this.key(callId)]))
    const record = fields.record === undefined ? new CallRecord(callId) : CallRecord.fromJson(fields.record)
    return { record, version: fields.v ?? '' }
  }

  // The compare-and-set write of `row` (with, for a new delivery, its identity and its call's
  // record): whether it was written.
  /**
   * @param {string} key
   * @param {string} version
   * @param {InboxRow} row
   * @param {{ callId: string, event: string, body: string }} [fresh]
   * @param {{ key: string, version: string, text: string, open?: string, callId?: string }} [record]
   * @returns {Promise<boolean>}
   */
  async #write(key, version, row, fresh, record) {
    const p = this.#prefix
    const keys = [this.#deliveryKey(key), `${p}due`, `${p}dead`, `${p}done`]
    const args = [
      version,
      row.state,
      row.attempts,
      blank(row.dueAt),
      blank(row.lastError),
      row.updatedAt,
      key,
      fresh?.callId ?? '',
      fresh?.event ?? '',
      fresh?.body ?? '',
    ]
    if (record !== undefined) {
      keys.push(record.key, `${p}open`)
      args.push(record.version, record.text, blank(this.#ttl), record.open ?? '', record.callId ?? '')
    }
    const answer = await this.#commands.send(['EVAL', REDIS_WRITE_SCRIPT, keys.length, ...keys, ...args])
    return Number(answer) === 1
  }

  /**
   * A delivery of `event` arrived (with its raw `body`; the event's JSON when absent): claims it
   * (verdict `run`) unless it is done, running elsewhere or dead. Resolves to `{ verdict, key,
   * delivery, retryAfterMs, record }`, the record with the delivery folded in.
   * @param {Event} event
   * @param {Uint8Array | string | null} [body]
   * @param {AtTime} [options]
   * @returns {Promise<import('./inbox').Arrival<CallRecordT>>}
   */
  async arrive(event, body, options) {
    checkEvent(event, 'store.arrive')
    const bytes = bodyOf(event, body)
    const key = dedupeKey(event)
    const now = nowMs(options)
    const callId = event.call_id
    for (let i = 0; i < TRIES; i++) {
      const { fields, version } = await this.#read(key)
      const stored = await this.#readRecord(callId)
      const row = rowOf(fields)
      // A new delivery of an event that reconciliation already ran: a repeat, folded in.
      const covered = row === null && stored.record.covers(event.event, key)
      const step = this.#policy.arrive(row, now, covered)
      let written = true
      if (step.row !== null && row === null) {
        const changed = stored.record.apply(event).changed
        const fresh = { callId, event: event.event, body: bytes.toString('utf8') }
        const record = {
          key: this.key(callId),
          version: stored.version,
          text: changed ? stored.record.toJson() : '',
          open: openFlag(changed, stored.record),
          callId,
        }
        written = await this.#write(key, version, step.row, fresh, record)
      } else if (step.row !== null) {
        written = await this.#write(key, version, step.row)
      }
      if (written) {
        // A `run` step has its attempt number.
        const delivery =
          step.verdict === 'run' ? { key, callId, event: event.event, body: bytes, attempt: /** @type {number} */ (step.attempt) } : null
        return { verdict: step.verdict, key, delivery, retryAfterMs: step.retryAfterMs, record: stored.record }
      }
    }
    throw new Error(`RedisStore: ${TRIES} concurrent writers in a row on one delivery`)
  }

  /**
   * At most once: the delivery is written as done when new, and folded in: `{ new, record }`.
   * @param {Event} event
   * @returns {Promise<import('./stores').Recorded>}
   */
  async record(event) {
    checkEvent(event, 'store.record')
    const key = dedupeKey(event)
    const now = Date.now()
    const callId = event.call_id
    for (let i = 0; i < TRIES; i++) {
      const { fields, version } = await this.#read(key)
      const stored = await this.#readRecord(callId)
      if (fields.state !== undefined) return Object.freeze({ new: false, record: stored.record })
      // Reconciliation already ran this event's handlers: folded, but not new.
      const covered = stored.record.covers(event.event, key)
      stored.record.apply(event)
      /** @type {InboxRow} */
      const done = { state: 'done', attempts: 0, dueAt: null, lastError: null, updatedAt: now }
      const fresh = { callId, event: event.event, body: JSON.stringify(event) }
      const record = {
        key: this.key(callId),
        version: stored.version,
        text: stored.record.toJson(),
        open: openFlag(true, stored.record),
        callId,
      }
      if (await this.#write(key, version, done, fresh, record)) return Object.freeze({ new: !covered, record: stored.record })
    }
    throw new Error(`RedisStore: ${TRIES} concurrent writers in a row on one delivery`)
  }

  /**
   * For `reconcile`: the open calls whose record last changed at or before `changedBefore`
   * (Unix ms), oldest first, at most `limit`: one ZRANGEBYSCORE on `{prefix}open`.
   * @param {number} changedBefore
   * @param {number} [limit]
   * @returns {Promise<import('./stores').OpenCall[]>}
   */
  async openCalls(changedBefore, limit = 1000) {
    const n = limitOf({ limit })
    const before = nowMs({ now: changedBefore })
    const answer = arrayAnswer(
      await this.#commands.send(['ZRANGEBYSCORE', `${this.#prefix}open`, '-inf', before, 'WITHSCORES', 'LIMIT', 0, n]),
    )
    // WITHSCORES: a flat [member, score, ...] (RESP2), or [member, score] pairs (RESP3).
    const flat = answer.flatMap((item) => (Array.isArray(item) ? item : [item]))
    const out = []
    for (let i = 0; i + 1 < flat.length; i += 2) out.push(Object.freeze({ callId: text(flat[i]), changedAt: Number(text(flat[i + 1])) }))
    return out
  }

  /**
   * Folds the snapshot `call` into its call's stored record (compare-and-set): the record, or
   * `null` when the store has none for the call.
   * @param {object} call
   * @param {{ now?: number }} [options]
   * @returns {Promise<CallRecord | null>}
   */
  async applyCall(call, options) {
    const id = call !== null && typeof call === 'object' ? /** @type {{ id?: unknown }} */ (call).id : undefined
    if (typeof id !== 'string') throw new TypeError(`store.applyCall: expected a call object with an id, got ${describeType(call)}`)
    const now = nowMs(options)
    for (let i = 0; i < TRIES; i++) {
      const fields = hash(await this.#commands.send(['HGETALL', this.key(id)]))
      if (fields.record === undefined) return null
      const record = CallRecord.fromJson(fields.record)
      if (!record.applyCall(call).changed) return record
      const args = [fields.v ?? '', record.toJson(), blank(this.#ttl), recordIsOpen(record) ? '1' : '0', id, now]
      const answer = await this.#commands.send(['EVAL', REDIS_RECORD_SCRIPT, 2, this.key(id), `${this.#prefix}open`, ...args])
      if (Number(answer) === 1) return record
    }
    throw new Error(`RedisStore: ${TRIES} concurrent writers in a row on one record`)
  }

  /**
   * Drops `callId` from the open calls.
   * @param {string} callId
   * @returns {Promise<void>}
   */
  async settle(callId) {
    if (typeof callId !== 'string') throw new TypeError(`store.settle: callId must be a string, got ${describeType(callId)}`)
    await this.#commands.send(['ZREM', `${this.#prefix}open`, callId])
  }

  // One step on the row of `key`: `ask(row)` gives it. Resolves to the step and the hash read.
  /**
   * @param {unknown} key
   * @param {(row: InboxRow | null) => InboxStep} ask
   * @returns {Promise<{ step: InboxStep, fields: Fields }>}
   */
  async #change(key, ask) {
    if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${describeType(key)}`)
    for (let i = 0; i < TRIES; i++) {
      const { fields, version } = await this.#read(key)
      const step = ask(rowOf(fields))
      if (step.row === null || fields.state === undefined) return { step, fields }
      if (await this.#write(key, version, step.row)) return { step, fields }
    }
    throw new Error(`RedisStore: ${TRIES} concurrent writers in a row on one delivery`)
  }

  /**
   * The handlers of `delivery` ended (`error`: why they failed, or null): the verdict.
   * @param {Delivery} delivery
   * @param {string | null} [error]
   * @param {AtTime} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async finish(delivery, error, options) {
    const now = nowMs(options)
    const { step } = await this.#change(delivery.key, (row) => this.#policy.finish(row, delivery.attempt, error ?? null, now))
    return step.verdict
  }

  /**
   * Gives `delivery`'s claim back without running it: due now.
   * @param {Delivery} delivery
   * @param {string} reason
   * @param {AtTime} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async release(delivery, reason, options) {
    const now = nowMs(options)
    const { step } = await this.#change(delivery.key, (row) => this.#policy.release(row, delivery.attempt, reason, now))
    return step.verdict
  }

  /**
   * Makes the delivery `key` (a dead letter, say) due now, its attempts from 0: the verdict.
   * @param {string} key
   * @param {AtTime} [options]
   * @returns {Promise<InboxVerdict>}
   */
  async replay(key, options) {
    const now = nowMs(options)
    const { step } = await this.#change(key, (row) => this.#policy.replay(row, now))
    return step.verdict
  }

  /**
   * A worker's claim of the due delivery `key`: `{ verdict, delivery }` (a delivery for `run`).
   * @param {string} key
   * @param {AtTime} [options]
   * @returns {Promise<{ verdict: InboxVerdict, delivery: Delivery | null }>}
   */
  async take(key, options) {
    const now = nowMs(options)
    const { step, fields } = await this.#change(key, (row) => this.#policy.claim(row, now))
    if (step.verdict !== 'run') return { verdict: step.verdict, delivery: null }
    // A `run` step has its attempt number.
    const attempt = /** @type {number} */ (step.attempt)
    const delivery = { key, callId: fields.call_id, event: fields.event, body: Buffer.from(fields.body, 'utf8'), attempt }
    return { verdict: step.verdict, delivery }
  }

  /**
   * The keys of up to `limit` deliveries due now, the longest due first.
   * @param {AtTime & { limit?: number }} [options]
   * @returns {Promise<string[]>}
   */
  async due(options) {
    const answer = await this.#commands.send(['ZRANGEBYSCORE', `${this.#prefix}due`, '-inf', nowMs(options), 'LIMIT', 0, limitOf(options)])
    return arrayAnswer(answer).map(text)
  }

  /**
   * The dead letters, oldest first: `{ key, callId, event, attempts, lastError, updatedAt, body }`.
   * @param {{ limit?: number }} [options]
   * @returns {Promise<import('./inbox').DeadLetter[]>}
   */
  async dead(options) {
    const keys = await this.#commands.send(['ZRANGE', `${this.#prefix}dead`, 0, limitOf(options) - 1])
    /** @type {import('./inbox').DeadLetter[]} */
    const letters = []
    for (const raw of arrayAnswer(keys)) {
      const key = text(raw)
      const { fields } = await this.#read(key)
      const row = rowOf(fields)
      if (row === null || row.state !== 'dead') continue // replayed or pruned meanwhile
      letters.push({
        key,
        callId: fields.call_id,
        event: fields.event,
        attempts: row.attempts,
        lastError: row.lastError,
        updatedAt: row.updatedAt,
        body: Buffer.from(fields.body, 'utf8'),
      })
    }
    return letters
  }

  /**
   * Drops the done deliveries last changed `olderThan` seconds ago or more (default 7 days; the
   * dead letters too with `includeDead`): how many. The calls' records stay.
   * @param {AtTime & { olderThan?: number, includeDead?: boolean }} [options]
   * @returns {Promise<number>}
   */
  async prune(options) {
    const olderThan = options?.olderThan ?? SEVEN_DAYS
    if (typeof olderThan !== 'number' || !(olderThan >= 0) || !Number.isFinite(olderThan)) {
      throw new RangeError(`olderThan must be a non-negative number of seconds, got ${olderThan}`)
    }
    const before = nowMs(options) - Math.trunc(olderThan * 1000)
    const p = this.#prefix
    const args = [before, options?.includeDead ? '1' : '0', p]
    return Number(await this.#commands.send(['EVAL', REDIS_PRUNE_SCRIPT, 2, `${p}done`, `${p}dead`, ...args]))
  }

  /**
   * The inbox row of the delivery `key`, or null.
   * @param {string} key
   * @returns {Promise<InboxRow | null>}
   */
  async row(key) {
    return rowOf((await this.#read(key)).fields)
  }

  /**
   * The call's record, or `null` if no delivery of it arrived.
   * @param {string} callId
   * @returns {Promise<CallRecordT | null>}
   */
  async get(callId) {
    const fields = hash(await this.#commands.send(['HGETALL', this.key(callId)]))
    return fields.record === undefined ? null : CallRecord.fromJson(fields.record)
  }

  get [Symbol.toStringTag]() {
    return 'RedisStore'
  }

  toJSON() {
    return { client: this.#commands.kind, prefix: this.#prefix, ttlSeconds: this.#ttl ?? null }
  }

  /**
   * @param {number} depth
   * @param {import('node:util').InspectOptionsStylized} options
   * @param {typeof import('node:util').inspect} inspect
   */
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    return `RedisStore ${inspect(this.toJSON(), options)}`
  }
}

module.exports = { RedisStore }
