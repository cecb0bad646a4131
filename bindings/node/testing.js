// `oneinbox-webhooks/testing` (types in testing.d.ts): test your webhook handler and your
// management code without OneInbox.
//
// - makeEvent, makeCall and makeDelivery make deliveries as OneInbox does. The bodies and the
//   signing come from the core (the native addon), so they are the guide's payloads, valid in
//   strict mode, and accepted by a Receiver with the same secrets. Only the random message id,
//   the fresh call id and the current time are added here (the core has no randomness or clock).
// - FakeOneInbox is the management API in memory, with state and the real shapes and errors. It
//   checks request bodies with the core's own argument rules (the `Api` builders) and answers a
//   bad one with a FastAPI-style 422, as oneinbox_webhooks.testing.FakeOneInbox does in Python.
//   It plugs into `Client` without a socket (`fake.fetch`) or listens on a loopback port.
//
// The main package never loads this file.
'use strict'

const crypto = require('node:crypto')
const http = require('node:http')
const { inspect } = require('node:util')

const oneinbox = require('./oneinbox.js') // first: it explains a missing addon
const native = require('./index.js')

const { Api, Client, OneInboxError, Secret, UsageError, redactUrlToken } = oneinbox

const PANIC_PREFIX = 'oneinbox-webhooks internal error'
const REDACTED = '[redacted]'
const DEFAULT_API_KEY = 'oi_sk_test_fake'
// The base URL of a fake that does not listen: `fake.fetch` answers for it. `.invalid` never
// resolves, so a request sent there by another fetch fails at once instead of leaving the machine.
const OFFLINE_URL = 'http://fake.oneinbox.invalid'

const { describeType } = require('./describe.js')

function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// Calls into the addon: a Rust panic (a bug) becomes a OneInboxError.
function callNative(f) {
  try {
    return f()
  } catch (err) {
    if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(PANIC_PREFIX)) {
      const wrapped = new OneInboxError(err.message, { cause: err })
      wrapped.code = 'ERR_ONEINBOX_INTERNAL'
      throw wrapped
    }
    throw err
  }
}

// A native result that is either the value or the UsageError's issues.
function valueOrThrow(result) {
  if (Array.isArray(result)) throw new UsageError(result)
  return result
}

const newId = (prefix) => `${prefix}_${crypto.randomBytes(8).toString('hex')}`
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

// A secret argument: a string or a Secret (optional).
function secretArg(value, name) {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (value instanceof Secret) return value.reveal()
  throw new TypeError(`makeDelivery: options.${name} must be a string or a Secret, got ${describeType(value)}`)
}

function unknownOptions(options, known, what) {
  const issues = []
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      issues.push({
        code: 'unknown_field',
        path: `/${native.pointerToken(key)}`,
        message: `${what} has no member ${JSON.stringify(key.slice(0, 40))}; expected one of ${known.join(', ')}`,
      })
    }
  }
  if (issues.length > 0) throw new UsageError(issues)
}

function optionsArg(options, what, known) {
  if (options === undefined || options === null) return {}
  if (!isPlainObject(options)) throw new TypeError(`${what} must be a plain object, got ${describeType(options)}`)
  unknownOptions(options, known, what)
  return options
}

// ---------------------------------------------------------------------------------------------
// Factories

/** The events `makeCall` gives, in order: those of one connected call. */
const CALL_SEQUENCE = Object.freeze(callNative(() => native.callSequence()))

// The JSON text of `overrides`: values that JSON cannot carry exactly (NaN, Infinity,
// undefined, functions, symbols, bigints, class instances) are issues, not silently changed.
function overridesText(overrides) {
  if (!isPlainObject(overrides)) throw new TypeError(`makeEvent: overrides must be a plain object, got ${describeType(overrides)}`)
  const issues = []
  const stack = [[overrides, '', 0]]
  while (stack.length > 0) {
    const [v, at, depth] = stack.pop()
    if (v === null || typeof v === 'boolean' || typeof v === 'string') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ code: 'invalid_value', path: at, message: `${v} is not a JSON number` })
      continue
    }
    const isArray = Array.isArray(v)
    if (!isArray && !isPlainObject(v)) {
      issues.push({ code: 'wrong_type', path: at, message: `expected a JSON value (use null to clear a member), found ${describeType(v)}` })
      continue
    }
    if (depth > 64) {
      issues.push({ code: 'too_deep', path: at, message: 'nested deeper than 64 levels (or a cycle)' })
      continue
    }
    // Pushed in reverse, so that the issues come in the object's order.
    for (const key of Object.keys(v).reverse()) {
      stack.push([v[key], `${at}/${native.pointerToken(String(key))}`, depth + 1])
    }
  }
  if (issues.length > 0) throw new UsageError(issues)
  return JSON.stringify(overrides)
}

