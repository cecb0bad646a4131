// The HTTP client of `oneinbox-webhooks` (exported by oneinbox.js; types in client.d.ts): a thin
// I/O layer over the sans-I/O `Api`. Every request is built by the native `Api` (so every
// argument rule is the core's), sent with `fetch`, and read with `parseResponse`. After a failed
// attempt the core's retry driver says whether to wait and send again (`afterStatus`,
// `afterFailure`): this file only keeps the loop.
'use strict'

const { inspect } = require('node:util')

const DEFAULT_TIMEOUT_MS = 10000
// The longest delay setTimeout (and so AbortSignal.timeout) keeps; longer means no timeout.
const MAX_TIMER_MS = 2 ** 31 - 1
const REDACTED = '[redacted]'

const CLIENT_OPTIONS = ['baseUrl', 'timeoutMs', 'maxRetries', 'fetch', 'sleep', 'random']

// Error codes of a connection that could not be opened (so nothing was sent): refused, no
// route, no such host, a connect timeout (undici's and Node's names).
/** @type {ReadonlySet<unknown>} */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

const { describeType, isIterable } = require('./internal.js')

/** @typedef {import('./index').NativeIssue} Issue */
/** @typedef {{ message?: unknown, name?: unknown, code?: unknown, cause?: unknown, errors?: unknown }} ErrorFields what is read of a thrown value */
/** @typedef {import('./oneinbox').PreparedRequest<unknown>} PreparedRequest */

