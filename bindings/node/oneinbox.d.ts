// Types of the public API of `oneinbox-webhooks` (hand-written, next to oneinbox.js). The event
// types (`CallStarted`, ..., `Analysis`, `Message`, `KnownEventName`, `Event`) are generated from
// the contract into events.generated.d.ts and re-exported here. Payload fields keep their wire
// names (snake_case); functions and options are camelCase.
/// <reference types="node" />

import type { Analysis, Event, ExtraMembers, KnownEventName, Message } from './events.generated'
import type { ApiMethods } from './management.generated'
import type { ParseOptions as NativeParseOptions, ReceiverOptions as NativeReceiverOptions } from './index'

export * from './events.generated'
export * from './management.generated'

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Members the contract does not list (kept in lenient mode). */
interface Extra {
  readonly [member: string]: unknown
}

/**
 * The `event` of an {@link UnknownEvent}. At run time it is the name as sent (any string other
 * than the seven known names). TypeScript cannot express "any string except these seven", and
 * a plain `string` here would stop `switch (e.event)` from narrowing the known events, so the
 * type is this placeholder literal: `switch (e.event)` narrows every known case exactly and
 * leaves `UnknownEvent` to `default`, where `e.event` is still usable as a `string`. To test
 * for a name this version does not know yet, compare it as a string:
 * `(e.event as string) === 'call.transferred'`.
 */
export type UnknownEventName = '(unknown event)'

/**
 * An event this version does not know (lenient mode only), kept whole: its members other than
 * `event` and `call_id` are read through `extra`.
 */
export interface UnknownEvent {
  event: UnknownEventName
  call_id: string
  /** The whole payload, `event` and `call_id` included (as the Python binding's `UnknownEvent.extra`). */
  readonly extra: ExtraMembers
}

/** Options of {@link parseEvent} (declared with their checks by the addon, src/options.rs). */
export interface ParseOptions extends NativeParseOptions {}

/** The stable codes of an {@link Issue}. */
export type IssueCode =
  | 'invalid_json'
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_type'
  | 'invalid_value'
  | 'unknown_event'
  | 'unknown_field'
  | 'duplicate_field'
  | 'too_large'
  | 'too_deep'

/** One problem: a stable `code`, a JSON Pointer `path` (`""` = the whole body), a `message` for people. */
export interface Issue {
  readonly code: IssueCode
  readonly path: string
  readonly message: string
}

/** The base class of every error this package throws. */
export class OneInboxError extends Error {
  /** A stable code: `ERR_ONEINBOX` here, more specific in the subclasses. */
  readonly code: string
}

/** A payload or response that does not match its contract; lists every issue found. */
export class ValidationError extends OneInboxError {
  constructor(issues: readonly Issue[], what?: string)
  readonly code: 'ERR_ONEINBOX_VALIDATION'
  readonly issues: readonly Issue[]
}

/** A caller passed an argument that cannot make a valid request. */
export class UsageError extends OneInboxError {
  constructor(issues: readonly Issue[])
  readonly code: 'ERR_ONEINBOX_USAGE'
  readonly issues: readonly Issue[]
}

/**
 * The OneInbox API answered with a non-2xx status (thrown by `PreparedRequest.parseResponse`).
 */
export class ApiError extends OneInboxError {
  constructor(status: number, message: string, details?: readonly Issue[], retryable?: boolean)
  readonly code: 'ERR_ONEINBOX_API'
  /** The HTTP status. */
  readonly status: number
  /**
   * The items of a FastAPI-style `{"detail": [...]}` body, one issue each, with paths into the
   * request arguments (`/events/2`); empty for any other body.
   */
  readonly details: readonly Issue[]
  /** Whether retrying the same request later may succeed (408, 429, 5xx); see {@link retryAfter}. */
  readonly retryable: boolean
}

/** A delivery that did not authenticate ({@link Receiver.receive}): answer 401, do not process it. */
export class AuthenticationError extends OneInboxError {
  constructor(verification: Verification)
  readonly code: 'ERR_ONEINBOX_AUTHENTICATION'
  /** Why (`verification.code`); never `ok`. */
  readonly verification: Verification
}

