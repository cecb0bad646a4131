#!/usr/bin/env node
// `npx oneinbox-webhooks send`: play a call's deliveries into any webhook receiver, as
// OneInbox would (the `stripe trigger` of OneInbox; the same command as
// `python -m oneinbox_webhooks send`).
//
//   export ONEINBOX_URL_TOKEN=... ONEINBOX_SIGNING_SECRET=...  # or --url-token-file PATH
//   npx oneinbox-webhooks send --to http://127.0.0.1:3000/webhooks/oneinbox --shuffle --duplicates 2
//
// POSTs each delivery as OneInbox makes it (`makeDelivery`: `Content-Type: application/json`,
// the URL token in the URL, Standard Webhooks headers with a signing secret), one after the
// other, and prints one line per delivery: the event, the status (or `error`) and the time in
// milliseconds. Without event names it sends the events of one whole call (`makeCall`); with
// names, one delivery each, all with the same `call_id`. `--duplicates N` sends N deliveries a
// second time (same message id, newly signed, as a redelivery is), `--shuffle` in a random order.
// `--seed N` makes the call id, the message ids, the duplicates and the order repeatable: the
// plan comes from the core (the addon's `planSend`), so `python -m oneinbox_webhooks send` makes
// the same plan from the same arguments.
//
// `--dry-run` prints the plan instead, one delivery a line (event, call id, message id, and
// `(again)` for a repeat), and sends nothing: `--to` is then optional (checked when given), and
// the same arguments print the same lines from the Python command.
//
// Exit status: 0 when every answer was 2xx, 1 otherwise (or when the receiver could not be
// reached), 2 for a usage error. Secrets are never printed, and no error shows the value of an
// argument. Each secret comes from its option (`--url-token`), else from its file option
// (`--url-token-file PATH`: the file holds the secret, one line), else from its environment
// variable ($ONEINBOX_URL_TOKEN, $ONEINBOX_SIGNING_SECRET; empty counts as unset): the core's
// `chooseSecret`, which the Python command asks too. The file and the environment keep secrets
// out of the process list.
//
// `npx oneinbox-webhooks worker --store URL --router ./file.js`: the inbox's worker (the same
// command as `python -m oneinbox_webhooks worker`). It runs `drain` (oneinbox-webhooks/stores)
// every `--interval` seconds: each delivery due in the store (a handler failed, or its process
// died mid-run) runs once through the router the file exports (`module.exports = router`,
// `export default router` or an export named `router`). Done deliveries past `--retention`
// seconds (7 days) are pruned. One line per drain that did something; SIGTERM or SIGINT stops
// it after the delivery it runs. Store URLs: `redis://...` (the `redis` package),
// `postgresql://...` (`pg`), `memory:` (an empty store in this process: for tests only). The
// URL (and its password) is never printed; $ONEINBOX_STORE_URL keeps it out of the process list.
//
// `npx oneinbox-webhooks doctor`: why deliveries failed and how to fix it (bin/doctor.js).
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const { parseArgs } = require('node:util')

const PROG = 'oneinbox-webhooks'

const USAGE = `usage: ${PROG} send --to URL [--url-token T | --url-token-file PATH]
                          [--signing-secret S | --signing-secret-file PATH] [--call-id ID]
                          [--shuffle] [--duplicates N] [--seed N] [--timeout SECONDS] [EVENT...]
       ${PROG} send --dry-run [--call-id ID] [--shuffle] [--duplicates N] [--seed N] [EVENT...]

POST webhook deliveries to URL as OneInbox makes them, one line per delivery (event, status,
milliseconds); exit 1 if any answer was not 2xx, 2 for a usage error.

  --to URL             the receiver's URL (required unless --dry-run)
  --url-token T        add ?token=T to the URL
                       (else --url-token-file, else $ONEINBOX_URL_TOKEN)
  --url-token-file PATH
                       read the URL token from this file (one line)
  --signing-secret S   sign with this whsec_ secret, Standard Webhooks headers
                       (else --signing-secret-file, else $ONEINBOX_SIGNING_SECRET)
  --signing-secret-file PATH
                       read the signing secret from this file (one line)
  --call-id ID         the call_id of every event (default: a new one)
  --shuffle            send in a random order
  --duplicates N       send N of the deliveries twice (same webhook-id)
  --seed N             seed for the ids, --shuffle and --duplicates (0 to 2^64-1)
  --dry-run            print the plan, one delivery a line; send nothing
  --timeout SECONDS    per request (default 10)
  EVENT...             event names, e.g. call.started call.ended
                       (default: the events of one whole call)
`

