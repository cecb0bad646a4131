// The inbox: where each delivery stands between its arrival and the end of its handlers. A
// store keeps one row per delivery (`claimed`, `done`, `failed`, `dead`); every change of a row
// is one step of `InboxPolicy`, the core's state machine (the same in Python and Rust, on the
// shared fixtures of tests/fixtures/inbox). The stores read the row, ask the step and write its
// answer in one transaction; they decide nothing themselves. Times are Unix milliseconds.
'use strict'

const native = require('./native.js')
const { describeType, callNative, valueOrThrow, optionsArg } = require('./internal.js')

const { INBOX_DEFAULT_LEASE_MS, INBOX_DEFAULT_MAX_ATTEMPTS } = native

function number(value, what) {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${describeType(value)}`)
  return value
}

function whole(value, what) {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${what} must be a whole number of milliseconds, got ${describeType(value)}`)
  return value
}

class InboxPolicy {
  #native

  /**
   * `lease`: seconds a claim lasts (default 60); `maxAttempts`: handler runs before a
   * delivery is dead (default 10). A value out of range is a UsageError.
   */
  constructor(options) {
    const opts = optionsArg(options, 'new InboxPolicy(options)', ['lease', 'maxAttempts'], { noun: 'option' })
    const lease = opts.lease === undefined ? INBOX_DEFAULT_LEASE_MS / 1000 : number(opts.lease, 'lease')
    const maxAttempts = opts.maxAttempts === undefined ? INBOX_DEFAULT_MAX_ATTEMPTS : number(opts.maxAttempts, 'maxAttempts')
    this.#native = valueOrThrow(callNative(() => native.newInboxPolicy(lease, maxAttempts)))
  }

  /** The lease in milliseconds. */
  get leaseMs() {
    return this.#native.leaseMs
  }

  get maxAttempts() {
    return this.#native.maxAttempts
  }

  #step(row, kind, attempt, text, now) {
    if (row !== null && (typeof row !== 'object' || Array.isArray(row))) {
      throw new TypeError(`row must be an inbox row or null, got ${describeType(row)}`)
    }
    whole(now, 'now')
    // A store's nulls are the addon's absent values.
    const native = row && { ...row, dueAt: row.dueAt ?? undefined, lastError: row.lastError ?? undefined }
    const step = callNative(() => this.#native.step(native, kind, attempt, text ?? undefined, now))
    const r = step.row
    return {
      row: r
        ? { state: r.state, attempts: r.attempts, dueAt: r.dueAt ?? null, lastError: r.lastError ?? null, updatedAt: r.updatedAt }
        : null,
      verdict: step.verdict,
      attempt: step.attempt ?? null,
      retryAfterMs: step.retryAfterMs ?? null,
      dueAt: step.dueAt ?? null,
    }
  }

  /** A copy of the delivery arrived at a receiver. */
  arrive(row, now) {
    return this.#step(row, 'arrive', undefined, undefined, now)
  }

  /** A worker found the delivery due and wants to run it. */
  claim(row, now) {
    return this.#step(row, 'claim', undefined, undefined, now)
  }

  /** The handlers of claim `attempt` ended: `error` is `null` when they completed. */
  finish(row, attempt, error, now) {
    if (error !== null && typeof error !== 'string') throw new TypeError(`error must be a string or null, got ${describeType(error)}`)
    return this.#step(row, 'finish', attempt, error, now)
  }

  /** Claim `attempt` is given back without running its handlers. */
  release(row, attempt, reason, now) {
    if (typeof reason !== 'string') throw new TypeError(`reason must be a string, got ${describeType(reason)}`)
    return this.#step(row, 'release', attempt, reason, now)
  }

  /** Run the delivery again on purpose (a dead letter, a failed or a done delivery). */
  replay(row, now) {
    return this.#step(row, 'replay', undefined, undefined, now)
  }

  get [Symbol.toStringTag]() {
    return 'InboxPolicy'
  }
}

/** The wait after failed attempt `attempt`, in milliseconds. */
function inboxBackoffMs(attempt) {
  return callNative(() => native.inboxBackoffMs(attempt))
}

module.exports = { InboxPolicy, inboxBackoffMs, INBOX_DEFAULT_LEASE_MS, INBOX_DEFAULT_MAX_ATTEMPTS }
