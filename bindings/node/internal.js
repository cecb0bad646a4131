// Helpers every module of `oneinbox-webhooks` shares, in one place: how a wrong argument is
// named, what a plain object is, calls into the addon (a Rust panic becomes a OneInboxError),
// and options objects whose unknown members are a UsageError at their JSON Pointer (escaped by
// the core's one rule). Internal: not exported by the package.
'use strict'

const native = require('./native.js')
const { OneInboxError, UsageError } = require('./errors.js')

const PANIC_PREFIX = 'oneinbox-webhooks internal error'

/** How a wrong argument is named in a TypeError message ('null', 'an array', 'number', ...). */
function describeType(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`
  return typeof v
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// A Rust panic (a bug) reaches here as a plain Error from the native guard.
function rethrow(err) {
  if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(PANIC_PREFIX)) {
    const wrapped = new OneInboxError(err.message, { cause: err })
    wrapped.code = 'ERR_ONEINBOX_INTERNAL'
    throw wrapped
  }
  throw err
}

/** Calls into the addon, turning a Rust panic into a OneInboxError. */
function callNative(f) {
  try {
    return f()
  } catch (err) {
    rethrow(err)
  }
}

/** A native result that is either the value or the UsageError's issues. */
function valueOrThrow(result) {
  if (Array.isArray(result)) throw new UsageError(result)
  return result
}

/** A JSON Pointer token (RFC 6901), escaped by the core. */
function pointerToken(key) {
  return callNative(() => native.pointerToken(String(key)))
}

function usageIssue(code, path, message) {
  return { code, path, message }
}

/**
 * An options/arguments object: `undefined`/`null` (when `optional`) or a plain object whose
 * members are all `known`. A wrong type is a TypeError; each unknown member is added to
 * `issues` as `unknown_field` at its JSON Pointer (a misspelt option must not be silently
 * ignored).
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

/** `argumentObject` for an optional options object, throwing the UsageError at once. */
function optionsArg(options, what, known, { noun = 'member' } = {}) {
  const issues = []
  const value = argumentObject(options, what, known, issues, { optional: true, noun })
  if (issues.length > 0) throw new UsageError(issues)
  return value
}

// The key of the Ledger's package-internal hooks (record.js, used by stores.js): a Symbol of
// this module, so no code outside the package reaches them.
const LEDGER_INTERNALS = Symbol('oneinbox-webhooks Ledger internals')

module.exports = {
  LEDGER_INTERNALS,
  describeType,
  isPlainObject,
  rethrow,
  callNative,
  valueOrThrow,
  pointerToken,
  usageIssue,
  argumentObject,
  optionsArg,
}