const WORKER_USAGE = `usage: ${PROG} worker --store URL --router FILE [--interval SECONDS] [--limit N]
                          [--retention SECONDS] [--once]

Run every due delivery of the store's inbox through the router's handlers, every --interval
seconds, until SIGTERM or SIGINT; one line per drain that ran something.

  --store URL          redis://..., postgresql://... or memory: (default: $ONEINBOX_STORE_URL)
  --router FILE        a module exporting the Router (default export, or one named router)
  --interval SECONDS   between two drains (default 1)
  --limit N            deliveries per drain (default 100)
  --retention SECONDS  prune done deliveries older than this (default 604800, 7 days)
  --once               drain once and exit (1 if anything failed)
`

const RECONCILE_USAGE = `usage: ${PROG} reconcile --store URL --router FILE [--base-url URL] [--json]

Fetch the store's overdue calls from the OneInbox API (GET /v1/calls/{id}) and run, through the
router's handlers, the events their snapshots show happened but no delivery brought (marked
reconciled). Prints the report; exits 0 when it ran, 1 when it could not.

  --store URL          redis://..., postgresql://... or memory: (default: $ONEINBOX_STORE_URL)
  --router FILE        a module exporting the Router (default export, or one named router)
  --base-url URL       the API (default: $ONEINBOX_BASE_URL, else https://api.oneinbox.ai)
  --json               print the report as JSON
The API key comes from $ONEINBOX_API_KEY.
`

class Usage extends Error {}

// The secrets of `send`: [name, environment variable].
/** @type {[string, string][]} */
const SECRETS = [
  ['url_token', 'ONEINBOX_URL_TOKEN'],
  ['signing_secret', 'ONEINBOX_SIGNING_SECRET'],
]

// `text` with every value typed on the command line replaced by `[redacted]`: each argument
// that is not an option name, and the value of each `--name=value`.
/**
 * @param {string} text
 * @param {string[]} argv
 * @returns {string}
 */
function redact(text, argv) {
  /** @type {Set<string>} */
  const values = new Set()
  for (const arg of argv) {
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=')
      if (eq > 0 && eq < arg.length - 1) values.add(arg.slice(eq + 1))
    } else if (arg !== '' && arg !== 'send') {
      values.add(arg)
    }
  }
  let out = text
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    out = out.replace(new RegExp(`(?<![\\w.-])${escaped}(?![\\w.-])`, 'gu'), '[redacted]')
  }
  return out
}

/**
 * A string option's value (parseArgs gives the string options strings).
 * @param {string | boolean | string[] | undefined} value
 * @returns {string | undefined}
 */
function stringOption(value) {
  return typeof value === 'string' ? value : undefined
}

// A secret from its option, file option or environment variable (the core decides which).
/**
 * @param {Record<string, string | boolean | string[] | undefined>} values parseArgs's values
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @param {string} variable
 * @returns {string | null}
 */
function secretOf(values, env, name, variable) {
  const flag = name.replace('_', '-')
  const path = stringOption(values[`${flag}-file`])
  /** @type {string | undefined} */
  let file
  if (path !== undefined) {
    try {
      file = fs.readFileSync(path, 'utf8')
    } catch (e) {
      const error = /** @type {NodeJS.ErrnoException} */ (e)
      throw new Usage(`--${flag}-file: cannot read the file (${error.code ?? error.name})`)
    }
  }
  const { chooseSecret } = require('../native.js')
  const chosen = chooseSecret(name, stringOption(values[flag]), file, env[variable])
  if (chosen.issues) {
    const { UsageError } = require('../errors.js')
    throw new Usage(new UsageError(chosen.issues).message)
  }
  return chosen.secret ?? null
}

/**
 * @typedef {object} SendArgs
 * @property {string | null} to
 * @property {boolean} dryRun
 * @property {string | null} urlToken
 * @property {string | null} signingSecret
 * @property {string | null} callId
 * @property {boolean} shuffle
 * @property {string | null} duplicates
 * @property {string | null} seed
 * @property {number} timeoutMs
 * @property {string[]} events
 */

