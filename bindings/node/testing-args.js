// The argument helpers of `oneinbox-webhooks/testing` (testing.js: the factories; fake.js: the
// fake OneInbox): one copy, internal to the package.
'use strict'

const { OneInboxError, UsageError } = require('./oneinbox.js') // first: it explains a missing addon
const native = require('./index.js')
const { describeType } = require('./describe.js')

const PANIC_PREFIX = 'oneinbox-webhooks internal error'

function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// Calls into the addon: a Rust panic (a bug) becomes a OneInboxError.
function callNative(f) {
  try {
    return f()
  } catch (err) {
    if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(PANIC_PREFIX)) {
      const wrapped = new OneInboxError(err.message, { cause: err })
      wrapped.code = 'ERR_ONEINBOX_INTERNAL'
      throw wrapped
    }
    throw err
  }
}

// A native result that is either the value or the UsageError's issues.
function valueOrThrow(result) {
  if (Array.isArray(result)) throw new UsageError(result)
  return result
}

// An options object (or nothing): a plain object whose members are all `known`.
function optionsArg(options, what, known) {
  if (options === undefined || options === null) return {}
  if (!isPlainObject(options)) throw new TypeError(`${what} must be a plain object, got ${describeType(options)}`)
  const issues = []
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      issues.push({
        code: 'unknown_field',
        path: `/${native.pointerToken(key)}`,
        message: `${what} has no member ${JSON.stringify(key.slice(0, 40))}; expected one of ${known.join(', ')}`,
      })
    }
  }
  if (issues.length > 0) throw new UsageError(issues)
  return options
}

module.exports = { isPlainObject, callNative, valueOrThrow, optionsArg }
