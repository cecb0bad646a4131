// Call records and dedupe keys of `oneinbox-webhooks` (exported by oneinbox.js; types in
// oneinbox.d.ts). A thin layer over the native record functions (bindings/node/src/record.rs;
// a record is an `External` the class holds):
// an event crosses as the text `JSON.stringify` writes for it, and the Rust core parses it again,
// so keys and records are byte for byte those of the Rust core and of the Python binding.
'use strict'

const { inspect } = require('node:util')
const { LEDGER_INTERNALS } = require('./internal.js')

// `ValidationError`, `UsageError`, `callNative` (which turns a Rust panic into a OneInboxError)
// and the addon come from oneinbox.js, which requires this file.
/** @typedef {ReturnType<typeof import('./index').newCallRecord>} NativeCallRecord */

/** @param {import('./internal.js').RecordDeps} deps */
module.exports = function makeRecord({ native, ValidationError, UsageError, callNative, describeType, isWellFormed }) {
  // The JSON text of an event object, for the core. Anything but a plain object (an event from
  // `parseEvent`) is a TypeError: a raw body must go through `parseEvent` first.
  /**
   * @param {unknown} event
   * @param {string} where
   * @returns {string}
   */
  function eventText(event, where) {
    if (event === null || typeof event !== 'object' || Array.isArray(event) || ArrayBuffer.isView(event)) {
      const hint = ArrayBuffer.isView(event) || typeof event === 'string' ? '; pass the event parseEvent returned, not the raw body' : ''
      throw new TypeError(`${where}: expected an event returned by parseEvent, got ${describeType(event)}${hint}`)
    }
    return JSON.stringify(event)
  }

  /**
   * `dedupeKey(event)`: `"<event name>:<call_id>:<64 hex digits of SHA-256>"` over the event's
   * RFC 8785 canonical JSON. The same for the same content whatever its member order, whitespace
   * or number spelling; different for any change of content. Throws `ValidationError` when the
   * object is not an event (for example after removing its `call_id`).
   * @param {import('./oneinbox').Event} event
   * @returns {string}
   */
  function dedupeKey(event) {
    const text = eventText(event, 'dedupeKey')
    const r = callNative(() => native.dedupeKey(text))
    if (Array.isArray(r)) throw new ValidationError(r)
    return r
  }

  /**
   * @template T
   * @param {T} v
   * @returns {T}
   */
  function deepFreeze(v) {
    if (v !== null && typeof v === 'object') {
      for (const item of Object.values(v)) deepFreeze(item)
      Object.freeze(v)
    }
    return v
  }

  // Lets `fromJson` and a ledger wrap an existing native record (a ledger's is shared with the
  // ledger until either changes) without the constructor's argument check.
  const WRAP = Symbol('wrap')

  /**
   * What is known about one call, folded from its events in any order, with any repeats, and
   * merged across workers: the record is a function of the set of events applied (see the
   * README and `schemas/call-record.schema.json` for the rules). Read the values through the
   * getters with the wire names (`record.status`, `record.outcome`, ...): frozen values.
   */
  class CallRecord {
    /** @type {NativeCallRecord} the native record */
    #native
    /** @type {import('./oneinbox').CallRecordJson | undefined} the frozen JSON form, made when first read after a change */
    #view
    /** @type {string | undefined} never changes: read without making the view (the stores read it per delivery) */
    #callId

    // (`WRAP`, native record, call id if known): a record made by the core.
    /**
     * @overload
     * @param {string} callId
     */
    /**
     * @overload
     * @param {typeof WRAP} callId
     * @param {NativeCallRecord} handle
     * @param {string} [knownCallId]
     */
    /**
     * @param {unknown} callId
     * @param {NativeCallRecord} [handle]
     * @param {string} [knownCallId]
     */
    constructor(callId, handle, knownCallId) {
      if (callId === WRAP) {
        this.#native = /** @type {NativeCallRecord} */ (handle)
        this.#callId = knownCallId
        return
      }
      if (typeof callId !== 'string') {
        throw new TypeError(`CallRecord: callId must be a string, got ${describeType(callId)}`)
      }
      if (!isWellFormed(callId)) {
        throw new UsageError([
          { code: 'invalid_value', path: '/callId', message: '`callId` holds a lone UTF-16 surrogate, which is not text' },
        ])
      }
      this.#native = callNative(() => native.newCallRecord(callId))
      this.#callId = callId
    }

    /**
     * Reads the JSON form (a string or UTF-8 bytes); throws `ValidationError` listing every issue.
     * @param {string | Uint8Array | ArrayBuffer} text
     * @returns {CallRecord}
     */
    static fromJson(text) {
      /** @type {Uint8Array} */
      let bytes
      if (typeof text === 'string') {
        if (!isWellFormed(text)) {
          throw new ValidationError([
            { code: 'invalid_json', path: '', message: 'invalid JSON: the text holds a lone UTF-16 surrogate, which is not text' },
          ])
        }
        bytes = Buffer.from(text, 'utf8')
      } else if (text instanceof Uint8Array) {
        bytes = text
      } else if (text instanceof ArrayBuffer) {
        bytes = new Uint8Array(text)
      } else {
        throw new TypeError(`CallRecord.fromJson: expected a string or bytes, got ${describeType(text)}`)
      }
      const r = callNative(() => native.callRecordFromJson(bytes))
      if (Array.isArray(r)) throw new ValidationError(r)
      return new CallRecord(WRAP, r)
    }

    /**
     * Folds one event (as `parseEvent` returned it) into the record: `{ changed, ignored }`, where
     * `ignored` says why an event was left out (it belongs to another call), else `null`.
     * @param {import('./oneinbox').Event} event
     * @returns {import('./oneinbox').Applied}
     */
    apply(event) {
      const text = eventText(event, 'CallRecord.apply')
      const handle = this.#native
      const r = callNative(() => native.recordApply(handle, text))
      if (r.issues) throw new ValidationError(r.issues)
      if (r.changed) this.#view = undefined
      return Object.freeze({ changed: r.changed, ignored: r.ignored ?? null })
    }

    /**
     * Folds a snapshot of the call (a plain object, as `client.getCall` returns it): its
     * values rank below every event's; its status raises `status` and never lowers it. A
     * snapshot of another call is ignored (`ignored` says why); one that is not a call throws
     * `ValidationError`.
     * @param {object} call
     * @returns {import('./oneinbox').Applied}
     */
    applyCall(call) {
      const text = callText(call, 'CallRecord.applyCall')
      const handle = this.#native
      const r = callNative(() => native.recordApplyCall(handle, text))
      if (Array.isArray(r)) throw new ValidationError(r)
      if (r.changed) this.#view = undefined
      return Object.freeze({ changed: r.changed, ignored: r.ignored ?? null })
    }

    /**
     * Whether the handlers of a delivery of `event` (a name) with dedupe key `key` already ran
     * through reconciliation (a store then records it as a repeat).
     * @param {string} event
     * @param {string} key
     * @returns {boolean}
     */
    covers(event, key) {
      if (typeof event !== 'string' || typeof key !== 'string') {
        throw new TypeError(`CallRecord.covers: event and key must be strings, got ${describeType(event)}, ${describeType(key)}`)
      }
      const handle = this.#native
      return callNative(() => native.recordCovers(handle, event, key))
    }

    /** @param {CallRecord} record */
    static #handle(record) {
      return record.#native
    }

    // For reconcile.js's policy and synthesize (below): a record's native handle.
    /** @param {CallRecord} record */
    static handleOf(record) {
      if (!(record instanceof CallRecord)) {
        throw new TypeError(`expected a CallRecord, got ${describeType(record)}`)
      }
      return CallRecord.#handle(record)
    }

    /**
     * Combines `other` into this record, as if this record had also seen every event `other`
     * saw; returns whether this record changed. Throws `UsageError` for records of different calls.
     * @param {CallRecord} other
     * @returns {boolean}
     */
    merge(other) {
      if (!(other instanceof CallRecord)) {
        throw new TypeError(`CallRecord.merge: expected a CallRecord, got ${describeType(other)}`)
      }
      if (other === this) return false
      const theirs = other.#native
      const handle = this.#native
      const r = callNative(() => native.recordMerge(handle, theirs))
      if (Array.isArray(r)) throw new UsageError(r)
      if (r) this.#view = undefined
      return r
    }

    /** A new record equal to this one (changing either leaves the other as it is). */
    copy() {
      const handle = this.#native
      return new CallRecord(
        WRAP,
        callNative(() => native.recordCopy(handle)),
        this.#callId,
      )
    }

    /**
     * The JSON form (compact, members in a fixed order), which `CallRecord.fromJson` reads back.
     * @returns {string}
     */
    toJson() {
      const handle = this.#native
      return callNative(() => native.recordToJson(handle))
    }

    /**
     * The JSON form as a new plain object, so that `JSON.stringify(record)` writes it.
     * @returns {import('./oneinbox').CallRecordJson}
     */
    toJSON() {
      return JSON.parse(this.toJson())
    }

    /**
     * @template {keyof import('./oneinbox').CallRecordJson} K
     * @param {K} name
     * @returns {import('./oneinbox').CallRecordJson[K]}
     */
    #get(name) {
      const view = this.#view ?? deepFreeze(this.toJSON())
      this.#view = view
      return view[name]
    }

    get call_id() {
      if (this.#callId === undefined) this.#callId = this.#get('call_id')
      return this.#callId
    }
    get status() {
      return this.#get('status')
    }
    get agent_id() {
      return this.#get('agent_id')
    }
    get to_number() {
      return this.#get('to_number')
    }
    get from_number() {
      return this.#get('from_number')
    }
    get started_at() {
      return this.#get('started_at')
    }
    get duration_seconds() {
      return this.#get('duration_seconds')
    }
    get outcome() {
      return this.#get('outcome')
    }
    get ai_summary() {
      return this.#get('ai_summary')
    }
    get analysis() {
      return this.#get('analysis')
    }
    get failure_reason() {
      return this.#get('failure_reason')
    }
    get recording_url() {
      return this.#get('recording_url')
    }
    get transcript() {
      return this.#get('transcript')
    }
    get transcript_final() {
      return this.#get('transcript_final')
    }
    get events_seen() {
      return this.#get('events_seen')
    }
    /** The greatest status a snapshot showed (`unknown` when none did). */
    get snapshot_status() {
      return this.#get('snapshot_status') ?? 'unknown'
    }
    /** The names of the events applied from reconciliation, sorted. */
    get reconciled() {
      return this.#get('reconciled') ?? Object.freeze([])
    }

    /**
     * @param {number} depth
     * @param {import('node:util').InspectOptionsStylized} options
     * @param {typeof inspect} inspectFn
     */
    [inspect.custom](depth, options, inspectFn) {
      const shown = { call_id: this.call_id, status: this.status, events_seen: this.events_seen }
      return `CallRecord ${inspectFn(shown, { ...options, depth: options.depth === null ? null : Number(options.depth) - 1 })}`
    }
  }

  /**
   * The deliveries seen and the records they fold into, in this worker's memory: per call, the
   * dedupe keys of the deliveries and the call's record (what `MemoryStore` keeps). One call
   * into the core per delivery.
   */
  class Ledger {
    #native = callNative(() => native.newLedger())

    // For this package's MemoryStore (stores.js), whose native inbox folds each delivery into
    // this ledger: its native handle, and a record from the native record it shares.
    static [LEDGER_INTERNALS] = Object.freeze({
      /** @param {Ledger} ledger */
      handle: (ledger) => ledger.#native,
      /**
       * @param {NativeCallRecord} handle
       * @param {string} callId
       */
      record: (handle, callId) => new CallRecord(WRAP, handle, callId),
    })

    /**
     * Claims the delivery of `event` (as `parseEvent` returned it): `{ new, record }`, whether
     * its dedupe key is new for its call and a copy of the call's record with the event.
     * @param {import('./oneinbox').Event} event
     */
    record(event) {
      const text = eventText(event, 'Ledger.record')
      const handle = this.#native
      const r = callNative(() => native.ledgerRecord(handle, text))
      if (Array.isArray(r)) throw new ValidationError(r)
      // A new delivery's record comes bare (the common case: no object made around it), a
      // repeat's in a `NativeRepeat`. The record is shared with the ledger until either changes.
      // Told apart by shape, not by `util.types.isExternal`: an External of the WASI build is
      // a plain object.
      const repeat = /** @type {Partial<import('./index').NativeRepeat>} */ (r).record
      const fresh = repeat === undefined
      const handleOf = repeat ?? /** @type {NativeCallRecord} */ (r)
      const record = new CallRecord(WRAP, handleOf, event.call_id)
      return Object.freeze({ new: fresh, record })
    }

    /**
     * A copy of the call's record, or `null` if no delivery of it was recorded.
     * @param {string} callId
     * @returns {CallRecord | null}
     */
    get(callId) {
      if (typeof callId !== 'string') {
        throw new TypeError(`Ledger.get: callId must be a string, got ${describeType(callId)}`)
      }
      // A lone surrogate would reach the addon as U+FFFD: another call id. No call has it.
      if (!isWellFormed(callId)) return null
      const handle = this.#native
      const r = callNative(() => native.ledgerGet(handle, callId))
      if (r === null) return null
      return new CallRecord(WRAP, r, callId)
    }

    /** The number of calls seen. */
    get size() {
      const handle = this.#native
      return callNative(() => native.ledgerSize(handle))
    }

    get [Symbol.toStringTag]() {
      return 'Ledger'
    }
  }

  // The JSON text of a call object (a plain object from `client.getCall`), for the core.
  /**
   * @param {unknown} call
   * @param {string} where
   * @returns {string}
   */
  function callText(call, where) {
    if (call === null || typeof call !== 'object' || Array.isArray(call)) {
      throw new TypeError(`${where}: expected a call (a plain object from client.getCall), got ${describeType(call)}`)
    }
    return JSON.stringify(call)
  }

  /**
   * When a record is overdue, measured from its last change: `ongoingAfterMs` without an end
   * (default 2 hours), `endedAfterMs` after the end without every event of `expect` (default
   * 10 minutes; `call.analyzed` and `transcript.final`; `call.recording.available` only when
   * listed). A bad value is a UsageError (paths name the core's JSON members).
   */
  class ReconcilePolicy {
    /** @type {import('./index').NativeReconcilePolicy} */
    #native
    /** @type {{ ongoing_after_ms: number, ended_after_ms: number, expect: string[] }} */
    #json

    /** @param {import('./oneinbox').ReconcilePolicyOptions} [options] */
    constructor(options) {
      if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
        throw new TypeError(`new ReconcilePolicy(options): options must be an object, got ${describeType(options)}`)
      }
      /** @type {Record<string, string>} */
      const names = { ongoingAfterMs: 'ongoing_after_ms', endedAfterMs: 'ended_after_ms', expect: 'expect' }
      /** @type {Record<string, unknown>} */
      const json = {}
      for (const [k, v] of Object.entries(options ?? {})) {
        if (v !== undefined) json[names[k] ?? k] = v
      }
      const r = callNative(() => native.newReconcilePolicy(JSON.stringify(json)))
      if (Array.isArray(r)) throw new UsageError(r)
      this.#native = r
      this.#json = JSON.parse(r.toJson())
    }

    get ongoingAfterMs() {
      return this.#json.ongoing_after_ms
    }
    get endedAfterMs() {
      return this.#json.ended_after_ms
    }
    /** @returns {readonly string[]} */
    get expect() {
      return Object.freeze([...this.#json.expect])
    }

    /**
     * The events `record` still expects (none for a failed call or a record without events).
     * @param {CallRecord} record
     * @returns {string[]}
     */
    missing(record) {
      const handle = CallRecord.handleOf(record)
      return callNative(() => this.#native.missing(handle))
    }

    /**
     * Whether a reconciler is done with `record`, last changed at `changedAt`, at `now` (Unix
     * ms): nothing is missing, or the snapshot shows the call over and it has been quiet for a
     * day.
     * @param {CallRecord} record
     * @param {number} changedAt
     * @param {number} now
     * @returns {boolean}
     */
    settled(record, changedAt, now) {
      const handle = CallRecord.handleOf(record)
      return callNative(() => this.#native.settled(handle, changedAt, now))
    }

    /**
     * Whether to fetch the call of `record`, last changed at `changedAt`, at `now` (Unix ms):
     * `{ reason, missing, quietMs }` or `null`.
     * @param {CallRecord} record
     * @param {number} changedAt
     * @param {number} now
     * @returns {import('./oneinbox').Overdue | null}
     */
    overdue(record, changedAt, now) {
      const handle = CallRecord.handleOf(record)
      const o = callNative(() => this.#native.overdue(handle, changedAt, now))
      return o
        ? Object.freeze({ reason: /** @type {'no_end' | 'missing_events'} */ (o.reason), missing: o.missing, quietMs: o.quietMs })
        : null
    }
  }

  /**
   * The events the snapshot `call` shows happened and `record` lacks: `{ event, key, body }`
   * each, `body` a full event's JSON text with `"reconciled": true`, `key`
   * `<event>:<call_id>:reconciled`. Throws UsageError for a snapshot of another call.
   * @param {CallRecord} record
   * @param {object} call
   * @returns {import('./oneinbox').Synthesized[]}
   */
  function synthesize(record, call) {
    const handle = CallRecord.handleOf(record)
    const text = callText(call, 'synthesize')
    const r = callNative(() => native.synthesize(handle, text))
    if (r.length > 0 && 'code' in r[0]) throw new UsageError(/** @type {import('./index').NativeIssue[]} */ (r))
    return /** @type {import('./index').NativeSynthesized[]} */ (r).map((s) => Object.freeze({ event: s.event, key: s.key, body: s.body }))
  }

  /**
   * Whether a store lists `record` among its open calls (until failed, or ended with every
   * event any policy can expect).
   * @param {CallRecord} record
   * @returns {boolean}
   */
  function recordIsOpen(record) {
    const handle = CallRecord.handleOf(record)
    return callNative(() => native.recordIsOpen(handle))
  }

  return { CallRecord, Ledger, dedupeKey, ReconcilePolicy, synthesize, recordIsOpen }
}
