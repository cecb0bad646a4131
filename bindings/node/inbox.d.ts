// The inbox's state machine: one method a change of a delivery's row. Times are Unix ms.

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
  /** A copy of the delivery arrived at a receiver. */
  arrive(row: InboxRow | null, now: number): InboxStep
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

/** A delivery a store claimed for a run. */
export interface InboxDelivery {
  /** The dedupe key. */
  key: string
  callId: string
  /** The event name. */
  event: string
  /** The raw body, as received (or the event's JSON when none was given). */
  body: Buffer
  /** The claim's attempt number (1 for the first run). */
  attempt: number
}

/** What a store did with a delivery that arrived. */
export interface Arrival<R = unknown> {
  /** `run`: run the handlers of `delivery`, then finish it; `repeat`, `busy`, `dead`: run nothing. */
  verdict: InboxStep['verdict']
  key: string
  delivery: InboxDelivery | null
  /** For `busy`: the time left on the other worker's claim. */
  retryAfterMs: number | null
  /** The call's record with the delivery folded in (a copy). */
  record: R
}

/** A delivery whose handlers failed `attempts` times, kept until replayed. */
export interface DeadLetter {
  key: string
  callId: string
  event: string
  attempts: number
  lastError: string | null
  /** Unix ms. */
  updatedAt: number
  body: Buffer
}

/** `now` (Unix ms, default `Date.now()`) for any inbox method. */
export interface AtTime {
  now?: number
}