/**
 * The body of one `event` delivery: the guide's payload for it (valid in strict mode), with
 * `overrides` set by wire name (`{ call_id: 'call_1', outcome: null, new_member: 1 }`).
 * `UsageError` for a name that is not one of the seven documented events.
 */
function makeEvent(event, overrides) {
  if (typeof event !== 'string') throw new TypeError(`makeEvent: event must be a string, got ${describeType(event)}`)
  const text = overrides === undefined || overrides === null ? null : overridesText(overrides)
  return valueOrThrow(callNative(() => native.makeEvent(event, text)))
}

/** The bodies of one connected call's deliveries (`CALL_SEQUENCE`), all with `callId` (default: a new `call_…` id). */
function makeCall(callId) {
  if (callId === undefined || callId === null) callId = newId('call')
  if (typeof callId !== 'string') throw new TypeError(`makeCall: callId must be a string, got ${describeType(callId)}`)
  return callNative(() => native.makeCall(callId))
}

/**
 * One delivery as OneInbox makes it: POST `body` to `url` with `headers`. `headers` is a plain
 * object (lower-case names: `content-type`, and `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` when signed); `url` carries the URL token, which `util.inspect` hides.
 */
class Delivery {
  constructor(body, headers, url) {
    this.body = body
    this.headers = headers
    this.url = url
    Object.freeze(this)
  }

  /** The body's `event` name, or `null`. */
  get event() {
    try {
      const e = JSON.parse(this.body.toString('utf8'))?.event
      return typeof e === 'string' ? e : null
    } catch {
      return null
    }
  }

  toJSON() {
    return { url: redactUrlToken(this.url), headers: this.headers, body: `<${this.body.length} bytes>` }
  }

  [inspect.custom](depth, options, inspectFn) {
    return `Delivery ${inspectFn(this.toJSON(), options)}`
  }
}

const DELIVERY_OPTIONS = ['url', 'urlToken', 'signingSecret', 'msgId', 'timestamp']

/**
 * The delivery of `body` to `url` that `new Receiver({ urlTokens: [urlToken], signingSecrets:
 * [signingSecret] })` accepts: the token added to the URL, the body signed (Standard Webhooks)
 * when a signing secret is given. `msgId` defaults to a new `msg_…` id, `timestamp` (Unix
 * seconds or a Date) to now.
 */
function makeDelivery(body, options) {
  let bytes
  if (Buffer.isBuffer(body)) bytes = body
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8')
  else throw new TypeError(`makeDelivery: body must be a Buffer, Uint8Array or string, got ${describeType(body)}`)
  if (options === undefined || options === null) throw new TypeError('makeDelivery: options.url is required')
  const opts = optionsArg(options, 'makeDelivery(body, options)', DELIVERY_OPTIONS)
  if (typeof opts.url !== 'string') throw new TypeError(`makeDelivery: options.url must be a string, got ${describeType(opts.url)}`)
  const urlToken = secretArg(opts.urlToken, 'urlToken')
  const signingSecret = secretArg(opts.signingSecret, 'signingSecret')
  let msgId = opts.msgId
  if (msgId === undefined || msgId === null) msgId = newId('msg')
  if (typeof msgId !== 'string') throw new TypeError(`makeDelivery: options.msgId must be a string, got ${describeType(msgId)}`)
  let timestamp = opts.timestamp
  if (timestamp === undefined || timestamp === null) timestamp = Math.floor(Date.now() / 1000)
  if (timestamp instanceof Date) timestamp = Math.floor(timestamp.getTime() / 1000)
  if (typeof timestamp !== 'number') {
    throw new TypeError(`makeDelivery: options.timestamp must be Unix seconds (a number) or a Date, got ${describeType(timestamp)}`)
  }
  timestamp = valueOrThrow(callNative(() => native.hostArg('unix_seconds', 'timestamp', timestamp)))
  const d = valueOrThrow(callNative(() => native.makeDelivery(bytes, opts.url, urlToken, signingSecret, msgId, timestamp)))
  return new Delivery(Buffer.from(d.body), Object.freeze(Object.fromEntries(d.headers)), d.url)
}

