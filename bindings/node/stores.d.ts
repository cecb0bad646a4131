// Types of `oneinbox-webhooks/stores` (hand-written, next to stores.js).
import type { CallRecord, Event, ReconcilePolicy, Router } from './oneinbox.js'
import type { Arrival, AtTime, DeadLetter, Delivery, InboxPolicy, InboxRow, InboxStore, InboxVerdict } from './inbox.js'

export type { Arrival, DeadLetter, Delivery, DrainOptions, DrainReport, InboxStore } from './inbox.js'
export { currentDelivery, DEFAULT_RETENTION, drain } from './inbox.js'
export { ReconcilePolicy } from './oneinbox.js'

/** An open call (not yet failed or complete) and when its record last changed (Unix ms). */
export interface OpenCall {
  readonly callId: string
  readonly changedAt: number
}

/** What {@link reconcile} needs of a store (MemoryStore, RedisStore). */
export interface ReconcileStore {
  openCalls(changedBefore: number, limit?: number): Promise<OpenCall[]>
  applyCall(call: object, options?: AtTime): Promise<CallRecord | null>
  settle(callId: string): Promise<void>
  get(callId: string): Promise<CallRecord | null>
  arrive(event: Event, body?: Uint8Array | null, options?: AtTime): Promise<Arrival<CallRecord>>
  finish(delivery: Delivery, error?: string | null, options?: AtTime): Promise<InboxVerdict>
}

/** {@link reconcile}'s options. */
export interface ReconcileOptions {
  /** Unix ms (default `Date.now()`). */
  now?: number
  /** Default `new ReconcilePolicy()`. */
  policy?: ReconcilePolicy
  /** `getCall` requests at a time (8). */
  concurrency?: number
  /**
   * Reconcile exactly these calls, whatever the policy and the open calls say (what `doctor
   * --reconcile` passes); a call with no record gets one from the events synthesized.
   */
  callIds?: string[]
}

/** What one {@link reconcile} did. */
export interface ReconcileReport {
  /** The overdue calls fetched. */
  checked: number
  /** The synthesized events recorded, per event name. */
  recovered: Record<string, number>
  /** The events each call still misses afterwards. */
  missing: Record<string, string[]>
  /** The calls that could not be fetched: call id to the error's text. */
  errors: Record<string, string>
  /** The keys of the synthesized deliveries whose handlers failed (due for the worker). */
  failed: string[]
}

/**
 * Fetches the store's overdue calls with `client.getCall` and runs, through the inbox and the
 * router, the events their snapshots show happened but no delivery brought
 * (`"reconciled": true`, key `<event>:<call_id>:reconciled`).
 */
export function reconcile(
  store: ReconcileStore,
  client: { getCall(callId: string): Promise<object> },
  router: Router,
  options?: ReconcileOptions,
): Promise<ReconcileReport>

/** What {@link Store.record} did with one delivery. */
export interface Recorded {
  /**
   * `true` if no worker had recorded this delivery before (by its dedupe key): process it.
   * `false` for a retry or any other copy of a delivery already recorded.
   */
  readonly new: boolean
  /** The call's record with this delivery included (a copy: changing it changes no store). */
  readonly record: CallRecord
}

/** What every store offers: {@link MemoryStore}, {@link RedisStore}. */
export interface Store {
  /**
   * Claims the delivery of `event` (atomically, across every worker sharing the store) and
   * resolves to whether it is new and the call's record with it.
   */
  record(event: Event): Promise<Recorded>
  /** The record of the call, or `null` if no delivery of it was recorded. */
  get(callId: string): Promise<CallRecord | null>
}

/** Options of {@link MemoryStore}; unknown names are refused. */
export interface MemoryStoreOptions {
  /** Seconds a claim lasts before the delivery is due again (default 60). */
  lease?: number
  /** Handler runs before a delivery is dead (default 10). */
  maxAttempts?: number
  /** The most deliveries kept; past it the oldest done ones are dropped (default 100000). */
  maxDeliveries?: number
}

/**
 * A store in this worker's memory: the default for one process (a `worker_threads` worker has
 * its own). It keeps every call it has seen while the process runs, and an inbox of at most
 * `maxDeliveries` deliveries (lost with the process). Times are Unix ms (`Date.now()`).
 */
