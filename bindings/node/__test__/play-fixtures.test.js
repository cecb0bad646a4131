// Every shared fixture in tests/fixtures/play as its own named test, run through the addon's
// NativeFakeOneInbox as the Rust runner (crates/oneinbox-webhooks/tests/play_fixtures.rs) runs
// it: requests, faults, outages, calls played, the outbox's due times and attempts, outcomes
// reported, a simulated receiver settling everything, and the state.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
require('..') // first: it explains a missing addon
const { NativeFakeOneInbox } = require('../index.js')

const playDir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'play')
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const checkFixture = new Ajv2020({ strict: false, allErrors: true }).compile(readJson(path.join(playDir, 'fixture.schema.json')))
const files = fs
  .readdirSync(playDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()
const AUTH = [['authorization', 'Bearer oi_sk_test_fake']]

test('play: every fixture is collected', () => {
  assert.ok(files.length >= 20, `only ${files.length} play fixtures`)
})

function seedBytes(text) {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(text))
  return bytes
}

const issuesOf = (issues) => (issues.length === 0 ? undefined : issues.map((i) => ({ code: i.code, path: i.path })))

function valueOr(result, key, pick) {
  return Array.isArray(result) ? ['issues', issuesOf(result)] : [key, pick(JSON.parse(result))]
}

function answer(rules, url, now) {
  const rule = (rules ?? []).find((r) => url.startsWith(r.url_prefix) && (r.until === undefined || now < r.until))
  return rule ?? { status: 200 }
}

function settle(fake, spec) {
  let now = spec.from
  const sent = []
  for (let due = fake.nextDue(); due !== null; due = fake.nextDue()) {
    now = Math.max(now, due)
    for (const a of fake.takeDue(now, spec.timestamp)) {
      sent.push(`${JSON.parse(a.body.toString('utf8')).event} ${a.url}`)
      const rule = answer(spec.answers, a.url, now)
      assert.deepEqual(fake.report(a.attemptId, rule.status ?? null, rule.body ?? null, rule.error ?? null, now), [])
    }
  }
  return { sent, now }
}

function state(fake, expected) {
  const out = {}
  for (const [name, wanted] of Object.entries(expected)) {
    if (name === 'calls') {
      const calls = Object.fromEntries(JSON.parse(fake.callsJson()).map((c) => [c.id, c]))
      out.calls = Object.fromEntries(
        Object.entries(wanted).map(([id, members]) => [id, Object.fromEntries(Object.keys(members).map((m) => [m, calls[id][m]]))]),
      )
    } else if (name === 'deliveries') {
      out.deliveries = Object.fromEntries(Object.keys(wanted).map((id) => [id, JSON.parse(fake.deliveriesJson(id) ?? 'null')]))
    } else if (name === 'call_deliveries') {
      out.call_deliveries = Object.fromEntries(Object.keys(wanted).map((id) => [id, JSON.parse(fake.deliveriesForCallJson(id))]))
    } else {
      out.in_flight = fake.inFlight()
    }
  }
  return out
}

function step(fake, s) {
  if ('request' in s) {
    const r = s.request
    const body = 'json' in r ? Buffer.from(JSON.stringify(r.json), 'utf8') : null
    const got = fake.handle(r.method, r.target, AUTH, body, r.now)
    const id = got.body.length > 0 ? (JSON.parse(got.body.toString('utf8')).id ?? null) : null
    return ['response', { status: got.status, id }]
  }
  if ('add_webhook' in s) {
    const w = s.add_webhook
    return valueOr(fake.addWebhook(w.name, w.url, w.events, w.now), 'webhook_id', (h) => h.id)
  }
  if ('faults' in s) {
    const f = s.faults
    return ['issues', issuesOf(fake.setFaults(f.drop ?? 0, f.duplicate ?? 0, f.shuffle ?? 0, f.delay ?? 0, f.max_delay_ms ?? 0))]
  }
  if ('signing_secret' in s) return ['issues', issuesOf(fake.setSigningSecret(s.signing_secret))]
  if ('outage' in s) return ['issues', issuesOf(fake.addOutage(s.outage.url_prefix, s.outage.from, s.outage.until))]
  if ('play_call' in s) {
    const p = s.play_call
    const call = { agentId: p.agent_id, toNumber: p.to_number, fromNumber: p.from_number, webhookUrl: p.webhook_url, failure: p.failure }
    return valueOr(fake.playCall(call, p.now), 'call_id', (c) => c.id)
  }
  if ('next_due' in s) return ['next_due', fake.nextDue()]
  if ('take_due' in s) {
    const due = fake.takeDue(s.take_due.now, s.take_due.timestamp)
    return [
      'outgoing',
      due.map((a) => ({ attempt_id: a.attemptId, url: a.url, headers: a.headers, json: JSON.parse(a.body.toString('utf8')) })),
    ]
  }
  if ('report' in s) {
    const r = s.report
    return ['issues', issuesOf(fake.report(r.attempt_id, r.status ?? null, r.body ?? null, r.error ?? null, r.now))]
  }
  if ('settle' in s) return ['settled', settle(fake, s.settle)]
  return ['state', state(fake, s.state)]
}

for (const file of files) {
  test(`play: ${path.basename(file, '.json')}`, () => {
    const fixture = readJson(path.join(playDir, file))
    assert.ok(checkFixture(fixture), JSON.stringify(checkFixture.errors))
    const fake = new NativeFakeOneInbox('oi_sk_test_fake', seedBytes(fixture.seed ?? '0'))
    fixture.steps.forEach((s, i) => {
      const [name, got] = step(fake, s)
      assert.deepEqual(got, s[name], `step ${i}`)
    })
  })
}