/**
 * Parses and validates one webhook body: pass the raw request body exactly as received
 * (`express.raw({ type: 'application/json' })`), not a parsed object. Returns the event or
 * throws {@link ValidationError} listing every issue; a wrong argument type is a `TypeError`.
 */
export function parseEvent(body: Buffer | Uint8Array | string, options?: ParseOptions): Event

// ---------------------------------------------------------------------------------------------
// Management (sans I/O: build a request, send it with any client, parse the answer)

/** The event names a webhook can subscribe to. */
export type EventName = KnownEventName

/** A webhook signing secret: shows `[redacted]` in `util.inspect`, `JSON.stringify` and `String()`. */
export class Secret {
  constructor(value: string)
  /** The secret itself. Avoid logging it. */
  reveal(): string
  toJSON(): '[redacted]'
  toString(): '[redacted]'
}

/** A webhook as the API returns it; documented members may be absent, unknown ones are kept. */
export class Webhook {
  constructor(fields: { [member: string]: JsonValue })
  readonly id: string
  readonly name?: string
  readonly url?: string
  readonly events?: string[]
  /** The signing secret; `webhook.secret.reveal()` reads it. */
  readonly secret?: Secret
  /** `'active'`, `'inactive'` (the API's `disabled` reads as `inactive`) or a newer value. */
  readonly status?: 'active' | 'inactive' | (string & {})
  readonly created_at?: string
  readonly updated_at?: string
  readonly [member: string]: unknown
}

/** One delivery attempt of a webhook. */
export interface Delivery extends Extra {
  id: string
  webhook_id?: string
  event?: string
  status?: string
  attempt?: number
  response_status?: number
  response_body?: string
  error?: string
  next_retry_at?: string
  completed_at?: string
  created_at?: string
}

/** One page of a webhook's delivery history, most recent first. */
export interface DeliveryPage extends Extra {
  items: Delivery[]
  total: number
  limit: number
  offset: number
}

/** A call as the API returns it. */
export interface Call extends Extra {
  id: string
  agent_id?: string
  type?: string
  status?: string
  direction?: string
  from_number?: string
  to_number?: string
  room_name?: string
  scheduled_at?: string
  variables?: { [key: string]: JsonValue }
  started_at?: string
  ended_at?: string
  duration_seconds?: number
  end_reason?: string
  transcript?: JsonValue
  messages?: JsonValue[]
  recording_url?: string
  analysis?: { [key: string]: JsonValue }
  latency?: { [key: string]: JsonValue }
  cost_cents?: number
  metadata?: { [key: string]: JsonValue }
  created_at?: string
  updated_at?: string
  twilio_call_sid?: string
  outcome?: string
  ai_summary?: string
  credits_used?: number
}

/** One page of the account's calls (`GET /v1/calls`), most recent first. */
export interface CallPage extends Extra {
  items: Call[]
  total: number
  limit: number
  offset: number
}

/**
 * A ready-to-send request: `fetch(req.url, req)` sends it. `util.inspect` and `JSON.stringify`
 * show the `Authorization` header as `Bearer [redacted]`.
 */