// ---------------------------------------------------------------------------------------------
// The fake management API

const REASONS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

// A fixed key for the builder that checks request bodies (it never sends anything).
const VALIDATOR = new Api('oi_sk_fake_validator')

// The fields of the request bodies, in FastAPI's (model) order: [name, kind, required].
const CREATE_WEBHOOK = [
  ['name', 'str', true],
  ['url', 'str', true],
  ['events', 'list', true],
]
const UPDATE_WEBHOOK = [
  ['name', 'str', false],
  ['url', 'str', false],
  ['events', 'list', false],
  ['status', 'str', false],
]
const CREATE_CALL = [
  ['agent_id', 'str', true],
  ['to_number', 'str', true],
  ['from_number', 'str', true],
  ['scheduled_at', 'str', false],
  ['variables', 'dict', false],
  ['webhook_url', 'str', false],
  ['overrides', 'dict', false],
  ['metadata', 'dict', false],
]
const CALL_BUILDER_ARGS = ['agent_id', 'to_number', 'from_number', 'webhook_url', 'variables', 'metadata']
// Valid stand-ins for arguments that are missing or of the wrong type, so that the builder
// still checks the others.
const PLACEHOLDERS = {
  name: 'placeholder',
  url: 'https://example.com/placeholder',
  events: ['call.ended'],
  agent_id: 'agt_placeholder',
  to_number: '+15550000000',
  from_number: '+15550000001',
}
const TYPE_ERRORS = {
  str: ['string_type', 'Input should be a valid string'],
  list: ['list_type', 'Input should be a valid list'],
  dict: ['dict_type', 'Input should be a valid dictionary'],
}
const KIND_CHECKS = { str: (v) => typeof v === 'string', list: Array.isArray, dict: isPlainObject }
// The FastAPI `type` of a core issue code (any other code is a `value_error`).
const ISSUE_TYPES = { missing_field: 'missing', unknown_field: 'extra_forbidden', wrong_type: 'string_type' }

function item(loc, type, msg, input) {
  const out = { type, loc, msg }
  if (input !== undefined && input !== null) out.input = input
  return out
}

// A FastAPI `loc` for a JSON Pointer into the arguments: [where, ...tokens], list indexes as
// numbers (mapped back to the body's own indexes where elements were left out).
function locOf(where, pointer, data, indexMaps) {
  const loc = [where]
  let current = data
  for (const raw of pointer === '' ? [] : pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(current) && /^\d+$/.test(token)) {
      let index = Number(token)
      const mapped = loc.length === 2 ? indexMaps[loc[1]] : undefined
      if (mapped !== undefined && index < mapped.length) index = mapped[index]
      loc.push(index)
      current = current[index]
    } else {
      loc.push(token)
      current = isPlainObject(current) && Object.hasOwn(current, token) ? current[token] : undefined
    }
  }
  return loc
}

const indexed = (loc) => loc.length > 2 && typeof loc[2] === 'number'

