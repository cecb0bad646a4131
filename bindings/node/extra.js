// `extra` on a parsed event (oneinbox.js calls `withExtra` on the object `JSON.parse` built from
// a body the core has validated, and only when the core said some object of it has members the
// contract does not list): those members, on each object that has some (the event, its nested
// `analysis`, a message), as in the Python binding and the core. An object without such members
// has no `extra` (defining a property costs more than parsing a small event). The table of
// listed members is generated from the contract (events.generated.js).
//
// `extra` is a non-enumerable property, so the object stays the payload as sent: `JSON.stringify`
// (which dedupe keys and call records read), spreading and `assert.deepEqual` see every member
// where it was. An unknown event's `extra` is its whole payload, `event` and `call_id` included.
'use strict'

// events.generated.d.ts declares the public part of events.generated.js; these tables are internal.
/** @typedef {{ [shape: string]: ReadonlySet<string> }} Members */
/** @typedef {{ [shape: string]: readonly (readonly [string, string, boolean])[] | undefined }} Nested */
const { KNOWN_EVENTS, MEMBERS, NESTED } = /** @type {{ KNOWN_EVENTS: readonly string[], MEMBERS: Members, NESTED: Nested }} */ (
  /** @type {unknown} */ (require('./events.generated.js'))
)

const KNOWN = new Set(KNOWN_EVENTS)

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Gives `value` (a payload object of the shape `shape`) its `extra` when it has unlisted members,
 * and its nested objects theirs.
 * @param {Record<string, unknown>} value
 * @param {string} shape
 */
function attach(value, shape) {
  const listed = /** @type {ReadonlySet<string>} */ (MEMBERS[shape])
  /** @type {Record<string, unknown> | undefined} */
  let extra
  for (const name in value) {
    if (!listed.has(name)) {
      extra ??= {}
      extra[name] = value[name]
    }
  }
  if (extra !== undefined) define(value, extra)
  for (const [member, inner, list] of NESTED[shape] ?? []) {
    const nested = value[member]
    if (list && Array.isArray(nested)) {
      for (const item of nested) if (isObject(item)) attach(item, inner)
    } else if (!list && isObject(nested)) {
      attach(nested, inner)
    }
  }
}

/**
 * Defines the non-enumerable `extra`. A payload that has a member named `extra` of its own keeps
 * it for `JSON.stringify` (a `toJSON` giving the members as sent) and in `extra.extra`.
 * @param {Record<string, unknown>} value
 * @param {Record<string, unknown>} extra
 */
function define(value, extra) {
  if (Object.hasOwn(value, 'extra')) {
    const sent = { ...value }
    Object.defineProperty(value, 'toJSON', { value: () => sent })
  }
  Object.defineProperty(value, 'extra', { value: Object.freeze(extra), enumerable: false, writable: false, configurable: false })
}

/**
 * @template T
 * @param {T} event an object `JSON.parse` built from a validated event body
 * @returns {T}
 */
function withExtra(event) {
  const value = /** @type {Record<string, unknown>} */ (event)
  const name = /** @type {string} */ (value.event)
  if (KNOWN.has(name)) attach(value, name)
  else define(value, { ...value })
  return event
}

module.exports = { withExtra }