export class PreparedRequest<T> {
  private constructor()
  private readonly __result: T
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  readonly url: string
  /** `Authorization`, `Accept` and (with a body) `Content-Type`, in sending order. */
  readonly headers: Record<string, string>
  /** The JSON body, or `null`. */
  readonly body: string | null
  /**
   * How this request may be retried: `'idempotent'` after 408, 429, 5xx or a lost connection;
   * `'creates_webhook'` / `'creates_call'` / `'sends_test_delivery'` only after 429 or 503
   * (after any other failure the webhook or call may exist already, or a test delivery may have
   * been sent, and sending again could make a second).
   */
  readonly retry: 'idempotent' | 'creates_webhook' | 'creates_call' | 'sends_test_delivery'
  /**
   * Reads the answer: the typed result for 2xx, {@link ApiError} otherwise,
   * {@link ValidationError} when a 2xx body does not match.
   */
  parseResponse(status: number, body: string | Uint8Array | ArrayBuffer): T
  /** The next page's request, or `null` after the last page (list-deliveries and list-calls only). */
  nextPage(page: T extends DeliveryPage | CallPage ? T : never): PreparedRequest<T> | null
  /**
   * The core's retry driver after attempt `attempt` (0 for the first) was answered with a non-2xx
   * `status`: wait and send again, or give up (then throw the `ApiError`). `Retry-After` in
   * `headers` is read at `now` (Unix seconds or a `Date`; default: the clock).
   */
  afterStatus(options: {
    attempt: number
    maxRetries: number
    status: number
    headers?: HeadersLike | null
    /** A random number in [0, 1] (clamped). */
    draw: number
    now?: number | Date
  }): RetryStep
  /**
   * The core's retry driver after attempt `attempt` got no answer: `sent` is `false` when the
   * connection could not be opened (nothing was sent), `true` when it was lost or timed out after
   * the request may have been sent. `cause` describes the failure for the message.
   */
  afterFailure(options: { attempt: number; maxRetries: number; sent: boolean; cause: string; draw: number }): RetryStep
}

/** What a client does after a failed attempt, as the core decides it in every language. */
export interface RetryStep {
  /** Seconds (whole milliseconds) to wait before sending again; `null`: give up. */
  readonly wait: number | null
  /** Whether sending the same request again later is safe. */
  readonly retryable: boolean
  /** For a failure without an answer, the `TransportError`'s message; otherwise `null`. */
  readonly message: string | null
}

/** A JSON object (finite numbers only: NaN and Infinity are refused with `UsageError`). */
export type JsonObject = { [key: string]: JsonValue }

/** Options of `new Api`. */
export interface ApiOptions {
  /** Default `https://api.oneinbox.ai`. */
  baseUrl?: string
}

/**
 * What {@link Api.configure} makes an `Api` from: the arguments a client was given, and the
 * values of `ONEINBOX_API_KEY` / `ONEINBOX_BASE_URL` it read (`undefined` when unset).
 */
export interface ApiSettings {
  apiKey?: string
  baseUrl?: string
  envApiKey?: string
  envBaseUrl?: string
}

/**
 * The management API, sans I/O. Each method checks its arguments (throwing {@link UsageError}
 * listing every problem; a wrong type is a `TypeError`) and returns a {@link PreparedRequest}.
 * The API key never shows in `util.inspect` or `JSON.stringify`.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the class gets its management methods from the contract at load time
export class Api {
  constructor(apiKey: string, options?: ApiOptions)
  /**
   * The `Api` of a client: `apiKey` / `baseUrl` if given, else `envApiKey` / `envBaseUrl`
   * (an empty value is unset), else the default base URL. A missing key is a
   * {@link UsageError} (`missing_field` at `/api_key`) naming the argument and the variable;
   * a bad value read from a variable names that variable.
   */
  static configure(settings?: ApiSettings): Api
  readonly baseUrl: string
  toJSON(): { baseUrl: string; apiKey: '[redacted]' }
}
/** The builders, one per endpoint of the management contract (management.generated.d.ts). */
export interface Api extends ApiMethods {}

/**
 * Headers as any Node framework gives them: a plain object (`IncomingHttpHeaders`, array values
 * allowed), a `Headers` instance, or `[name, value]` pairs. Names are case-insensitive.
 */
export type HeadersLike =
  | { readonly [name: string]: string | readonly string[] | undefined }
  | Headers
  | (Iterable<readonly [string, string]> & { get(name: string): unknown })
  | ReadonlyArray<readonly [string, string]>

/** Seconds to wait from a `Retry-After` header (seconds or HTTP date), or `null`. `now`: Unix seconds. */
export function retryAfter(headers: HeadersLike, options?: { now?: number | Date }): number | null

// ---------------------------------------------------------------------------------------------
// Authentication

/** The stable code of a {@link Verification}. */
export type VerificationCode =
  | 'ok'
  | 'missing_token'
  | 'token_mismatch'
  | 'missing_header'
  | 'invalid_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'not_configured'

