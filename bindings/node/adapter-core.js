// The behaviour every framework adapter of `oneinbox-webhooks` shares (express.js, fastify.js,
// fetch.js), free of any framework: the adapters only move bytes, headers and answers between
// their framework and this file, and this file does the I/O between the steps of the core's
// answer table (crates/oneinbox-webhooks/src/answer.rs, held by tests/fixtures/answers/), which
// it asks through the addon at each step:
//
//   before the body: method other than POST -> 405 (Allow: POST); Content-Type not
//     application/json or application/<name>+json -> 415; Content-Length over the receiver's
//     maxBodyBytes -> 413 (connection closed)
//   reading: past maxBodyBytes -> 413 (reading stops); the stream failed -> 400; read by
//     another middleware first -> 500, logged with the fix
//   Receiver.receive: AuthenticationError -> 401; ValidationError -> 400
//     {"issues":[{code,path,message}]} (or 413 for too_large); anything else -> 500, logged
//   with a store that has an inbox (arrive/finish, e.g. MemoryStore), at least once:
//     store.arrive -> the core's answer to its verdict (answerAfterClaim): completed before ->
//     204; another worker runs it -> 409 with Retry-After; a dead letter -> 204, logged; run ->
//     the handlers, then store.finish with how they ended (a failure makes it due again:
//     OneInbox's retry or the worker runs it). arrive fails -> 500; finish fails -> logged (the
//     lease runs out and the delivery is due), and the answer 500
//   with `atMostOnce: true`, or a store with only `record`: recorded before -> 204, handlers not
//     run; fails -> 500
//   router.dispatch: done within ackTimeoutMs -> 204; throws or rejects -> 500, logged; still
//     running after it -> 202 (it finishes; a late failure is logged, and with an inbox the
//     delivery is due again)
//
// Only the 400 has a body, as in the Python adapters (oneinbox_webhooks/_adapter.py). Each
// answer says what to log and at which level: `error` lines go to the logger's error method,
// `info` and `debug` ones to its method of that name if it has one. They name the event and
// the call id, never the request URL (it carries the URL token), a header or a secret.
'use strict'

const { AuthenticationError, ValidationError } = require('./errors.js')
const native = require('./native.js')
const { describeType, optionsArg } = require('./internal.js')
const { errorText, runAs } = require('./inbox.js')

const DEFAULT_ACK_TIMEOUT_MS = 5000
// setTimeout fires at once for delays above this; longer ack timeouts mean "never answer 202".
const MAX_TIMER_MS = 2 ** 31 - 1
const TIMED_OUT = Symbol('timed out')

// Without a logger option only error lines are written (to stderr), as Python's logging does
// by default.
const DEFAULT_LOGGER = Object.freeze({
  error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
})

/**
 * An answer of the addon as the adapters send it: the status, `[name, value]` header pairs, the
 * body (a Buffer, or `null`) and whether to close the connection (the body was not read).
 */
function reply(answer) {
  return Object.freeze({
    status: answer.status,
    headers: Object.freeze(answer.headers.map(([name, value]) => Object.freeze([name, value]))),
    body: answer.body ?? null,
    closeConnection: answer.closeConnection,
  })
}

/** The first value of a header (Node gives repeated ones as an array), or `null`. */
function first(value) {
  if (Array.isArray(value)) value = value[0]
  return typeof value === 'string' ? value : null
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
  optionsArg(options, where, known, { noun: 'option' })
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
  const logger = checkLogger(options.logger === undefined ? DEFAULT_LOGGER : options.logger, where)
  // The receiver's size limit (a receiver-like object without one gets the default).
  const maxBodyBytes = typeof receiver.maxBodyBytes === 'number' ? receiver.maxBodyBytes : native.DEFAULT_MAX_BODY_BYTES
  const atMostOnce = options.atMostOnce ?? false
  if (typeof atMostOnce !== 'boolean') throw new TypeError(`${where}: atMostOnce must be a boolean, got ${describeType(atMostOnce)}`)
  // At least once over the store's inbox, unless asked otherwise or the store has none.
  const inbox =
    store !== undefined && store !== null && !atMostOnce && typeof store.arrive === 'function' && typeof store.finish === 'function'
  return new Core({ receiver, router, store: store ?? undefined, inbox, ackTimeoutMs, logger, maxBodyBytes })
}

class Core {
  constructor({ receiver, router, store, inbox, ackTimeoutMs, logger, maxBodyBytes }) {
    this.receiver = receiver
    this.router = router
    this.store = store
    this.inbox = inbox
    this.ackTimeoutMs = ackTimeoutMs
    this.logger = logger
    this.maxBodyBytes = maxBodyBytes
  }

  /**
   * What can be answered before reading the body: 405, 415, or 413 from Content-Length; `null`
   * when the body should be read (up to `maxBodyBytes`).
   */
  precheck(method, contentType, length) {
    const answer = native.answerBeforeBody(first(method), first(contentType), first(length), this.maxBodyBytes)
    return answer === null ? null : this.#told(answer)
  }

