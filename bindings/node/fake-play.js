// The calls the fake plays (types in testing.d.ts; used by fake.js): the fake's clock, and the
// play loop of `await fake.settle()`, which POSTs each attempt the core's outbox gives
// (`takeDue`) to its receiver with fetch, reports the outcome (`report`) and moves the clock to
// the next due time, until nothing is pending. Every decision (what is due, signatures,
// retries, faults, history rows) is the core's.
'use strict'

const { KNOWN_EVENTS } = require('./events.generated.js')
const { callNative, describeType, optionsArg, throwIssues, valueOrThrow } = require('./internal.js')

/**
 * @param {unknown} v
 * @param {string} name
 * @returns {string | undefined}
 */
function text(v, name) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string, got ${describeType(v)}`)
  return v
}

/**
 * The outcome of a failed POST as report() takes it: a timeout, a refused connection, or the
 * error's text.
 * @param {unknown} err
 * @returns {string}
 */
function failure(err) {
  const e = /** @type {Error & { cause?: { code?: string, message?: string } }} */ (err)
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout'
  if (e?.cause?.code === 'ECONNREFUSED') return 'connection refused'
  return String(e?.cause?.message ?? e?.message ?? e) || 'error'
}

/** The play side of a `FakeOneInbox` (its base class): its clock, and the calls it plays. */
class Player {
  /** @type {import('./index').NativeFakeOneInbox} */
  #machine
  #skewMs = 0
  /** @type {number | null} */
  #startMs

  /**
   * @param {import('./index').NativeFakeOneInbox} machine
   * @param {import('./testing').Faults | undefined} faults
   * @param {string | undefined} signingSecret
   * @param {unknown} startMs
   */
  constructor(machine, faults, signingSecret, startMs) {
    this.#machine = machine
    if (startMs !== undefined && startMs !== null && !Number.isSafeInteger(startMs))
      throw new TypeError(`new FakeOneInbox: options.startMs must be a whole number of ms, got ${describeType(startMs)}`)
    this.#startMs = startMs === undefined || startMs === null ? null : Number(startMs)
    const f = optionsArg(faults, 'options.faults', ['drop', 'duplicate', 'shuffle', 'delay', 'maxDelayMs'])
    /** @type {number[]} */
    const numbers = ['drop', 'duplicate', 'shuffle', 'delay'].map((n) => Number(f[n] ?? 0))
    const [drop, duplicate, shuffle, delay] = numbers
    const maxDelay = Number(f.maxDelayMs ?? 30_000)
    throwIssues(callNative(() => machine.setFaults(drop, duplicate, shuffle, delay, maxDelay)))
    const secret = text(signingSecret, 'options.signingSecret') ?? null
    throwIssues(callNative(() => machine.setSigningSecret(secret)))
  }

  /** The fake's clock (ms): the wall clock (or `startMs`) plus how far settling moved it. */
  get now() {
    return (this.#startMs ?? Date.now()) + this.#skewMs
  }

  /** @param {number} dueMs */
  #reach(dueMs) {
    this.#skewMs += Math.max(0, dueMs - this.now)
    return this.now
  }

  /**
   * @param {string} url
   * @param {{ events?: string[], name?: string }} [options]
   */
  addWebhook(url, options) {
    const opts = optionsArg(options, 'addWebhook(url, options)', ['events', 'name'])
    const events = /** @type {string[]} */ (opts.events ?? [...KNOWN_EVENTS])
    const name = text(opts.name, 'options.name') ?? 'fake'
    const now = Math.floor(this.now / 1000)
    return JSON.parse(valueOrThrow(callNative(() => this.#machine.addWebhook(name, String(url), events, now))))
  }

  /** @param {import('./testing').PlayCallOptions} [options] */
  playCall(options) {
    const keys = ['agentId', 'toNumber', 'fromNumber', 'webhookUrl', 'failure']
    const o = optionsArg(options, 'playCall(options)', keys)
    const call = {
      agentId: text(o.agentId, 'agentId'),
      toNumber: text(o.toNumber, 'toNumber'),
      fromNumber: text(o.fromNumber, 'fromNumber'),
      webhookUrl: text(o.webhookUrl, 'webhookUrl'),
      failure: text(o.failure, 'failure'),
    }
    return JSON.parse(valueOrThrow(callNative(() => this.#machine.playCall(call, this.now))))
  }

  /**
   * @param {string} urlPrefix
   * @param {{ start?: number, duration: number }} window seconds from the fake's now
   */
  outage(urlPrefix, window) {
    const w = optionsArg(window, 'outage(urlPrefix, window)', ['start', 'duration'])
    const from = this.now + Math.round(Number(w.start ?? 0) * 1000)
    const until = from + Math.round(Number(w.duration) * 1000)
    throwIssues(callNative(() => this.#machine.addOutage(String(urlPrefix ?? ''), from, until)))
  }

  /** @param {string} callId */
  deliveriesForCall(callId) {
    return JSON.parse(callNative(() => this.#machine.deliveriesForCallJson(String(callId))))
  }

  /** @param {{ timeout?: number }} [options] */
  async settle(options) {
    const { timeout = 5000 } = optionsArg(options, 'settle(options)', ['timeout'])
    let sent = 0
    for (;;) {
      const due = callNative(() => this.#machine.nextDue())
      if (due === null || due === undefined) return sent
      const now = this.#reach(due)
      const timestamp = Math.floor(Date.now() / 1000)
      for (const a of callNative(() => this.#machine.takeDue(now, timestamp))) {
        /** @type {[number | null, string | null, string | null]} */
        let outcome
        try {
          const init = { method: 'POST', headers: a.headers.map(([n, v]) => [n, v]), body: a.body }
          const r = await fetch(a.url, { ...init, signal: AbortSignal.timeout(Number(timeout)) })
          outcome = [r.status, await r.text(), null]
        } catch (err) {
          outcome = [null, null, failure(err)]
        }
        throwIssues(callNative(() => this.#machine.report(a.attemptId, ...outcome, this.now)))
        sent += 1
      }
    }
  }
}

module.exports = { Player }