/**
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ help: true } | (SendArgs & { help?: undefined })}
 */
function parse(argv, env) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        to: { type: 'string' },
        'url-token': { type: 'string' },
        'url-token-file': { type: 'string' },
        'signing-secret': { type: 'string' },
        'signing-secret-file': { type: 'string' },
        'call-id': { type: 'string' },
        shuffle: { type: 'boolean', default: false },
        duplicates: { type: 'string' },
        seed: { type: 'string' },
        timeout: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    // parseArgs names the option, never its value.
    throw new Usage(err instanceof Error ? err.message : String(err))
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  const [command, ...events] = positionals
  if (command !== 'send')
    throw new Usage(
      command === undefined ? 'a command is required: send, worker or reconcile' : `unknown command ${JSON.stringify(command)}`,
    )
  const dryRun = values['dry-run']
  if (values.to === undefined && !dryRun) throw new Usage('--to URL is required (unless --dry-run)')
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Usage('--timeout: expected a number of seconds above 0')
  return {
    to: values.to ?? null,
    dryRun,
    urlToken: secretOf(values, env, ...SECRETS[0]),
    signingSecret: secretOf(values, env, ...SECRETS[1]),
    callId: values['call-id'] ?? null,
    shuffle: values.shuffle,
    // The texts as typed: the core checks them (decimal digits, in range).
    duplicates: values.duplicates ?? null,
    seed: values.seed ?? null,
    timeoutMs: Math.ceil(timeout * 1000),
    events,
  }
}

/**
 * @param {unknown} err
 * @param {(text: string) => string} redactUrlToken
 */
function describeError(err, redactUrlToken) {
  const parts = []
  // What is read of a thrown value (absent on a primitive).
  /** @typedef {{ message?: unknown, code?: unknown, cause?: unknown }} ErrorFields */
  for (let e = err, depth = 0; e && depth < 4; e = /** @type {ErrorFields} */ (e).cause, depth++) {
    const f = /** @type {ErrorFields} */ (e)
    parts.push(`${f.message ?? e}${typeof f.code === 'string' ? ` (${f.code})` : ''}`)
  }
  return redactUrlToken(parts.join(': '))
}

/**
 * @param {SendArgs} args
 * @param {{ write(text: string): unknown }} out
 * @param {{ write(text: string): unknown }} err
 * @returns {Promise<number>}
 */
async function send(args, out, err) {
  const { OneInboxError, UsageError, redactUrlToken } = require('../oneinbox.js')
  const native = require('../native.js')
  const { planSend } = native
  const { makeDelivery, makeEvent } = require('../testing.js')
  // The plan from the core; the random seed (8 bytes) is used when --seed is absent.
  const plan = planSend(args.events, args.callId, args.seed, args.duplicates, args.shuffle, crypto.randomBytes(8))
  // The core's issues carry its issue codes.
  if (plan.issues) throw new Usage(new UsageError(/** @type {import('../oneinbox').Issue[]} */ (plan.issues)).message)
  // Without issues, the plan has its deliveries.
  const deliveries = /** @type {import('../index').NativePlannedDelivery[]} */ (plan.deliveries)
  /** @type {(d: { event: string, callId: string }) => Buffer} */
  const bodyOf = ({ event, callId }) => makeEvent(/** @type {import('../oneinbox').KnownEventName} */ (event), { call_id: callId })
  if (args.to !== null) {
    try {
      // A delivery is made before the first is sent, so that a bad URL or secret is a usage
      // error (exit 2) and nothing has been sent (or, with --dry-run, printed).
      makeDelivery(bodyOf(deliveries[0]), {
        url: args.to,
        urlToken: args.urlToken,
        signingSecret: args.signingSecret,
        msgId: 'msg_check',
      })
    } catch (e) {
      if (e instanceof OneInboxError) throw new Usage(e.message)
      throw e
    }
  }
  if (args.dryRun) {
    for (const { line } of deliveries) out.write(`${line}\n`)
    return 0
  }
  let failures = 0
  // Not a dry run: --to was required.
  const to = /** @type {string} */ (args.to)
  for (const delivery of deliveries) {
    const { msgId, repeat: again } = delivery
    const d = makeDelivery(bodyOf(delivery), { url: to, urlToken: args.urlToken, signingSecret: args.signingSecret, msgId })
    const started = performance.now()
    let status
    let ok = false
    /** @type {string | null} */
    let reason = null
    try {
      const res = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(args.timeoutMs) })
      const answer = Buffer.from(await res.arrayBuffer())
      status = String(res.status)
      ok = res.status >= 200 && res.status < 300
      // The reason the receiver gave in its answer's body (the core reads it), if any.
      if (!ok) reason = native.refusalReason(answer)
    } catch (e) {
      const timedOut = e instanceof Error && e.name === 'TimeoutError'
      status = `error: ${timedOut ? `timed out after ${args.timeoutMs} ms` : describeError(e, redactUrlToken)}`
    }
    const ms = performance.now() - started
    if (!ok) failures++
    out.write(`${native.sendSentLine(d.event ?? '?', status, ms, reason, again)}\n`)
  }
  err.write(`${native.sendSummaryLine(deliveries.length, to, deliveries.length - failures)}\n`)
  return failures > 0 ? 1 : 0
}

