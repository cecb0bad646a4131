// `oneinbox-webhooks/express`: the webhook endpoint as Express (or Connect, or plain
// `http.createServer`) middleware. It never loads Express: it uses only Node's request and
// response. The behaviour is adapter-core.js; types: express.d.ts.
'use strict'

const { createCore, readNodeStream } = require('./adapter-core.js')
const { redactUrlToken } = require('./oneinbox.js')

const OPTIONS = ['receiver', 'router', 'store', 'ackTimeoutMs', 'logger', 'atMostOnce']

const CONSUMED_FIX =
  'another middleware read it (express.json() or another body parser ran first): mount ' +
  "webhookMiddleware before express.json(), or use express.raw({ type: 'application/json' }) on its route"

/**
 * @param {import('node:http').ServerResponse} res
 * @param {import('./adapter-core').Reply} answer
 */
function send(res, answer) {
  if (res.headersSent) {
    if (!res.writableEnded) res.end()
    return
  }
  res.statusCode = answer.status
  for (const [name, value] of answer.headers) res.setHeader(name, value)
  if (answer.closeConnection) res.setHeader('connection', 'close')
  if (answer.body === null) {
    res.end()
  } else {
    res.setHeader('content-length', answer.body.length)
    res.end(answer.body)
  }
}

/**
 * The middleware `(req, res) => Promise<void>`: it answers every request itself (it never calls
 * `next`, so no error page can show a stack trace). Mount it on the webhook path:
 * `app.all('/webhooks/oneinbox', webhookMiddleware({ receiver, router, store }))`.
 * @param {import('./adapter-core').WebhookOptions} options
 */
function webhookMiddleware(options) {
  const core = createCore(options, 'webhookMiddleware(options)', OPTIONS)
  /**
   * Express sets `body` (express.raw()), `originalUrl`, and body-parser `_body`.
   * @param {import('node:http').IncomingMessage & { body?: unknown, _body?: boolean, originalUrl?: string }} req
   * @param {import('node:http').ServerResponse} res
   */
  return async function oneinboxWebhook(req, res) {
    try {
      const headers = req.headers
      const early = core.precheck(req.method, headers['content-type'], headers['content-length'])
      if (early !== null) {
        send(res, early)
        // The body is not wanted: drop it as it arrives.
        if (!req.readableEnded) req.resume()
        return
      }
      let body
      if (Buffer.isBuffer(req.body)) {
        // express.raw() read the body already: its bytes are exactly what was sent.
        body = req.body
      } else if (req._body === true || req.readableEnded) {
        // A parser consumed the stream: the raw bytes are gone. Never accept without them.
        send(res, core.alreadyRead(CONSUMED_FIX))
        return
      } else {
        try {
          body = await readNodeStream(req, core.maxBodyBytes)
        } catch {
          // The client went away, or the stream failed: nothing was authenticated.
          if (!res.headersSent) send(res, core.readFailed())
          return
        }
        if (body === null) {
          send(res, core.tooLarge())
          return
        }
      }
      // `originalUrl` keeps the query (the URL token) whatever path the app mounted this on.
      send(res, await core.handle(body, headers, req.originalUrl ?? req.url))
    } catch (err) {
      send(res, core.unexpected(err))
    }
  }
}

/**
 * The request's URL (Express's `originalUrl`, else `url`) with the URL token redacted: morgan's
 * `url` token, `morgan.token('url', redactedUrl)`.
 * @param {import('node:http').IncomingMessage & { originalUrl?: string }} req
 */
function redactedUrl(req) {
  return redactUrlToken(req.originalUrl ?? req.url ?? '')
}

/**
 * pino-http's `req` serializer with the URL token redacted: the serialized request with `url`
 * through `redactUrlToken` and a `token` query parameter as `[redacted]`.
 * `pinoHttp({ serializers: { req: redactRequest } })`.
 * @template {{ url?: string, query?: unknown }} R
 * @param {R} req
 * @returns {R}
 */
function redactRequest(req) {
  const out = { ...req }
  if (typeof out.url === 'string') out.url = redactUrlToken(out.url)
  const query = out.query
  if (query !== null && typeof query === 'object' && 'token' in query) out.query = { ...query, token: '[redacted]' }
  return out
}

module.exports = { redactRequest, redactedUrl, webhookMiddleware }
