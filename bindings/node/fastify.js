// `oneinbox-webhooks/fastify`: the webhook endpoint as a Fastify plugin. It never loads Fastify:
// it uses the instance it is registered on. The behaviour is adapter-core.js; types: fastify.d.ts.
//
// The plugin is encapsulated (not wrapped in fastify-plugin): the content-type parser that keeps
// the raw bytes lives in its own context, so the app's JSON parsing elsewhere is untouched.
'use strict'

const { createCore, readNodeStream } = require('./adapter-core.js')
const { redactUrlToken } = require('./oneinbox.js')

const CORE_OPTIONS = ['receiver', 'router', 'store', 'ackTimeoutMs', 'logger', 'atMostOnce']
// Options Fastify itself gives every plugin through `register(plugin, options)`.
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers']
const DEFAULT_PATH = '/webhooks/oneinbox'
const TOO_LARGE = Symbol('too large')
const READ_FAILED = Symbol('read failed')

/**
 * @param {import('fastify').FastifyReply} reply
 * @param {import('./adapter-core').Reply} answer
 */
function send(reply, answer) {
  reply.code(answer.status)
  for (const [name, value] of answer.headers) reply.header(name, value)
  if (answer.closeConnection) reply.header('connection', 'close')
  return reply.send(answer.body === null ? undefined : answer.body)
}

// Fastify's logger takes (object, message); the adapters' logger contract is (message, error).
/**
 * @param {import('fastify').FastifyBaseLogger} log
 * @returns {import('./adapter-core').WebhookLogger}
 */
function fastifyLogger(log) {
  /** @type {(name: 'error' | 'warn' | 'info' | 'debug') => (message: string, error?: unknown) => void} */
  const level = (name) => (message, error) => (error === undefined ? log[name](message) : log[name]({ err: error }, message))
  return { error: level('error'), warn: level('warn'), info: level('info'), debug: level('debug') }
}

/**
 * Fastify's request serializer with the URL token redacted: the fields of Fastify's own
 * (`method`, `url`, `version`, `host`, `remoteAddress`, `remotePort`), `url` through
 * `redactUrlToken`. `Fastify({ logger: { serializers: { req: requestSerializer } } })`.
 * @param {import('fastify').FastifyRequest} request
 */
function requestSerializer(request) {
  return {
    method: request.method,
    url: redactUrlToken(request.url),
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/**
 * `fastify.register(oneinboxWebhooks, { receiver, router, store, path })`: one route, `path`
 * (default `/webhooks/oneinbox`, under the register `prefix` if any), answering every method.
 * @param {import('fastify').FastifyInstance} fastify
 * @param {import('./fastify').OneInboxFastifyOptions} options
 */
async function oneinboxWebhooks(fastify, options) {
  const opts = { ...options }
  const path = opts.path === undefined ? DEFAULT_PATH : opts.path
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`oneinboxWebhooks: path must be a string starting with "/", got ${JSON.stringify(path)}`)
  }
  /** @type {Record<string, unknown>} */
  const coreOptions = {}
  for (const [key, value] of Object.entries(opts)) {
    if (key === 'path' || REGISTER_OPTIONS.includes(key)) continue
    coreOptions[key] = value
  }
  if (coreOptions.logger === undefined) coreOptions.logger = fastifyLogger(fastify.log)
  const core = createCore(coreOptions, 'oneinboxWebhooks(options)', [...CORE_OPTIONS, 'path'])

  // This context's parsers only: every body reaches the handler as the raw bytes, read up to the
  // receiver's limit (precheck has refused non-JSON content types before any reading).
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', function rawBody(request, payload, done) {
    readNodeStream(payload, core.maxBodyBytes).then(
      (body) => done(null, body === null ? TOO_LARGE : body),
      () => done(null, READ_FAILED),
    )
  })

  fastify.route({
    method: ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'],
    url: path,
    // 405, 415 and a Content-Length over the limit are answered before the body is read.
    onRequest(request, reply, done) {
      const h = request.headers
      const early = core.precheck(request.method, h['content-type'], h['content-length'])
      if (early === null) {
        done()
        return
      }
      send(reply, early)
    },
    async handler(request, reply) {
      const body = request.body
      if (body === TOO_LARGE) return send(reply, core.tooLarge())
      if (body === READ_FAILED) return send(reply, core.readFailed())
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0)
      // `request.url` is the URL as sent, with its query (the URL token).
      return send(reply, await core.handle(bytes, request.headers, request.url))
    },
  })
}

module.exports = oneinboxWebhooks
module.exports.oneinboxWebhooks = oneinboxWebhooks
module.exports.default = oneinboxWebhooks
module.exports.requestSerializer = requestSerializer
