// `oneinbox-webhooks/stores`: call records that survive retries, reordering and several workers.
// Types: stores.d.ts. The main package never loads this file.
//
// A store keeps, per delivery (by `dedupeKey(event)`), its progress in the inbox, and per call its
// `CallRecord`, into which each new delivery is folded as it arrives. `RedisStore` (redis.js)
// writes the same keys and values as Python's `oneinbox_webhooks.stores.RedisStore`, so Python
// and Node workers can share one Redis.
'use strict'

const { Ledger } = require('./oneinbox.js')

const { describeType } = require('./internal.js')

function checkEvent(event, where) {
  if (event === null || typeof event !== 'object' || typeof event.call_id !== 'string') {
    throw new TypeError(`${where} takes an event returned by parseEvent or Receiver.receive, got ${describeType(event)}`)
  }
}

function checkCallId(callId, where) {
  if (typeof callId !== 'string') {
    throw new TypeError(`${where}: callId must be a string, got ${describeType(callId)}`)
  }
}

/**
 * A store in this worker's memory: the default for one process. It keeps every call it has seen
 * while the process runs; a `worker_threads` worker has its own. Use `RedisStore` to share
 * deliveries between workers, processes and machines.
 */
class MemoryStore {
  #ledger = new Ledger()

  /** Claims the delivery of `event`: `{ new, record }` (`record` is a copy). */
  async record(event) {
    checkEvent(event, 'store.record')
    return this.#ledger.record(event)
  }

  /** The call's record (a copy), or `null` if no delivery of it was recorded. */
  async get(callId) {
    checkCallId(callId, 'store.get')
    return this.#ledger.get(callId)
  }

  get [Symbol.toStringTag]() {
    return 'MemoryStore'
  }
}

const { RedisStore } = require('./redis.js')

module.exports = { MemoryStore, RedisStore }
