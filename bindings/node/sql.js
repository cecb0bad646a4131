// The inbox and the call records over SQL: the Node mirror of the Python package's _sql.py, with
// the same statements and the same steps (PostgresStore, postgres.js, runs them over `pg`).
//
// Two tables (their DDL is in README.md; the store creates them if missing):
// - `oneinbox_inbox`: one row per delivery, by its dedupe key: the call, the event name, the raw
//   body, and the inbox row (`state`, `attempts`, `due_at`, `last_error`, `updated_at`; times in
//   Unix milliseconds). A worker asks for `due_at <= now`.
// - `oneinbox_calls`: each call's folded record (`CallRecord.toJson()`), folded into in the
//   transaction that inserts a new delivery's row: recording costs the event and the record.
//
// Every change reads the row (locking it: `SELECT … FOR UPDATE`), asks the core's `InboxPolicy`
// for the step and writes its row, in one transaction; an insert that meets a concurrent one
// starts the change again. Each change is a generator that yields its statements (`[text,
// values]`) and is sent what each gave (`{ rowCount, rows }`, rows as arrays): it does no I/O.
'use strict'

const { CallRecord, dedupeKey } = require('./oneinbox.js')

const COLUMNS = 'state, attempts, due_at, last_error, updated_at'

/** How Postgres spells the statements: `$n` marks, row locks, BYTEA and BIGINT. */
const POSTGRES = Object.freeze({
  sql(text) {
    let n = 0
    return text.replace(/\?/g, () => `$${++n}`)
  },
  lock: ' FOR UPDATE',
  blob: 'BYTEA',
  bigint: 'BIGINT',
})

/** The tables and indexes (the text Python's `Dialect.schema()` gives). */
function schema(d) {
  return [
    `CREATE TABLE IF NOT EXISTS oneinbox_inbox (
    key TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body ${d.blob},
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    due_at ${d.bigint},
    last_error TEXT,
    created_at ${d.bigint} NOT NULL,
    updated_at ${d.bigint} NOT NULL
)`,
    'CREATE INDEX IF NOT EXISTS oneinbox_inbox_due ON oneinbox_inbox (due_at) WHERE due_at IS NOT NULL',
    "CREATE INDEX IF NOT EXISTS oneinbox_inbox_dead ON oneinbox_inbox (updated_at) WHERE state = 'dead'",
    `CREATE TABLE IF NOT EXISTS oneinbox_calls (
    call_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
)`,
  ]
}

/** An insert met a row another worker inserted after this one's read: step again. */
class Raced extends Error {}

// A BIGINT comes back from `pg` as a string (it may not fit a double; ours are Unix ms).
const int = (value) => (value === null || value === undefined ? null : Number(value))

function rowOf(values) {
  const [state, attempts, dueAt, lastError, updatedAt] = values
  return { state, attempts: int(attempts), dueAt: int(dueAt), lastError: lastError ?? null, updatedAt: int(updatedAt) }
}

function deliveryOf(key, callId, event, body, step) {
  return Object.freeze({ key, callId, event, body: Buffer.from(body), attempt: step.attempt })
}

/** The statements of one dialect and every change as a generator of statements. */
class SqlSteps {
  constructor(dialect, policy) {
    const q = (text) => dialect.sql(text)
    const lock = dialect.lock
    this.dialect = dialect
    this.policy = policy
    this.read = q(`SELECT ${COLUMNS} FROM oneinbox_inbox WHERE key = ?${lock}`)
    this.peek = q(`SELECT ${COLUMNS} FROM oneinbox_inbox WHERE key = ?`)
    this.readWhole = q(`SELECT call_id, event, body, ${COLUMNS} FROM oneinbox_inbox WHERE key = ?${lock}`)
    this.insert = q(
      `INSERT INTO oneinbox_inbox (key, call_id, event, body, ${COLUMNS}, created_at) ` +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
    )
    this.update = q('UPDATE oneinbox_inbox SET state = ?, attempts = ?, due_at = ?, last_error = ?, updated_at = ? WHERE key = ?')
    this.readRecord = q(`SELECT record FROM oneinbox_calls WHERE call_id = ?${lock}`)
    this.insertRecord = q('INSERT INTO oneinbox_calls (call_id, record) VALUES (?, ?) ON CONFLICT (call_id) DO NOTHING')
    this.updateRecord = q('UPDATE oneinbox_calls SET record = ? WHERE call_id = ?')
    this.due = q('SELECT key FROM oneinbox_inbox WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, key LIMIT ?')
    this.dead = q(
      'SELECT key, call_id, event, attempts, last_error, updated_at, body ' +
        "FROM oneinbox_inbox WHERE state = 'dead' ORDER BY updated_at, key LIMIT ?",
    )
    this.prune = q("DELETE FROM oneinbox_inbox WHERE updated_at <= ? AND (state = 'done' OR (? AND state = 'dead'))")
    this.get = q('SELECT record FROM oneinbox_calls WHERE call_id = ?')
  }

  schema() {
    return schema(this.dialect)
  }

  write(key, row) {
    return [this.update, [row.state, row.attempts, row.dueAt, row.lastError, row.updatedAt, key]]
  }

