// The typed event router of `oneinbox-webhooks` (exported by oneinbox.js; types in oneinbox.d.ts).
// Plain JavaScript with no dependency: it routes the objects `parseEvent` returns by `event`.
'use strict'

// The names of the documented events, in the guide's order (generated from the contract).
const { KNOWN_EVENTS } = require('./events.generated.js')
/** @type {ReadonlySet<string>} */
const KNOWN = new Set(KNOWN_EVENTS)
const UNKNOWN_KEY = '' // the cache key of every unknown event (they share their handlers)

const { OneInboxError } = require('./errors.js')
const { describeType, optionsArg } = require('./internal.js')

/** @typedef {import('./oneinbox').Event} Event */
/**
 * A handler: of the event type its registration names, so its parameter may be narrower than
 * `Event` (a method signature, whose parameter TypeScript compares both ways).
 * @typedef {{ handle(event: Event): unknown }['handle']} Handler
 */
/** @typedef {Readonly<{ kind: 'event' | 'unknown' | 'any', name: string, handler: Handler }>} Route */

/**
 * @param {unknown} handler
 * @param {string} where
 * @returns {asserts handler is Handler}
 */
function checkHandler(handler, where) {
  if (typeof handler !== 'function') {
    throw new TypeError(`${where}: the handler must be a function, got ${describeType(handler)}`)
  }
}

/** `router.check()` of an exhaustive router: `.missing` names the known events without a handler. */
class MissingHandlersError extends OneInboxError {
  /** @param {readonly import('./oneinbox').KnownEventName[]} missing */
  constructor(missing) {
    const list = Object.freeze([...missing])
    super(
      `no handler for ${list.length} known event${list.length === 1 ? '' : 's'}: ${list.join(', ')} ` +
        '(register one with router.on(name, handler))',
    )
    this.code = 'ERR_ONEINBOX_MISSING_HANDLERS'
    this.missing = list
  }
}

/**
 * Routes events to handlers by `event`. Every handler that matches an event runs, one after
 * the other in registration order: those registered with `on(name)`, `onUnknown` ones for an
 * event this version does not know, and `onAny` ones for every event. `dispatch` awaits each
 * handler (sync or async) and resolves to how many ran; a handler's error rejects it at once.
 */
class Router {
  /** @type {boolean} */
  #exhaustive
  /** @type {Route[]} */
  #routes = []
  /** @type {Map<string, Route[]>} */
  #cache = new Map()

  /** @param {import('./oneinbox').RouterOptions} [options] */
  constructor(options) {
    let exhaustive = false
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object' || Array.isArray(options)) {
        throw new TypeError(`new Router(options): options must be an object, got ${describeType(options)}`)
      }
      optionsArg(options, 'new Router(options)', ['exhaustive'])
      if (options.exhaustive !== undefined) {
        if (typeof options.exhaustive !== 'boolean') {
          throw new TypeError(`new Router(options): exhaustive must be a boolean, got ${describeType(options.exhaustive)}`)
        }
        exhaustive = options.exhaustive
      }
    }
    this.#exhaustive = exhaustive
  }

  /** Whether `check()` requires a handler for every known event. */
  get exhaustive() {
    return this.#exhaustive
  }

  /**
   * Registers `handler` for one of the seven known events; returns the router.
   * @param {import('./oneinbox').KnownEventName} event
   * @param {Handler} handler
   */
  on(event, handler) {
    if (typeof event !== 'string') {
      throw new TypeError(`router.on: the event name must be a string, got ${describeType(event)}`)
    }
    if (!KNOWN.has(event)) {
      throw new RangeError(
        `router.on: ${JSON.stringify(event.slice(0, 60))} is not a known event name (known: ${KNOWN_EVENTS.join(', ')}); ` +
          'use router.onUnknown for events this version does not know',
      )
    }
    checkHandler(handler, 'router.on')
    return this.#add('event', event, handler)
  }

  /**
   * Registers `handler` for every event this version does not know (`event.event` names it).
   * @param {(event: import('./oneinbox').UnknownEvent) => unknown} handler
   */
  onUnknown(handler) {
    checkHandler(handler, 'router.onUnknown')
    return this.#add('unknown', UNKNOWN_KEY, handler)
  }

  /**
   * Registers `handler` for every event, known or not.
   * @param {(event: Event) => unknown} handler
   */
  onAny(handler) {
    checkHandler(handler, 'router.onAny')
    return this.#add('any', UNKNOWN_KEY, handler)
  }

  /**
   * For `new Router({ exhaustive: true })`: throws `MissingHandlersError` naming each known
   * event without an `on` handler (`onAny` handlers do not count). Does nothing otherwise.
   */
  check() {
    if (!this.#exhaustive) return
    const handled = new Set(this.#routes.filter((r) => r.kind === 'event').map((r) => r.name))
    const missing = KNOWN_EVENTS.filter((name) => !handled.has(name))
    if (missing.length > 0) throw new MissingHandlersError(missing)
  }

  /**
   * Calls every handler of `event` in registration order, awaiting each; resolves to how many
   * ran (0: no handler matched). Rejects with the first handler error (the rest do not run).
   * @param {Event} event
   * @returns {Promise<number>}
   */
  async dispatch(event) {
    const routes = this.#routesFor(event)
    for (const route of routes) {
      await route.handler(event)
    }
    return routes.length
  }

  /**
   * @param {Route['kind']} kind
   * @param {string} name
   * @param {Handler} handler
   */
  #add(kind, name, handler) {
    this.#routes.push(Object.freeze({ kind, name, handler }))
    this.#cache.clear()
    return this
  }

  /**
   * @param {unknown} event
   * @returns {Route[]}
   */
  #routesFor(event) {
    if (event === null || typeof event !== 'object' || !('event' in event) || typeof event.event !== 'string') {
      throw new TypeError(`router.dispatch takes an event returned by parseEvent or Receiver.receive, got ${describeType(event)}`)
    }
    const key = KNOWN.has(event.event) ? event.event : UNKNOWN_KEY
    let routes = this.#cache.get(key)
    if (routes === undefined) {
      routes = this.#routes.filter(
        (r) => r.kind === 'any' || (key === UNKNOWN_KEY ? r.kind === 'unknown' : r.kind === 'event' && r.name === key),
      )
      this.#cache.set(key, routes)
    }
    return routes
  }

  get [Symbol.toStringTag]() {
    return 'Router'
  }
}

module.exports = { Router, MissingHandlersError, KNOWN_EVENTS }
