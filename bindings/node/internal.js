// Helpers every module of `oneinbox-webhooks` shares, in one place: how a wrong argument is
// named, what a plain object is, calls into the addon (a Rust panic becomes a OneInboxError),
// and options objects whose unknown members are a UsageError at their JSON Pointer (escaped by
// the core's one rule). Internal: not exported by the package.
'use strict'

const native = require('./native.js')
const { OneInboxError, UsageError } = require('./errors.js')

/** @typedef {import('./index').NativeIssue} Issue - an issue as the core gives it (code, JSON Pointer path, message) */

const PANIC_PREFIX = 'oneinbox-webhooks internal error'

/**
 * How a wrong argument is named in a TypeError message ('null', 'an array', 'number', ...).
 * @param {unknown} v
 * @returns {string}
 */
function describeType(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`
  return typeof v
}

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * Whether `v` has a `Symbol.iterator` method (a Headers instance, a Map, an array, ...).
 * @param {object} v
 * @returns {v is Iterable<unknown>}
 */
function isIterable(v) {
  return typeof (/** @type {{ [Symbol.iterator]?: unknown }} */ (v)[Symbol.iterator]) === 'function'
}

// A Rust panic (a bug) reaches here as a plain Error from the native guard.
/**
 * @param {unknown} err
 * @returns {never}
 */
function rethrow(err) {
  if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(PANIC_PREFIX)) {
    const wrapped = new OneInboxError(err.message, { cause: err })
    wrapped.code = 'ERR_ONEINBOX_INTERNAL'
    throw wrapped
  }
  throw err
}

/**
 * Calls into the addon, turning a Rust panic into a OneInboxError.
 * @template T
 * @param {() => T} f
 * @returns {T}
 */
function callNative(f) {
  try {
    return f()
  } catch (err) {
    rethrow(err)
  }
}

/**
 * A native result that is either the value or the UsageError's issues.
 * @template T
 * @param {T | Issue[]} result
 * @returns {T}
 */
function valueOrThrow(result) {
  if (Array.isArray(result)) throw new UsageError(result)
  return result
}

/**
 * Throws the issues a native call returned (none: it went through).
 * @param {Issue[]} issues
 */
function throwIssues(issues) {
  if (issues.length > 0) throw new UsageError(issues)
}

/**
 * A JSON Pointer token (RFC 6901), escaped by the core.
 * @param {string | number} key
 * @returns {string}
 */
function pointerToken(key) {
  return callNative(() => native.pointerToken(String(key)))
}

/**
 * @param {string} code
 * @param {string} path
 * @param {string} message
 * @returns {Issue}
 */
function usageIssue(code, path, message) {
  return { code, path, message }
}

/**
 * An options/arguments object: `undefined`/`null` (when `optional`) or a plain object whose
 * members are all `known`. A wrong type is a TypeError; each unknown member is added to
 * `issues` as `unknown_field` at its JSON Pointer (a misspelt option must not be silently
 * ignored).
 * @param {unknown} value
 * @param {string} what
 * @param {readonly string[]} known
 * @param {Issue[]} issues
 * @param {{ optional?: boolean, noun?: string }} [flags]
 * @returns {Record<string, unknown>}
 */
function argumentObject(value, what, known, issues, { optional = false, noun = 'member' } = {}) {
  if (value === undefined || value === null) {
    if (optional) return {}
    throw new TypeError(`${what} must be an object, got ${describeType(value)}`)
  }
  if (!isPlainObject(value)) {
    throw new TypeError(`${what} must be a plain object, got ${describeType(value)}`)
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const expected = known.length === 1 ? known[0] : `one of ${known.join(', ')}`
      issues.push(
        usageIssue(
          'unknown_field',
          `/${pointerToken(key)}`,
          `${what} has no ${noun} ${JSON.stringify(key.slice(0, 40))}; expected ${expected}`,
        ),
      )
    }
  }
  return value
}

/**
 * `argumentObject` for an optional options object, throwing the UsageError at once.
 * @param {unknown} options
 * @param {string} what
 * @param {readonly string[]} known
 * @param {{ noun?: string }} [flags]
 * @returns {Record<string, unknown>}
 */
function optionsArg(options, what, known, { noun = 'member' } = {}) {
  /** @type {Issue[]} */
  const issues = []
  const value = argumentObject(options, what, known, issues, { optional: true, noun })
  if (issues.length > 0) throw new UsageError(issues)
  return value
}

// The key of the Ledger's package-internal hooks (record.js, used by stores.js): a Symbol of
// this module, so no code outside the package reaches them.
const LEDGER_INTERNALS = Symbol('oneinbox-webhooks Ledger internals')

/**
 * What `Ledger[LEDGER_INTERNALS]` holds (record.js), as stores.js uses it.
 * @typedef {object} LedgerInternals
 * @property {(ledger: import('./oneinbox').Ledger) => import('./index').NativeLedger} handle
 * @property {(handle: import('./index').NativeCallRecord, callId: string) => import('./oneinbox').CallRecord} record
 */

/**
 * What oneinbox.js hands client.js's factory (it requires client.js after defining them).
 * @typedef {object} ClientDeps
 * @property {number} DEFAULT_MAX_RETRIES
 * @property {string} API_KEY_VAR
 * @property {string} BASE_URL_VAR
 * @property {typeof import('./oneinbox').Api} Api (its methods are defined from the contract at load)
 * @property {typeof import('./errors.js').ApiError} ApiError
 * @property {typeof import('./errors.js').OneInboxError} OneInboxError
 * @property {typeof import('./oneinbox').PreparedRequest} PreparedRequest
 * @property {(text: string) => string} redactUrlToken
 * @property {typeof argumentObject} argumentObject
 * @property {(issues: Issue[]) => void} throwIfIssues
 * @property {(name: string, value: unknown, issues: Issue[]) => number | undefined} hostLimit
 */

/**
 * client.js's export, as oneinbox.js sees it (client.d.ts types the classes it makes).
 * @typedef {(deps: ClientDeps) => {
 *   Client: typeof import('./client').Client,
 *   TransportError: typeof import('./client').TransportError,
 * }} ClientFactory
 */

/**
 * What oneinbox.js hands record.js's factory.
 * @typedef {object} RecordDeps
 * @property {import('./native.js').Native} native
 * @property {typeof import('./errors.js').ValidationError} ValidationError
 * @property {typeof import('./errors.js').UsageError} UsageError
 * @property {typeof callNative} callNative
 * @property {typeof describeType} describeType
 * @property {(s: string) => boolean} isWellFormed
 */

/**
 * record.js's export, as oneinbox.js sees it (oneinbox.d.ts types the classes it makes).
 * @typedef {(deps: RecordDeps) => {
 *   CallRecord: typeof import('./oneinbox').CallRecord,
 *   Ledger: typeof import('./oneinbox').Ledger,
 *   dedupeKey: typeof import('./oneinbox').dedupeKey,
 *   ReconcilePolicy: typeof import('./oneinbox').ReconcilePolicy,
 *   synthesize: typeof import('./oneinbox').synthesize,
 *   recordIsOpen: typeof import('./oneinbox').recordIsOpen,
 * }} RecordFactory
 */

module.exports = {
  LEDGER_INTERNALS,
  describeType,
  isPlainObject,
  isIterable,
  rethrow,
  callNative,
  valueOrThrow,
  throwIssues,
  pointerToken,
  usageIssue,
  argumentObject,
  optionsArg,
}