// The arguments in `data` and the FastAPI `detail` items for what is wrong with them: shapes
// checked here (missing, extra, JSON types), values by `build`, which calls a builder of the
// core's `Api` and so applies exactly its rules.
function checkBody(data, spec, build) {
  if (!isPlainObject(data)) {
    return [{}, [item(['body'], 'model_attributes_type', 'Input should be a valid dictionary or object to extract fields from', data)]]
  }
  const shape = {}
  const args = {}
  const standIns = new Set()
  const indexMaps = {}
  const standIn = (name) => {
    args[name] = PLACEHOLDERS[name]
    standIns.add(name)
  }
  for (const [name, kind, required] of spec) {
    const items = (shape[name] = [])
    const present = Object.hasOwn(data, name)
    let value = present ? data[name] : undefined
    if ((value === undefined || value === null) && !(required && present)) {
      if (required) {
        items.push(item(['body', name], 'missing', 'Field required', data))
        standIn(name)
      }
      continue
    }
    if (!KIND_CHECKS[kind](value)) {
      items.push(item(['body', name], ...TYPE_ERRORS[kind], value))
      if (required) standIn(name)
      continue
    }
    if (kind === 'list') {
      const kept = []
      value.forEach((v, i) => {
        if (typeof v === 'string') kept.push(i)
        else items.push(item(['body', name, i], ...TYPE_ERRORS.str, v))
      })
      if (kept.length < value.length) {
        indexMaps[name] = kept
        if (kept.length === 0) {
          if (required) standIn(name)
          continue
        }
      }
      value = kept.map((i) => value[i])
    }
    args[name] = value
  }
  const known = new Set(spec.map(([name]) => name))
  const extra = Object.keys(data)
    .filter((name) => !known.has(name))
    .map((name) => item(['body', name], 'extra_forbidden', 'Extra inputs are not permitted', data[name]))
  const values = {}
  const whole = []
  try {
    build(args)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    for (const issue of err.issues) {
      const top = issue.path === '' ? '' : issue.path.split('/')[1].replace(/~1/g, '/').replace(/~0/g, '~')
      if (standIns.has(top)) continue
      const type = ISSUE_TYPES[issue.code] ?? 'value_error'
      const msg = type === 'value_error' ? `Value error, ${issue.message}` : issue.message
      const it = item(locOf('body', issue.path, data, indexMaps), type, msg)
      if (top === '') whole.push(it)
      else (values[top] ??= []).push(it)
    }
  }
  const details = [...whole]
  for (const [name] of spec) {
    // By field, then by list index (the body's order); the sort is stable.
    const fieldItems = [...(shape[name] ?? []), ...(values[name] ?? [])]
    fieldItems.sort((a, b) => (indexed(a.loc) ? a.loc[2] : -1) - (indexed(b.loc) ? b.loc[2] : -1))
    details.push(...fieldItems)
  }
  const kept = {}
  for (const [k, v] of Object.entries(args)) if (!standIns.has(k)) kept[k] = v
  return [kept, [...details, ...extra]]
}

/** An answer of the fake: status, headers (lower-case names) and body. */
class FakeResponse {
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

function jsonResponse(status, payload, headers = {}) {
  return new FakeResponse(status, { 'content-type': 'application/json', ...headers }, Buffer.from(JSON.stringify(payload), 'utf8'))
}

const detail = (status, message) => jsonResponse(status, { detail: message })
const invalid = (details) => jsonResponse(422, { detail: details })

// Compares the Authorization header with the expected one in constant time.
function sameKey(auth, expected) {
  const a = Buffer.from(auth, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

// [name, value] pairs from a plain object, a Headers instance (or Map) or pairs.
function headerPairs(headers) {
  if (headers === undefined || headers === null) return []
  if (Array.isArray(headers)) return headers.map(([n, v]) => [String(n), String(v)])
  if (typeof headers[Symbol.iterator] === 'function') return Array.from(headers, ([n, v]) => [String(n), String(v)])
  const pairs = []
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)])
    else if (value !== undefined) pairs.push([name, String(value)])
  }
  return pairs
}

async function bodyBytes(body) {
  if (body === undefined || body === null) return null
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8')
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Buffer.from(await body.arrayBuffer())
  // A ReadableStream or another body: let Response read it.
  return Buffer.from(await new Response(body).arrayBuffer())
}

// The error the global fetch (undici) rejects with when the connection closes without an answer.
function connectionClosed() {
  const cause = new Error('other side closed')
  cause.code = 'UND_ERR_SOCKET'
  return new TypeError('fetch failed', { cause })
}

/**
 * An in-memory OneInbox management API for tests, with the real request and response shapes
 * and errors. Reach it without a socket through `fake.fetch` (or `fake.client()`, or
 * `fake.handle()`), or over HTTP with `await fake.listen(0)`.
 */
