// `oneinbox-webhooks/stores`: call records that survive retries, reordering and several workers.
// Types: stores.d.ts. The main package never loads this file.
//
// A store keeps, per call, the set of deliveries it has seen, keyed by `dedupeKey(event)`, and
// the call's `CallRecord` is the fold of that set. The fold ignores order and repetition, so
// concurrent writers need no lock: claiming a delivery is one atomic `HSETNX`, and any worker can
// compute the record from the hash. Python's `oneinbox_webhooks.stores.RedisStore` writes the
// same keys and values, so Python and Node workers can share one Redis.
'use strict'

const { CallRecord, Ledger, dedupeKey, parseEvent } = require('./oneinbox.js')

// The deepest nesting any parse allows (the core's, from the addon that oneinbox.js has loaded): a
// stored event was parsed within it, so it is read back within it whatever maxDepth the first
// parse had.
const { MAX_DEPTH_CEILING } = require('./native.js')

const { describeType, optionsArg } = require('./internal.js')

/** @typedef {import('./oneinbox').Event} Event */
/** @typedef {import('./stores').Recorded} Recorded */

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

// A stored value (the event's wire JSON, as a string or a Buffer) read back as the event.
/**
 * @param {string | Uint8Array} value
 * @returns {Event}
 */
function parseStored(value) {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return parseEvent(bytes, { maxBodyBytes: bytes.length, maxDepth: MAX_DEPTH_CEILING })
}

/**
 * @param {string} callId
 * @param {Iterable<string | Uint8Array>} stored
 */
function fold(callId, stored) {
  const record = new CallRecord(callId)
  for (const value of stored) record.apply(parseStored(value))
  return record
}

/**
 * A store in this worker's memory: the default for one process. It keeps every call it has seen
 * while the process runs; a `worker_threads` worker has its own. Use `RedisStore` to share
 * deliveries between workers, processes and machines.
 */
class MemoryStore {
  #ledger = new Ledger()

  /**
   * Claims the delivery of `event`: `{ new, record }` (`record` is a copy).
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

  get [Symbol.toStringTag]() {
    return 'MemoryStore'
  }
}

// The three commands, whichever client it is: node-redis v4/v5 (`hSetNX`, camelCase) or ioredis
// (`hsetnx`, lower case).
/**
 * @typedef {object} RedisCommands
 * @property {'node-redis' | 'ioredis'} kind
 * @property {(key: string, field: string, value: string) => Promise<unknown>} hsetnx
 * @property {(key: string) => Promise<unknown>} hgetall
 * @property {(key: string, seconds: number) => Promise<unknown>} expire
 */

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
  if (typeof client.hSetNX === 'function' && typeof client.hGetAll === 'function' && typeof client.expire === 'function') {
    const c = /** @type {import('./stores').NodeRedisClient} */ (client)
    return {
      kind: 'node-redis',
      hsetnx: (key, field, value) => c.hSetNX(key, field, value),
      hgetall: (key) => c.hGetAll(key),
      expire: (key, seconds) => c.expire(key, seconds),
    }
  }
  if (typeof client.hsetnx === 'function' && typeof client.hgetall === 'function' && typeof client.expire === 'function') {
    const c = /** @type {import('./stores').IoRedisClient} */ (client)
    return {
      kind: 'ioredis',
      hsetnx: (key, field, value) => c.hsetnx(key, field, value),
      hgetall: (key) => c.hgetall(key),
      expire: (key, seconds) => c.expire(key, seconds),
    }
  }
  throw new TypeError(
    'new RedisStore(client): expected a node-redis client (hSetNX, hGetAll, expire) or an ioredis client (hsetnx, hgetall, expire)',
  )
}

/**
 * @param {unknown} fields
 * @returns {(string | Uint8Array)[]}
 */
function hashValues(fields) {
  if (fields === null || fields === undefined) return []
  if (fields instanceof Map) return [...fields.values()]
  if (typeof fields === 'object' && !Array.isArray(fields)) return Object.values(fields)
  throw new TypeError(`HGETALL answered ${describeType(fields)}, not an object of fields`)
}

const REDIS_OPTIONS = ['prefix', 'ttlSeconds']

/**
 * A store in Redis, shared by every worker, process and machine that uses the same server. Each
 * call is one hash, `${prefix}call:${callId}`, from dedupe key to the event's wire JSON; `record`
 * claims a delivery with `HSETNX` and reads the hash with `HGETALL`. With `ttlSeconds`, `EXPIRE`
 * after each delivery drops a call that long after its last one.
 */
class RedisStore {
  /** @type {RedisCommands} */
  #commands
  /** @type {string} */
  #prefix
  /** @type {number | undefined} */
  #ttl

  /**
   * @param {import('./stores').NodeRedisClient | import('./stores').IoRedisClient} client
   * @param {import('./stores').RedisStoreOptions} [options]
   */
  constructor(client, options) {
    this.#commands = redisCommands(client)
    let prefix = 'oneinbox:'
    /** @type {number | undefined} */
    let ttl
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object' || Array.isArray(options)) {
        throw new TypeError(`new RedisStore(client, options): options must be an object, got ${describeType(options)}`)
      }
      optionsArg(options, 'new RedisStore(client, options)', REDIS_OPTIONS)
      if (options.prefix !== undefined) {
        if (typeof options.prefix !== 'string') {
          throw new TypeError(`new RedisStore: prefix must be a string, got ${describeType(options.prefix)}`)
        }
        prefix = options.prefix
      }
      if (options.ttlSeconds !== undefined && options.ttlSeconds !== null) {
        if (typeof options.ttlSeconds !== 'number') {
          throw new TypeError(`new RedisStore: ttlSeconds must be a number, got ${describeType(options.ttlSeconds)}`)
        }
        if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
          throw new RangeError(`new RedisStore: ttlSeconds must be a positive integer, got ${options.ttlSeconds}`)
        }
        ttl = options.ttlSeconds
      }
    }
    this.#prefix = prefix
    this.#ttl = ttl
  }

  /**
   * The Redis key of a call's hash.
   * @param {string} callId
   */
  key(callId) {
    checkCallId(callId, 'store.key')
    return `${this.#prefix}call:${callId}`
  }

  /**
   * Claims the delivery of `event` (one atomic HSETNX): `{ new, record }`.
   * @param {Event} event
   * @returns {Promise<Recorded>}
   */
  async record(event) {
    checkEvent(event, 'store.record')
    const name = this.key(event.call_id)
    const key = dedupeKey(event)
    const claimed = await this.#commands.hsetnx(name, key, JSON.stringify(event))
    if (this.#ttl !== undefined) await this.#commands.expire(name, this.#ttl)
    const fields = hashValues(await this.#commands.hgetall(name))
    // node-redis v4 answers HSETNX with a boolean, v5 and ioredis with 1 or 0.
    const isNew = claimed === true || claimed === 1
    return Object.freeze({ new: isNew, record: fold(event.call_id, fields) })
  }

  /**
   * The call's record, or `null` if no delivery of it was recorded.
   * @param {string} callId
   */
  async get(callId) {
    const fields = hashValues(await this.#commands.hgetall(this.key(callId)))
    return fields.length === 0 ? null : fold(callId, fields)
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

module.exports = { MemoryStore, RedisStore }
