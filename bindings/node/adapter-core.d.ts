// Types shared by the framework adapters `oneinbox-webhooks/express`, `/fastify` and `/fetch`
// (hand-written, next to adapter-core.js).
/// <reference types="node" />
import type { HeadersLike, Receiver, Router } from './oneinbox.js'
import type { Store } from './stores.js'

/**
 * Where an adapter reports what it cannot answer with detail: a handler or store failure (the
 * event name and call id, then the error), a body another middleware already read. `console`
 * fits. The request URL (it carries the URL token), headers and secrets are never passed.
 * A logger that also has `warn` gets a line for each 401 and 415 with its reason (e.g.
 * `token_mismatch`; at most 10 per reason per minute, then a summary) and, once, the warning
 * of an adapter made without a store; one with `info` a line for each 400, and one with
 * `debug` a line for each retry acknowledged; the levels are the core's answer table.
 */
export interface WebhookLogger {
  error(message: string, error?: unknown): void
  warn?(message: string, error?: unknown): void
  info?(message: string, error?: unknown): void
  debug?(message: string, error?: unknown): void
}

/**
 * The options every adapter takes; unknown names are refused (`UsageError`).
 *
 * Each delivery is answered: 204 once authenticated, parsed, recorded (with a `store`; a delivery
 * the store has seen before is answered 204 without running its handlers again) and handled;
 * 400 `{"issues":[{code,path,message}]}` for an invalid payload; 401
 * `{"error":<code>,"message":...}` when authentication fails (logged at warn with the code);
 * 413 over the receiver's `maxBodyBytes` (from Content-Length before reading, and while
 * reading); 415 unless the Content-Type is `application/json` or `application/<name>+json`
 * (a JSON body naming the accepted types and the one received; logged at warn); 405
 * (`Allow: POST`) for another method; 500 (no detail, logged) when a handler or the store fails;
 * 202 when the handlers take longer than `ackTimeoutMs` (they go on, and a later failure is
 * logged). Without a `store`, the adapter warns once when it is made: retried deliveries run
 * their handlers again.
 */
export interface WebhookOptions {
  /** Authenticates and parses each delivery (its `maxBodyBytes` is the adapter's size limit). */
  receiver: Receiver
  /** Runs the handlers of each new event (sync or async). */
  router: Router
  /**
   * Where each delivery is kept. With an inbox (`arrive`/`finish`, e.g. `MemoryStore`), at least
   * once: a handler that throws makes the answer 500 and the delivery due again (OneInbox's
   * retry or the worker, `drain`, runs it); a copy of a done delivery is answered 204; one that
   * another worker runs now 409 with Retry-After. Without an inbox (or `atMostOnce`), it is
   * only recorded: a repeated delivery is acknowledged without handling it again.
   */
  store?: Pick<Store, 'record'> | null
  /**
   * Only record each delivery, as before the inbox: a copy of a delivery whose handler failed is
   * answered 204 without running it again (its work is lost). Default false.
   */
  atMostOnce?: boolean
  /**
   * How long to wait for the handlers before answering 202 (they go on), in milliseconds.
   * Default 5000, below OneInbox's retry window; `null` waits however long they take.
   */
  ackTimeoutMs?: number | null
  /** Default: `console.error` for error lines and `console.warn` for warn lines (Fastify: the instance's logger). */
  logger?: WebhookLogger
}

// What adapter-core.js gives the adapters (express.js, fastify.js, fetch.js); internal: the
// package exports no `./adapter-core` subpath. Declared here so that `checkJs` types the
// adapters' calls.

/** An answer as an adapter sends it; only a 400, 401 or 415 has a body. */
export interface Reply {
  readonly status: number
  /** `[name, value]` pairs, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Buffer | null
  /** The body was not read to its end: close the connection where the server allows it. */
  readonly closeConnection: boolean
}

/** The checked options and the steps of the core's answer table, for one adapter. */
export interface Core {
  /** The receiver's size limit, the adapter's read limit. */
  readonly maxBodyBytes: number
  /** 405, 415 or 413 (from Content-Length) before the body is read, or `null`: read it. */
  precheck(method: unknown, contentType: unknown, length: unknown): Reply | null
  /** Logs the core's warning for an adapter made without a store (done by `createCore`). */
  warnNoStore(): void
  /** 413 for a body found too long while reading it. */
  tooLarge(): Reply
  /** The answer for a body stream that failed or closed early. */
  readFailed(): Reply
  /** 500 for a body something else read first; the log line names `fix`. */
  alreadyRead(fix: string): Reply
  /** 500 for an unexpected failure of the adapter, logged with `error`. */
  unexpected(error: unknown): Reply
  /** Authenticates, parses, records and handles one delivery; never rejects. */
  handle(body: Buffer, headers: HeadersLike, url: string | URL | undefined): Promise<Reply>
}

/** Checks an adapter's options (`known`: the names it accepts) and returns its `Core`. */
export function createCore(options: unknown, where: string, known: readonly string[]): Core
/** Reads a Node stream to its end: the body, or `null` once it is longer than `limit` bytes. */
export function readNodeStream(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer | null>
/** The default `ackTimeoutMs`. */
export const DEFAULT_ACK_TIMEOUT_MS: number
