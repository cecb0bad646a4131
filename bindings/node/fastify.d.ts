// Types of `oneinbox-webhooks/fastify` (hand-written, next to fastify.js).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { WebhookOptions } from './adapter-core.js'

export type { WebhookLogger, WebhookOptions } from './adapter-core.js'

/** Options of {@link oneinboxWebhooks}. */
export interface OneInboxFastifyOptions extends WebhookOptions {
  /** The route, under the register `prefix` if any. Default `/webhooks/oneinbox`. */
  path?: string
}

/**
 * The webhook endpoint as a Fastify plugin: one route at `path`. Its raw-body content-type
 * parser lives in the plugin's own encapsulated context, so JSON parsing elsewhere in the app is
 * untouched. Without a `logger` option, failures go to the instance's logger (`fastify.log`).
 *
 * ```js
 * fastify.register(oneinboxWebhooks, { receiver, router, store })
 * ```
 */
export declare const oneinboxWebhooks: FastifyPluginAsync<OneInboxFastifyOptions>
export default oneinboxWebhooks

/**
 * Fastify's request serializer with the URL token redacted, for the access log ("incoming
 * request" lines): `Fastify({ logger: { serializers: { req: requestSerializer } } })`.
 */
export declare function requestSerializer(request: FastifyRequest): {
  method: string
  url: string
  version: string | string[] | undefined
  host: string
  remoteAddress: string
  remotePort: number | undefined
}
