// The behaviour every framework adapter of `oneinbox-webhooks` shares (express.js, fastify.js,
// fetch.js), written once and free of any framework: the adapters only move bytes, headers and
// answers between their framework and this file. The main package never loads it.
//
// One delivery, in order:
//   method other than POST                          -> 405 (Allow: POST)
//   Content-Type not application/json or application/*+json -> 415
//   Content-Length, or the bytes read, over the receiver's maxBodyBytes -> 413 (reading stops)
//   Receiver.receive: AuthenticationError           -> 401, no detail
//                     ValidationError               -> 400 {"issues":[{code,path,message}]}
//   store.record (when a store is given): a delivery recorded before -> 204, handlers not run
//   router.dispatch: done within ackTimeoutMs       -> 204
//                    still running after it         -> 202 (it finishes; a late failure is logged)
//                    throws or rejects              -> 500, no detail, logged
// 405, 413, 415, 401, 202, 204 and 500 have no body, as in the Python adapters
// (oneinbox_webhooks/_adapter.py). Log lines name the event and the call id, never the request
// URL (it carries the URL token), a header or a secret.
'use strict'

const { AuthenticationError, ValidationError, UsageError } = require('./oneinbox.js')

const DEFAULT_ACK_TIMEOUT_MS = 5000
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
// setTimeout fires at once for delays above this; longer ack timeouts mean "never answer 202".
const MAX_TIMER_MS = 2 ** 31 - 1
const TIMED_OUT = Symbol('timed out')

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })

const { describeType } = require('./describe.js')

/** An answer: the status, headers (lower-case names) and a body text or `null`. */
function reply(status, headers = {}, body = null) {
  return Object.freeze({ status, headers: Object.freeze({ ...headers }), body })
}

function jsonReply(status, value, headers = {}) {
  return reply(status, { ...JSON_HEADERS, ...headers }, JSON.stringify(value))
}

const METHOD_NOT_ALLOWED = reply(405, { allow: 'POST' })
const UNAUTHORIZED = reply(401)
const SERVER_ERROR = reply(500)
const ACCEPTED = reply(202)
const NO_CONTENT = reply(204)

const UNSUPPORTED_MEDIA_TYPE = reply(415)
const TOO_LARGE = reply(413)

function issuesReply(issues) {
  // The core reports a body over max_body_bytes as the issue `too_large`: that is a 413.
  if (issues.some((i) => i.code === 'too_large')) return TOO_LARGE
  return jsonReply(400, { issues: issues.map((i) => ({ code: i.code, path: i.path, message: i.message })) })
}

/**
 * Whether a Content-Type names JSON: `application/json` or any `application/...+json`, with or
 * without parameters (`; charset=utf-8`), in any case.
 */
function isJsonContentType(value) {
  if (Array.isArray(value)) value = value[0]
  if (typeof value !== 'string') return false
  const essence = value.split(';', 1)[0].trim().toLowerCase()
  if (essence === 'application/json') return true
  const slash = essence.indexOf('/')
  if (slash < 0 || essence.slice(0, slash) !== 'application') return false
  const subtype = essence.slice(slash + 1)
  return subtype.length > '+json'.length && subtype.endsWith('+json') && !/[\s/]/.test(subtype)
}

/** A Content-Length header as a number, or `undefined` when absent or not a plain decimal. */
function contentLength(value) {
  if (Array.isArray(value)) value = value[0]
  if (typeof value !== 'string' || !/^\s*\d+\s*$/.test(value)) return undefined
  return Number(value)
}

// JSON.stringify keeps a log line on one line whatever the call id or event name holds.
function quote(value) {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : '(none)'
}

function checkLogger(logger, where) {
  if (logger === null || (typeof logger !== 'object' && typeof logger !== 'function') || typeof logger.error !== 'function') {
    throw new TypeError(`${where}: logger must have an error(message, error?) method (console does), got ${describeType(logger)}`)
  }
  return logger
}

/**
 * Checks the options every adapter takes and returns the shared core. `known` lists the option
 * names this adapter accepts; another name is a `UsageError` (a misspelt `store` must not turn
 * duplicate detection off silently).
 */
function createCore(options, where, known) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object ({ receiver, router, ... }), got ${describeType(options)}`)
  }
  const unknown = Object.keys(options).filter((k) => !known.includes(k))
  if (unknown.length > 0) {
    throw new UsageError(
      unknown.map((k) => ({
        code: 'unknown_field',
        path: `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `${where} has no option ${JSON.stringify(k.slice(0, 40))}; expected one of ${known.join(', ')}`,
      })),
    )
  }
  const { receiver, router, store } = options
  if (receiver === null || typeof receiver !== 'object' || typeof receiver.receive !== 'function') {
    throw new TypeError(
      `${where}: receiver must be a Receiver (new Receiver({ urlTokens, signingSecrets })), got ${describeType(receiver)}`,
    )
  }
  if (router === null || typeof router !== 'object' || typeof router.dispatch !== 'function') {
    throw new TypeError(`${where}: router must be a Router (new Router().on(...)), got ${describeType(router)}`)
  }
  if (store !== undefined && store !== null && (typeof store !== 'object' || typeof store.record !== 'function')) {
    throw new TypeError(`${where}: store must be a store (MemoryStore, RedisStore: a record(event) method), got ${describeType(store)}`)
  }
  // `null` (or Infinity): wait for the handlers however long they take, never answering 202.
  let ackTimeoutMs = DEFAULT_ACK_TIMEOUT_MS
  if (options.ackTimeoutMs !== undefined) {
    ackTimeoutMs = options.ackTimeoutMs === null ? Infinity : options.ackTimeoutMs
    if (typeof ackTimeoutMs !== 'number' || Number.isNaN(ackTimeoutMs) || ackTimeoutMs < 0) {
      throw new TypeError(
        `${where}: ackTimeoutMs must be a number of milliseconds >= 0 (or null), got ${describeType(ackTimeoutMs)} ${String(ackTimeoutMs)}`,
      )
    }
  }
  const logger = checkLogger(options.logger === undefined ? console : options.logger, where)
  // The receiver's size limit (a receiver-like object without one gets the default).
  const maxBodyBytes = typeof receiver.maxBodyBytes === 'number' ? receiver.maxBodyBytes : DEFAULT_MAX_BODY_BYTES
  return new Core({ receiver, router, store: store ?? undefined, ackTimeoutMs, logger, maxBodyBytes })
}