  /** The 413 answer for a body found too long while reading it (reading stopped). */
  tooLarge() {
    return this.#told(native.answerAfterRead('over_limit', this.maxBodyBytes))
  }

  /** The answer for a body stream that failed or closed early (the client went away). */
  readFailed() {
    return this.#told(native.answerAfterRead('failed', this.maxBodyBytes))
  }

  /** The 500 answer for a body something else read first; the log line names the `fix`. */
  alreadyRead(fix) {
    return this.#told(native.answerAfterRead('already_read', this.maxBodyBytes, undefined, fix))
  }

  /** The 500 answer for an unexpected failure of the adapter itself, logged with `error`. */
  unexpected(error) {
    return this.#told(native.answerAfterReceive('failed'), error)
  }

  #told(answer, error) {
    this.#log(answer.logLevel, answer.logLine, error)
    return reply(answer)
  }

  #log(level, line, error) {
    const write = level === 'none' ? undefined : this.logger[level]
    if (typeof write !== 'function') return
    try {
      if (error === undefined) write.call(this.logger, line)
      else write.call(this.logger, line, error)
    } catch {
      // A failing logger must not turn an answer into a crash.
    }
  }

  /**
   * Authenticates, parses, records and handles one delivery whose whole body has been read;
   * resolves to the answer. Never rejects.
   */
  async handle(body, headers, url) {
    const tooLong = native.answerAfterRead('body', this.maxBodyBytes, body.length)
    if (tooLong !== null) return this.#told(tooLong)
    let event
    try {
      event = this.receiver.receive(body, { headers, url })
    } catch (err) {
      if (err instanceof AuthenticationError) return this.#told(native.answerAfterReceive('unauthenticated', err.verification.code))
      if (err instanceof ValidationError) return this.#told(native.answerAfterReceive('invalid', undefined, err.issues))
      return this.#told(native.answerAfterReceive('failed'), err)
    }
    const label = [String(event.event), String(event.call_id)]
    if (this.inbox) {
      let arrival
      try {
        arrival = await this.store.arrive(event, body)
        if (arrival === null || typeof arrival !== 'object' || typeof arrival.verdict !== 'string') {
          throw new TypeError(`store.arrive returned ${describeType(arrival)}, not { verdict, delivery, ... }`)
        }
        if (arrival.verdict === 'run' && (arrival.delivery === null || typeof arrival.delivery !== 'object')) {
          throw new TypeError('store.arrive answered run without the delivery to run')
        }
      } catch (err) {
        return this.#told(native.answerAfterStore(...label, 'failed'), err)
      }
      const answer = native.answerAfterClaim(...label, arrival.verdict, arrival.retryAfterMs ?? 0)
      if (answer !== null) return this.#told(answer)
      return this.#dispatch(event, label, arrival.delivery)
    }
    if (this.store !== undefined) {
      let stored
      try {
        const recorded = await this.store.record(event)
        if (recorded === null || typeof recorded !== 'object' || typeof recorded.new !== 'boolean') {
          throw new TypeError(`store.record returned ${describeType(recorded)}, not { new, record }`)
        }
        stored = recorded.new ? 'new' : 'repeat'
      } catch (err) {
        return this.#told(native.answerAfterStore(...label, 'failed'), err)
      }
      const answer = native.answerAfterStore(...label, stored)
      if (answer !== null) return this.#told(answer)
    }
    return this.#dispatch(event, label)
  }

  // The handlers with `currentDelivery()` set, then their end told to the store: rejects with
  // what a handler threw, or with the store's failure after handlers that completed.
  async #run(event, label, delivery) {
    let error
    let failed = false
    try {
      await runAs(delivery, () => this.router.dispatch(event))
    } catch (err) {
      error = err
      failed = true
    }
    try {
      await this.store.finish(delivery, failed ? errorText(error) : null)
    } catch (err) {
      this.#log(
        'error',
        `oneinbox-webhooks: store.finish failed for ${JSON.stringify(label[0])} of call ${JSON.stringify(label[1])}; the delivery is due again when its lease ends`,
        err,
      )
      if (!failed) throw err
    }
    if (failed) throw error
  }

  async #dispatch(event, label, delivery) {
    const handled = (outcome, error) => this.#told(native.answerAfterHandlers(...label, outcome), error)
    const running = delivery ? this.#run(event, label, delivery) : (async () => this.router.dispatch(event))()
    if (this.ackTimeoutMs > MAX_TIMER_MS || this.ackTimeoutMs === Infinity) {
      try {
        await running
        return handled('done')
      } catch (err) {
        return handled('failed', err)
      }
    }
    let timer
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, this.ackTimeoutMs, TIMED_OUT)
    })
    try {
      const winner = await Promise.race([running, timeout])
      if (winner !== TIMED_OUT) return handled('done')
    } catch (err) {
      return handled('failed', err)
    } finally {
      clearTimeout(timer)
    }
    running.catch((err) => {
      const log = delivery ? native.answerLateFailureDue(...label) : native.answerLateFailure(...label)
      this.#log(log.level, log.line, err)
    })
    return handled('late')
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
  DEFAULT_ACK_TIMEOUT_MS,
}