/** The outcome of a verification (a frozen object): a forged request is a value, not an exception. */
export interface Verification {
  readonly ok: boolean
  readonly code: VerificationCode
  /** The index of the secret that matched (key rotation), or `null`. */
  readonly matchedSecret: number | null
}

/** One secret, or several during a rotation. */
export type Secrets = string | Secret | ReadonlyArray<string | Secret>

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  /** Unix seconds (or a Date). Default: the current time. */
  now?: number | Date
  /** Allowed distance of `webhook-timestamp` from `now`, both ways, in seconds. Default 300. */
  tolerance?: number
}

/**
 * Verifies a Standard Webhooks signature over the **raw** body (`express.raw()`, never a
 * re-serialized object). Throws {@link UsageError} only for misuse (no secret, a secret that is
 * not `whsec_` base64).
 */
export function verifySignature(
  headers: HeadersLike,
  body: Buffer | Uint8Array | string,
  secrets: Secrets,
  options?: VerifyOptions,
): Verification

/** The `webhook-signature` header value (`v1,<base64>`) for a message: for your own tests. */
export function sign(secret: string | Secret, msgId: string, timestamp: number | Date, body: Buffer | Uint8Array | string): string

/** Sets (or replaces) the `token` query parameter of an absolute http(s) URL. */
export function addUrlToken(url: string, token: string | Secret): string
/** `text` with every `token=` query value replaced by `[redacted]` (for logs). */
export function redactUrlToken(text: string): string

/** Checks the `token` query parameter of a request URL, path or query, in constant time. */
export function verifyUrlToken(url: string | URL, secrets: Secrets): Verification

/** 32 random bytes from `crypto.randomBytes`, base64url-encoded (43 characters). */
export function newUrlToken(): string

/**
 * A new Standard Webhooks signing secret (`whsec_` and 32 bytes from `crypto.randomBytes` in
 * base64), accepted by `Receiver`, `sign`, `makeDelivery` and `send --signing-secret`.
 */
export function newSigningSecret(): string

/**
 * Options of {@link Receiver}; unknown names are refused. Declared with their checks by the
 * addon (src/options.rs); a secret may also be a {@link Secret}.
 */
export interface ReceiverOptions extends Omit<NativeReceiverOptions, 'urlTokens' | 'signingSecrets'> {
  /** Require a `token` query parameter equal to one of these. */
  urlTokens?: Secrets
  /** Require a Standard Webhooks signature by one of these `whsec_` secrets. */
  signingSecrets?: Secrets
}

/** What {@link Receiver.receive} needs besides the body. */
export interface ReceiveRequest {
  headers?: HeadersLike
  /** The request URL as the framework gives it (`req.url`, `req.originalUrl`, `request.url`). */
  url?: string | URL
  /** Unix seconds (or a Date). Default: the current time. */
  now?: number | Date
}

/** Authenticates deliveries as configured, then parses them. Secrets never show when inspected. */
export class Receiver {
  /** Throws `UsageError` without `urlTokens`, `signingSecrets` or `allowUnauthenticated: true`. */
  constructor(options: ReceiverOptions)
  /** The largest body `receive` accepts, in bytes (an adapter answers 413 above it before reading). */
  readonly maxBodyBytes: number
  /**
   * Returns the event, or throws {@link AuthenticationError} (answer 401) or
   * {@link ValidationError} (answer 400). Pass the **raw** body.
   */
  receive(body: Buffer | Uint8Array | string, request?: ReceiveRequest): Event
}

// ---------------------------------------------------------------------------------------------
// The event router

/** Each known event name and the event type it carries: `EventMap['call.ended']` is `CallEnded`. */
export type EventMap = { [N in KnownEventName]: Extract<Event, { event: N }> }

/** The names of the seven documented events, in the guide's order. */
export const KNOWN_EVENTS: readonly KnownEventName[]

/** Options of {@link Router}; unknown names are refused. */
export interface RouterOptions {
  /** Make {@link Router.check} require an `on` handler for every known event. Default `false`. */
  exhaustive?: boolean
}

