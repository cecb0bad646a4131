// Types of `oneinbox-webhooks/testing` (testing.js): event factories, deliveries as OneInbox
// makes them, and a fake OneInbox management API for your tests.
/// <reference types="node" />
import type { Client, ClientOptions } from './client'
import type { JsonValue, KnownEventName, Secret } from './oneinbox'

/** The events {@link makeCall} gives, in order: those of one connected call. */
export const CALL_SEQUENCE: readonly KnownEventName[]

/** Wire-name members to set on a guide payload (`null` sets a member to `null`). */
export type EventOverrides = { readonly [member: string]: JsonValue }

/**
 * The body of one `event` delivery: the guide's payload for it (valid in strict mode), with
 * `overrides` set by wire name. Throws `UsageError` for a name that is not one of the seven
 * documented events, or an override JSON cannot carry (NaN, `undefined`...).
 */
export function makeEvent(event: KnownEventName, overrides?: EventOverrides): Buffer

/** The bodies of one connected call's deliveries ({@link CALL_SEQUENCE}), all with `callId` (default: a new `call_…` id). */
export function makeCall(callId?: string): Buffer[]

/** Options of {@link makeDelivery}; unknown names are refused. */
export interface DeliveryOptions {
  /** Where the delivery goes (the webhook URL, without the token). */
  url: string
  /** Added to the URL as `?token=…`. */
  urlToken?: string | Secret | null
  /** A `whsec_` secret: the body is signed (Standard Webhooks `webhook-*` headers). */
  signingSecret?: string | Secret | null
  /** The `webhook-id`; default a new `msg_…` id. */
  msgId?: string
  /** The `webhook-timestamp`, Unix seconds or a Date; default now. */
  timestamp?: number | Date
}

/**
 * One delivery as OneInbox makes it: `fetch(d.url, { method: 'POST', headers: d.headers, body:
 * d.body })`. `util.inspect` and `JSON.stringify` hide the URL token.
 */
export class Delivery {
  private constructor()
  readonly body: Buffer
  /** `content-type`, and `webhook-id`, `webhook-timestamp`, `webhook-signature` when signed. */
  readonly headers: Readonly<Record<string, string>>
  /** The URL with the token, when there is one. */
  readonly url: string
  /** The body's `event` name, or `null`. */
  readonly event: string | null
}

/**
 * The delivery of `body` that `new Receiver({ urlTokens: [urlToken], signingSecrets:
 * [signingSecret] })` accepts.
 */
export function makeDelivery(body: Buffer | Uint8Array | string, options: DeliveryOptions): Delivery

/** An answer of the fake: status, headers (lower-case names) and body. */
export class FakeResponse {
  private constructor()
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** The body parsed as JSON (`null` when empty). */
  json(): unknown
}

/** A request the fake received; the `Authorization` header is not kept. */
export class RecordedRequest {
  private constructor()
  readonly method: string
  /** The path, as sent (percent-encoded). */
  readonly path: string
  /** The query, without `?` (`''` when none). */
  readonly query: string
  readonly body: Buffer | null
  /** Whether it carried `Authorization: Bearer <the fake's key>`. */
  readonly authorized: boolean
  /** The body parsed as JSON (`null` without a body). */
  json(): unknown
}

/** A webhook as the fake keeps it (and the API shows it). */
export interface FakeWebhook {
  id: string
  name: string
  url: string
  events: string[]
  secret: string
  status: string
  created_at: string
  updated_at: string
}

/** A delivery-history record as the fake keeps it. */
export interface FakeDelivery {
  id: string
  /** `null` for a delivery to a call's own `webhook_url`. */
  webhook_id: string | null
  event: string
  status: string
  attempt: number
  response_status: number | null
  response_body: string | null
  error: string | null
  next_retry_at: string | null
  completed_at: string | null
  created_at: string
  [member: string]: JsonValue
}

/** A call as the fake keeps it: the API's call object plus the `webhook_url` it was created with. */
export interface FakeCall {
  id: string
  agent_id: string
  to_number: string
  from_number: string
  status: string
  webhook_url: string | null
  variables: { [key: string]: JsonValue }
  metadata: { [key: string]: JsonValue }
  [member: string]: JsonValue
}

/** Options of {@link FakeOneInbox.failNext}. */
export interface FailOptions {
  /** How many requests in a row fail. Default 1. */
  times?: number
  /** A `Retry-After` header: seconds, or an HTTP date. */
  retryAfter?: number | string
  /** The body; default `{"detail": "<reason>"}`. An object is sent as JSON. */
  body?: string | Uint8Array | JsonValue
  /** Carry the request out first (the webhook or call then exists), then fail. Default `false`. */
  processed?: boolean
}

/** Options of {@link FakeOneInbox.disconnectNext}. */
export interface DisconnectOptions {
  /** How many requests in a row get no answer. Default 1. */
  times?: number
  /** Carry the request out first, then close the connection. Default `false`. */
  processed?: boolean
}