/**
 * @typedef {object} WorkerArgs
 * @property {string} store
 * @property {string} router
 * @property {number} intervalMs
 * @property {number} limit
 * @property {number} retention
 * @property {boolean} once
 */

/**
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ help: true } | (WorkerArgs & { help?: undefined })}
 */
function parseWorker(argv, env) {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        store: { type: 'string' },
        router: { type: 'string' },
        interval: { type: 'string' },
        limit: { type: 'string' },
        retention: { type: 'string' },
        once: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    // parseArgs names the option, never its value (an unexpected positional is not echoed).
    const error = /** @type {NodeJS.ErrnoException} */ (err)
    throw new Usage(error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'unexpected argument' : error.message)
  }
  if (values.help) return { help: true }
  const store = values.store ?? env.ONEINBOX_STORE_URL
  if (store === undefined || store === '') throw new Usage('--store URL is required (or $ONEINBOX_STORE_URL)')
  if (values.router === undefined) throw new Usage('--router FILE is required')
  /** @typedef {((n: number) => boolean) & { what: string }} Check */
  /** @type {(text: string | undefined, name: string, fallback: number, ok: Check) => number} */
  const number = (text, name, fallback, ok) => {
    if (text === undefined) return fallback
    const n = Number(text)
    if (text.trim() === '' || !ok(n)) throw new Usage(`--${name}: expected ${ok.what}`)
    return n
  }
  const positive = Object.assign((/** @type {number} */ n) => Number.isFinite(n) && n > 0, { what: 'a number of seconds above 0' })
  const atLeastZero = Object.assign((/** @type {number} */ n) => Number.isFinite(n) && n >= 0, { what: 'a number of seconds, 0 or more' })
  const whole = Object.assign((/** @type {number} */ n) => Number.isSafeInteger(n) && n >= 1, { what: 'a whole number of 1 or more' })
  const { DEFAULT_RETENTION } = require('../inbox.js')
  return {
    store,
    router: values.router,
    intervalMs: Math.ceil(number(values.interval, 'interval', 1, positive) * 1000),
    limit: number(values.limit, 'limit', 100, whole),
    retention: number(values.retention, 'retention', DEFAULT_RETENTION, atLeastZero),
    once: values.once,
  }
}

// A store URL's text with its password (and any other secret) hidden, and the scheme alone.
/**
 * @param {unknown} text
 * @param {SafeUrl} url
 * @returns {string}
 */
function redactStoreUrl(text, url) {
  let out = String(text)
  for (const secret of [url.password, decoded(url.password)]) {
    if (secret.length > 0) out = out.split(secret).join('***')
  }
  return out
}

// A percent-encoded password as typed, or as it is when it is not valid percent-encoding
// (`%zz`): redacting must never throw.
/**
 * @param {string} text
 * @returns {string}
 */
function decoded(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * @param {string} name
 * @param {string} why
 * @returns {unknown}
 */
function optionalRequire(name, why) {
  try {
    return require(name)
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException | undefined} */ (err)?.code === 'MODULE_NOT_FOUND')
      throw new Usage(`${why} needs the ${JSON.stringify(name)} package: npm install ${name}`)
    throw err
  }
}

/**
 * @typedef {import('../stores').MemoryStore | import('../stores').RedisStore | import('../postgres').PostgresStore} AnyStore
 */