/** @type {(ms: number) => Promise<void>} */
const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** @param {import('./internal.js').ClientDeps} deps */
module.exports = function clientModule({
  DEFAULT_MAX_RETRIES,
  API_KEY_VAR,
  BASE_URL_VAR,
  Api,
  ApiError,
  OneInboxError,
  PreparedRequest,
  redactUrlToken,
  argumentObject,
  throwIfIssues,
  hostLimit,
}) {
  /**
   * A request that got no usable answer: the connection failed or was lost, or it timed out.
   * `.cause` is the error `fetch` gave. `.retryable` says whether sending the same request again
   * is safe (the retries ran out of a request that can be sent twice, or nothing was sent); for
   * `createWebhook` and `createCall` after the request may have been sent it is `false` and the
   * message says the webhook or call may exist and how to check.
   */
  class TransportError extends OneInboxError {
    /**
     * @param {string} message
     * @param {{ method?: string, url?: string, retry?: PreparedRequest['retry'], attempts?: number,
     *   timedOut?: boolean, retryable?: boolean, cause?: unknown }} [details]
     */
    constructor(message, { method, url, retry, attempts, timedOut = false, retryable = false, cause } = {}) {
      super(message, cause === undefined ? undefined : { cause })
      this.code = 'ERR_ONEINBOX_TRANSPORT'
      this.method = method
      this.url = url
      this.retry = retry
      this.attempts = attempts
      this.timedOut = timedOut
      this.retryable = retryable
    }
  }

  // The text of an error, with the API key (if it is somewhere in it) replaced.
  /**
   * @param {unknown} text
   * @param {string} key
   */
  function scrub(text, key) {
    let out = String(text)
    if (key) out = out.split(key).join(REDACTED)
    return redactUrlToken(out)
  }

  /**
   * @param {unknown} err
   * @returns {string}
   */
  function describeCause(err) {
    const parts = []
    let e = err
    for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
      const f = typeof e === 'object' ? /** @type {ErrorFields} */ (e) : undefined
      const msg = f !== undefined && 'message' in f ? String(f.message) : String(e)
      const code = f !== undefined && typeof f.code === 'string' ? ` (${f.code})` : ''
      if (msg || code) parts.push(`${msg}${code}`)
      e = f !== undefined ? f.cause : undefined
    }
    return parts.join(': ') || 'no answer'
  }

  // The cause to attach: the error itself, unless its text somewhere holds the key.
  /**
   * @param {unknown} err
   * @param {string} key
   */
  function safeCause(err, key) {
    if (!key) return err
    let text
    try {
      text = inspect(err, { depth: 6, showHidden: true })
    } catch {
      text = ''
    }
    if (!text.includes(key)) return err
    return new Error(scrub(describeCause(err), key))
  }

  // The answer's headers as string pairs: a custom `fetch` may hand back a plain object whose
  // values are not strings, which must not turn an `ApiError` into a `TypeError`.
  /**
   * @param {unknown} headers
   * @returns {[string, string][]}
   */
  function headerPairs(headers) {
    if (headers === undefined || headers === null || typeof headers !== 'object') return []
    /** @type {unknown[]} */
    const entries = isIterable(headers) ? [...headers] : Object.entries(headers)
    return entries
      .filter((p) => Array.isArray(p) && p.length === 2)
      .map((p) => {
        const [name, value] = /** @type {[unknown, unknown]} */ (p)
        return [String(name), String(value)]
      })
  }

  // Whether the connection could not be opened at all (every address tried refused it, ...).
  /**
   * @param {unknown} err
   * @returns {boolean}
   */
  function notConnected(err) {
    for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = /** @type {ErrorFields} */ (e).cause, depth++) {
      const f = /** @type {ErrorFields} */ (e)
      if (NOT_CONNECTED.has(f.code)) return true
      if (Array.isArray(f.errors) && f.errors.length > 0) return f.errors.every((inner) => notConnected(inner))
    }
    return false
  }

  /** @param {unknown} err */
  function isTimeout(err) {
    if (err === null || typeof err !== 'object') return false
    const e = /** @type {{ name?: unknown, cause?: { name?: unknown } }} */ (err)
    return e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError'
  }

  /**
   * @param {{ arrayBuffer?: () => Promise<ArrayBuffer>, text?: () => Promise<string> }} res
   * @returns {Promise<Uint8Array | string>}
   */
  async function readBody(res) {
    if (typeof res.arrayBuffer === 'function') return new Uint8Array(await res.arrayBuffer())
    if (typeof res.text === 'function') return res.text()
    throw new TypeError('fetch resolved to something that is not a Response (no arrayBuffer() or text())')
  }

  /**
   * Sends management requests with `fetch`. `apiKey` and `options.baseUrl` not given are read
   * from the environment variables `ONEINBOX_API_KEY` and `ONEINBOX_BASE_URL` (the core's rule:
   * an argument wins, an empty variable is unset, a missing key is a `UsageError` naming both).
   * Methods: `createWebhook`, `listWebhooks`, `updateWebhook`,
   * `deleteWebhook`, `testWebhook`, `listDeliveries`, `iterDeliveries`, `createCall`, `getCall`,
   * `listCalls` and `iterCalls`.
   * Arguments are checked by the native `Api` before anything is sent (`UsageError`). A non-2xx
   * answer is an `ApiError`; no answer at all is a `TransportError`.
   *
   * Retries are the core's retry driver: a status is retried when `ApiError.retryable` says so
   * (idempotent requests after 408, 429 and 5xx; `createWebhook`/`createCall` only after 429 and
   * 503); a connection that could not be opened (nothing was sent) for every request; a failure
   * after the request may have been sent only for idempotent requests. Waits: `Retry-After` when
   * the answer has one (at most 60 s), otherwise exponential backoff with full jitter (a random
   * delay up to 500 ms, 1 s, 2 s, ... capped at 8 s), in whole milliseconds; at most
   * `maxRetries` retries.
   */
  class Client {
    /** @type {import('./oneinbox').Api} */
    #api
    /** @type {import('./client').FetchLike} */
    #fetch
    /** @type {number} */
    #timeoutMs
    /** @type {number} */
    #maxRetries
    /** @type {NonNullable<import('./client').ClientOptions['sleep']>} */
    #sleep
    /** @type {() => number} */
    #random

    /**
     * @param {string} [apiKey] default: the environment variable `ONEINBOX_API_KEY`
     * @param {import('./client').ClientOptions} [options]
     */
    constructor(apiKey, options) {
      /** @type {Issue[]} */
      const issues = []
      const opts = argumentObject(options, 'new Client(apiKey, options)', CLIENT_OPTIONS, issues, { optional: true })
      throwIfIssues(issues)
      if (apiKey !== undefined && typeof apiKey !== 'string') {
        throw new TypeError(`new Client: apiKey must be a string or undefined, got ${describeType(apiKey)}`)
      }
      const fetchFn = opts.fetch === undefined ? globalThis.fetch : opts.fetch
      if (typeof fetchFn !== 'function') {
        throw new TypeError(
          opts.fetch === undefined
            ? 'new Client: there is no global fetch (Node >= 18 has one); pass options.fetch'
            : `new Client: options.fetch must be a function, got ${describeType(opts.fetch)}`,
        )
      }
      for (const name of ['sleep', 'random']) {
        if (opts[name] !== undefined && typeof opts[name] !== 'function') {
          throw new TypeError(`new Client: options.${name} must be a function, got ${describeType(opts[name])}`)
        }
      }
      for (const name of ['timeoutMs', 'maxRetries']) {
        if (opts[name] !== undefined && typeof opts[name] !== 'number') {
          throw new TypeError(`new Client: options.${name} must be a number, got ${describeType(opts[name])}`)
        }
      }
      // Both rules at once, so that every bad number is reported together.
      const timeoutMs = opts.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : hostLimit('timeoutMs', opts.timeoutMs, issues)
      const maxRetries = opts.maxRetries === undefined ? DEFAULT_MAX_RETRIES : hostLimit('maxRetries', opts.maxRetries, issues)
      throwIfIssues(issues)
      // Not given: the environment's values. Which wins and how they are checked is the core's
      // rule (Api.configure, as for every client); it checks baseUrl (a TypeError for anything
      // but a string).
      const baseUrl = /** @type {string | undefined} */ (opts.baseUrl)
      this.#api = Api.configure({
        apiKey,
        baseUrl,
        envApiKey: process.env[API_KEY_VAR],
        envBaseUrl: process.env[BASE_URL_VAR],
      })
      // Checked above to be functions; what they do is the caller's (ClientOptions).
      this.#fetch = /** @type {import('./client').FetchLike} */ (fetchFn)
      // Beyond what a timer can wait (about 24.8 days; `Infinity`): no timeout.
      // No issue was thrown: both are numbers.
      const [timeout, retries] = /** @type {number[]} */ ([timeoutMs, maxRetries])
      this.#timeoutMs = timeout > MAX_TIMER_MS ? Infinity : timeout
      this.#maxRetries = retries
      this.#sleep = /** @type {NonNullable<import('./client').ClientOptions['sleep']>} */ (opts.sleep ?? defaultSleep)
      this.#random = /** @type {() => number} */ (opts.random ?? Math.random)
    }

    /** The base URL requests go to, without a trailing slash. */
    get baseUrl() {
      return this.#api.baseUrl
    }

    /** The sans-I/O `Api` this client builds its requests with. */
    get api() {
      return this.#api
    }

    /** Milliseconds each attempt may take, answer body included. */
    get timeoutMs() {
      return this.#timeoutMs
    }

    /** How many times a failed request may be sent again. */
    get maxRetries() {
      return this.#maxRetries
    }

    /**
     * `POST /v1/webhooks`; never retried after an answer that leaves open whether it was created.
     * @param {import('./management.generated').CreateWebhookArgs} args
     */
    async createWebhook(args) {
      return this.send(this.#api.createWebhook(args))
    }

    /** `GET /v1/webhooks`. */
    async listWebhooks() {
      return this.send(this.#api.listWebhooks())
    }

    /**
     * `PATCH /v1/webhooks/{id}`.
     * @param {string} webhookId
     * @param {import('./management.generated').UpdateWebhookArgs} args
     */
    async updateWebhook(webhookId, args) {
      return this.send(this.#api.updateWebhook(webhookId, args))
    }

    /**
     * `DELETE /v1/webhooks/{id}`.
     * @param {string} webhookId
     */
    async deleteWebhook(webhookId) {
      return this.send(this.#api.deleteWebhook(webhookId))
    }

    /**
     * `POST /v1/webhooks/{id}/test`.
     * @param {string} webhookId
     */
    async testWebhook(webhookId) {
      return this.send(this.#api.testWebhook(webhookId))
    }

    /**
     * `GET /v1/webhooks/{id}/deliveries`: one page.
     * @param {string} webhookId
     * @param {import('./management.generated').ListDeliveriesArgs} [args]
     */
    async listDeliveries(webhookId, args) {
      return this.send(this.#api.listDeliveries(webhookId, args))
    }

    /**
     * Every delivery of a webhook, page after page (`PreparedRequest.nextPage`), fetched lazily:
     * `for await (const d of client.iterDeliveries(id, { limit: 100 }))`. The arguments are
     * checked at once (a `UsageError` is thrown here, not at the first `next()`).
     * @param {string} webhookId
     * @param {import('./management.generated').ListDeliveriesArgs} [args]
     */
    iterDeliveries(webhookId, args) {
      const first = this.#api.listDeliveries(webhookId, args)
      /** @type {(prepared: import('./oneinbox').PreparedRequest<import('./oneinbox').DeliveryPage>) => Promise<import('./oneinbox').DeliveryPage>} */
      const send = (prepared) => this.send(prepared)
      return (async function* deliveries() {
        /** @type {import('./oneinbox').PreparedRequest<import('./oneinbox').DeliveryPage> | null} */
        let prepared = first
        while (prepared !== null) {
          const page = await send(prepared)
          yield* page.items
          prepared = prepared.nextPage(page)
        }
      })()
    }

    /**
     * `GET /v1/calls/{id}`: the call as OneInbox has it now.
     * @param {string} callId
     */
    async getCall(callId) {
      return this.send(this.#api.getCall(callId))
    }

    /**
     * `GET /v1/calls`: one page of calls, most recent first.
     * @param {import('./management.generated').ListCallsArgs} [args]
     */
    async listCalls(args) {
      return this.send(this.#api.listCalls(args))
    }

    /**
     * Every call that matches the filters, page after page (`PreparedRequest.nextPage`), fetched
     * lazily: `for await (const call of client.iterCalls({ status: 'completed' }))`. The
     * arguments are checked at once (a `UsageError` is thrown here, not at the first `next()`).
     * @param {import('./management.generated').ListCallsArgs} [args]
     */
    iterCalls(args) {
      const first = this.#api.listCalls(args)
      /** @type {(prepared: import('./oneinbox').PreparedRequest<import('./oneinbox').CallPage>) => Promise<import('./oneinbox').CallPage>} */
      const send = (prepared) => this.send(prepared)
      return (async function* calls() {
        /** @type {import('./oneinbox').PreparedRequest<import('./oneinbox').CallPage> | null} */
        let prepared = first
        while (prepared !== null) {
          const page = await send(prepared)
          yield* page.items
          prepared = prepared.nextPage(page)
        }
      })()
    }

    /**
     * `POST /v1/calls` (it dials the phone); never retried after an ambiguous failure.
     * @param {import('./management.generated').CreateCallArgs} args
     */
    async createCall(args) {
      return this.send(this.#api.createCall(args))
    }

    /**
     * Sends one `PreparedRequest` (from `client.api` or any `Api`) with this client's timeout and
     * retries, and returns what its `parseResponse` returns.
     * @template T
     * @param {import('./oneinbox').PreparedRequest<T>} prepared
     * @returns {Promise<T>}
     */
    async send(prepared) {
      if (!(prepared instanceof PreparedRequest)) {
        throw new TypeError(`send: expected a PreparedRequest (from an Api method), got ${describeType(prepared)}`)
      }
      const key = (prepared.headers.Authorization ?? '').replace(/^Bearer /, '')
      // A redirect is never followed: it would re-send the API key and the body to wherever the
      // Location points. A 3xx answer is an ApiError, like any other non-2xx status.
      /** @type {RequestInit} */
      const init = { method: prepared.method, headers: { ...prepared.headers }, redirect: 'manual' }
      if (prepared.body !== null) init.body = prepared.body
      for (let attempt = 0; ; attempt++) {
        /** @type {number} */
        let status
        /** @type {unknown} */
        let headers
        /** @type {Uint8Array | string} */
        let body
        try {
          const signal = this.#timeoutMs === Infinity ? undefined : AbortSignal.timeout(this.#timeoutMs)
          const res = await this.#fetch(prepared.url, signal === undefined ? init : { ...init, signal })
          status = res.status
          headers = res.headers
          body = await readBody(res)
        } catch (err) {
          const timedOut = isTimeout(err)
          const cause = timedOut ? `timed out after ${this.#timeoutMs} ms` : describeCause(err)
          const step = prepared.afterFailure({
            attempt,
            maxRetries: this.#maxRetries,
            sent: !notConnected(err),
            cause,
            draw: this.#draw(),
          })
          if (step.wait === null) {
            // On giving up, the core's step always has the TransportError's message.
            throw new TransportError(/** @type {string} */ (step.message), {
              method: prepared.method,
              url: scrub(prepared.url, key),
              retry: prepared.retry,
              attempts: attempt + 1,
              timedOut,
              retryable: step.retryable,
              cause: safeCause(err, key),
            })
          }
          await this.#sleep(Math.round(step.wait * 1000))
          continue
        }
        try {
          return prepared.parseResponse(status, body)
        } catch (err) {
          if (!(err instanceof ApiError)) throw err
          const step = prepared.afterStatus({
            attempt,
            maxRetries: this.#maxRetries,
            status,
            headers: headerPairs(headers),
            draw: this.#draw(),
          })
          if (step.wait === null) throw err
          await this.#sleep(Math.round(step.wait * 1000))
        }
      }
    }

    // The random draw the core's backoff uses: a number in [0, 1] (the core clamps the rest).
    #draw() {
      const r = Number(this.#random())
      return Number.isNaN(r) ? 0 : r
    }

    toJSON() {
      return { baseUrl: this.baseUrl, apiKey: REDACTED, timeoutMs: this.#timeoutMs, maxRetries: this.#maxRetries }
    }

    /**
     * @param {number} depth
     * @param {import('node:util').InspectOptionsStylized} options
     * @param {typeof inspect} inspectFn
     */
    [inspect.custom](depth, options, inspectFn) {
      return `Client ${inspectFn(this.toJSON(), options)}`
    }
  }

  return { Client, TransportError }
}