/**
 * Routes events to handlers by `event`. Every handler that matches runs, one after the other in
 * registration order: `on(name)` handlers, `onUnknown` ones for an event this version does not
 * know, and `onAny` ones for every event.
 *
 * ```ts
 * const router = new Router()
 *   .on('call.ended', (e) => console.log(e.outcome)) // e: CallEnded
 *   .on('transcript.final', async (e) => save(e.messages))
 * await router.dispatch(parseEvent(body))
 * ```
 */
export class Router {
  constructor(options?: RouterOptions)
  /** Whether {@link check} requires a handler for every known event. */
  readonly exhaustive: boolean
  /** Registers `handler` for one known event; its parameter is that event's type. Returns the router. */
  on<N extends KnownEventName>(event: N, handler: (event: EventMap[N]) => unknown): this
  /** Registers `handler` for every event this version does not know (`event.event` names it). */
  onUnknown(handler: (event: UnknownEvent) => unknown): this
  /** Registers `handler` for every event, known or not. */
  onAny(handler: (event: Event) => unknown): this
  /**
   * Calls every handler of `event` in registration order, awaiting each (sync or async);
   * resolves to how many ran (0: no handler matched). Rejects with the first handler error.
   */
  dispatch(event: Event): Promise<number>
  /**
   * For `new Router({ exhaustive: true })`: throws {@link MissingHandlersError} naming each known
   * event without an `on` handler (`onAny` does not count). Does nothing otherwise.
   */
  check(): void
}

/** Thrown by {@link Router.check} of an exhaustive router. */
export class MissingHandlersError extends OneInboxError {
  constructor(missing: readonly KnownEventName[])
  readonly code: 'ERR_ONEINBOX_MISSING_HANDLERS'
  /** The known events without a handler, in the guide's order. */
  readonly missing: readonly KnownEventName[]
}

// ---------------------------------------------------------------------------------------------
// Call records and dedupe keys

/**
 * Where a call stands, derived from the lifecycle events seen: `failed` (call.failed seen) >
 * `completed` (call.ended) > `in_progress` (call.started) > `unknown` (none of them: only
 * transcripts, call.analyzed, recordings or unknown events). A late call.started never reopens
 * an ended call.
 */
export type CallStatus = 'in_progress' | 'completed' | 'failed' | 'unknown'

/** What {@link CallRecord.apply} did. */
export interface Applied {
  /** Whether the record changed (false for a repeat, or an event whose values all lost). */
  readonly changed: boolean
  /** Why the event was ignored (it belongs to another call), else `null`. */
  readonly ignored: string | null
}

/** The fields of a call record that come from events: the members `sources` may have. */
export type CallRecordField =
  | 'agent_id'
  | 'to_number'
  | 'from_number'
  | 'started_at'
  | 'duration_seconds'
  | 'outcome'
  | 'ai_summary'
  | 'analysis'
  | 'failure_reason'
  | 'recording_url'
  | 'transcript'

/**
 * The JSON form of a call record (`record.toJSON()`, `JSON.parse(record.toJson())`), described
 * by `schemas/call-record.schema.json`. Every member is always there, `null` when unknown.
 */
export interface CallRecordJson {
  call_id: string
  status: CallStatus
  agent_id: string | null
  to_number: string | null
  from_number: string | null
  /** `created_at` of call.started. */
  started_at: string | null
  duration_seconds: number | null
  /** call.analyzed wins over call.ended. */
  outcome: string | null
  /** call.analyzed wins over call.ended. */
  ai_summary: string | null
  analysis: Analysis | null
  /** `reason` of call.failed. */
  failure_reason: string | null
  recording_url: string | null
  /** transcript.final wins over transcript.partial; then the most messages. */
  transcript: Message[] | null
  /** Whether `transcript` came from transcript.final. */
  transcript_final: boolean
  /** The names of every event applied, unknown ones included, sorted. */
  events_seen: string[]
  /** For each field with a value, the dedupe key of the event it came from (`snapshot:<call_id>` for a snapshot's). */
  sources: { [field in CallRecordField]?: string }
  /** Written only when a snapshot showed a status: the greatest. */
  snapshot_status?: Exclude<CallStatus, 'unknown'>
  /** Written only when not empty: the events applied from reconciliation. */
  reconciled?: string[]
}