/**
 * The store of a URL and how to close it: `{ store, close }`.
 * @param {string} text
 * @returns {Promise<{ store: AnyStore, close: () => Promise<unknown> }>}
 */
async function openStore(text) {
  const stores = require('../stores.js')
  if (text === 'memory:') return { store: new stores.MemoryStore(), close: async () => {} }
  let url
  try {
    url = new URL(text)
  } catch {
    throw new Usage('--store: not a URL (redis://..., postgresql://... or memory:)')
  }
  if (url.protocol === 'redis:' || url.protocol === 'rediss:') {
    const { createClient } = /** @type {typeof import('redis')} */ (optionalRequire('redis', 'a redis:// store'))
    let connected = false
    const client = createClient({
      url: text,
      // While the connection is down each command fails at once: the drain fails, is said, and
      // is tried again at the next interval.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5000,
        // The first connection fails at once (a wrong URL or password exits 1); a connection
        // dropped later (a restart of the server) is made again, waiting up to 2 s between tries.
        reconnectStrategy: (/** @type {number} */ retries, /** @type {Error} */ cause) =>
          connected ? Math.min(100 * 2 ** retries, 2000) : cause,
      },
    })
    client.on('error', () => {}) // each failure also rejects the command that met it
    client.on('ready', () => {
      connected = true
    })
    await client.connect()
    const close = async () => {
      if (client.isReady) await client.quit()
      else if (client.isOpen) client.destroy()
    }
    return { store: new stores.RedisStore(client), close }
  }
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') {
    let { PostgresStore } = stores
    if (PostgresStore === undefined) {
      try {
        ;({ PostgresStore } = require('../postgres.js'))
      } catch {}
    }
    if (typeof PostgresStore !== 'function') throw new Usage('--store: this version of oneinbox-webhooks has no PostgresStore')
    // pg has no types here: its Pool as the store uses it.
    const { Pool } =
      /** @type {{ Pool: new (config: { connectionString: string }) => import('../postgres').PostgresClient & { end(): Promise<void> } }} */ (
        optionalRequire('pg', 'a postgresql:// store')
      )
    const pool = new Pool({ connectionString: text })
    return { store: new PostgresStore(pool), close: () => pool.end() }
  }
  throw new Usage(`--store: unknown scheme ${JSON.stringify(url.protocol)} (redis://..., postgresql://... or memory:)`)
}

/**
 * @param {string} file
 * @returns {Promise<import('../inbox').Dispatcher>}
 */
async function loadRouter(file) {
  const { pathToFileURL } = require('node:url')
  const path = require('node:path')
  let mod
  try {
    mod = await import(pathToFileURL(path.resolve(file)).href)
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException | undefined} */ (e)
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(path.resolve(file))) {
      throw new Usage(`--router: no such file ${JSON.stringify(file)}`)
    }
    throw err
  }
  /** @type {(r: unknown) => r is import('../inbox').Dispatcher} */
  const isRouter = (r) => r !== null && typeof r === 'object' && 'dispatch' in r && typeof r.dispatch === 'function'
  for (const candidate of [mod.default, mod.router, mod.default?.router]) {
    if (isRouter(candidate)) return candidate
  }
  throw new Usage(
    `--router: ${JSON.stringify(file)} exports no Router (module.exports = router, export default router, or an export named router)`,
  )
}

/** @typedef {{ write(text: string): unknown }} Out */

/**
 * @param {WorkerArgs} args
 * @param {Out} out
 * @param {Out} err
 * @param {NodeJS.Signals[]} signals
 * @returns {Promise<number>}
 */
async function worker(args, out, err, signals) {
  const router = await loadRouter(args.router)
  const { store, close } = await openStore(args.store)
  const scheme = args.store === 'memory:' ? 'memory' : new URL(args.store).protocol.slice(0, -1)
  try {
    if (typeof store.due !== 'function' || typeof store.take !== 'function') {
      throw new Usage(`--store: the ${scheme} store of this version has no inbox (due, take, finish)`)
    }
    const banner = `${PROG} worker: draining the ${scheme} store every ${args.intervalMs / 1000} s (SIGTERM stops)`
    const redact = (/** @type {string} */ text) => redactStoreUrl(text, safeUrl(args.store))
    return await runWorker({ ...args, store, router, out, err, signals, redact, banner })
  } finally {
    await close()
  }
}

