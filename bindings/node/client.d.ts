// Types of the HTTP client of `oneinbox-webhooks` (client.js), re-exported by oneinbox.d.ts.
/// <reference types="node" />
import type { ClientMethods } from './management.generated'
import type { Api, Call, Delivery, ListCallsArgs, ListDeliveriesArgs, OneInboxError, PreparedRequest } from './oneinbox'

/** The `fetch` the client calls: the global one, or any function with its signature. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** Options of {@link Client}; unknown names are refused. */
export interface ClientOptions {
  /**
   * Default: the environment variable `ONEINBOX_BASE_URL`, else `https://api.oneinbox.ai`;
   * `http` is allowed (a local fake, a proxy).
   */
  baseUrl?: string
  /**
   * Milliseconds each attempt may take, reading the answer included (`AbortSignal.timeout`).
   * Default 10000; `Infinity` for none.
   */
  timeoutMs?: number
  /** How many times a failed request may be sent again (per the request's policy). Default 2. */
  maxRetries?: number
  /** Default `globalThis.fetch`. A `FakeOneInbox`'s `fake.fetch` plugs in here. */
  fetch?: FetchLike
  /**
   * Waits between attempts; default `setTimeout`. For tests: record the waits instead of
   * sleeping (`sleep: async (ms) => { waits.push(ms) }`).
   */
  sleep?: (ms: number) => Promise<unknown> | unknown
  /** A number in [0, 1) for the backoff's jitter; default `Math.random`. For tests: a seeded one. */
  random?: () => number
}

/**
 * A request that got no usable answer: the connection failed or was lost, or it timed out.
 * `cause` is the error `fetch` gave (with the API key replaced, if it held it).
 */
export class TransportError extends OneInboxError {
  readonly code: 'ERR_ONEINBOX_TRANSPORT'
  readonly method: string
  /** The request URL (any `token=` query value shown as `[redacted]`). */
  readonly url: string
  /** The request's retry policy. */
  readonly retry: 'idempotent' | 'creates_webhook' | 'creates_call' | 'sends_test_delivery'
  /** How many times the request was sent. */
  readonly attempts: number
  /** Whether the last attempt ran out of `timeoutMs`. */
  readonly timedOut: boolean
  /**
   * Whether sending the same request again later is safe: `true` when nothing was sent (the
   * connection could not be opened) or the retries of an idempotent request ran out; `false`
   * for `createWebhook`/`createCall` after the request may have been sent: the webhook may
   * exist or the call may have been placed, and the message says how to check.
   */
  readonly retryable: boolean
}

/**
 * The management API over `fetch`. Arguments are checked by the native `Api` before anything is
 * sent (`UsageError`); a non-2xx answer is an `ApiError`, no answer a {@link TransportError}.
 *
 * Retries follow the core's per-request policy only: a status when `ApiError.retryable` says so
 * (idempotent requests after 408, 429 and 5xx; `createWebhook` and `createCall` only after 429
 * and 503); a connection that could not be opened for every request (nothing was sent); a
 * failure after the request may have been sent only for idempotent requests. The decision is
 * the core's (`PreparedRequest.afterStatus` / `afterFailure`). Each wait is the answer's
 * `Retry-After` (at most 60 s) or exponential backoff with full jitter (up to 500 ms, 1 s, 2 s,
 * ... capped at 8 s); at most `maxRetries` retries. The API key never shows in `util.inspect`,
 * `JSON.stringify` or any error.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the class gets its management methods from the contract at load time
export class Client {
  /**
   * `apiKey` and `options.baseUrl` not given are read from the environment variables
   * `ONEINBOX_API_KEY` and `ONEINBOX_BASE_URL`; with no key anywhere it throws a `UsageError`
   * (`missing_field` at `/api_key`) naming the argument and the variable.
   */
  constructor(apiKey?: string, options?: ClientOptions)
  readonly baseUrl: string
  /** The sans-I/O `Api` the client builds its requests with. */
  readonly api: Api
  readonly timeoutMs: number
  readonly maxRetries: number
  /**
   * Every delivery of a webhook, page after page, fetched lazily:
   * `for await (const d of client.iterDeliveries(id, { limit: 100 }))`.
   */
  iterDeliveries(webhookId: string, args?: ListDeliveriesArgs): AsyncGenerator<Delivery, void, undefined>
  /**
   * Every call that matches the filters (`agent_id`, `status`), page after page (of `limit`),
   * fetched lazily: `for await (const call of client.iterCalls({ status: 'completed' }))`.
   */
  iterCalls(args?: ListCallsArgs): AsyncGenerator<Call, void, undefined>
  /** Sends any prepared request with this client's timeout and retries. */
  send<T>(prepared: PreparedRequest<T>): Promise<T>
  toJSON(): { baseUrl: string; apiKey: '[redacted]'; timeoutMs: number; maxRetries: number }
}
/** The management methods, one per endpoint of the contract (management.generated.d.ts). */
export interface Client extends ClientMethods {}
