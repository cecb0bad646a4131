// `oneinbox-webhooks/express`: the webhook endpoint as Express (or Connect, or plain
// `http.createServer`) middleware. It never loads Express: it uses only Node's request and
// response. The behaviour is adapter-core.js; types: express.d.ts.
'use strict'

const { createCore, readNodeStream } = require('./adapter-core.js')

const OPTIONS = ['receiver', 'router', 'store', 'ackTimeoutMs', 'logger']

const CONSUMED =
  'oneinbox-webhooks: the webhook body was already read by another middleware (express.json() or ' +
  'another body parser ran first), so it cannot be authenticated; answered 500. Fix: mount ' +
  "webhookMiddleware before express.json(), or use express.raw({ type: 'application/json' }) on its route"

function send(res, answer) {
  if (res.headersSent) {
    if (!res.writableEnded) res.end()
    return
  }
  res.statusCode = answer.status
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
  if (answer.body === null) {
    res.end()
  } else {
    const body = Buffer.from(answer.body, 'utf8')
    res.setHeader('content-length', body.length)
    res.end(body)
  }
}

/**
 * The middleware `(req, res) => Promise<void>`: it answers every request itself (it never calls
 * `next`, so no error page can show a stack trace). Mount it on the webhook path:
 * `app.all('/webhooks/oneinbox', webhookMiddleware({ receiver, router, store }))`.
 */
function webhookMiddleware(options) {
  const core = createCore(options, 'webhookMiddleware(options)', OPTIONS)
  return async function oneinboxWebhook(req, res) {
    try {
      const headers = req.headers
      const early = core.precheck(req.method, headers['content-type'], headers['content-length'])
      if (early !== null) {
        if (early.status === 413) res.setHeader('connection', 'close')
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
        send(res, core.serverError(CONSUMED))
        return
      } else {
        try {
          body = await readNodeStream(req, core.maxBodyBytes)
        } catch {
          // The client went away, or the stream failed: nothing was authenticated.
          if (!res.headersSent) send(res, { status: 400, headers: {}, body: null })
          return
        }
        if (body === null) {
          res.setHeader('connection', 'close')
          send(res, core.tooLarge())
          return
        }
      }
      // `originalUrl` keeps the query (the URL token) whatever path the app mounted this on.
      send(res, await core.handle(body, headers, req.originalUrl ?? req.url))
    } catch (err) {
      send(res, core.serverError('oneinbox-webhooks: the webhook middleware failed unexpectedly; answered 500', err))
    }
  }
}

module.exports = { webhookMiddleware }
