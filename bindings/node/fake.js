// `FakeOneInbox` (types in testing.d.ts; exported by testing.js): the core's fake OneInbox
// management API (the addon's NativeFakeOneInbox, a state machine: request in, answer out),
// served without a socket (`fake.fetch`) or on a loopback port (fake-server.js). Every answer,
// id, 401/404/422 and fault is the core's; this file adds the clock, the seed and the waits of
// the clients it makes.
'use strict'

const crypto = require('node:crypto')
const { inspect } = require('node:util')
const { Client } = require('./oneinbox.js')
const { UsageError } = require('./errors.js')
const native = require('./native.js')
const { describeType, isPlainObject, isIterable, callNative, optionsArg, throwIssues } = require('./internal.js')
const { serve } = require('./fake-server.js')
const { Player } = require('./fake-play.js')

const DEFAULT_API_KEY = 'oi_sk_test_fake'
// The base URL of a fake that does not listen: `fake.fetch` answers for it. `.invalid` never
// resolves, so a request sent there by another fetch fails at once instead of leaving the machine.
const OFFLINE_URL = 'http://fake.oneinbox.invalid'

/**
 * The seed as the addon takes it: 8 bytes, big-endian (random when not given).
 * @param {unknown} seed
 */
function seedBytes(seed) {
  if (seed === undefined) return crypto.randomBytes(8)
  if ((typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) && typeof seed !== 'bigint')
    throw new TypeError(`new FakeOneInbox: options.seed must be a whole number of 0 or more, got ${describeType(seed)}`)
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(seed)))
  return bytes
}

/** An answer of the fake: status, headers (lower-case names) and body. */
class FakeResponse {
  /**
   * @param {number} status
   * @param {Record<string, string>} [headers]
   * @param {Buffer} [body]
   */
  constructor(status, headers = {}, body = Buffer.alloc(0)) {
    this.status = status
    this.headers = Object.freeze({ ...headers })
    this.body = body
    Object.freeze(this)
  }

  /** The body parsed as JSON (`null` when empty). */
  json() {
    return this.body.length === 0 ? null : JSON.parse(this.body.toString('utf8'))
  }
}

/** A request the fake received. The `Authorization` header is not kept, only whether it carried the fake's key. */
class RecordedRequest {
  /**
   * @param {string} method
   * @param {string} path
   * @param {string} query
   * @param {Buffer | null} body
   * @param {boolean} authorized
   */
  constructor(method, path, query, body, authorized) {
    this.method = method
    this.path = path
    this.query = query
    this.body = body
    this.authorized = authorized
    Object.freeze(this)
  }

  /** The body parsed as JSON (`null` without a body). */
  json() {
    return this.body === null ? null : JSON.parse(this.body.toString('utf8'))
  }
}

// [name, value] pairs from a plain object, a Headers instance (or Map) or pairs.
/**
 * @param {import('./testing').FakeRequest['headers'] | ConstructorParameters<typeof Headers>[0]} headers
 * @returns {[string, string][]}
 */
function headerPairs(headers) {
  if (headers === undefined || headers === null) return []
  if (Array.isArray(headers)) return headers.map(([n, v]) => [String(n), String(v)])
  if (isIterable(headers)) return Array.from(/** @type {Iterable<[unknown, unknown]>} */ (headers), ([n, v]) => [String(n), String(v)])
  /** @type {[string, string][]} */
  const pairs = []
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)])
    else if (value !== undefined) pairs.push([name, String(value)])
  }
  return pairs
}

// `times`: a number (the core checks it is a whole number of 1 or more).
/**
 * @param {unknown} times
 * @returns {number}
 */
function timesArg(times) {
  if (times === undefined) return 1
  if (typeof times !== 'number') throw new TypeError(`options.times must be a number, got ${describeType(times)}`)
  return times
}

/**
 * An in-memory OneInbox management API for tests, with the real request and response shapes
 * and errors. Reach it without a socket through `fake.fetch` (or `fake.client()`, or
 * `fake.handle()`), or over HTTP with `await fake.listen(0)`. It plays calls as its base class,
 * `Player` (fake-play.js: `addWebhook`, `playCall`, `outage`, `deliveriesForCall`, `settle`, `now`).
 */
class FakeOneInbox extends Player {
  /** @type {string} */
  #apiKey
  /** @type {import('./index').NativeFakeOneInbox} */
  #machine
  /** @type {number[]} */
  #sleeps = []
  /** @type {import('node:http').Server | null} */
  #server = null
  #url = OFFLINE_URL