/**
 * What is known about one call, folded from its events in any order, with any repeats, and
 * merged across workers: the record is a function of the set of events applied. Each field holds
 * one event's value; the greater rank wins (call.analyzed over call.ended for `outcome` and
 * `ai_summary`, transcript.final over partial, then more messages), and between equals the event
 * with the greater dedupe key. Absent or `null` members never erase a value. The getters (wire
 * names) return frozen values.
 */
/**
 * The deliveries seen and the records they fold into, in this worker's memory: per call, the
 * dedupe keys of the deliveries and the call's record (what `MemoryStore` keeps).
 */
export class Ledger {
  constructor()
  /**
   * Claims the delivery of `event`: whether its dedupe key is new for its call, and a copy of
   * the call's record with the event.
   */
  record(event: Event): { readonly new: boolean; readonly record: CallRecord }
  /** A copy of the call's record, or `null` if no delivery of it was recorded. */
  get(callId: string): CallRecord | null
  /** The number of calls seen. */
  readonly size: number
}

export class CallRecord {
  /** An empty record of the call `callId`. */
  constructor(callId: string)
  /** Reads the JSON form; throws {@link ValidationError} listing every issue. */
  static fromJson(text: string | Uint8Array | ArrayBuffer): CallRecord
  /** Folds one event (as {@link parseEvent} returned it) into the record. */
  apply(event: Event): Applied
  /**
   * Combines `other` into this record, as if it had also seen every event `other` saw; returns
   * whether this record changed. Throws {@link UsageError} for records of different calls.
   */
  merge(other: CallRecord): boolean
  /** A new record equal to this one (changing either leaves the other as it is). */
  copy(): CallRecord
  /** The JSON form (compact, members in a fixed order). */
  toJson(): string
  /** The JSON form as a new plain object (so `JSON.stringify(record)` writes it). */
  toJSON(): CallRecordJson
  readonly call_id: string
  readonly status: CallStatus
  readonly agent_id: string | null
  readonly to_number: string | null
  readonly from_number: string | null
  readonly started_at: string | null
  readonly duration_seconds: number | null
  readonly outcome: string | null
  readonly ai_summary: string | null
  readonly analysis: Readonly<Analysis> | null
  readonly failure_reason: string | null
  readonly recording_url: string | null
  readonly transcript: readonly Readonly<Message>[] | null
  readonly transcript_final: boolean
  readonly events_seen: readonly string[]
  /** The greatest status a snapshot showed (`unknown` when none did). */
  readonly snapshot_status: CallStatus
  /** The names of the events applied from reconciliation (`"reconciled": true`), sorted. */
  readonly reconciled: readonly string[]
  /**
   * Folds a snapshot of the call (a plain object, as `client.getCall` returns it): its values
   * rank below every event's; its status raises `status` and never lowers it.
   */
  applyCall(call: object): Applied
  /** Whether a delivery of `event` with dedupe key `key` already ran through reconciliation. */
  covers(event: string, key: string): boolean
}

/** {@link ReconcilePolicy}'s options (milliseconds); each has a default. */
export interface ReconcilePolicyOptions {
  /** A started call without `call.ended` or `call.failed` is overdue after this long (2 hours). */
  ongoingAfterMs?: number
  /** An ended call without every `expect`ed event is overdue after this long (10 minutes). */
  endedAfterMs?: number
  /** The events expected after `call.ended` (`call.analyzed`, `transcript.final`). */
  expect?: readonly ('call.analyzed' | 'transcript.final' | 'call.recording.available')[]
}

/** Why a record is overdue. */
export interface Overdue {
  readonly reason: 'no_end' | 'missing_events'
  readonly missing: string[]
  readonly quietMs: number
}

/** One event synthesized from a snapshot: its name, key (`<event>:<call_id>:reconciled`) and body (JSON text). */
export interface Synthesized {
  readonly event: string
  readonly key: string
  readonly body: string
}