class Core {
  constructor({ receiver, router, store, ackTimeoutMs, logger, maxBodyBytes }) {
    this.receiver = receiver
    this.router = router
    this.store = store
    this.ackTimeoutMs = ackTimeoutMs
    this.logger = logger
    this.maxBodyBytes = maxBodyBytes
  }

  /**
   * What can be answered before reading the body: 405, 415, or 413 from Content-Length; `null`
   * when the body should be read.
   */
  precheck(method, contentType, length) {
    if (typeof method !== 'string' || method.toUpperCase() !== 'POST') return METHOD_NOT_ALLOWED
    if (!isJsonContentType(contentType)) return UNSUPPORTED_MEDIA_TYPE
    const n = contentLength(length)
    if (n !== undefined && n > this.maxBodyBytes) return TOO_LARGE
    return null
  }

  /** The 413 answer for a body found too long while reading it. */
  tooLarge() {
    return TOO_LARGE
  }

  /** The 500 answer after logging `line` (one line, no secret). */
  serverError(line, error) {
    this.log(line, error)
    return SERVER_ERROR
  }

  log(line, error) {
    try {
      if (error === undefined) this.logger.error(line)
      else this.logger.error(line, error)
    } catch {
      // A failing logger must not turn an answer into a crash.
    }
  }

  /**
   * Authenticates, parses, records and handles one delivery whose whole body has been read;
   * resolves to the answer. Never rejects.
   */
  async handle(body, headers, url) {
    if (body.length > this.maxBodyBytes) return TOO_LARGE
    let event
    try {
      event = this.receiver.receive(body, { headers, url })
    } catch (err) {
      if (err instanceof AuthenticationError) return UNAUTHORIZED
      if (err instanceof ValidationError) return issuesReply(err.issues)
      return this.serverError('oneinbox-webhooks: receiving a delivery failed unexpectedly; answered 500', err)
    }
    const what = `${quote(event.event)} of call ${quote(event.call_id)}`
    if (this.store !== undefined) {
      let recorded
      try {
        recorded = await this.store.record(event)
      } catch (err) {
        return this.serverError(`oneinbox-webhooks: store.record failed for ${what}; answered 500 so that OneInbox retries`, err)
      }
      if (recorded === null || typeof recorded !== 'object' || typeof recorded.new !== 'boolean') {
        return this.serverError(
          `oneinbox-webhooks: store.record returned ${describeType(recorded)}, not { new, record }, for ${what}; answered 500`,
        )
      }
      if (!recorded.new) return NO_CONTENT
    }
    return this.#dispatch(event, what)
  }

  async #dispatch(event, what) {
    const running = (async () => this.router.dispatch(event))()
    if (this.ackTimeoutMs > MAX_TIMER_MS || this.ackTimeoutMs === Infinity) {
      try {
        await running
        return NO_CONTENT
      } catch (err) {
        return this.serverError(`oneinbox-webhooks: a handler of ${what} failed; answered 500`, err)
      }
    }
    let timer
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, this.ackTimeoutMs, TIMED_OUT)
    })
    try {
      const first = await Promise.race([running, timeout])
      if (first !== TIMED_OUT) return NO_CONTENT
    } catch (err) {
      return this.serverError(`oneinbox-webhooks: a handler of ${what} failed; answered 500`, err)
    } finally {
      clearTimeout(timer)
    }
    running.catch((err) => {
      this.log(
        `oneinbox-webhooks: a handler of ${what} failed after the delivery was answered 202 (after ackTimeoutMs ${this.ackTimeoutMs}); OneInbox will not retry it`,
        err,
      )
    })
    return ACCEPTED
  }
}

/**
 * Reads a Node readable stream (an `http.IncomingMessage`) to its end, stopping at `limit`
 * bytes: resolves to the body, or to `null` once it is longer than `limit` (the rest is then
 * discarded as it arrives, never kept). Rejects when the stream fails or closes early.
 */
function readNodeStream(stream, limit) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    let settled = false
    const cleanup = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
    }
    const settle = (fn, value) => {
      if (settled) return
      settled = true
      cleanup()
      fn(value)
    }
    function onData(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      size += bytes.length
      if (size > limit) {
        chunks.length = 0
        settle(resolve, null)
        // Keep the connection usable: the rest is read and dropped, never buffered.
        stream.on('error', () => {})
        stream.resume()
        return
      }
      chunks.push(bytes)
    }
    function onEnd() {
      settle(resolve, Buffer.concat(chunks, size))
    }
    function onError(err) {
      settle(reject, err)
    }
    function onClose() {
      const err = new Error('the request closed before its body was read')
      err.code = 'ECONNRESET'
      settle(reject, err)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

module.exports = {
  createCore,
  readNodeStream,
  isJsonContentType,
  DEFAULT_ACK_TIMEOUT_MS,
}
