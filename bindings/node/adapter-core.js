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
//   Receiver.receive: AuthenticationError -> 401 {"error":<code>,"message"}, logged (warn); ValidationError -> 400
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
// The 400, 401 and 415 have a JSON body saying why, as in the Python adapters
// (oneinbox_webhooks/_adapter.py). Each answer says what to log and at which level: `error`
// lines go to the logger's error method, `warn`, `info` and `debug` ones to its method of that
// name if it has one (the default logger has `error` and `warn`). The 401 and 415 lines go
// through the core's refusal limit (10 per reason per minute, then one summary line), one per
// adapter. They name the event and the call id, never the request URL (it
// carries the URL token), a header or a secret. An adapter made without a store logs the core's
// warning once (warn), when it is made: a retried delivery runs its handlers again.
'use strict'

const { AuthenticationError, ValidationError } = require('./errors.js')
const native = require('./native.js')
const { describeType, optionsArg } = require('./internal.js')
const { errorText, runAs } = require('./inbox.js')

/** @typedef {import('./adapter-core').Reply} Reply */
/** @typedef {import('./adapter-core').WebhookLogger} WebhookLogger */
/** @typedef {import('./index').NativeAnswer} NativeAnswer */
/** @typedef {import('./inbox').Delivery} Delivery */
/** @typedef {Pick<import('./inbox').InboxStore, 'arrive' | 'finish'>} InboxPart */

const DEFAULT_ACK_TIMEOUT_MS = 5000
// setTimeout fires at once for delays above this; longer ack timeouts mean "never answer 202".
const MAX_TIMER_MS = 2 ** 31 - 1
const TIMED_OUT = Symbol('timed out')

// Without a logger option only error and warn lines are written (to stderr), as Python's
// logging does by default.
/** @type {WebhookLogger} */
const DEFAULT_LOGGER = Object.freeze({
  error: (/** @type {string} */ message, /** @type {unknown} */ error) =>
    error === undefined ? console.error(message) : console.error(message, error),
  warn: (/** @type {string} */ message) => console.warn(message),
})

/**
 * An answer of the addon as the adapters send it: the status, `[name, value]` header pairs, the
 * body (a Buffer, or `null`) and whether to close the connection (the body was not read).
 * @param {NativeAnswer} answer
 * @returns {Reply}
 */
function reply(answer) {
  return Object.freeze({
    status: answer.status,
    // The addon gives each header as a [name, value] pair.
    headers: Object.freeze(answer.headers.map(([name, value]) => Object.freeze(/** @type {[string, string]} */ ([name, value])))),
    body: answer.body ?? null,
    closeConnection: answer.closeConnection,
  })
}

/**
 * The answer of a step the core's table always answers (it has no `null` for that input).
 * @param {NativeAnswer | null} answer
 * @returns {NativeAnswer}
 */
const always = (answer) => /** @type {NativeAnswer} */ (answer)

/**
 * The first value of a header (Node gives repeated ones as an array), or `null`.
 * @param {unknown} value
 * @returns {string | null}
 */
function first(value) {
  if (Array.isArray(value)) value = value[0]
  return typeof value === 'string' ? value : null
}

/**
 * @param {unknown} logger
 * @param {string} where
 * @returns {WebhookLogger}
 */
function checkLogger(logger, where) {
  if (
    logger === null ||
    (typeof logger !== 'object' && typeof logger !== 'function') ||
    !('error' in logger) ||
    typeof logger.error !== 'function'
  ) {
    throw new TypeError(`${where}: logger must have an error(message, error?) method (console does), got ${describeType(logger)}`)
  }
  return /** @type {WebhookLogger} */ (logger)
}

/**
 * Checks the options every adapter takes and returns the shared core. `known` lists the option
 * names this adapter accepts; another name is a `UsageError` (a misspelt `store` must not turn
 * duplicate detection off silently).
 * @type {typeof import('./adapter-core').createCore}
 */