/** A request for {@link FakeOneInbox.handle}. */
export interface FakeRequest {
  method?: string
  /** A whole URL, or the path and query. */
  url: string
  headers?: Record<string, string | string[] | undefined> | Headers | ReadonlyArray<readonly [string, string]>
  body?: string | Uint8Array | null
}

/** Seeded faults of the fake's deliveries (probabilities from 0 to 1; else `UsageError`). */
export interface Faults {
  /** The chance that a delivery is lost for good (rows with error `dropped`). */
  drop?: number
  /** The chance that a delivery is sent twice. */
  duplicate?: number
  /** The chance that a call's deliveries leave out of order. */
  shuffle?: number
  /** The chance that a delivery waits up to `maxDelayMs` more. */
  delay?: number
  /** The longest extra wait, ms (default 30000, at most a day). */
  maxDelayMs?: number
}

/** Options of `new FakeOneInbox(...)`. */
export interface FakeOptions {
  /** The key the fake accepts; default `oi_sk_test_fake`. */
  apiKey?: string
  /** The seed of ids, durations and faults (random when not given). */
  seed?: number | bigint
  /** Seeded faults of the deliveries. */
  faults?: Faults
  /** A `whsec_` secret: every delivery then carries a Standard Webhooks signature. */
  signingSecret?: string
  /**
   * Where the fake's clock starts (Unix ms); then only `settle()` moves it. Default: the wall
   * clock. Two fakes with the same `seed` and `startMs` play the same calls byte for byte.
   */
  startMs?: number
}

/** A call for {@link FakeOneInbox.playCall}; the guide's agent and numbers by default. */
export interface PlayCallOptions {
  agentId?: string
  toNumber?: string
  fromNumber?: string
  /** A per-call URL that gets every event. */
  webhookUrl?: string
  /** Fail the call with this reason (`call.failed` only), e.g. `no-answer`. */
  failure?: string
}

/**
 * An in-memory OneInbox management API for tests, with the real request and response shapes and
 * errors: 401 without the right bearer key, 404 `{"detail": "Webhook not found"}`, 422 with
 * FastAPI's `{"detail": [{"loc", "msg", "type"}]}` for a bad body (found by the core's own
 * argument rules). Without a socket through {@link fetch}, or over HTTP with {@link listen}.
 */
export class FakeOneInbox {
  /** `apiKey`: the key the fake accepts; default `oi_sk_test_fake`. */
  constructor(options?: FakeOptions)
  readonly apiKey: string
  /** `http://127.0.0.1:PORT` while listening; otherwise a base URL only {@link fetch} answers. */
  readonly url: string
  /** A fetch-compatible function answering from the fake, without a socket. */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  /** The webhooks, oldest first (copies). */
  readonly webhooks: FakeWebhook[]
  /** The calls created, oldest first (copies). */
  readonly calls: FakeCall[]
  /** Every request received, in order (failed and unauthorized ones too). */
  readonly requests: RecordedRequest[]
  /** The waits (milliseconds) that clients from {@link client} asked for; they never really sleep. */
  readonly sleeps: number[]
  /** A webhook's delivery history, newest first (copies); `RangeError` for an unknown id. */
  deliveries(webhookId: string): FakeDelivery[]
  /** Adds a record to a webhook's history (the newest) and returns it. */
  addDelivery(webhookId: string, fields?: Partial<FakeDelivery>): FakeDelivery
  /** The next request(s) are answered with `status`, an error status (400 to 599; else `UsageError`). */
  failNext(status: number, options?: FailOptions): void
  /** The next request(s) get no answer: the connection closes. */
  disconnectNext(options?: DisconnectOptions): void
  /** A `Client` over {@link fetch} with this fake's key, its waits recorded in {@link sleeps}. */
  client(options?: Omit<ClientOptions, 'baseUrl' | 'fetch'> & Partial<Pick<ClientOptions, 'baseUrl' | 'fetch'>>): Client
  /** Answers one request; `null`: the connection closes without an answer. */
  handle(request: FakeRequest): FakeResponse | null
  /** The fake's clock in ms (ahead of `Date.now()` once {@link settle} moved it). */
  readonly now: number
  /** Registers an active webhook (every event by default), also at a loopback `http` URL. */
  addWebhook(url: string, options?: { events?: string[]; name?: string }): FakeWebhook
  /** Creates a call now and plays it; {@link settle} sends its events. */
  playCall(options?: PlayCallOptions): FakeCall
  /** Refuses the attempts to URLs starting with `urlPrefix` in a window (seconds from now). */
  outage(urlPrefix: string, window: { start?: number; duration: number }): void
  /** The history of the deliveries to a call's own `webhook_url`, newest first. */
  deliveriesForCall(callId: string): FakeDelivery[]
  /**
   * Sends every pending attempt over HTTP (`timeout` ms each, default 5000), moving the
   * fake's clock to each due time; resolves to the number sent when nothing is pending.
   */
  settle(options?: { timeout?: number }): Promise<number>
  /** Listens on `host` (default 127.0.0.1) and resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>
  /** Stops listening. */
  close(): Promise<void>
  toJSON(): { url: string; webhooks: number; calls: number; requests: number; apiKey: '[redacted]' }
}
