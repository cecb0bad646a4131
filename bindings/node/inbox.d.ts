// The inbox's state machine: one method a change of a delivery's row. Times are Unix ms.
/// <reference types="node" />

/** Where one delivery stands. */
export type InboxState = 'claimed' | 'done' | 'failed' | 'dead'

/** A delivery's progress as a store keeps it. */
export interface InboxRow {
  state: InboxState
  /** Handler runs started (the attempt number of the last claim). */
  attempts: number
  /** When a worker should take it (a claim's lease end, a failure's next try); null when done or dead. */
  dueAt: number | null
  /** The last failure's text. */
  lastError: string | null
  /** When the row last changed. */
  updatedAt: number
}

/** One step: the row to write (null: nothing) and the verdict with its number. */
export interface InboxStep {
  row: InboxRow | null
  verdict: 'run' | 'repeat' | 'busy' | 'dead' | 'not_due' | 'done' | 'failed' | 'released' | 'replayed' | 'stale'
  /** The claim's attempt number, for `run`. */
  attempt: number | null
  /** The time left on the live claim, for `busy`. */
  retryAfterMs: number | null
  /** When the delivery is due again, for `failed`. */
  dueAt: number | null
}

export interface InboxPolicyOptions {
  /** Seconds a claim lasts: more than 0, at most 86400 (default 60). */
  lease?: number
  /** Handler runs before a delivery is dead: 1 to 1000 (default 10). */
  maxAttempts?: number
}

/** How long a claim lasts and how many attempts a delivery gets; each method is one step. */
export declare class InboxPolicy {
  constructor(options?: InboxPolicyOptions)
  /** The lease in milliseconds. */
  readonly leaseMs: number
  readonly maxAttempts: number
  /**
   * A copy of the delivery arrived at a receiver; `covered`: its call's record says its
   * handlers already ran through reconciliation.
   */
  arrive(row: InboxRow | null, now: number, covered?: boolean): InboxStep
  /** A worker found the delivery due and wants to run it. */
  claim(row: InboxRow | null, now: number): InboxStep
  /** The handlers of claim `attempt` ended: `error` is null when they completed. */
  finish(row: InboxRow | null, attempt: number, error: string | null, now: number): InboxStep
  /** Claim `attempt` is given back without running its handlers. */
  release(row: InboxRow | null, attempt: number, reason: string, now: number): InboxStep
  /** Run the delivery again on purpose. */
  replay(row: InboxRow | null, now: number): InboxStep
}

/** The wait after failed attempt `attempt`, in milliseconds. */
export declare function inboxBackoffMs(attempt: number): number
export declare const INBOX_DEFAULT_LEASE_MS: number
export declare const INBOX_DEFAULT_MAX_ATTEMPTS: number

/** A verdict of the inbox's state machine. */
export type InboxVerdict = InboxStep['verdict']

/** One delivery a store claimed for a run. */
export interface Delivery {
  /** The dedupe key (for a handler's own idempotency). */
  readonly key: string
  readonly callId: string
  /** The event name. */
  readonly event: string
  /** The raw body as received: a worker or a replay runs these bytes. */
  readonly body: Buffer
  /** The claim's attempt number, 1 for the first run. */
  readonly attempt: number
}

/** What a store did with a delivery that arrived. */
export interface Arrival<R = unknown> {
  /**
   * `run`: run the handlers of `delivery`, then `finish` it; `repeat`: they completed before;
   * `busy`: another worker runs them now, for `retryAfterMs` more; `dead`: a dead letter.
   */
  readonly verdict: InboxVerdict
  readonly key: string
  /** The delivery to run, for `run`; else null. */
  readonly delivery: Delivery | null
  readonly retryAfterMs: number | null
  /** The call's record with the delivery folded in (a copy). */
  readonly record: R
}

/** A delivery whose handlers failed `attempts` times, kept until replayed or pruned. */
export interface DeadLetter {
  readonly key: string
  readonly callId: string
  readonly event: string
  readonly attempts: number
  readonly lastError: string | null
  /** Unix ms of its death. */
  readonly updatedAt: number
  readonly body: Buffer
}

/** What one {@link drain} did: the keys it ran to done, those due again later, those now dead. */
export interface DrainReport {
  done: string[]
  failed: string[]
  dead: string[]
}

/** The `now` option of the inbox methods: Unix milliseconds (default `Date.now()`). */
export interface AtTime {
  now?: number
}

/** What a store offers the inbox (`MemoryStore`; `RedisStore` and `PostgresStore` with an inbox). */
export interface InboxStore<R = unknown> {
  arrive(event: object, body?: Uint8Array | null, options?: AtTime): Promise<Arrival<R>>
  finish(delivery: Delivery, error?: string | null, options?: AtTime): Promise<InboxVerdict>
  release(delivery: Delivery, reason: string, options?: AtTime): Promise<InboxVerdict>
  due(options?: AtTime & { limit?: number }): Promise<string[]>
  take(key: string, options?: AtTime): Promise<{ verdict: InboxVerdict; delivery: Delivery | null }>
  replay(key: string, options?: AtTime): Promise<InboxVerdict>
  dead(options?: { limit?: number }): Promise<DeadLetter[]>
  prune(options?: AtTime & { olderThan?: number; includeDead?: boolean }): Promise<number>
  row(key: string): Promise<InboxRow | null>
}

/** Options of {@link drain}. */
export interface DrainOptions extends AtTime {
  /** The most deliveries to run (default 100). */
  limit?: number
  /** Prune done deliveries older than this many seconds after the run. Default: no pruning. */
  retention?: number | null
}

/** Something with the Router's `dispatch` (a `Router`). */
export interface Dispatcher {
  dispatch(event: never): unknown
}

/**
 * Runs every due delivery once through `router`'s handlers (one whose handler failed, or whose
 * worker died mid-run): what it did. Awaits the store's methods, so every store works.
 */
export declare function drain(
  store: Pick<InboxStore, 'due' | 'take' | 'finish' | 'prune'>,
  router: Dispatcher,
  options?: DrainOptions,
): Promise<DrainReport>

/** The delivery whose handlers run now, or null outside a run by an adapter, `drain` or `store.claim`. */
export declare function currentDelivery(): Delivery | null

/** Seconds a done delivery is kept before `prune` drops it by default (7 days). */
export declare const DEFAULT_RETENTION: number

/**
 * `store.claim` of any store over its own `arrive` and `finish` (for a store's author): runs
 * `fn(delivery)` for `run`, marks it done on return and failed on a throw (rethrown).
 */
export declare function claimWith<R>(
  store: Pick<InboxStore<R>, 'arrive' | 'finish'>,
  event: object,
  body: Uint8Array | null | undefined,
  fn: (delivery: Delivery) => unknown,
  options?: AtTime,
): Promise<Arrival<R>>

// Package-internal (the adapters and the stores use them; not part of the API).
/** @internal Calls `fn()` with `currentDelivery()` set to `delivery`. */
export declare function runAs(delivery: Delivery, fn: () => unknown): Promise<unknown>
/** @internal `now` (Unix ms; `undefined`: the clock) as whole Unix milliseconds. */
export declare function nowMs(now: unknown): number
/** @internal How a handler's failure is kept: its name and message, at most 1,000 characters. */
export declare function errorText(error: unknown): string
