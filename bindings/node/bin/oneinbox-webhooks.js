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

class Usage extends Error {}

// The secrets of `send`: [name, environment variable].
const SECRETS = [
  ['url_token', 'ONEINBOX_URL_TOKEN'],
  ['signing_secret', 'ONEINBOX_SIGNING_SECRET'],
]

// `text` with every value typed on the command line replaced by `[redacted]`: each argument
// that is not an option name, and the value of each `--name=value`.
function redact(text, argv) {
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

// A secret from its option, file option or environment variable (the core decides which).
function secretOf(values, env, name, variable) {
  const flag = name.replace('_', '-')
  const path = values[`${flag}-file`]
  let file
  if (path !== undefined) {
    try {
      file = fs.readFileSync(path, 'utf8')
    } catch (e) {
      throw new Usage(`--${flag}-file: cannot read the file (${e.code ?? e.name})`)
    }
  }
  const { chooseSecret } = require('../native.js')
  const chosen = chooseSecret(name, values[flag], file, env[variable])
  if (chosen.issues) {
    const { UsageError } = require('../oneinbox.js')
    throw new Usage(new UsageError(chosen.issues).message)
  }
  return chosen.secret ?? null
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
    throw new Usage(err.message)
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

function describeError(err, redactUrlToken) {
  const parts = []
  for (let e = err, depth = 0; e && depth < 4; e = e.cause, depth++) {
    parts.push(`${e.message ?? e}${typeof e.code === 'string' ? ` (${e.code})` : ''}`)
  }
  return redactUrlToken(parts.join(': '))
}

async function send(args, out, err) {
  const { OneInboxError, UsageError, redactUrlToken } = require('../oneinbox.js')
  const { planSend } = require('../native.js')
  const { makeDelivery, makeEvent } = require('../testing.js')
  // The plan from the core; the random seed (8 bytes) is used when --seed is absent.
  const plan = planSend(args.events, args.callId, args.seed, args.duplicates, args.shuffle, crypto.randomBytes(8))
  if (plan.issues) throw new Usage(new UsageError(plan.issues).message)
  const bodyOf = ({ event, callId }) => makeEvent(event, { call_id: callId })
  if (args.to !== null) {
    try {
      // A delivery is made before the first is sent, so that a bad URL or secret is a usage
      // error (exit 2) and nothing has been sent (or, with --dry-run, printed).
      makeDelivery(bodyOf(plan.deliveries[0]), {
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
    for (const { line } of plan.deliveries) out.write(`${line}\n`)
    return 0
  }
  let failures = 0
  const { deliveries } = plan
  for (const delivery of deliveries) {
    const { msgId, repeat: again } = delivery
    const d = makeDelivery(bodyOf(delivery), { url: args.to, urlToken: args.urlToken, signingSecret: args.signingSecret, msgId })
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
    stderr.write(`${USAGE}\n${PROG} send: error: ${redact(e.message, argv)}\n`)
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
