// `oneinbox-webhooks/testing` (types in testing.d.ts): test your webhook handler and your
// management code without OneInbox.
//
// - makeEvent, makeCall and makeDelivery make deliveries as OneInbox does. The bodies and the
//   signing come from the core (the native addon), so they are the guide's payloads, valid in
//   strict mode, and accepted by a Receiver with the same secrets. Only the random message id,
//   the fresh call id and the current time are added here (the core has no randomness or clock).
// - FakeOneInbox is the management API in memory, with state and the real shapes and errors. It
//   is the core's state machine (fake.js serves it), so it answers exactly as
//   oneinbox_webhooks.testing.FakeOneInbox does in Python. It plugs into `Client` without a
//   socket (`fake.fetch`) or listens on a loopback port (fake-server.js).
//
// The main package never loads this file.
'use strict'

const crypto = require('node:crypto')
const { inspect } = require('node:util')

const { Secret, redactUrlToken } = require('./oneinbox.js')
const { UsageError } = require('./errors.js')
const native = require('./native.js')
const { describeType, isPlainObject, callNative, valueOrThrow, optionsArg } = require('./internal.js')
const { FakeOneInbox, FakeResponse, RecordedRequest } = require('./fake.js')

/** @typedef {import('./index').NativeIssue} Issue */

const newId = (/** @type {string} */ prefix) => `${prefix}_${crypto.randomBytes(8).toString('hex')}`

// A secret argument: a string or a Secret (optional).
/**
 * @param {unknown} value
 * @param {string} name
 * @returns {string | null}
 */
function secretArg(value, name) {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (value instanceof Secret) return value.reveal()
  throw new TypeError(`makeDelivery: options.${name} must be a string or a Secret, got ${describeType(value)}`)
}

// ---------------------------------------------------------------------------------------------
// Factories

/** The events `makeCall` gives, in order: those of one connected call. */
const CALL_SEQUENCE = Object.freeze(callNative(() => native.callSequence()))

// The JSON text of `overrides`: values that JSON cannot carry exactly (NaN, Infinity,
// undefined, functions, symbols, bigints, class instances) are issues, not silently changed.
/**
 * @param {unknown} overrides
 * @returns {string}
 */
function overridesText(overrides) {
  if (!isPlainObject(overrides)) throw new TypeError(`makeEvent: overrides must be a plain object, got ${describeType(overrides)}`)
  /** @type {Issue[]} */
  const issues = []
  /** @type {[unknown, string, number][]} */
  const stack = [[overrides, '', 0]]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, at, depth] = item
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
    const members = /** @type {Record<string, unknown>} */ (v)
    for (const key of Object.keys(members).reverse()) {
      stack.push([members[key], `${at}/${native.pointerToken(String(key))}`, depth + 1])
    }
  }
  if (issues.length > 0) throw new UsageError(issues)
  return JSON.stringify(overrides)
}

/**
 * The body of one `event` delivery: the guide's payload for it (valid in strict mode), with
 * `overrides` set by wire name (`{ call_id: 'call_1', outcome: null, new_member: 1 }`).
 * `UsageError` for a name that is not one of the seven documented events.
 * @param {string} event
 * @param {Record<string, unknown> | null} [overrides]
 * @returns {Buffer}
 */
function makeEvent(event, overrides) {
  if (typeof event !== 'string') throw new TypeError(`makeEvent: event must be a string, got ${describeType(event)}`)
  const text = overrides === undefined || overrides === null ? null : overridesText(overrides)
  return valueOrThrow(callNative(() => native.makeEvent(event, text)))
}

/**
 * The bodies of one connected call's deliveries (`CALL_SEQUENCE`), all with `callId` (default: a new `call_…` id).
 * @param {string | null} [callId]
 * @returns {Buffer[]}
 */
function makeCall(callId) {
  if (callId === undefined || callId === null) callId = newId('call')
  if (typeof callId !== 'string') throw new TypeError(`makeCall: callId must be a string, got ${describeType(callId)}`)
  const id = callId
  return callNative(() => native.makeCall(id))
}

/**
 * One delivery as OneInbox makes it: POST `body` to `url` with `headers`. `headers` is a plain
 * object (lower-case names: `content-type`, and `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` when signed); `url` carries the URL token, which `util.inspect` hides.
 */
class Delivery {
  /**
   * @param {Buffer} body
   * @param {Readonly<Record<string, string>>} headers
   * @param {string} url
   */
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

  /**
   * @param {number} depth
   * @param {import('node:util').InspectOptionsStylized} options
   * @param {typeof inspect} inspectFn
   */
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
 * @param {Buffer | Uint8Array | string} body
 * @param {import('./testing').DeliveryOptions} options
 * @returns {Delivery}
 */
function makeDelivery(body, options) {
  /** @type {Buffer} */
  let bytes
  if (Buffer.isBuffer(body)) bytes = body
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8')
  else throw new TypeError(`makeDelivery: body must be a Buffer, Uint8Array or string, got ${describeType(body)}`)
  if (options === undefined || options === null) throw new TypeError('makeDelivery: options.url is required')
  const opts = optionsArg(options, 'makeDelivery(body, options)', DELIVERY_OPTIONS)
  const url = opts.url
  if (typeof url !== 'string') throw new TypeError(`makeDelivery: options.url must be a string, got ${describeType(url)}`)
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
  const seconds = timestamp
  const checked = valueOrThrow(callNative(() => native.hostArg('unix_seconds', 'timestamp', seconds)))
  const id = msgId
  const d = valueOrThrow(callNative(() => native.makeDelivery(bytes, url, urlToken, signingSecret, id, checked)))
  return new Delivery(Buffer.from(d.body), Object.freeze(Object.fromEntries(d.headers)), d.url)
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