function createCore(options, where, known) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object ({ receiver, router, ... }), got ${describeType(options)}`)
  }
  const {
    receiver,
    router,
    store,
    atMostOnce: atMostOnceOption,
    ackTimeoutMs: ackOption,
    logger: loggerOption,
  } = optionsArg(options, where, known, { noun: 'option' })
  if (!hasMethod(receiver, 'receive')) {
    throw new TypeError(
      `${where}: receiver must be a Receiver (new Receiver({ urlTokens, signingSecrets })), got ${describeType(receiver)}`,
    )
  }
  if (!hasMethod(router, 'dispatch')) {
    throw new TypeError(`${where}: router must be a Router (new Router().on(...)), got ${describeType(router)}`)
  }
  if (store !== undefined && store !== null && !hasMethod(store, 'record')) {
    throw new TypeError(`${where}: store must be a store (MemoryStore, RedisStore: a record(event) method), got ${describeType(store)}`)
  }
  // `null` (or Infinity): wait for the handlers however long they take, never answering 202.
  let ackTimeoutMs = DEFAULT_ACK_TIMEOUT_MS
  if (ackOption !== undefined) {
    const ack = ackOption === null ? Infinity : ackOption
    if (typeof ack !== 'number' || Number.isNaN(ack) || ack < 0) {
      throw new TypeError(`${where}: ackTimeoutMs must be a number of milliseconds >= 0 (or null), got ${describeType(ack)} ${String(ack)}`)
    }
    ackTimeoutMs = ack
  }
  const logger = checkLogger(loggerOption === undefined ? DEFAULT_LOGGER : loggerOption, where)
  // The receiver's size limit (a receiver-like object without one gets the default).
  const maxBodyBytes =
    'maxBodyBytes' in receiver && typeof receiver.maxBodyBytes === 'number' ? receiver.maxBodyBytes : native.DEFAULT_MAX_BODY_BYTES
  const atMostOnce = atMostOnceOption ?? false
  if (typeof atMostOnce !== 'boolean') throw new TypeError(`${where}: atMostOnce must be a boolean, got ${describeType(atMostOnce)}`)
  // At least once over the store's inbox, unless asked otherwise or the store has none.
  const inbox = store !== undefined && store !== null && !atMostOnce && hasMethod(store, 'arrive') && hasMethod(store, 'finish')
  // Each has the method it is called through (checked above); what it does is the caller's.
  const core = new Core({
    receiver: /** @type {Pick<import('./oneinbox').Receiver, 'receive'>} */ (receiver),
    router: /** @type {Pick<import('./oneinbox').Router, 'dispatch'>} */ (router),
    store: /** @type {Pick<import('./stores').Store, 'record'> | undefined} */ (store ?? undefined),
    // Its arrive and finish are checked above; what they answer is checked per delivery.
    inbox: inbox ? /** @type {InboxPart} */ (/** @type {unknown} */ (store)) : undefined,
    ackTimeoutMs,
    logger,
    maxBodyBytes,
  })
  if (store === undefined || store === null) core.warnNoStore()
  return core
}

/**
 * Whether `value` is an object with a method `name`.
 * @template {string} K
 * @param {unknown} value
 * @param {K} name
 * @returns {value is { [P in K]: Function }}
 */
function hasMethod(value, name) {
  return value !== null && typeof value === 'object' && typeof (/** @type {Record<string, unknown>} */ (value)[name]) === 'function'
}

/** @typedef {import('./adapter-core').Core} CoreContract */

/** @implements {CoreContract} */
class Core {
  /**
   * @param {object} parts
   * @param {Pick<import('./oneinbox').Receiver, 'receive'>} parts.receiver
   * @param {Pick<import('./oneinbox').Router, 'dispatch'>} parts.router
   * @param {Pick<import('./stores').Store, 'record'> | undefined} parts.store
   * @param {InboxPart | undefined} parts.inbox the store, when deliveries go through its inbox
   * @param {number} parts.ackTimeoutMs
   * @param {WebhookLogger} parts.logger
   * @param {number} parts.maxBodyBytes
   */
  constructor({ receiver, router, store, inbox, ackTimeoutMs, logger, maxBodyBytes }) {
    this.receiver = receiver
    this.router = router
    this.store = store
    this.inbox = inbox
    this.ackTimeoutMs = ackTimeoutMs
    this.logger = logger
    this.maxBodyBytes = maxBodyBytes
    // The log lines of refused deliveries (401, 415) allowed so far (10 per reason per minute,
    // then a summary): a flood of forged deliveries cannot fill the logs.
    this.refusals = native.newRefusalLog()
  }

  /**
   * What can be answered before reading the body: 405, 415, or 413 from Content-Length; `null`
   * when the body should be read (up to `maxBodyBytes`).
   * @param {unknown} method
   * @param {unknown} contentType
   * @param {unknown} length
   * @returns {Reply | null}
   */
  precheck(method, contentType, length) {
    const answer = native.answerBeforeBody(first(method), first(contentType), first(length), this.maxBodyBytes)
    return answer === null ? null : this.#told(answer)
  }

  /** The 413 answer for a body found too long while reading it (reading stopped). */
  tooLarge() {
    return this.#told(always(native.answerAfterRead('over_limit', this.maxBodyBytes)))
  }

  /** The answer for a body stream that failed or closed early (the client went away). */
  readFailed() {
    return this.#told(always(native.answerAfterRead('failed', this.maxBodyBytes)))
  }

  /**
   * The 500 answer for a body something else read first; the log line names the `fix`.
   * @param {string} fix
   */
  alreadyRead(fix) {
    return this.#told(always(native.answerAfterRead('already_read', this.maxBodyBytes, undefined, fix)))
  }

  /**
   * The 500 answer for an unexpected failure of the adapter itself, logged with `error`.
   * @param {unknown} error
   */
  unexpected(error) {
    return this.#told(always(native.answerAfterReceive('failed')), error)
  }

  /**
   * @param {NativeAnswer} answer
   * @param {unknown} [error]
   * @returns {Reply}
   */
  #told(answer, error) {
    if (answer.reason == null) this.#log(answer.logLevel, answer.logLine, error)
    else
      for (const log of this.refusals.admit(answer.reason, answer.logLevel, answer.logLine, Date.now()))
        this.#log(log.level, log.line, error)
    return reply(answer)
  }

  /** Logs the core's warning for an adapter made without a store (once, when it is made). */
  warnNoStore() {
    const log = native.answerNoStoreWarning()
    this.#log(log.level, log.line)
  }

  /**
   * @param {string} level `none`, `debug`, `info`, `warn` or `error`
   * @param {string} line
   * @param {unknown} [error]
   */
  #log(level, line, error) {
    const write = level === 'none' ? undefined : this.logger[/** @type {keyof WebhookLogger} */ (level)]
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
   * @param {Buffer} body
   * @param {import('./oneinbox').HeadersLike} headers
   * @param {string | URL | undefined} url
   * @returns {Promise<Reply>}
   */
  async handle(body, headers, url) {
    const tooLong = native.answerAfterRead('body', this.maxBodyBytes, body.length)
    if (tooLong !== null) return this.#told(tooLong)
    let event
    try {
      event = this.receiver.receive(body, { headers, url })
    } catch (err) {
      if (err instanceof AuthenticationError) return this.#told(always(native.answerAfterReceive('unauthenticated', err.verification.code)))
      if (err instanceof ValidationError) return this.#told(always(native.answerAfterReceive('invalid', undefined, [...err.issues])))
      return this.#told(always(native.answerAfterReceive('failed')), err)
    }
    /** @type {[string, string]} */
    const label = [String(event.event), String(event.call_id)]
    const inbox = this.inbox
    if (inbox !== undefined) {
      /** @type {import('./inbox').Arrival} */
      let arrival
      try {
        arrival = await inbox.arrive(event, body)
        if (arrival === null || typeof arrival !== 'object' || typeof arrival.verdict !== 'string') {
          throw new TypeError(`store.arrive returned ${describeType(arrival)}, not { verdict, delivery, ... }`)
        }
        if (arrival.verdict === 'run' && (arrival.delivery === null || typeof arrival.delivery !== 'object')) {
          throw new TypeError('store.arrive answered run without the delivery to run')
        }
      } catch (err) {
        return this.#told(always(native.answerAfterStore(...label, 'failed')), err)
      }
      const answer = native.answerAfterClaim(...label, arrival.verdict, arrival.retryAfterMs ?? 0)
      if (answer !== null) return this.#told(answer)
      // A `run` arrival has its delivery (checked above).
      return this.#dispatch(event, label, { inbox, delivery: /** @type {Delivery} */ (arrival.delivery) })
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
        return this.#told(always(native.answerAfterStore(...label, 'failed')), err)
      }
      const answer = native.answerAfterStore(...label, stored)
      if (answer !== null) return this.#told(answer)
    }
    return this.#dispatch(event, label)
  }

  /**
   * The handlers with `currentDelivery()` set, then their end told to the store: rejects with
   * what a handler threw, or with the store's failure after handlers that completed.
   * @param {InboxPart} inbox
   * @param {import('./oneinbox').Event} event
   * @param {[string, string]} label
   * @param {Delivery} delivery
   * @returns {Promise<void>}
   */
  async #run(inbox, event, label, delivery) {
    /** @type {unknown} */
    let error
    let failed = false
    try {
      await runAs(delivery, () => this.router.dispatch(event))
    } catch (err) {
      error = err
      failed = true
    }
    try {
      await inbox.finish(delivery, failed ? errorText(error) : null)
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

  /**
   * @param {import('./oneinbox').Event} event
   * @param {[string, string]} label
   * @param {{ inbox: InboxPart, delivery: Delivery }} [run] the inbox's delivery to run and finish
   * @returns {Promise<Reply>}
   */
  async #dispatch(event, label, run) {
    /** @type {(outcome: string, error?: unknown) => Reply} */
    const handled = (outcome, error) => this.#told(native.answerAfterHandlers(...label, outcome), error)
    const running = run ? this.#run(run.inbox, event, label, run.delivery) : (async () => this.router.dispatch(event))()
    if (this.ackTimeoutMs > MAX_TIMER_MS || this.ackTimeoutMs === Infinity) {
      try {
        await running
        return handled('done')
      } catch (err) {
        return handled('failed', err)
      }
    }
    /** @type {NodeJS.Timeout | undefined} */
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
      const log = run ? native.answerLateFailureDue(...label) : native.answerLateFailure(...label)
      this.#log(log.level, log.line, err)
    })
    return handled('late')
  }
}

/**
 * Reads a Node readable stream (an `http.IncomingMessage`) to its end, stopping at `limit`
 * bytes: resolves to the body, or to `null` once it is longer than `limit` (the rest is then
 * discarded as it arrives, never kept). Rejects when the stream fails or closes early.
 * @type {typeof import('./adapter-core').readNodeStream}
 */
function readNodeStream(stream, limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    let settled = false
    const cleanup = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
    }
    /** @type {<T>(fn: (value: T) => void, value: T) => void} */
    const settle = (fn, value) => {
      if (settled) return
      settled = true
      cleanup()
      fn(value)
    }
    /** @param {Buffer | string} chunk */
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
    /** @param {unknown} err */
    function onError(err) {
      settle(reject, err)
    }
    function onClose() {
      const err = /** @type {Error & { code?: string }} */ (new Error('the request closed before its body was read'))
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
