// Types of the public API of `oneinbox-webhooks` (hand-written, next to oneinbox.js).
// Payload fields keep their wire names (snake_case); functions and options are camelCase.
// In lenient mode (the default) every documented field other than `call_id` (and `messages`
// on transcripts) may be absent or `null`; strict mode guarantees all of them are present.

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Members the contract does not list (kept in lenient mode). */
interface Extra {
  readonly [member: string]: unknown
}

/** One transcript message. `role` is `"agent"` or `"user"` in strict mode. */
export interface Message extends Extra {
  role?: 'agent' | 'user' | (string & {}) | null
  content?: string | null
}

/** The AI analysis of a call. */
export interface Analysis extends Extra {
  summary?: string | null
  outcome?: string | null
  extracted_data?: { [key: string]: JsonValue } | null
}

/** `call.started`: an inbound or outbound call was connected. */
export interface CallStarted extends Extra {
  event: 'call.started'
  call_id: string
  agent_id?: string | null
  to_number?: string | null
  from_number?: string | null
  created_at?: string | null
}

/** `call.ended`: the call finished. */
export interface CallEnded extends Extra {
  event: 'call.ended'
  call_id: string
  agent_id?: string | null
  status?: string | null
  duration_seconds?: number | null
  to_number?: string | null
  from_number?: string | null
  outcome?: string | null
  ai_summary?: string | null
  analysis?: Analysis | null
}

/** `call.analyzed`: the post-call AI analysis is ready. */
export interface CallAnalyzed extends Extra {
  event: 'call.analyzed'
  call_id: string
  agent_id?: string | null
  outcome?: string | null
  ai_summary?: string | null
}

/** `call.failed`: the call could not be connected. */
export interface CallFailed extends Extra {
  event: 'call.failed'
  call_id: string
  agent_id?: string | null
  to_number?: string | null
  from_number?: string | null
  reason?: string | null
}

/** `call.recording.available`: the recording can be downloaded. */
export interface CallRecordingAvailable extends Extra {
  event: 'call.recording.available'
  call_id: string
  recording_url?: string | null
}

/** `transcript.partial`: the transcript so far, during the call. */
export interface TranscriptPartial extends Extra {
  event: 'transcript.partial'
  call_id: string
  messages: Message[]
}

/** `transcript.final`: the full transcript, after `call.ended`. */
export interface TranscriptFinal extends Extra {
  event: 'transcript.final'
  call_id: string
  messages: Message[]
}

/** The names of the seven documented events. */
export type KnownEventName = (
  | CallStarted
  | CallEnded
  | CallAnalyzed
  | CallFailed
  | CallRecordingAvailable
  | TranscriptPartial
  | TranscriptFinal
)['event']

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

/** An event this version does not know (lenient mode only), kept whole. */
export interface UnknownEvent extends Extra {
  event: UnknownEventName
  call_id: string
}

/** One OneInbox webhook delivery: a discriminated union on `event`. */
export type Event =
  | CallStarted
  | CallEnded
  | CallAnalyzed
  | CallFailed
  | CallRecordingAvailable
  | TranscriptPartial
  | TranscriptFinal
  | UnknownEvent

/** Options of {@link parseEvent}. */
export interface ParseOptions {
  /** Strict mode, for contract tests: every documented field required, formats checked. Default `false`. */
  strict?: boolean
  /** Bodies longer than this many bytes are rejected with `too_large` before parsing. Default 1 MiB. */
  maxBodyBytes?: number
  /** Arrays/objects nested deeper than this are rejected with `too_deep`. Default 64. */
  maxDepth?: number
}

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
  constructor(issues: readonly Issue[])
  readonly code: 'ERR_ONEINBOX_VALIDATION'
  readonly issues: readonly Issue[]
}

/** A caller passed an argument that cannot make a valid request. */
export class UsageError extends OneInboxError {
  constructor(issues: readonly Issue[])
  readonly code: 'ERR_ONEINBOX_USAGE'
  readonly issues: readonly Issue[]
}

/** The OneInbox API answered with an error (used by the management API). */
export class ApiError extends OneInboxError {
  constructor(status: number, message: string, details?: JsonValue, retryable?: boolean)
  readonly code: 'ERR_ONEINBOX_API'
  /** The HTTP status. */
  readonly status: number
  /** The error body's details, if any. */
  readonly details: JsonValue
  /** Whether retrying the same request later may succeed (429, 5xx). */
  readonly retryable: boolean
}

/**
 * Parses and validates one webhook body: pass the raw request body exactly as received
 * (`express.raw({ type: 'application/json' })`), not a parsed object. Returns the event or
 * throws {@link ValidationError} listing every issue; a wrong argument type is a `TypeError`.
 */
export function parseEvent(body: Buffer | Uint8Array | string, options?: ParseOptions): Event
