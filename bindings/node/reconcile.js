// `reconcile` (exported by `oneinbox-webhooks/stores`): when deliveries go missing, fetch the
// store's overdue calls with `client.getCall` and run, through the inbox and the router, the
// events their snapshots show happened but no delivery brought. The decisions are the core's
// (`ReconcilePolicy`, `synthesize`: bindings/node/src/reconcile.rs); this is the I/O around them.
'use strict'

const { CallRecord, ReconcilePolicy, synthesize } = require('./oneinbox.js')
const { describeType, optionsArg } = require('./internal.js')
const { errorText, nowMs, runAs } = require('./inbox.js')

/** The most open calls one run lists (oldest change first). */
const LIST_LIMIT = 10_000

/**
 * Recovers the events whose deliveries went missing. Lists the store's open calls
 * (`store.openCalls`: records not yet failed or complete, an index kept beside them) that
 * `policy` (default `new ReconcilePolicy()`: started and no end after 2 hours; ended and no
 * `call.analyzed` or `transcript.final` after 10 minutes, from the record's last change) finds
 * overdue at `now` (Unix ms; default `Date.now()`); fetches each with `client.getCall`
 * (`concurrency` at a time, default 8; the client retries per the core's policy; a failure is
 * counted in `errors`, never stops the run); folds the snapshot into the record; and dispatches
 * each synthesized event (`"reconciled": true`, key `<event>:<call_id>:reconciled`) through the
 * inbox like a delivery: arrive, the router's handlers, finish (a failure leaves it due for
 * `drain`). A call with nothing missing is dropped from the open calls.
 *
 * `callIds`: fetch exactly these calls, whatever the policy and the open calls say (what
 * `doctor --reconcile` passes: the calls whose events never succeeded). A call the store has
 * no record of (every delivery lost) gets one from the events synthesized.
 * @param {import('./stores').ReconcileStore} store
 * @param {{ getCall(callId: string): Promise<object> }} client
 * @param {import('./oneinbox').Router} router
 * @param {import('./stores').ReconcileOptions} [options]
 * @returns {Promise<import('./stores').ReconcileReport>}
 */
async function reconcile(store, client, router, options) {
  const where = 'reconcile(store, client, router, options)'
  const opts = /** @type {import('./stores').ReconcileOptions} */ (
    optionsArg(options, where, ['now', 'policy', 'concurrency', 'callIds'], { noun: 'option' })
  )
  for (const method of /** @type {const} */ (['openCalls', 'applyCall', 'settle', 'get', 'arrive', 'finish'])) {
    if (store === null || typeof store !== 'object' || typeof store[method] !== 'function') {
      throw new TypeError(`${where}: store must list its open calls (MemoryStore, RedisStore), got ${describeType(store)}`)
    }
  }
  if (client === null || typeof client !== 'object' || typeof client.getCall !== 'function') {
    throw new TypeError(`${where}: client must have getCall (a Client), got ${describeType(client)}`)
  }
  if (router === null || typeof router !== 'object' || typeof router.dispatch !== 'function') {
    throw new TypeError(`${where}: router must be a Router, got ${describeType(router)}`)
  }
  const policy = opts.policy ?? new ReconcilePolicy()
  if (!(policy instanceof ReconcilePolicy)) throw new TypeError(`${where}: policy must be a ReconcilePolicy, got ${describeType(policy)}`)
  const concurrency = opts.concurrency ?? 8
  if (typeof concurrency !== 'number' || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`${where}: concurrency must be a whole number of 1 or more, got ${String(concurrency)}`)
  }
  // Decisions use one `now`; the store stamps each write with its own clock unless the caller
  // pinned the time (`options.now`), so a claim's lease starts when it is taken.
  const now = nowMs(opts.now)
  const at = { now: opts.now }
  // A Router's dispatch takes any event (`Dispatcher` declares it with `never` for that).
  const dispatcher = /** @type {{ dispatch(event: import('./oneinbox').Event): unknown }} */ (router)
  const { parseEvent } = require('./oneinbox.js')

  /** @type {Map<string, number>} call id → when its record last changed */
  const overdue = new Map()
  if (opts.callIds !== undefined) {
    if (!Array.isArray(opts.callIds) || !opts.callIds.every((id) => typeof id === 'string' && id !== '')) {
      throw new TypeError(`${where}: options.callIds must be an array of non-empty call ids, got ${describeType(opts.callIds)}`)
    }
    for (const id of opts.callIds) overdue.set(id, now) // named: never given up on by time
  } else {
    const before = now - Math.min(policy.ongoingAfterMs, policy.endedAfterMs)
    for (const { callId, changedAt } of await store.openCalls(before, LIST_LIMIT)) {
      const record = await store.get(callId)
      if (record === null || policy.missing(record).length === 0) await store.settle(callId)
      else if (policy.overdue(record, changedAt, now) !== null) overdue.set(callId, changedAt)
    }
  }

  /** @type {import('./stores').ReconcileReport} */
  const report = { checked: 0, recovered: {}, missing: {}, errors: {}, failed: [] }
  /** @param {string} callId */
  const fetchOne = async (callId) => {
    try {
      return { callId, call: await client.getCall(callId) }
    } catch (err) {
      return { callId, call: undefined, error: errorText(err) }
    }
  }
  const ids = [...overdue.keys()]
  // `concurrency` fetches at a time; a run holds at most one batch of calls.
  for (let i = 0; i < ids.length; i += concurrency) {
    for (const { callId, call, error } of await Promise.all(ids.slice(i, i + concurrency).map(fetchOne))) {
      if (call === undefined) {
        report.errors[callId] = error ?? 'no call'
        continue
      }
      report.checked += 1
      const record = await store.applyCall(call, at)
      const known = record ?? new CallRecord(/** @type {{ id: string }} */ (call).id)
      for (const { event: name, key, body } of synthesize(known, call)) {
        const data = Buffer.from(body, 'utf8')
        const event = parseEvent(data)
        const arrival = await store.arrive(event, data, at)
        if (arrival.delivery === null) continue
        report.recovered[name] = (report.recovered[name] ?? 0) + 1
        try {
          await runAs(arrival.delivery, () => dispatcher.dispatch(event))
        } catch (err) {
          await store.finish(arrival.delivery, errorText(err), at)
          report.failed.push(key)
          continue
        }
        await store.finish(arrival.delivery, null, at)
      }
      // A record now exists if anything was synthesized: fold the snapshot into it.
      if (record === null) await store.applyCall(call, at)
      const after = await store.get(callId)
      const missing = after === null ? [] : policy.missing(after)
      if (missing.length > 0) report.missing[callId] = missing
      if (after === null || policy.settled(after, overdue.get(callId) ?? now, now)) await store.settle(callId)
    }
  }
  return report
}

module.exports = { reconcile }