class FakeOneInbox {
  #apiKey
  #webhooks = new Map()
  #deliveries = new Map()
  #calls = []
  #requests = []
  #faults = []
  #sleeps = []
  #server = null
  #url = OFFLINE_URL

  constructor(options) {
    const opts = optionsArg(options, 'new FakeOneInbox(options)', ['apiKey'])
    const apiKey = opts.apiKey ?? DEFAULT_API_KEY
    if (typeof apiKey !== 'string' || apiKey === '')
      throw new TypeError(`new FakeOneInbox: options.apiKey must be a non-empty string, got ${describeType(apiKey)}`)
    this.#apiKey = apiKey
    /**
     * A fetch-compatible function answering from this fake, without a socket (any host; the
     * path decides): `new Client(fake.apiKey, { baseUrl: fake.url, fetch: fake.fetch })`.
     */
    Object.defineProperty(this, 'fetch', { value: (input, init) => this.#fetch(input, init), enumerable: false })
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
    return structuredClone([...this.#webhooks.values()])
  }

  /** The calls created, oldest first: the API's call object plus `webhook_url` (copies). */
  get calls() {
    return structuredClone(this.#calls)
  }

  /** Every request received, in order (failed and unauthorized ones too). */
  get requests() {
    return [...this.#requests]
  }

  /** The waits (milliseconds) that clients from `fake.client()` asked for; they never really sleep. */
  get sleeps() {
    return [...this.#sleeps]
  }

  /** The delivery history of a webhook, newest first (copies). */
  deliveries(webhookId) {
    const history = this.#deliveries.get(webhookId)
    if (history === undefined) throw new RangeError(`FakeOneInbox: no webhook ${JSON.stringify(String(webhookId))}`)
    return structuredClone(history)
  }

  /**
   * Adds a record to a webhook's delivery history (it becomes the newest) and returns it;
   * `fields` set or add members (`event` default `call.ended`, `status` `succeeded`,
   * `response_status` 200).
   */
  addDelivery(webhookId, fields) {
    const history = this.#deliveries.get(webhookId)
    if (history === undefined) throw new RangeError(`FakeOneInbox: no webhook ${JSON.stringify(String(webhookId))}`)
    if (fields !== undefined && !isPlainObject(fields))
      throw new TypeError(`addDelivery: fields must be a plain object, got ${describeType(fields)}`)
    const record = { ...newDelivery(webhookId, 'call.ended'), ...fields }
    history.unshift(record)
    return structuredClone(record)
  }

  /**
   * The next `times` requests (whatever their endpoint) are answered with `status` and `body`
   * (default `{"detail": "<reason>"}`; an object is sent as JSON), with a `Retry-After` header
   * when `retryAfter` is given (seconds, or an HTTP date). `processed: true` carries each
   * request out first (the webhook or call then exists), as when a gateway times out after the
   * backend did the work.
   */
  failNext(status, options) {
    const opts = optionsArg(options, 'failNext(status, options)', ['times', 'retryAfter', 'body', 'processed'])
    if (typeof status !== 'number') throw new TypeError(`failNext: status must be a number, got ${describeType(status)}`)
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new UsageError([
        { code: 'invalid_value', path: '/status', message: `\`status\` must be an HTTP status from 200 to 599, found ${status}` },
      ])
    }
    const times = timesArg(opts.times)
    let raw
    if (opts.body === undefined || opts.body === null) raw = Buffer.from(JSON.stringify({ detail: REASONS[status] ?? 'Error' }), 'utf8')
    else if (typeof opts.body === 'string') raw = Buffer.from(opts.body, 'utf8')
    else if (opts.body instanceof Uint8Array) raw = Buffer.from(opts.body)
    else raw = Buffer.from(JSON.stringify(opts.body), 'utf8')
    const headers = { 'content-type': 'application/json' }
    if (opts.retryAfter !== undefined && opts.retryAfter !== null) {
      if (typeof opts.retryAfter !== 'number' && typeof opts.retryAfter !== 'string') {
        throw new TypeError(`failNext: options.retryAfter must be seconds or an HTTP date, got ${describeType(opts.retryAfter)}`)
      }
      headers['retry-after'] = String(opts.retryAfter)
    }
    const fault = { response: new FakeResponse(status, headers, raw), processed: opts.processed === true }
    for (let i = 0; i < times; i++) this.#faults.push(fault)
  }

  /**
   * The next `times` requests get no answer: the connection closes (`fake.fetch` rejects as the
   * global fetch does, `TypeError: fetch failed`). `processed: true` carries each request out
   * first, so the webhook or call exists although the client saw no answer.
   */
  disconnectNext(options) {
    const opts = optionsArg(options, 'disconnectNext(options)', ['times', 'processed'])
    const times = timesArg(opts.times)
    const fault = { response: null, processed: opts.processed === true }
    for (let i = 0; i < times; i++) this.#faults.push(fault)
  }

  /**
   * A `Client` with this fake's key whose requests go to `fake.fetch`; its waits are recorded in
   * `fake.sleeps` instead of slept. `options` go to `Client` (`maxRetries`, `random`, `sleep`...).
   */
  client(options) {
    const opts = options === undefined ? {} : options
    if (!isPlainObject(opts)) throw new TypeError(`client: options must be a plain object, got ${describeType(opts)}`)
    return new Client(this.#apiKey, {
      baseUrl: this.#url,
      fetch: this.fetch,
      sleep: (ms) => {
        this.#sleeps.push(ms)
      },
      ...opts,
    })
  }

  /**
   * Answers one request: `{ method, url, headers, body }` (`url`: a whole URL, or the path and
   * query). `null` means the connection closes without an answer (`disconnectNext`).
   */
  handle(request) {
    if (!isPlainObject(request)) throw new TypeError(`handle: request must be a plain object, got ${describeType(request)}`)
    const method = String(request.method ?? 'GET').toUpperCase()
    const target = new URL(String(request.url ?? '/'), 'http://fake.invalid')
    const pairs = headerPairs(request.headers)
    const auth = pairs.find(([n]) => n.toLowerCase() === 'authorization')?.[1]
    const authorized = auth !== undefined && sameKey(auth, `Bearer ${this.#apiKey}`)
    let body = request.body ?? null
    if (body !== null) body = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
    if (body !== null && body.length === 0) body = null
    const query = target.search.replace(/^\?/, '')
    this.#requests.push(new RecordedRequest(method, target.pathname, query, body, authorized))
    const fault = this.#faults.shift()
    if (fault !== undefined && !fault.processed) return fault.response
    const response = this.#route(method, target.pathname, query, auth, body)
    return fault === undefined ? response : fault.response
  }

  /** Listens on 127.0.0.1 (`port` 0: a free one) and resolves to the base URL, `http://127.0.0.1:PORT`. */
  async listen(port = 0, host = '127.0.0.1') {
    if (this.#server !== null) throw new Error(`FakeOneInbox is already listening at ${this.#url}`)
    const server = http.createServer((req, res) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        let response
        try {
          response = this.handle({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) })
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ detail: `FakeOneInbox: ${err?.message ?? err}` }))
          return
        }
        if (response === null) {
          req.socket.destroy() // no answer: the client sees the connection close
          return
        }
        res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) })
        res.end(response.body)
      })
    })
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    this.#server = server
    this.#url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
    return this.#url
  }

  /** Stops listening (and ends kept-alive connections); nothing to do when not listening. */
  async close() {
    const server = this.#server
    if (server === null) return
    this.#server = null
    this.#url = OFFLINE_URL
    await new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections?.()
    })
  }

  toJSON() {
    return {
      url: this.#url,
      webhooks: this.#webhooks.size,
      calls: this.#calls.length,
      requests: this.#requests.length,
      apiKey: REDACTED,
    }
  }

  [inspect.custom](depth, options, inspectFn) {
    return `FakeOneInbox ${inspectFn(this.toJSON(), options)}`
  }

  async #fetch(input, init) {
    let url
    let method
    let headers
    let body
    let signal = init?.signal
    if (typeof Request !== 'undefined' && input instanceof Request) {
      url = input.url
      method = init?.method ?? input.method
      headers = init?.headers ?? input.headers
      body =
        init?.body !== undefined
          ? await bodyBytes(init.body)
          : method === 'GET' || method === 'HEAD'
            ? null
            : Buffer.from(await input.arrayBuffer())
      signal ??= input.signal
    } else {
      url = input instanceof URL ? input.href : String(input)
      method = init?.method ?? 'GET'
      headers = init?.headers
      body = await bodyBytes(init?.body)
    }
    if (signal?.aborted) throw signal.reason
    const response = this.handle({ method, url, headers: headerPairs(headers), body })
    if (response === null) throw connectionClosed()
    const status = response.status
    const noBody = status === 204 || status === 205 || status === 304
    return new Response(noBody ? null : response.body, { status, headers: response.headers })
  }

  #route(method, path, query, auth, body) {
    let parts
    try {
      parts = path.split('/').slice(1).map(decodeURIComponent)
    } catch {
      return detail(404, 'Not Found')
    }
    if (parts[0] !== 'v1' || parts.length < 2) return detail(404, 'Not Found')
    const rest = parts.slice(1)
    let routes
    if (rest.length === 1 && rest[0] === 'webhooks') {
      routes = { GET: () => this.#listWebhooks(), POST: () => this.#createWebhook(body) }
    } else if (rest.length === 2 && rest[0] === 'webhooks') {
      const id = rest[1]
      routes = { GET: () => this.#getWebhook(id), PATCH: () => this.#updateWebhook(id, body), DELETE: () => this.#deleteWebhook(id) }
    } else if (rest.length === 3 && rest[0] === 'webhooks' && rest[2] === 'test') {
      routes = { POST: () => this.#testWebhook(rest[1]) }
    } else if (rest.length === 3 && rest[0] === 'webhooks' && rest[2] === 'deliveries') {
      routes = { GET: () => this.#listDeliveries(rest[1], query) }
    } else if (rest.length === 1 && rest[0] === 'calls') {
      routes = { POST: () => this.#createCall(body) }
    } else {
      return detail(404, 'Not Found')
    }
    if (!Object.hasOwn(routes, method)) return detail(405, 'Method Not Allowed')
    if (auth === undefined || !auth.toLowerCase().startsWith('bearer ')) {
      return jsonResponse(401, { detail: 'Not authenticated' }, { 'www-authenticate': 'Bearer' })
    }
    if (!sameKey(auth, `Bearer ${this.#apiKey}`)) {
      return jsonResponse(401, { detail: 'Invalid API key' }, { 'www-authenticate': 'Bearer' })
    }
    return routes[method]()
  }

  static #json(body) {
    if (body === null) return [undefined, invalid([item(['body'], 'missing', 'Field required')])]
    try {
      return [JSON.parse(body.toString('utf8')), null]
    } catch (err) {
      const it = item(['body', 0], 'json_invalid', 'JSON decode error')
      it.ctx = { error: err.message }
      return [undefined, invalid([it])]
    }
  }

  #createWebhook(body) {
    const [data, error] = FakeOneInbox.#json(body)
    if (error !== null) return error
    const [args, details] = checkBody(data, CREATE_WEBHOOK, (a) => VALIDATOR.createWebhook(a))
    if (details.length > 0) return invalid(details)
    const now = nowIso()
    const hook = {
      id: newId('wh'),
      name: args.name,
      url: args.url,
      events: [...args.events],
      secret: `whsec_${crypto.randomBytes(24).toString('base64')}`,
      status: 'active',
      created_at: now,
      updated_at: now,
    }
    this.#webhooks.set(hook.id, hook)
    this.#deliveries.set(hook.id, [])
    return jsonResponse(201, hook)
  }

  #listWebhooks() {
    const items = [...this.#webhooks.values()]
    return jsonResponse(200, { items, total: items.length, limit: Math.max(50, items.length), offset: 0 })
  }

  #getWebhook(id) {
    const hook = this.#webhooks.get(id)
    return hook === undefined ? detail(404, 'Webhook not found') : jsonResponse(200, hook)
  }

  #updateWebhook(id, body) {
    const [data, error] = FakeOneInbox.#json(body)
    if (error !== null) return error
    const [args, details] = checkBody(data, UPDATE_WEBHOOK, (a) => VALIDATOR.updateWebhook('wh_check', a))
    if (details.length > 0) return invalid(details)
    const hook = this.#webhooks.get(id)
    if (hook === undefined) return detail(404, 'Webhook not found')
    Object.assign(hook, args, { updated_at: nowIso() })
    return jsonResponse(200, hook)
  }

  #deleteWebhook(id) {
    if (!this.#webhooks.delete(id)) return detail(404, 'Webhook not found')
    this.#deliveries.delete(id)
    return new FakeResponse(204)
  }

  #testWebhook(id) {
    const hook = this.#webhooks.get(id)
    if (hook === undefined) return detail(404, 'Webhook not found')
    this.#deliveries.get(id).unshift(newDelivery(id, hook.events?.[0] ?? 'call.started'))
    return jsonResponse(200, { ok: true })
  }

  #listDeliveries(id, query) {
    const params = new Map(new URLSearchParams(query)) // the last value of a repeated name
    const numbers = { limit: undefined, offset: undefined }
    let details = []
    for (const name of Object.keys(numbers)) {
      if (!params.has(name)) continue
      const text = params.get(name).trim()
      if (/^[+-]?\d+$/.test(text)) numbers[name] = Number(text)
      else {
        details.push(
          item(['query', name], 'int_parsing', 'Input should be a valid integer, unable to parse string as an integer', params.get(name)),
        )
      }
    }
    if (details.length === 0) {
      try {
        VALIDATOR.listDeliveries('wh_check', numbers)
      } catch (err) {
        if (!(err instanceof UsageError)) throw err
        details = err.issues.map((i) => item(['query', ...i.path.split('/').slice(1)], 'value_error', `Value error, ${i.message}`))
      }
    }
    if (details.length > 0) return invalid(details)
    const history = this.#deliveries.get(id)
    if (history === undefined) return detail(404, 'Webhook not found')
    const limit = numbers.limit ?? 50
    const offset = numbers.offset ?? 0
    return jsonResponse(200, { items: history.slice(offset, offset + limit), total: history.length, limit, offset })
  }

  #createCall(body) {
    const [data, error] = FakeOneInbox.#json(body)
    if (error !== null) return error
    const build = (a) => {
      const known = {}
      for (const k of CALL_BUILDER_ARGS) if (Object.hasOwn(a, k)) known[k] = a[k]
      return VALIDATOR.createCall(known)
    }
    const [args, details] = checkBody(data, CREATE_CALL, build)
    if (details.length > 0) return invalid(details)
    const now = nowIso()
    const call = {
      id: newId('call'),
      agent_id: args.agent_id,
      type: 'outbound',
      status: 'queued',
      direction: 'outbound',
      from_number: args.from_number,
      to_number: args.to_number,
      room_name: null,
      scheduled_at: args.scheduled_at ?? null,
      variables: args.variables ?? {},
      started_at: null,
      ended_at: null,
      duration_seconds: null,
      end_reason: null,
      transcript: null,
      messages: [],
      recording_url: null,
      analysis: {},
      latency: {},
      cost_cents: null,
      metadata: args.metadata ?? {},
      created_at: now,
      updated_at: now,
      twilio_call_sid: null,
      outcome: null,
      ai_summary: null,
      credits_used: 0,
    }
    this.#calls.push({ ...structuredClone(call), webhook_url: args.webhook_url ?? null })
    return jsonResponse(201, call)
  }
}

function newDelivery(webhookId, event) {
  const now = nowIso()
  return {
    id: newId('dlv'),
    webhook_id: webhookId,
    event,
    status: 'succeeded',
    attempt: 1,
    response_status: 200,
    response_body: '',
    error: null,
    next_retry_at: null,
    completed_at: now,
    created_at: now,
  }
}

function timesArg(times) {
  if (times === undefined) return 1
  if (typeof times !== 'number') throw new TypeError(`options.times must be a number, got ${describeType(times)}`)
  if (!Number.isInteger(times) || times < 1) {
    throw new UsageError([
      { code: 'invalid_value', path: '/times', message: `\`times\` must be a whole number of 1 or more, found ${times}` },
    ])
  }
  return times
}

module.exports = {
  CALL_SEQUENCE,
  makeEvent,
  makeCall,
  makeDelivery,
  Delivery,
  FakeOneInbox,
  FakeResponse,
  RecordedRequest,
}