  /** @param {import('./testing').FakeOptions} [options] */
  constructor(options) {
    const known = ['apiKey', 'seed', 'faults', 'signingSecret', 'startMs']
    const opts = optionsArg(options, 'new FakeOneInbox(options)', known)
    const apiKey = opts.apiKey ?? DEFAULT_API_KEY
    if (typeof apiKey !== 'string' || apiKey === '')
      throw new TypeError(`new FakeOneInbox: options.apiKey must be a non-empty string, got ${describeType(apiKey)}`)
    const seed = seedBytes(opts.seed)
    const machine = callNative(() => new native.NativeFakeOneInbox(apiKey, seed))
    super(
      machine,
      /** @type {import('./testing').Faults | undefined} */ (opts.faults),
      /** @type {string | undefined} */ (opts.signingSecret),
      opts.startMs,
    )
    this.#apiKey = apiKey
    this.#machine = machine
    /**
     * A fetch-compatible function answering from this fake, without a socket (any host; the
     * path decides): `new Client(fake.apiKey, { baseUrl: fake.url, fetch: fake.fetch })`.
     * @type {(input: string | URL | Request, init?: RequestInit) => Promise<Response>}
     */
    const fetch = (input, init) => this.#fetch(input, init)
    Object.defineProperty(this, 'fetch', { value: fetch, enumerable: false })
  }

  /** The key the fake accepts (pass it to your client). */
  get apiKey() {
    return this.#apiKey
  }

  /** The base URL: `http://127.0.0.1:PORT` while listening, else one only `fake.fetch` answers. */
  get url() {
    return this.#url
  }