/**
 * The worker's loop over a store and a router: `drain` every `intervalMs` until one of
 * `signals` (the delivery running then finishes first), or once with `once`; one line on `out`
 * per drain that ran something, a failed drain (the store is down, say) on `err` and tried again.
 * Resolves to the exit status: with `once`, 1 if anything failed; else 0.
 * @param {object} options
 * @param {Parameters<typeof import('../inbox').drain>[0]} options.store
 * @param {import('../inbox').Dispatcher} options.router
 * @param {number} [options.intervalMs]
 * @param {number} [options.limit]
 * @param {number} [options.retention]
 * @param {boolean} [options.once]
 * @param {Out} options.out
 * @param {Out} options.err
 * @param {NodeJS.Signals[]} [options.signals]
 * @param {(text: string) => string} [options.redact]
 * @param {string} [options.banner]
 * @returns {Promise<number>}
 */
async function runWorker({
  store,
  router,
  intervalMs = 1000,
  limit = 100,
  retention,
  once = false,
  out,
  err,
  signals = [],
  redact = (t) => t,
  banner,
}) {
  const { drain } = require('../stores.js')
  let stopping = false
  let wake = () => {}
  const stop = () => {
    stopping = true
    wake()
  }
  for (const signal of signals) process.on(signal, stop)
  // Said once the signals are handled: a SIGTERM from then on stops it cleanly.
  if (banner !== undefined) err.write(`${banner}\n`)
  let status = 0
  try {
    while (!stopping) {
      try {
        const { done, failed, dead } = await drain(store, router, { limit, retention })
        if (done.length + failed.length + dead.length > 0) {
          out.write(`${new Date().toISOString()} drained: ${done.length} done, ${failed.length} failed, ${dead.length} dead\n`)
        }
        if (failed.length + dead.length > 0) status = 1
      } catch (e) {
        err.write(`${PROG} worker: drain failed: ${redact(describeError(e, (t) => t))}\n`)
        status = 1
      }
      if (once) break
      await new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
        const timer = setTimeout(resolve, intervalMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
        if (stopping) wake()
      })
    }
  } finally {
    for (const signal of signals) process.removeListener(signal, stop)
  }
  return once ? status : 0
}

/**
 * An object's entries sorted by key (code units, as Python sorts its strings).
 * @template T
 * @param {Record<string, T>} object
 * @returns {Array<[string, T]>}
 */