export class MemoryStore implements Store, InboxStore<CallRecord> {
  constructor(options?: MemoryStoreOptions)
  record(event: Event): Promise<Recorded>
  get(callId: string): Promise<CallRecord | null>
  /** A delivery arrived (`body`: its raw bytes; the event's JSON when absent). */
  arrive(event: Event, body?: Uint8Array | null, options?: AtTime): Promise<Arrival<CallRecord>>
  /** The handlers of `delivery` ended (`error`: why they failed, null when they completed). */
  finish(delivery: Delivery, error?: string | null, options?: AtTime): Promise<InboxVerdict>
  /** Gives the claim back without running it. */
  release(delivery: Delivery, reason: string, options?: AtTime): Promise<InboxVerdict>
  /** The keys of up to `limit` (100) deliveries due now, the longest due first. */
  due(options?: AtTime & { limit?: number }): Promise<string[]>
  /** A worker's claim of the due delivery `key`. */
  take(key: string, options?: AtTime): Promise<{ verdict: InboxVerdict; delivery: Delivery | null }>
  /** Makes `key` (a dead letter, say) due now, its attempts from 0. */
  replay(key: string, options?: AtTime): Promise<InboxVerdict>
  /** Up to `limit` (100) dead letters, oldest first. */
  dead(options?: { limit?: number }): Promise<DeadLetter[]>
  /** Drops done deliveries older than `olderThan` seconds (7 days; dead ones too with `includeDead`): how many. */
  prune(options?: AtTime & { olderThan?: number; includeDead?: boolean }): Promise<number>
  row(key: string): Promise<InboxRow | null>
  /** For {@link reconcile}: the open calls last changed at or before `changedBefore` (Unix ms). */
  openCalls(changedBefore: number, limit?: number): Promise<OpenCall[]>
  /** Folds a snapshot (a call object) into its call's record; null when there is none. */
  applyCall(call: object, options?: AtTime): Promise<CallRecord | null>
  /** Drops `callId` from the open calls. */
  settle(callId: string): Promise<void>
  /** Runs `fn` for a delivery of your own: done when it returns, failed when it throws (rethrown). */
  claim(event: Event, fn: (delivery: Delivery) => unknown, options?: AtTime): Promise<Arrival<CallRecord>>
  claim(
    event: Event,
    body: Uint8Array | null | undefined,
    fn: (delivery: Delivery) => unknown,
    options?: AtTime,
  ): Promise<Arrival<CallRecord>>
}

/** The commands a node-redis (v4 or later) client offers to {@link RedisStore}. */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
  hGetAll(key: string): Promise<unknown>
}

/** The commands an ioredis client offers to {@link RedisStore}. */
export interface IoRedisClient {
  call(command: string, ...args: string[]): Promise<unknown>
  hgetall(key: string): Promise<unknown>
}

/** Options of {@link RedisStore}; unknown names are refused. */
export interface RedisStoreOptions {
  /** Prepended to every key: a call's record is `${prefix}r:${callId}`. Default `'oneinbox:'`. */
  prefix?: string
  /** Drop a call's record this many seconds after its last delivery (EXPIRE). Default: never. */
  ttlSeconds?: number
  /** Seconds a claim lasts (default 60): a claim whose handlers have not finished is due again. */
  lease?: number
  /** Handler runs before a delivery is dead (default 10). */
  maxAttempts?: number
}

/**
 * A store in Redis, shared by every worker, process and machine that uses the same server: one
 * hash per delivery (its raw body and inbox row), one per call (its folded record), written by
 * compare-and-set scripts. Takes a connected node-redis client (`createClient()`) or an ioredis
 * client (`new Redis()`). Python's `RedisStore` writes the same keys and values.
 */
export class RedisStore implements Store {
  constructor(client: NodeRedisClient | IoRedisClient, options?: RedisStoreOptions)
  readonly policy: InboxPolicy
  /** The Redis key of a call's record. */
  key(callId: string): string
  record(event: Event): Promise<Recorded>
  get(callId: string): Promise<CallRecord | null>
  /** A delivery arrived: claimed for a run (`verdict` `run`) unless done, running elsewhere or dead. */
  arrive(event: Event, body?: Uint8Array | string | null, options?: AtTime): Promise<Arrival<CallRecord>>
  /** The handlers of `delivery` ended (`error`: why they failed): the verdict. */
  finish(delivery: Delivery, error?: string | null, options?: AtTime): Promise<InboxVerdict>
  /** Gives the claim back without running it: due now. */
  release(delivery: Delivery, reason: string, options?: AtTime): Promise<InboxVerdict>
  /** The keys of up to `limit` (100) deliveries due now. */
  due(options?: AtTime & { limit?: number }): Promise<string[]>
  /** A worker's claim of the due delivery `key`. */
  take(key: string, options?: AtTime): Promise<{ verdict: InboxVerdict; delivery: Delivery | null }>
  /** Makes `key` due now, its attempts from 0. */
  replay(key: string, options?: AtTime): Promise<InboxVerdict>
  /** The dead letters, oldest first. */
  dead(options?: { limit?: number }): Promise<DeadLetter[]>
  /** Drops done deliveries older than `olderThan` seconds (7 days); dead letters too with `includeDead`. */
  prune(options?: AtTime & { olderThan?: number; includeDead?: boolean }): Promise<number>
  /** The inbox row of `key`, or null. */
  row(key: string): Promise<InboxRow | null>
  /** For {@link reconcile}: the open calls last changed at or before `changedBefore` (Unix ms). */
  openCalls(changedBefore: number, limit?: number): Promise<OpenCall[]>
  /** Folds a snapshot (a call object) into its call's record; null when there is none. */
  applyCall(call: object, options?: AtTime): Promise<CallRecord | null>
  /** Drops `callId` from the open calls. */
  settle(callId: string): Promise<void>
  toJSON(): { client: 'node-redis' | 'ioredis'; prefix: string; ttlSeconds: number | null }
}

export { PostgresStore } from './postgres.js'
export type { PostgresClient, PostgresStoreOptions, PgDelivery, PgArrival, PgDeadLetter } from './postgres.js'
