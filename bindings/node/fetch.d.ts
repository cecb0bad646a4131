// Types of `oneinbox-webhooks/fetch` (hand-written, next to fetch.js).
/// <reference types="node" />
import type { WebhookOptions } from './adapter-core.js'

export type { WebhookLogger, WebhookOptions } from './adapter-core.js'

/**
 * The webhook endpoint as a Web Fetch API handler, for Next.js App Router route handlers, Hono,
 * Bun and Deno: it reads the raw body from `request.body` (up to the receiver's size limit) and
 * resolves to the answer.
 *
 * ```ts
 * export const POST = webhookHandler({ receiver, router }) // app/webhooks/oneinbox/route.ts
 * ```
 */
export function webhookHandler(options: WebhookOptions): (request: Request) => Promise<Response>
