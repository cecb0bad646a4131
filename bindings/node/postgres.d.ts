// Types of PostgresStore (postgres.js), re-exported by `oneinbox-webhooks/stores`. Times are Unix ms.
/// <reference types="node" />
import type { CallRecord, Event } from './oneinbox.js'
import type { InboxPolicy, InboxRow, InboxStep } from './inbox.js'
import type { Recorded } from './stores.js'

/** What the store needs of a `pg` Pool or Client (this package never loads `pg`). */
export interface PostgresClient {
  query(config: { text: string; values?: unknown[]; rowMode?: 'array' }): Promise<{ rowCount: number | null; rows: unknown[] }>
  query(text: string, values?: unknown[]): Promise<unknown>
  connect(): Promise<unknown>
}

/** Options of {@link PostgresStore}; unknown names are refused. */
export interface PostgresStoreOptions {
  /** Seconds a claim lasts (default 60). */
  lease?: number
  /** Handler runs before a delivery is dead (default 10). */
  maxAttempts?: number
}

/** A delivery claimed for a run. */
export interface PgDelivery {
  readonly key: string
  readonly callId: string
  readonly event: string
  readonly body: Buffer
  /** 1 for the first run. */
  readonly attempt: number
}

/** What the store did with a delivery that arrived. */
export interface PgArrival {
  readonly verdict: InboxStep['verdict']
  readonly key: string
  /** Set when the verdict is `run`: run the handlers, then `finish` it. */
  readonly delivery: PgDelivery | null
  /** For `busy`: the time left on the live claim. */
  readonly retryAfterMs: number | null
  /** The call's record with this delivery folded in. */
  readonly record: CallRecord
}

/** A delivery whose handlers failed `attempts` times, kept until replayed or pruned. */
export interface PgDeadLetter {
  readonly key: string
  readonly callId: string
  readonly event: string
  readonly attempts: number
  readonly lastError: string | null
  readonly updatedAt: number
  readonly body: Buffer
}

/**
 * A store in PostgreSQL, shared by every process of every machine and by Python's
 * PostgresStore on the same database: a `pg.Pool` (a client per transaction) or a `pg.Client`
 * (one transaction at a time). Tables made on first use, or by `migrate()`.
 */
export declare class PostgresStore {
  constructor(db: PostgresClient, options?: PostgresStoreOptions)
  readonly policy: InboxPolicy
  /** Creates the tables and indexes if missing. */
  migrate(): Promise<void>
  /** At most once: records the delivery as done. */
  record(event: Event): Promise<Recorded>
  get(callId: string): Promise<CallRecord | null>
  arrive(event: Event, body?: Buffer | Uint8Array | string | null, options?: { now?: number }): Promise<PgArrival>
  finish(delivery: PgDelivery, error?: string | null, options?: { now?: number }): Promise<InboxStep['verdict']>
  release(delivery: PgDelivery, reason: string, options?: { now?: number }): Promise<InboxStep['verdict']>
  due(options?: { now?: number; limit?: number }): Promise<string[]>
  take(key: string, options?: { now?: number }): Promise<{ verdict: InboxStep['verdict']; delivery: PgDelivery | null }>
  replay(key: string, options?: { now?: number }): Promise<InboxStep['verdict']>
  dead(options?: { limit?: number }): Promise<PgDeadLetter[]>
  /** Drops done deliveries (dead ones too with `includeDead`) older than `olderThan` seconds (default 7 days). */
  prune(options?: { olderThan?: number; includeDead?: boolean; now?: number }): Promise<number>
  row(key: string): Promise<InboxRow | null>
  /** For `reconcile`: the open calls last changed at or before `changedBefore` (Unix ms). */
  openCalls(changedBefore: number, limit?: number): Promise<import('./stores').OpenCall[]>
  /** Folds a snapshot (a call object) into its call's record; null when there is none. */
  applyCall(call: object, options?: { now?: number }): Promise<CallRecord | null>
  /** Drops `callId` from the open calls. */
  settle(callId: string): Promise<void>
  /**
   * Runs `fn` in one transaction on one client. With `delivery`, its done mark commits with
   * `fn`'s writes (exactly once); when another run completed it first, they roll back.
   */
  transaction<T>(fn: (client: PostgresClient) => Promise<T>, options?: { delivery?: PgDelivery | null; now?: number }): Promise<T>
  toJSON(): { db: 'Pool' | 'Client'; lease: number; maxAttempts: number }
}
