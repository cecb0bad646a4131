// The error classes of `oneinbox-webhooks`: every error the package throws on purpose is a
// `OneInboxError` with a stable `code`; those about data carry `.issues` (code, JSON Pointer
// path, message).
'use strict'

/** @typedef {import('./index').NativeIssue} Issue - an issue as the core gives it (code, JSON Pointer path, message) */
/** @typedef {import('./oneinbox').Verification} Verification */

/** The base class of every error this package throws (code `ERR_ONEINBOX`). */
class OneInboxError extends Error {
  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, options)
    this.code = 'ERR_ONEINBOX'
  }

  get name() {
    return this.constructor.name
  }
}

/**
 * @param {string} what
 * @param {readonly Issue[]} issues
 */
function describeIssues(what, issues) {
  if (issues.length === 1) {
    const i = issues[0]
    return `${what}: ${i.path === '' ? '(body)' : i.path}: ${i.message} [${i.code}]`
  }
  const lines = issues.map((i) => `\n  - ${i.path === '' ? '(body)' : i.path}: ${i.message} [${i.code}]`)
  return `${what} (${issues.length} issues):${lines.join('')}`
}

/**
 * @param {readonly Issue[]} issues
 * @returns {readonly Issue[]}
 */
function freezeIssues(issues) {
  return Object.freeze(issues.map((i) => Object.freeze({ code: i.code, path: i.path, message: i.message })))
}

/** A payload or response that does not match its contract; `.issues` lists every problem. */
class ValidationError extends OneInboxError {
  /**
   * @param {readonly Issue[]} issues
   * @param {string} [what]
   */
  constructor(issues, what = 'invalid payload') {
    const list = freezeIssues(issues)
    super(describeIssues(what, list))
    this.code = 'ERR_ONEINBOX_VALIDATION'
    this.issues = list
  }
}

/** A caller passed an argument that cannot make a valid request; `.issues` lists every problem. */
class UsageError extends OneInboxError {
  /** @param {readonly Issue[]} issues */
  constructor(issues) {
    const list = freezeIssues(issues)
    super(describeIssues('invalid argument', list))
    this.code = 'ERR_ONEINBOX_USAGE'
    this.issues = list
  }
}

/**
 * The OneInbox API answered with a non-2xx status. `.details` lists the items of a FastAPI-style
 * validation body as issues (paths into the request arguments). `.retryable` follows the
 * request's policy (`PreparedRequest.retry`): 408, 429 and 5xx for idempotent requests, only 429
 * and 503 for `createWebhook` and `createCall` (see `retryAfter`).
 */
class ApiError extends OneInboxError {
  /**
   * @param {number} status
   * @param {string} message
   * @param {readonly Issue[]} [details]
   * @param {boolean} [retryable]
   */
  constructor(status, message, details = [], retryable = false) {
    super(message)
    this.code = 'ERR_ONEINBOX_API'
    this.status = status
    this.details = freezeIssues(Array.isArray(details) ? details : [])
    this.retryable = retryable
  }
}

/**
 * A delivery that did not authenticate (`Receiver.receive`): answer 401 and do not process it.
 * `.verification` says why (`.verification.code`); no secret is ever part of the error.
 */
class AuthenticationError extends OneInboxError {
  /** @param {Verification} verification */
  constructor(verification) {
    super(`delivery not authenticated: ${verification.code}`)
    this.code = 'ERR_ONEINBOX_AUTHENTICATION'
    this.verification = verification
  }
}

module.exports = { OneInboxError, ValidationError, UsageError, ApiError, AuthenticationError }
