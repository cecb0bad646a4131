// `npx oneinbox-webhooks doctor`: read the webhooks and every page of their delivery history
// from the OneInbox API and print what is wrong and how to fix it (the core's diagnose; the
// same bytes as `python -m oneinbox_webhooks doctor` for the same history).
//
// The API key comes from $ONEINBOX_API_KEY (never printed); `--base-url` defaults to
// $ONEINBOX_BASE_URL, else https://api.oneinbox.ai (point it at a FakeOneInbox to try it).
// Exit status: 0 healthy, 2 problems found, 1 could not check (no key, an API or network
// error, an unknown --webhook-id, a usage error).
'use strict'

const { parseArgs } = require('node:util')

const PROG = 'oneinbox-webhooks'
// How many calls doctor fetches at most (with getCall) to check URL drift.
const MAX_CALLS = 200
const DEFAULT_BASE_URL = 'https://api.oneinbox.ai'

const USAGE = `usage: ${PROG} doctor [--webhook-id ID]... [--json] [--base-url URL]
       [--reconcile --store URL --router FILE]

Read the webhooks and their delivery history from the OneInbox API (key: $ONEINBOX_API_KEY)
and group the failed deliveries by cause, each with an explanation and a fix.

  --webhook-id ID  check this webhook (repeatable; default: every webhook)
  --json           print the diagnosis as JSON
  --base-url URL   the API's base URL (default: $ONEINBOX_BASE_URL, else ${DEFAULT_BASE_URL})
  --reconcile      then reconcile the calls whose events never succeeded (with the
                   store and router read as by \`worker\`: --store URL, --router FILE)

Exit status: 0 healthy, 2 problems found, 1 could not check.
`

/**
 * @param {import('../oneinbox').Diagnosis} d
 * @returns {string[]}
 */
function affectedCalls(d) {
  const ids = new Set(d.calls_never_succeeded.map((m) => m.call_id))
  for (const cause of d.causes) for (const id of cause.call_ids) ids.add(id)
  return [...ids].sort().slice(0, MAX_CALLS)
}

/**
 * @param {import('../client').Client} client
 * @param {string[]} only
 * @returns {Promise<import('../oneinbox').Diagnosis>}
 */
async function check(client, only) {
  const { diagnose } = require('../oneinbox.js')
  let hooks = await client.listWebhooks()
  if (only.length > 0) {
    const byId = new Map(hooks.map((h) => [h.id, h]))
    const unknown = only.filter((id) => !byId.has(id))
    if (unknown.length > 0) throw new Lookup(`no webhook with the id ${unknown.map((i) => JSON.stringify(i)).join(', ')}`)
    hooks = [...new Set(only)].map((id) => /** @type {import('../oneinbox').Webhook} */ (byId.get(id)))
  }
  const rows = []
  for (const hook of hooks) {
    for await (const row of client.iterDeliveries(hook.id, { limit: 200 })) rows.push(row)
  }
  const d = diagnose(hooks, rows)
  // getCall comes with issue 26 item 1; absent before it.
  const getCall = /** @type {{ getCall?: (id: string) => Promise<import('../oneinbox').Call> }} */ (/** @type {unknown} */ (client)).getCall
  if (d.healthy || typeof getCall !== 'function') return d
  const calls = []
  for (const id of affectedCalls(d)) {
    try {
      calls.push(await getCall.call(client, id))
    } catch (e) {
      const { OneInboxError } = require('../oneinbox.js')
      if (!(e instanceof OneInboxError)) throw e // a call the API does not return: skip it
    }
  }
  return diagnose(hooks, rows, calls)
}

class Lookup extends Error {}

/**
 * Runs `doctor`; resolves to the exit status.
 * @param {string[]} argv the arguments after `doctor`
 * @param {{ write(text: string): unknown }} out
 * @param {{ write(text: string): unknown }} err
 * @param {NodeJS.ProcessEnv} env
 * @param {(argv: string[], out: any, err: any, env: NodeJS.ProcessEnv, callIds?: string[]) => Promise<number>} reconcile
 *   the `reconcile` command (bin/oneinbox-webhooks.js), run on the calls whose events never
 *   succeeded with `--reconcile`
 * @returns {Promise<number>}
 */
async function doctor(argv, out, err, env, reconcile) {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        'webhook-id': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        'base-url': { type: 'string' },
        reconcile: { type: 'boolean' },
        store: { type: 'string' },
        router: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (e) {
    // parseArgs quotes what was typed: say only which kind of mistake it was.
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'ERR_PARSE_ARGS'
    err.write(`${USAGE}\n${PROG} doctor: error: invalid arguments (${code})\n`)
    return 1
  }
  if (values.help === true) {
    out.write(USAGE)
    return 0
  }
  let key, baseUrl
  try {
    ;({ key, baseUrl } = apiSettings(values['base-url'], env))
  } catch (e) {
    const { UsageError } = require('../oneinbox.js')
    if (!(e instanceof UsageError)) throw e
    for (const issue of e.issues) err.write(`${PROG} doctor: error: ${issue.message}\n`)
    return 1
  }
  const { Client, renderDiagnosis, redactUrlToken, OneInboxError } = require('../oneinbox.js')
  let d
  try {
    d = await check(new Client(key, { baseUrl }), values['webhook-id'] ?? [])
  } catch (e) {
    if (!(e instanceof OneInboxError || e instanceof Lookup || e instanceof TypeError)) throw e
    err.write(`${PROG} doctor: could not check: ${redactUrlToken(e.message).split(key).join('[redacted]')}\n`)
    return 1
  }
  out.write(values.json === true ? `${renderDiagnosis(d, { json: true })}\n` : renderDiagnosis(d))
  const calls = d.calls_never_succeeded.map((m) => m.call_id)
  if (values.reconcile === true && calls.length > 0) {
    const argv = ['--base-url', baseUrl]
    if (values.store !== undefined) argv.push('--store', values.store)
    if (values.router !== undefined) argv.push('--router', values.router)
    if ((await reconcile(argv, out, err, env, calls)) !== 0) return 1
  }
  return d.healthy ? 0 : 2
}

/**
 * The API key and base URL of a command's client (doctor, reconcile): `--base-url`, else the
 * environment's ONEINBOX_API_KEY / ONEINBOX_BASE_URL, by the clients' one rule
 * (`Api.configure`; its UsageError names the variable a missing or bad value came from).
 * @param {string | undefined} baseUrl
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ key: string, baseUrl: string }}
 */
function apiSettings(baseUrl, env) {
  const { Api } = require('../oneinbox.js')
  const { API_KEY_VAR, BASE_URL_VAR } = require('../native.js')
  const envApiKey = env[API_KEY_VAR]
  const api = Api.configure({ baseUrl: baseUrl || undefined, envApiKey, envBaseUrl: env[BASE_URL_VAR] })
  // Configured: the key is the environment's (no argument gives one), and not empty.
  return { key: envApiKey ?? '', baseUrl: api.baseUrl }
}

module.exports = { apiSettings, doctor }
