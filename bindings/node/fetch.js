// `oneinbox-webhooks/fetch`: the webhook endpoint as a Web Fetch API handler,
// `(request: Request) => Promise<Response>`, for Next.js App Router route handlers, Hono, Bun,
// Deno and anything else that speaks Request/Response. It loads no framework; the behaviour is
// adapter-core.js; types: fetch.d.ts.
'use strict'

const { createCore } = require('./adapter-core.js')

const OPTIONS = ['receiver', 'router', 'store', 'ackTimeoutMs', 'logger', 'atMostOnce']

/** @param {import('./adapter-core').Reply} answer */
function toResponse(answer) {
  // 204 and the like must have a null body; the server decides about the connection.
  // Response copies the pairs (it never changes them).
  const headers = /** @type {[string, string][]} */ (answer.headers)
  return new Response(answer.body, { status: answer.status, headers })
}

// Reads a Request's body stream up to `limit` bytes: the body, or `null` once it is longer (the
// stream is then cancelled, so the rest is never read).
/**
 * @param {Request} request
 * @param {number} limit
 * @returns {Promise<Buffer | null>}
 */
async function readBody(request, limit) {
  if (request.body === null) return Buffer.alloc(0)
  const reader = request.body.getReader()
  /** @type {Uint8Array[]} */
  const chunks = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

/**
 * The handler `(request) => Promise<Response>`. In a Next.js route handler:
 * `export const POST = webhookHandler({ receiver, router })`.
 * @param {import('./adapter-core').WebhookOptions} options
 */
function webhookHandler(options) {
  const core = createCore(options, 'webhookHandler(options)', OPTIONS)
  /** @param {Request} request */
  return async function oneinboxWebhook(request) {
    try {
      const headers = request.headers
      const early = core.precheck(request.method, headers.get('content-type') ?? undefined, headers.get('content-length') ?? undefined)
      if (early !== null) return toResponse(early)
      if (request.bodyUsed) {
        return toResponse(
          core.alreadyRead(
            'request.json() or request.text() already read it: pass the Request to the handler before anything reads its body',
          ),
        )
      }
      let body
      try {
        body = await readBody(request, core.maxBodyBytes)
      } catch {
        return toResponse(core.readFailed())
      }
      if (body === null) return toResponse(core.tooLarge())
      return toResponse(await core.handle(body, headers, request.url))
    } catch (err) {
      return toResponse(core.unexpected(err))
    }
  }
}

module.exports = { webhookHandler }