/** When a record is overdue, measured from its last change (the core's `ReconcilePolicy`). */
export class ReconcilePolicy {
  constructor(options?: ReconcilePolicyOptions)
  readonly ongoingAfterMs: number
  readonly endedAfterMs: number
  readonly expect: readonly string[]
  /** The events `record` still expects. */
  missing(record: CallRecord): string[]
  /**
   * Whether a reconciler is done with `record`, last changed at `changedAt`, at `now` (Unix
   * ms): nothing is missing, or the snapshot shows the call over and it has been quiet for a day.
   */
  settled(record: CallRecord, changedAt: number, now: number): boolean
  /** Whether to fetch the call of `record`, last changed at `changedAt`, at `now` (Unix ms). */
  overdue(record: CallRecord, changedAt: number, now: number): Overdue | null
}

/** The events the snapshot `call` shows happened and `record` lacks (`"reconciled": true`). */
export function synthesize(record: CallRecord, call: object): Synthesized[]

/** Whether a store lists `record` among its open calls. */
export function recordIsOpen(record: CallRecord): boolean

/**
 * `"<event name>:<call_id>:<64 hex digits>"`: the SHA-256 of the event's RFC 8785 canonical
 * JSON. The same for the same content (member order, whitespace and number spelling do not
 * matter), different for any change; the same string as in Rust and Python. Throws
 * {@link ValidationError} when the object is not an event.
 */
export function dedupeKey(event: Event): string

// ---------------------------------------------------------------------------------------------
// The HTTP client (client.d.ts): the requests above sent with fetch, retried by the core's policy

/** A cause code of the delivery doctor (stable). */
export type CauseCode =
  | 'unauthorized'
  | 'bad_request'
  | 'invalid_payload'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'server_error'
  | 'timeout'
  | 'connection_refused'
  | 'no_response'
  | 'other_status'
  | 'unknown'
  | 'webhook_inactive'
  | 'events_not_subscribed'
  | 'url_drift'

/** One cause of failed deliveries (or another problem), with what to do about it. */
export interface DiagnosisCause {
  code: CauseCode
  title: string
  explanation: string
  fix: string
  /** Failed attempts with this cause. */
  attempts: number
  /** Deliveries (one event of one call to one webhook) with such an attempt. */
  deliveries: number
  failed_for_good: number
  retrying: number
  first_at?: string
  last_at?: string
  webhook_ids: string[]
  /** Up to 3, newest first. */
  example_delivery_ids: string[]
  call_ids: string[]
  statuses?: number[]
  /** Outages of a receiver (connection_refused). */
  windows?: Array<{ webhook_id: string; from?: string; to?: string; attempts: number }>
  /** Drifted per-call URLs, tokens redacted (url_drift). */
  urls?: Array<{ url: string; kind: 'token' | 'url'; call_ids: string[] }>
  /** Events no webhook subscribes to (events_not_subscribed). */
  events?: string[]
}

/** What the delivery doctor found: the `doctor --json` output. */
export interface Diagnosis {
  healthy: boolean
  summary: {
    webhooks: number
    attempts: number
    deliveries: number
    succeeded: number
    recovered: number
    retrying: number
    failed: number
    calls: number
  }
  causes: DiagnosisCause[]
  recovered: Array<{ code: CauseCode; attempts: number; deliveries: number; webhook_ids: string[] }>
  calls_never_succeeded: Array<{ call_id: string; events: string[]; webhook_ids: string[] }>
}

/**
 * Groups a webhook's failed deliveries by cause, with an explanation and a fix for each.
 * `deliveries` are the rows of every page of `listDeliveries` (one per attempt); `calls`
 * (from `getCall`) also checks URL drift and unsubscribed events. Throws `UsageError` for an
 * item without an `id` or with a member of the wrong type.
 */
export function diagnose(
  webhooks: Iterable<Webhook | { [key: string]: unknown }>,
  deliveries: Iterable<Delivery | { [key: string]: unknown }>,
  calls?: Iterable<Call | { [key: string]: unknown }> | null,
): Diagnosis

/** The report for people (`doctor`), or with `{ json: true }` the `doctor --json` text. */
export function renderDiagnosis(diagnosis: Diagnosis, options?: { json?: boolean }): string

export { Client, TransportError, type ClientOptions, type FetchLike } from './client'
