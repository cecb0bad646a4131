// `npx oneinbox-webhooks doctor` against the FakeOneInbox listening on loopback: delivery
// histories set up with addDelivery (401s, a window of refused connections, 500s, a healthy
// webhook), the exit status (0 healthy, 2 problems, 1 could not check), --json equal to the
// core's diagnosis of the same input, and the API key never printed.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { diagnose, renderDiagnosis } = require('..')
const { FakeOneInbox } = require('../testing.js')
const { main } = require('../bin/oneinbox-webhooks.js')

const KEY = 'oi_sk_test_doctor_SECRET'
const at = (minute) => `2026-06-01T10:${String(minute).padStart(2, '0')}:00Z`

function attempt(fake, hook, call, n, minute, fields) {
  fake.addDelivery(hook, { status: 'failed', call_id: call, attempt: n, completed_at: at(minute), created_at: at(minute), ...fields })
}

// Four webhooks: a (401s), b (an outage, then 500s), c (healthy), d (unused).
async function setUp() {
  const fake = new FakeOneInbox({ apiKey: KEY })
  await fake.listen()
  const client = fake.client()
  const ids = {}
  for (const name of ['a', 'b', 'c', 'd']) {
    const hook = await client.createWebhook({ name, url: `https://${name}.example.com/hooks?token=tok_${name}`, events: ['call.ended'] })
    ids[name] = hook.id
  }
  for (const [call, minute] of [
    ['call_1', 0],
    ['call_2', 1],
  ]) {
    for (const n of [1, 2, 3]) {
      attempt(fake, ids.a, call, n, minute + 10 * n, { response_status: 401, next_retry_at: n === 3 ? null : at(minute + 10 * n + 10) })
    }
  }
  attempt(fake, ids.b, 'call_0', 1, 0, { status: 'succeeded', response_status: 204 })
  for (const [n, call] of ['call_3', 'call_4', 'call_5'].entries()) {
    attempt(fake, ids.b, call, 1, 5 + n, { response_status: null, error: 'connection refused' })
  }
  attempt(fake, ids.b, 'call_6', 1, 20, { response_status: 500, response_body: 'boom' })
  attempt(fake, ids.b, 'call_6', 2, 25, { response_status: 500, response_body: 'boom' })
  attempt(fake, ids.c, 'call_7', 1, 30, { status: 'succeeded', response_status: 200 })
  return { fake, ids }
}

async function run(fake, args, key = KEY) {
  let out = ''
  let err = ''
  const env = key === null ? {} : { ONEINBOX_API_KEY: key }
  const code = await main(['doctor', '--base-url', fake.url, ...args], {
    stdout: { write: (t) => (out += t) },
    stderr: { write: (t) => (err += t) },
    env,
  })
  assert.ok(!(out + err).includes(KEY))
  return { code, out, err }
}

function allRows(fake) {
  return fake.webhooks.flatMap((h) => fake.deliveries(h.id))
}

test('problems: exit 2, --json is the core diagnosis of the same input', async () => {
  const { fake, ids } = await setUp()
  try {
    const { code, out, err } = await run(fake, ['--json'])
    assert.equal(code, 2)
    assert.equal(err, '')
    const expected = diagnose(fake.webhooks, allRows(fake))
    assert.equal(out, `${renderDiagnosis(expected, { json: true })}\n`)
    const got = JSON.parse(out)
    assert.deepEqual(
      got.causes.map((c) => c.code),
      ['unauthorized', 'server_error', 'connection_refused'],
    )
    assert.deepEqual(got.causes[2].windows, [{ webhook_id: ids.b, from: at(5), to: at(7), attempts: 3 }])
    assert.deepEqual(got.causes[0].webhook_ids, [ids.a])
    assert.ok(!out.includes('tok_'))
  } finally {
    await fake.close()
  }
})

test('text report, the same bytes as renderDiagnosis', async () => {
  const { fake } = await setUp()
  try {
    const { code, out } = await run(fake, [])
    assert.equal(code, 2)
    assert.ok(out.startsWith('OneInbox delivery doctor: 3 problems found\n'))
    assert.equal(out, renderDiagnosis(diagnose(fake.webhooks, allRows(fake))))
  } finally {
    await fake.close()
  }
})

