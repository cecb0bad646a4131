// Types of `oneinbox-webhooks/express` (hand-written, next to express.js).
/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebhookOptions } from './adapter-core.js'

export type { WebhookLogger, WebhookOptions } from './adapter-core.js'

/**
 * The webhook endpoint as Express (or Connect, or `http.createServer`) middleware. It reads the
 * raw body from the request stream itself, or takes the Buffer of `express.raw()`; when another
 * parser (`express.json()`) has consumed the body it answers 500 and logs how to fix the order.
 * It answers every request itself and never calls `next`.
 *
 * ```js
 * app.all('/webhooks/oneinbox', webhookMiddleware({ receiver, router, store }))
 * app.use(express.json()) // after the webhook route
 * ```
 */
export function webhookMiddleware(
  options: WebhookOptions,
): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<void>

/**
 * The request's URL (`originalUrl`, else `url`) with the URL token redacted, for access logs:
 * `morgan.token('url', redactedUrl)`.
 */
export function redactedUrl(req: IncomingMessage & { originalUrl?: string }): string

/**
 * pino-http's `req` serializer with the URL token redacted (`url`, and a `token` query
 * parameter): `pinoHttp({ serializers: { req: redactRequest } })`.
 */
export function redactRequest<R extends { url?: string; query?: unknown }>(req: R): R