  /** The webhooks, oldest first, as the API shows them (copies). */
  get webhooks() {
    return JSON.parse(callNative(() => this.#machine.webhooksJson()))
  }

  /** The calls created, oldest first: the API's call object plus the webhook URL it was given (copies). */
  get calls() {
    return JSON.parse(callNative(() => this.#machine.callsJson()))
  }

  /** Every request received, in order (failed and unauthorized ones too). */
  get requests() {
    return callNative(() => this.#machine.requests()).map(
      (r) => new RecordedRequest(r.method, r.path, r.query, r.body ?? null, r.authorized),
    )
  }

  /** The waits (milliseconds) that clients from `fake.client()` asked for; they never really sleep. */
  get sleeps() {
    return [...this.#sleeps]
  }

  /**
   * The delivery history of a webhook, newest first (copies).
   * @param {string} webhookId
   */
  deliveries(webhookId) {
    const text = callNative(() => this.#machine.deliveriesJson(String(webhookId)))
    if (text === null) throw new RangeError(`FakeOneInbox: no webhook ${JSON.stringify(String(webhookId))}`)
    return JSON.parse(text)
  }

  /**
   * Adds a record to a webhook's delivery history (it becomes the newest) and returns it;
   * `fields` set or add members (`event` default `call.ended`, `status` `succeeded`,
   * `response_status` 200).
   * @param {string} webhookId
   * @param {Record<string, unknown>} [fields]
   */
  addDelivery(webhookId, fields) {
    if (fields !== undefined && !isPlainObject(fields))
      throw new TypeError(`addDelivery: fields must be a plain object, got ${describeType(fields)}`)
    const json = /** @type {string} an object's JSON text */ (JSON.stringify(fields ?? {}))
    const result = callNative(() => this.#machine.addDelivery(String(webhookId), json, this.#nowSeconds()))
    if (Array.isArray(result)) throw new UsageError(result)
    if (result === null || result === undefined) throw new RangeError(`FakeOneInbox: no webhook ${JSON.stringify(String(webhookId))}`)
    return JSON.parse(result)
  }

  /**
   * The next `times` requests (whatever their endpoint) are answered with `status`, an error
   * status from 400 to 599, and `body` (default `{"detail": "<reason>"}`; an object is sent as
   * JSON), with a `Retry-After` header when `retryAfter` is given (seconds, or an HTTP date).
   * `processed: true` carries each request out first (the webhook or call then exists), as when
   * a gateway times out after the backend did the work.
   * @param {number} status
   * @param {import('./testing').FailOptions} [options]
   */
  failNext(status, options) {
    const opts = optionsArg(options, 'failNext(status, options)', ['times', 'retryAfter', 'body', 'processed'])
    if (typeof status !== 'number') throw new TypeError(`failNext: status must be a number, got ${describeType(status)}`)
    const times = timesArg(opts.times)
    let raw = null
    if (typeof opts.body === 'string') raw = Buffer.from(opts.body, 'utf8')
    else if (opts.body instanceof Uint8Array) raw = Buffer.from(opts.body)
    else if (opts.body !== undefined && opts.body !== null) raw = Buffer.from(JSON.stringify(opts.body), 'utf8')
    const retryAfter = opts.retryAfter ?? null
    if (retryAfter !== null && typeof retryAfter !== 'number' && typeof retryAfter !== 'string') {
      throw new TypeError(`failNext: options.retryAfter must be seconds or an HTTP date, got ${describeType(retryAfter)}`)
    }
    throwIssues(callNative(() => this.#machine.failNext(status, times, retryAfter, raw, opts.processed === true)))
  }

  /**
   * The next `times` requests get no answer: the connection closes (`fake.fetch` rejects as the
   * global fetch does, `TypeError: fetch failed`). `processed: true` carries each request out
   * first, so the webhook or call exists although the client saw no answer.
   * @param {import('./testing').DisconnectOptions} [options]
   */
  disconnectNext(options) {
    const opts = optionsArg(options, 'disconnectNext(options)', ['times', 'processed'])
    const times = timesArg(opts.times)
    throwIssues(callNative(() => this.#machine.disconnectNext(times, opts.processed === true)))
  }

  /**
   * A `Client` with this fake's key whose requests go to `fake.fetch`; its waits are recorded in
   * `fake.sleeps` instead of slept. `options` go to `Client` (`maxRetries`, `random`, `sleep`...).
   * @param {import('./client').ClientOptions} [options]
   */
  client(options) {
    const opts = options === undefined ? {} : options
    if (!isPlainObject(opts)) throw new TypeError(`client: options must be a plain object, got ${describeType(opts)}`)
    /** @type {(ms: number) => void} */
    const sleep = (ms) => {
      this.#sleeps.push(ms)
    }
    // `fetch` is defined on the instance in the constructor (not an enumerable member).
    const fetch = /** @type {{ fetch: import('./client').FetchLike }} */ (/** @type {unknown} */ (this)).fetch
    return new Client(this.#apiKey, { baseUrl: this.#url, fetch, sleep, ...opts })
  }

  /**
   * Answers one request: `{ method, url, headers, body }` (`url`: a whole URL, or the path and
   * query). `null` means the connection closes without an answer (`disconnectNext`).
   * @param {import('./testing').FakeRequest} request
   * @returns {FakeResponse | null}
   */
  handle(request) {
    if (!isPlainObject(request)) throw new TypeError(`handle: request must be a plain object, got ${describeType(request)}`)
    const method = String(request.method ?? 'GET')
    const given = request.body ?? null
    /** @type {Buffer | null} */
    const body =
      given === null ? null : Buffer.isBuffer(given) ? given : typeof given === 'string' ? Buffer.from(given, 'utf8') : Buffer.from(given)
    const pairs = headerPairs(/** @type {import('./testing').FakeRequest['headers']} */ (request.headers))
    const target = String(request.url ?? '/')
    const answer = callNative(() => this.#machine.handle(method, target, pairs, body, this.#nowSeconds()))
    if (answer === null) return null
    return new FakeResponse(answer.status, Object.fromEntries(answer.headers), Buffer.from(answer.body))
  }

  #nowSeconds() {
    return Math.floor(this.now / 1000)
  }

  /** Listens on 127.0.0.1 (`port` 0: a free one) and resolves to the base URL, `http://127.0.0.1:PORT`. */
  async listen(port = 0, host = '127.0.0.1') {
    if (this.#server !== null) throw new Error(`FakeOneInbox is already listening at ${this.#url}`)
    const { server, url } = await serve((request) => this.handle(request), port, host)
    this.#server = server
    this.#url = url
    return url
  }

  /** Stops listening (and ends kept-alive connections); nothing to do when not listening. */
  async close() {
    const server = this.#server
    if (server === null) return
    this.#server = null
    this.#url = OFFLINE_URL
    await new Promise((resolve) => {
      server.close(() => resolve(undefined))
      server.closeAllConnections?.()
    })
  }

  toJSON() {
    const counts = { webhooks: this.webhooks.length, calls: this.calls.length, requests: this.requests.length }
    return { url: this.#url, ...counts, apiKey: '[redacted]' }
  }

  /**
   * @param {number} depth
   * @param {import('node:util').InspectOptionsStylized} options
   * @param {typeof inspect} inspectFn
   */
  [inspect.custom](depth, options, inspectFn) {
    return `FakeOneInbox ${inspectFn(this.toJSON(), options)}`
  }

  /**
   * The request as the global fetch reads its arguments (`new Request`: no body on GET or HEAD,
   * the signal; a path alone is taken as before, the path decides), answered by `handle`.
   * @param {string | URL | Request} input
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async #fetch(input, init) {
    const request = new Request(typeof input === 'string' ? new URL(input, OFFLINE_URL) : input, init)
    if (request.signal.aborted) throw request.signal.reason
    const body = request.body === null ? null : Buffer.from(await request.arrayBuffer())
    const response = this.handle({ method: request.method, url: request.url, headers: [...request.headers], body })
    // No answer: reject as the global fetch (undici) does when the connection closes.
    if (response === null)
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) })
    const status = response.status
    const noBody = status === 204 || status === 205 || status === 304
    return new Response(noBody ? null : response.body, { status, headers: response.headers })
  }
}

module.exports = { FakeOneInbox, FakeResponse, RecordedRequest }