test('healthy webhooks: exit 0', async () => {
  const { fake, ids } = await setUp()
  try {
    const { code, out } = await run(fake, ['--webhook-id', ids.c, '--webhook-id', ids.d])
    assert.equal(code, 0)
    assert.ok(out.startsWith('OneInbox delivery doctor: healthy\n'))
    assert.ok(out.includes('Checked 2 webhooks, 1 attempt in 1 delivery'))
    const one = await run(fake, ['--webhook-id', ids.a, '--json'])
    assert.equal(one.code, 2)
    assert.deepEqual(
      JSON.parse(one.out).causes.map((c) => c.code),
      ['unauthorized'],
    )
  } finally {
    await fake.close()
  }
})

test('could not check: exit 1', async () => {
  const { fake } = await setUp()
  try {
    let r = await run(fake, [], null)
    assert.deepEqual([r.code, r.out], [1, ''])
    assert.match(r.err, /ONEINBOX_API_KEY/)
    r = await run(fake, ['--webhook-id', 'wh_nope'])
    assert.deepEqual([r.code, r.out], [1, ''])
    assert.match(r.err, /wh_nope/)
    r = await run(fake, [], 'oi_sk_test_wrong_key')
    assert.deepEqual([r.code, r.out], [1, ''])
    assert.match(r.err, /could not check/)
    assert.ok(!r.err.includes('oi_sk_test_wrong_key'))
    r = await run(fake, ['--no-such-option'])
    assert.equal(r.code, 1)
    r = await run(fake, ['--reconcile'])
    assert.equal(r.code, 1) // the calls whose events never succeeded cannot be reconciled without a store
    assert.match(r.out, /OneInbox delivery doctor/)
    assert.match(r.err, /--store URL is required/)
    r = await run(fake, ['--reconcile', '--store', 'memory:', '--router', './no-such-router-here.js'])
    assert.equal(r.code, 1)
    assert.match(r.err, /no-such-router-here/)
  } finally {
    await fake.close()
  }
})

test('the key and base URL follow the rule of every client (Api.configure), messages included', async () => {
  const { fake } = await setUp()
  try {
    let err = ''
    const io = { stdout: { write: () => {} }, stderr: { write: (t) => (err += t) } }
    const bad = { ONEINBOX_API_KEY: 'oi_pk_live_PUBLISHABLE', ONEINBOX_BASE_URL: 'ftp://files' }
    assert.equal(await main(['doctor'], { ...io, env: bad }), 1)
    const lines = err.trim().split('\n')
    assert.equal(lines.length, 2)
    assert.ok(lines.every((line) => line.startsWith('oneinbox-webhooks doctor: error: ')))
    assert.match(lines[0], /ONEINBOX_API_KEY/)
    assert.match(lines[1], /ONEINBOX_BASE_URL/)
    assert.ok(!err.includes('PUBLISHABLE'))
    // The base URL from the environment when no --base-url: the fake answers.
    const env = { ONEINBOX_API_KEY: KEY, ONEINBOX_BASE_URL: fake.url }
    assert.equal(await main(['doctor'], { ...io, env }), 2)
  } finally {
    await fake.close()
  }
})

test('the npx entry point', async () => {
  const { fake } = await setUp()
  try {
    const bin = path.join(__dirname, '..', 'bin', 'oneinbox-webhooks.js')
    const env = { ...process.env, ONEINBOX_API_KEY: KEY, ONEINBOX_BASE_URL: fake.url }
    const { code, stdout } = await new Promise((resolve) => {
      execFile(process.execPath, [bin, 'doctor', '--json'], { env }, (error, stdout) => resolve({ code: error ? error.code : 0, stdout }))
    })
    assert.equal(code, 2)
    assert.equal(JSON.parse(stdout).healthy, false)
  } finally {
    await fake.close()
  }
})

test('every page is read', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  await fake.listen()
  try {
    const hook = await fake.client().createWebhook({ name: 'busy', url: 'https://busy.example.com/hooks', events: ['call.ended'] })
    for (let i = 0; i < 201; i++) fake.addDelivery(hook.id, { call_id: `call_${i}`, status: 'succeeded', response_status: 200 })
    const { code, out } = await run(fake, ['--json'])
    assert.equal(code, 0)
    assert.equal(JSON.parse(out).summary.attempts, 201)
  } finally {
    await fake.close()
  }
})
