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
// second time (same message id, newly signed, as a redelivery is), `--shuffle` in a random order
// (`--seed` makes both repeatable).
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

POST webhook deliveries to URL as OneInbox makes them, one line per delivery (event, status,
milliseconds); exit 1 if any answer was not 2xx, 2 for a usage error.

  --to URL             the receiver's URL
  --url-token T        add ?token=T to the URL (default: $ONEINBOX_URL_TOKEN)
  --signing-secret S   sign with this whsec_ secret, Standard Webhooks headers
                       (default: $ONEINBOX_SIGNING_SECRET)
  --call-id ID         the call_id of every event (default: a new one)
  --shuffle            send in a random order
  --duplicates N       send N of the deliveries twice (same webhook-id)
  --seed N             seed for --shuffle, --duplicates and the message ids
  --timeout SECONDS    per request (default 10)
  EVENT...             event names, e.g. call.started call.ended
                       (default: the events of one whole call)
`

class Usage extends Error {}

// mulberry32: a small seeded generator, so that --seed repeats a run.
function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function wholeNumber(text, flag, { min = 0 } = {}) {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new Usage(`${flag}: expected a whole number, got ${JSON.stringify(text)}`)
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min) throw new Usage(`${flag}: must be a whole number of ${min} or more`)
  return n
}

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
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    // parseArgs names the option, never its value.
    throw new Usage(err.message)
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  const [command, ...events] = positionals
  if (command !== 'send')
    throw new Usage(command === undefined ? 'a command is required: send' : `unknown command ${JSON.stringify(command)}`)
  if (values.to === undefined) throw new Usage('--to URL is required')
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Usage('--timeout: expected a number of seconds above 0')
  return {
    to: values.to,
    urlToken: values['url-token'] ?? env.ONEINBOX_URL_TOKEN ?? null,
    signingSecret: values['signing-secret'] ?? env.ONEINBOX_SIGNING_SECRET ?? null,
    callId: values['call-id'] ?? null,
    shuffle: values.shuffle,
    duplicates: values.duplicates === undefined ? 0 : wholeNumber(values.duplicates, '--duplicates'),
    seed: values.seed === undefined ? crypto.randomBytes(4).readUInt32BE(0) : wholeNumber(values.seed, '--seed', { min: -(2 ** 53) }),
    timeoutMs: Math.ceil(timeout * 1000),
    events,
  }
}

// [{ body, msgId, again }] in sending order.
function plan(bodies, args, random) {
  const hex = () =>
    Math.floor(random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')
  const list = bodies.map((body) => ({ body, msgId: `msg_${hex()}${hex()}`, again: false }))
  // N distinct deliveries sent twice, each right after itself (a redelivery)...
  const indexes = list.map((_, i) => i)
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[indexes[i], indexes[j]] = [indexes[j], indexes[i]]
  }
  const chosen = indexes.slice(0, Math.min(args.duplicates, list.length)).sort((a, b) => b - a)
  for (const i of chosen) list.splice(i + 1, 0, { ...list[i], again: true })
  // ...and, for more duplicates than deliveries, repeats at random at the end.
  for (let k = bodies.length; k < args.duplicates; k++) {
    list.push({ ...list[Math.floor(random() * list.length)], again: true })
  }
  if (args.shuffle) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[list[i], list[j]] = [list[j], list[i]]
    }
  }
  return list
}

function describeError(err, redactUrlToken) {
  const parts = []
  for (let e = err, depth = 0; e && depth < 4; e = e.cause, depth++) {
    parts.push(`${e.message ?? e}${typeof e.code === 'string' ? ` (${e.code})` : ''}`)
  }
  return redactUrlToken(parts.join(': '))
}

async function send(args, out, err) {
  const { OneInboxError, redactUrlToken } = require('../oneinbox.js')
  const { makeCall, makeDelivery, makeEvent } = require('../testing.js')
  const random = seeded(args.seed)
  let bodies
  try {
    if (args.events.length > 0) {
      const callId = args.callId ?? `call_${crypto.randomBytes(8).toString('hex')}`
      bodies = args.events.map((name) => makeEvent(name, { call_id: callId }))
    } else {
      bodies = makeCall(args.callId ?? undefined)
    }
    // Every delivery is made before the first is sent, so that a bad URL or secret is a usage
    // error (exit 2) and nothing has been sent.
    makeDelivery(bodies[0], { url: args.to, urlToken: args.urlToken, signingSecret: args.signingSecret, msgId: 'msg_check' })
  } catch (e) {
    if (e instanceof OneInboxError) throw new Usage(e.message)
    throw e
  }
  let failures = 0
  const deliveries = plan(bodies, args, random)
  for (const { body, msgId, again } of deliveries) {
    const d = makeDelivery(body, { url: args.to, urlToken: args.urlToken, signingSecret: args.signingSecret, msgId })
    const started = performance.now()
    let status
    let ok = false
    try {
      const res = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(args.timeoutMs) })
      await res.arrayBuffer()
      status = String(res.status)
      ok = res.status >= 200 && res.status < 300
    } catch (e) {
      status = `error: ${e?.name === 'TimeoutError' ? `timed out after ${args.timeoutMs} ms` : describeError(e, redactUrlToken)}`
    }
    const ms = performance.now() - started
    if (!ok) failures++
    out.write(`${(d.event ?? '?').padEnd(26)} ${status.padStart(5)} ${ms.toFixed(1).padStart(8)} ms${again ? '  (again)' : ''}\n`)
  }
  err.write(`${deliveries.length} deliveries to ${redactUrlToken(args.to)}: ${deliveries.length - failures} answered 2xx\n`)
  return failures > 0 ? 1 : 0
}

/** Runs the command line; resolves to the exit status. */
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
