// Every shared fixture in tests/fixtures/reconcile as its own named test: ReconcilePolicy
// (overdue, missing), recordIsOpen, synthesize, CallRecord.applyCall and CallRecord.covers.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { CallRecord, ReconcilePolicy, UsageError, dedupeKey, parseEvent, recordIsOpen, synthesize } = require('..')

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'reconcile')
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()

// The fixtures' JSON members as the Node options (unknown ones as they are: the core names them).
const OPTION = { ongoing_after_ms: 'ongoingAfterMs', ended_after_ms: 'endedAfterMs', expect: 'expect' }
function policyOf(json) {
  if (json === undefined) return new ReconcilePolicy()
  return new ReconcilePolicy(Object.fromEntries(Object.entries(json).map(([k, v]) => [OPTION[k] ?? k, v])))
}

const issues = (err) => err.issues.map((i) => ({ code: i.code, path: i.path }))

test('reconcile fixtures: at least 20', () => {
  assert.ok(files.length >= 20, `only ${files.length}`)
})

for (const file of files) {
  test(`reconcile fixture ${file.replace(/\.json$/, '')}`, () => {
    const f = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
    if (f.policy_issues) {
      assert.throws(
        () => policyOf(f.policy),
        (err) => err instanceof UsageError && assert.deepEqual(issues(err), f.policy_issues) === undefined,
      )
      return
    }
    const policy = policyOf(f.policy)
    const record = new CallRecord(f.call_id)
    for (const body of f.events) record.apply(parseEvent(JSON.stringify(body)))
    assert.equal(recordIsOpen(record), f.open)
    const overdue = policy.overdue(record, f.changed_at, f.now)
    assert.deepEqual(overdue && { reason: overdue.reason, missing: overdue.missing, quiet_ms: overdue.quietMs }, f.overdue)
    if (f.call === undefined) return
    if (f.synthesize_issues) {
      assert.throws(
        () => synthesize(record, f.call),
        (err) => err instanceof UsageError && assert.deepEqual(issues(err), f.synthesize_issues) === undefined,
      )
      return
    }
    const synthesized = synthesize(record, f.call)
    const events = synthesized.map((s) => {
      const event = parseEvent(s.body)
      assert.equal(dedupeKey(event), s.key)
      return event
    })
    assert.deepEqual(
      synthesized.map((s) => ({ event: s.event, key: s.key, body: JSON.parse(s.body) })),
      f.synthesized,
    )
    record.applyCall(f.call)
    for (const event of events) record.apply(event)
    assert.deepEqual(
      {
        status: record.status,
        snapshot_status: record.snapshot_status,
        reconciled: [...record.reconciled],
        missing: policy.missing(record),
        settled: policy.settled(record, f.changed_at, f.now),
        open: recordIsOpen(record),
        outcome: record.outcome,
      },
      f.after,
    )
    assert.equal(CallRecord.fromJson(record.toJson()).toJson(), record.toJson())
    for (const late of f.late ?? []) {
      const event = parseEvent(JSON.stringify(late.body))
      assert.equal(record.covers(event.event, dedupeKey(event)), late.covered, JSON.stringify(late))
    }
  })
}