function sortedEntries(object) {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * The report of `reconcile` as JSON: compact, its maps sorted by key (the bytes
 * `python -m oneinbox_webhooks reconcile --json` prints).
 * @param {import('../stores').ReconcileReport} report
 * @returns {string}
 */
function reconcileJson(report) {
  const { checked, recovered, missing, errors, failed } = report
  const sorted = (/** @type {Record<string, unknown>} */ o) => Object.fromEntries(sortedEntries(o))
  return JSON.stringify({ checked, recovered: sorted(recovered), missing: sorted(missing), errors: sorted(errors), failed })
}

/**
 * The report of `reconcile` as text lines.
 * @param {import('../stores').ReconcileReport} report
 * @returns {string}
 */
function reconcileText(report) {
  const recovered = Object.values(report.recovered).reduce((a, b) => a + b, 0)
  const kinds = Object.entries(report.recovered)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')
  const lines = [
    `reconcile: checked ${report.checked} call(s); recovered ${recovered} event(s)${kinds ? ` (${kinds})` : ''}; ` +
      `${Object.keys(report.missing).length} call(s) still missing events; ${Object.keys(report.errors).length} error(s)`,
  ]
  for (const [callId, missing] of sortedEntries(report.missing)) lines.push(`  ${callId}: still missing ${missing.join(', ')}`)
  for (const [callId, error] of sortedEntries(report.errors)) lines.push(`  ${callId}: error: ${error}`)
  for (const key of report.failed) lines.push(`  ${key}: handler failed (due for the worker)`)
  return `${lines.join('\n')}\n`
}

/**
 * `npx oneinbox-webhooks reconcile`: the exit status (the same command as
 * `python -m oneinbox_webhooks reconcile`; the store and router are read as by `worker`).
 * @param {string[]} argv
 * @param {Out} out
 * @param {Out} err
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} [callIds] reconcile exactly these calls (`doctor --reconcile`)
 * @returns {Promise<number>}
 */
async function reconcileCommand(argv, out, err, env, callIds) {
  /** @type {string | undefined} */
  let store
  try {
    let values
    try {
      ;({ values } = parseArgs({
        args: argv,
        strict: true,
        options: {
          store: { type: 'string' },
          router: { type: 'string' },
          'base-url': { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }))
    } catch (e) {
      const error = /** @type {NodeJS.ErrnoException} */ (e)
      throw new Usage(error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'unexpected argument' : error.message)
    }
    if (values.help) {
      out.write(RECONCILE_USAGE)
      return 0
    }
    store = values.store ?? env.ONEINBOX_STORE_URL
    if (store === undefined || store === '') throw new Usage('--store URL is required (or $ONEINBOX_STORE_URL)')
    if (values.router === undefined) throw new Usage('--router FILE is required')
    const { Client, UsageError } = require('..')
    let settings
    try {
      settings = require('./doctor.js').apiSettings(values['base-url'], env)
    } catch (e) {
      if (!(e instanceof UsageError)) throw e
      throw new Usage(e.issues.map((issue) => issue.message).join('; '))
    }
    const client = new Client(settings.key, { baseUrl: settings.baseUrl })
    const router = await loadRouter(values.router)
    const opened = await openStore(store)
    try {
      const { reconcile } = require('../stores.js')
      if (!('openCalls' in opened.store)) throw new Usage('--store: this store of this version cannot list its open calls')
      const report = await reconcile(
        /** @type {import('../stores').ReconcileStore} */ (opened.store),
        client,
        /** @type {import('../oneinbox').Router} */ (router),
        callIds === undefined ? {} : { callIds },
      )
      out.write(values.json ? `${reconcileJson(report)}\n` : reconcileText(report))
      return 0
    } finally {
      await opened.close()
    }
  } catch (e) {
    const text = e instanceof Usage ? e.message : describeError(e, (t) => t)
    err.write(`${PROG} reconcile: error: ${store === undefined ? text : redactStoreUrl(text, safeUrl(store))}\n`)
    return 1
  }
}

/** @typedef {URL | { password: string, protocol?: undefined, toString(): string }} SafeUrl */

/**
 * @param {string} text
 * @returns {SafeUrl}
 */
function safeUrl(text) {
  try {
    return new URL(text)
  } catch {
    return { password: '', toString: () => text }
  }
}

/**
 * Runs the command line; resolves to the exit status.
 * @param {string[]} [argv]
 * @param {{ stdout?: { write(text: string): unknown }, stderr?: { write(text: string): unknown }, env?: NodeJS.ProcessEnv }} [io]
 * @returns {Promise<number>}
 */
async function main(argv = process.argv.slice(2), { stdout = process.stdout, stderr = process.stderr, env = process.env } = {}) {
  if (argv[0] === 'doctor') return require('./doctor.js').doctor(argv.slice(1), stdout, stderr, env, reconcileCommand)
  if (argv[0] === 'reconcile') return await reconcileCommand(argv.slice(1), stdout, stderr, env)
  if (argv[0] === 'worker') {
    let args
    try {
      args = parseWorker(argv.slice(1), env)
      if (args.help) {
        stdout.write(WORKER_USAGE)
        return 0
      }
      return await worker(args, stdout, stderr, ['SIGTERM', 'SIGINT'])
    } catch (e) {
      if (e instanceof Usage) {
        stderr.write(`${WORKER_USAGE}\n${PROG} worker: error: ${e.message}\n`)
        return 2
      }
      // A store that cannot be reached, say: its message, never its URL.
      const text = describeError(e, (t) => t)
      stderr.write(`${PROG} worker: ${args !== undefined && !args.help ? redactStoreUrl(text, safeUrl(args.store)) : text}\n`)
      return 1
    }
  }
  try {
    const args = parse(argv, env)
    if (args.help) {
      stdout.write(USAGE)
      return 0
    }
    return await send(args, stdout, stderr)
  } catch (e) {
    if (!(e instanceof Usage)) throw e
    stderr.write(`${USAGE}\n${PROG} send: error: ${redact(e.message, argv)}\n`)
    return 2
  }
}

module.exports = { main, runWorker }

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code
    },
    (e) => {
      process.stderr.write(`${PROG}: ${e?.stack ?? e}\n`)
      process.exitCode = 1
    },
  )
}
