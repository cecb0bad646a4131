// Types of `oneinbox-webhooks/stores` (hand-written, next to stores.js).
import type { CallRecord, Event } from './oneinbox.js'

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

/**
 * A store in this worker's memory: the default for one process (a `worker_threads` worker has
 * its own). It keeps every call it has seen while the process runs.
 */
export class MemoryStore implements Store {
  constructor()
  record(event: Event): Promise<Recorded>
  get(callId: string): Promise<CallRecord | null>
}

/** The commands a node-redis (v4 or later) client offers to {@link RedisStore}. */
export interface NodeRedisClient {
  hSetNX(key: string, field: string, value: string): Promise<unknown>
  hGetAll(key: string): Promise<unknown>
  expire(key: string, seconds: number): Promise<unknown>
}

/** The commands an ioredis client offers to {@link RedisStore}. */
export interface IoRedisClient {
  hsetnx(key: string, field: string, value: string): Promise<unknown>
  hgetall(key: string): Promise<unknown>
  expire(key: string, seconds: number): Promise<unknown>
}

/** Options of {@link RedisStore}; unknown names are refused. */
export interface RedisStoreOptions {
  /** Prepended to every key: a call's hash is `${prefix}call:${callId}`. Default `'oneinbox:'`. */
  prefix?: string
  /** Drop a call's hash this many seconds after its last delivery (EXPIRE). Default: never. */
  ttlSeconds?: number
}

/**
 * A store in Redis, shared by every worker, process and machine that uses the same server:
 * one hash per call, from dedupe key to the event's wire JSON, claimed with `HSETNX`. Takes a
 * connected node-redis client (`createClient()`) or an ioredis client (`new Redis()`), told
 * apart by their method names. Python's `RedisStore` writes the same keys and values.
 */
export class RedisStore implements Store {
  constructor(client: NodeRedisClient | IoRedisClient, options?: RedisStoreOptions)
  /** The Redis key of a call's hash. */
  key(callId: string): string
  record(event: Event): Promise<Recorded>
  get(callId: string): Promise<CallRecord | null>
  toJSON(): { client: 'node-redis' | 'ioredis'; prefix: string; ttlSeconds: number | null }
}

export { PostgresStore } from './postgres.js'
export type { PostgresClient, PostgresStoreOptions, PgDelivery, PgArrival, PgDeadLetter } from './postgres.js'
