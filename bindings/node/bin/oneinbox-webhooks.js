#!/usr/bin/env node
// `npx oneinbox-webhooks send`: play a call's deliveries into any webhook receiver, as
// OneInbox would (the `stripe trigger` of OneInbox; the same command as
// `python -m oneinbox_webhooks send`).
//
//   npx oneinbox-webhooks send --to http://127.0.0.1:3000/webhooks/oneinbox \
//       --url-token "$TOKEN" --signing-secret "$WHSEC" --shuffle --duplicates 2
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
// reached), 2 for a usage error. Secrets are never printed: `--url-token` and `--signing-secret`
// default to $ONEINBOX_URL_TOKEN and $ONEINBOX_SIGNING_SECRET, which keeps them out of the
// process list.
'use strict'

const crypto = require('node:crypto')
const { parseArgs } = require('node:util')

const PROG = 'oneinbox-webhooks'

const USAGE = `usage: ${PROG} send --to URL [--url-token T] [--signing-secret S] [--call-id ID]
                          [--shuffle] [--duplicates N] [--seed N] [--timeout SECONDS] [EVENT...]
       ${PROG} send --dry-run [--call-id ID] [--shuffle] [--duplicates N] [--seed N] [EVENT...]

POST webhook deliveries to URL as OneInbox makes them, one line per delivery (event, status,
milliseconds); exit 1 if any answer was not 2xx, 2 for a usage error.

  --to URL             the receiver's URL (required unless --dry-run)
  --url-token T        add ?token=T to the URL (default: $ONEINBOX_URL_TOKEN)
  --signing-secret S   sign with this whsec_ secret, Standard Webhooks headers
                       (default: $ONEINBOX_SIGNING_SECRET)
  --call-id ID         the call_id of every event (default: a new one)
  --shuffle            send in a random order
  --duplicates N       send N of the deliveries twice (same webhook-id)
  --seed N             seed for the ids, --shuffle and --duplicates (0 to 2^64-1)
  --dry-run            print the plan, one delivery a line; send nothing
  --timeout SECONDS    per request (default 10)
  EVENT...             event names, e.g. call.started call.ended
                       (default: the events of one whole call)
`

class Usage extends Error {}

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
        'signing-secret': { type: 'string' },
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
    throw new Usage(command === undefined ? 'a command is required: send' : `unknown command ${JSON.stringify(command)}`)
  const dryRun = values['dry-run']
  if (values.to === undefined && !dryRun) throw new Usage('--to URL is required (unless --dry-run)')
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Usage('--timeout: expected a number of seconds above 0')
  return {
    to: values.to ?? null,
    dryRun,
    urlToken: values['url-token'] ?? env.ONEINBOX_URL_TOKEN ?? null,
    signingSecret: values['signing-secret'] ?? env.ONEINBOX_SIGNING_SECRET ?? null,
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
  const { planSend } = require('../native.js')
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
    try {
      const res = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(args.timeoutMs) })
      await res.arrayBuffer()
      status = String(res.status)
      ok = res.status >= 200 && res.status < 300
    } catch (e) {
      const timedOut = e instanceof Error && e.name === 'TimeoutError'
      status = `error: ${timedOut ? `timed out after ${args.timeoutMs} ms` : describeError(e, redactUrlToken)}`
    }
    const ms = performance.now() - started
    if (!ok) failures++
    out.write(`${(d.event ?? '?').padEnd(26)} ${status.padStart(5)} ${ms.toFixed(1).padStart(8)} ms${again ? '  (again)' : ''}\n`)
  }
  err.write(`${deliveries.length} deliveries to ${redactUrlToken(to)}: ${deliveries.length - failures} answered 2xx\n`)
  return failures > 0 ? 1 : 0
}

/**
 * Runs the command line; resolves to the exit status.
 * @param {string[]} [argv]
 * @param {{ stdout?: { write(text: string): unknown }, stderr?: { write(text: string): unknown }, env?: NodeJS.ProcessEnv }} [io]
 * @returns {Promise<number>}
 */
async function main(argv = process.argv.slice(2), { stdout = process.stdout, stderr = process.stderr, env = process.env } = {}) {
  try {
    const args = parse(argv, env)
    if (args.help) {
      stdout.write(USAGE)
      return 0
    }
    return await send(args, stdout, stderr)
  } catch (e) {
    if (!(e instanceof Usage)) throw e
    stderr.write(`${USAGE}\n${PROG} send: error: ${e.message}\n`)
    return 2
  }
}

module.exports = { main }

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