  /** Folds `event` into its call's stored record (locked), and writes it back. */
  *fold(event) {
    const callId = event.call_id
    const found = (yield [this.readRecord, [callId]]).rows[0]
    if (found === undefined) {
      const record = new CallRecord(callId)
      record.apply(event)
      if ((yield [this.insertRecord, [callId, record.toJson()]]).rowCount !== 1) throw new Raced()
      return record
    }
    const record = CallRecord.fromJson(found[0])
    if (record.apply(event).changed) yield [this.updateRecord, [record.toJson(), callId]]
    return record
  }

  *recordOf(callId) {
    const found = (yield [this.get, [callId]]).rows[0]
    return found === undefined ? new CallRecord(callId) : CallRecord.fromJson(found[0])
  }

  *arrive(event, body, ms) {
    const key = dedupeKey(event)
    const found = (yield [this.read, [key]]).rows[0]
    const row = found === undefined ? null : rowOf(found)
    const s = this.policy.arrive(row, ms)
    let record
    if (row === null && s.row !== null) {
      const r = s.row
      const values = [key, event.call_id, event.event, body, r.state, r.attempts, r.dueAt, r.lastError, r.updatedAt, ms]
      if ((yield [this.insert, values]).rowCount !== 1) throw new Raced()
      record = yield* this.fold(event)
    } else {
      if (s.row !== null) yield this.write(key, s.row)
      record = yield* this.recordOf(event.call_id)
    }
    const delivery = s.verdict === 'run' ? deliveryOf(key, event.call_id, event.event, body, s) : null
    return Object.freeze({ verdict: s.verdict, key, delivery, retryAfterMs: s.retryAfterMs, record })
  }

  /** At most once: inserts the delivery as done (if new) and folds it in. */
  *record(event, body, ms) {
    const key = dedupeKey(event)
    const values = [key, event.call_id, event.event, body, 'done', 0, null, null, ms, ms]
    if ((yield [this.insert, values]).rowCount !== 1) {
      return Object.freeze({ new: false, record: yield* this.recordOf(event.call_id) })
    }
    return Object.freeze({ new: true, record: yield* this.fold(event) })
  }

  /** One step on the row of `key`: `ask(row, ms)` gives it. */
  *change(key, ms, ask) {
    const found = (yield [this.read, [key]]).rows[0]
    const s = ask(found === undefined ? null : rowOf(found), ms)
    if (s.row !== null && found !== undefined) yield this.write(key, s.row)
    return s
  }

  finishSteps(delivery, error, ms) {
    return this.change(delivery.key, ms, (row, now) => this.policy.finish(row, delivery.attempt, error, now))
  }

  releaseSteps(delivery, reason, ms) {
    return this.change(delivery.key, ms, (row, now) => this.policy.release(row, delivery.attempt, reason, now))
  }

  replaySteps(key, ms) {
    return this.change(key, ms, (row, now) => this.policy.replay(row, now))
  }

  /** Locks the row of `key` until the transaction ends, and reads it. */
  *lock(key) {
    const found = (yield [this.read, [key]]).rows[0]
    return found === undefined ? null : rowOf(found)
  }

  *take(key, ms) {
    const found = (yield [this.readWhole, [key]]).rows[0]
    if (found === undefined) return Object.freeze({ verdict: this.policy.claim(null, ms).verdict, delivery: null })
    const [callId, event, body] = found
    const s = this.policy.claim(rowOf(found.slice(3)), ms)
    if (s.row !== null) yield this.write(key, s.row)
    const delivery = s.verdict === 'run' ? deliveryOf(key, callId, event, body, s) : null
    return Object.freeze({ verdict: s.verdict, delivery })
  }

  *dueKeys(ms, limit) {
    return (yield [this.due, [ms, limit]]).rows.map((row) => row[0])
  }

  *deadLetters(limit) {
    return (yield [this.dead, [limit]]).rows.map(([key, callId, event, attempts, lastError, updatedAt, body]) =>
      Object.freeze({
        key,
        callId,
        event,
        attempts: int(attempts),
        lastError: lastError ?? null,
        updatedAt: int(updatedAt),
        body: Buffer.from(body),
      }),
    )
  }

  *pruneRows(olderThanMs, includeDead, ms) {
    return Math.max((yield [this.prune, [ms - olderThanMs, includeDead]]).rowCount, 0)
  }

  *getRecord(callId) {
    const found = (yield [this.get, [callId]]).rows[0]
    return found === undefined ? null : CallRecord.fromJson(found[0])
  }

  *peekRow(key) {
    const found = (yield [this.peek, [key]]).rows[0]
    return found === undefined ? null : rowOf(found)
  }
}

/** Runs a change's statements on `client` (a `pg` client inside a transaction the caller holds). */
async function runSteps(client, steps) {
  let next = steps.next()
  while (!next.done) {
    const [text, values] = next.value
    const result = await client.query({ text, values, rowMode: 'array' })
    next = steps.next({ rowCount: result.rowCount ?? 0, rows: result.rows ?? [] })
  }
  return next.value
}

module.exports = { POSTGRES, Raced, SqlSteps, runSteps, schema }
