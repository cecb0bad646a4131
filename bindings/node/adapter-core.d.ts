// Types shared by the framework adapters `oneinbox-webhooks/express`, `/fastify` and `/fetch`
// (hand-written, next to adapter-core.js).
import type { Receiver, Router } from './oneinbox.js'
import type { Store } from './stores.js'

/**
 * Where an adapter reports what it cannot answer with detail: a handler or store failure (the
 * event name and call id, then the error), a body another middleware already read. `console`
 * fits. The request URL (it carries the URL token), headers and secrets are never passed.
 * A logger that also has `info` gets a line for each refused delivery (401, 400), and one with
 * `debug` a line for each retry acknowledged; the levels are the core's answer table.
 */
export interface WebhookLogger {
  error(message: string, error?: unknown): void
  info?(message: string, error?: unknown): void
  debug?(message: string, error?: unknown): void
}

/**
 * The options every adapter takes; unknown names are refused (`UsageError`).
 *
 * Each delivery is answered: 204 once authenticated, parsed, recorded (with a `store`; a delivery
 * the store has seen before is answered 204 without running its handlers again) and handled;
 * 400 `{"issues":[{code,path,message}]}` for an invalid payload; 401 (no detail) when
 * authentication fails; 413 over the receiver's `maxBodyBytes` (from Content-Length before
 * reading, and while reading); 415 unless the Content-Type is `application/json` or
 * `application/<name>+json`; 405 (`Allow: POST`) for another method; 500 (no detail, logged) when a
 * handler or the store fails; 202 when the handlers take longer than `ackTimeoutMs` (they go on,
 * and a later failure is logged). Only the 400 has a body.
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
  /** Default: `console.error` for error lines only (Fastify: the instance's logger). */
  logger?: WebhookLogger
}
