// The inbox and the call records over SQL: the Node mirror of the Python package's _sql.py, with
// the same statements and the same steps (PostgresStore, postgres.js, runs them over `pg`).
//
// Two tables (their DDL is in docs/reference.md; the store creates them if missing):
// - `oneinbox_inbox`: one row per delivery, by its dedupe key: the call, the event name, the raw
//   body, and the inbox row (`state`, `attempts`, `due_at`, `last_error`, `updated_at`; times in
//   Unix milliseconds). A worker asks for `due_at <= now`.
// - `oneinbox_calls`: each call's folded record (`CallRecord.toJson()`), folded into in the
//   transaction that inserts a new delivery's row: recording costs the event and the record.
// - `oneinbox_open_calls`: the open calls (`recordIsOpen`) and when their record last changed,
//   written with the record: what `reconcile` lists.
//
// Every change reads the row (locking it: `SELECT … FOR UPDATE`), asks the core's `InboxPolicy`
// for the step and writes its row, in one transaction; an insert that meets a concurrent one
// starts the change again. Each change is a generator that yields its statements (`[text,
// values]`) and is sent what each gave (`{ rowCount, rows }`, rows as arrays): it does no I/O.
'use strict'

const { CallRecord, dedupeKey, recordIsOpen } = require('./oneinbox.js')

const COLUMNS = 'state, attempts, due_at, last_error, updated_at'

/** @typedef {import('./oneinbox').Event} Event */
/** @typedef {import('./oneinbox').CallRecord} CallRecordT */
/** @typedef {import('./inbox').InboxRow} InboxRow */
/** @typedef {import('./inbox').InboxStep} InboxStep */
/** @typedef {import('./inbox').InboxVerdict} InboxVerdict */
/** @typedef {import('./inbox').InboxPolicy} InboxPolicy */
/** @typedef {import('./postgres').PgDelivery} PgDelivery */
/** @typedef {import('./postgres').PgArrival} PgArrival */
/** @typedef {import('./postgres').PgDeadLetter} PgDeadLetter */
/** A statement: its text and its values. @typedef {[string, unknown[]]} Statement */
/** What a statement gave (rows as arrays). @typedef {{ rowCount: number, rows: unknown[][] }} Result */
/**
 * A change: yields its statements, is sent what each gave, returns `T`.
 * @template T
 * @typedef {Generator<Statement, T, Result>} Steps
 */
/**
 * How a dialect spells the statements.
 * @typedef {object} Dialect
 * @property {(text: string) => string} sql
 * @property {string} lock
 * @property {string} blob
 * @property {string} bigint
 */

/** How Postgres spells the statements: `$n` marks, row locks, BYTEA and BIGINT. */
/** @type {Readonly<Dialect>} */
const POSTGRES = Object.freeze({
  /** @param {string} text */
  sql(text) {
    let n = 0
    return text.replace(/\?/g, () => `$${++n}`)
  },
  lock: ' FOR UPDATE',
  blob: 'BYTEA',
  bigint: 'BIGINT',
})

/**
 * The tables and indexes (the text Python's `Dialect.schema()` gives).
 * @param {Dialect} d
 * @returns {string[]}
 */
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
    "CREATE INDEX IF NOT EXISTS oneinbox_inbox_done ON oneinbox_inbox (updated_at) WHERE state = 'done'",
    `CREATE TABLE IF NOT EXISTS oneinbox_calls (
    call_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS oneinbox_open_calls (
    call_id TEXT PRIMARY KEY,
    changed_at ${d.bigint} NOT NULL
)`,
    'CREATE INDEX IF NOT EXISTS oneinbox_open_calls_changed ON oneinbox_open_calls (changed_at)',
  ]
}

/** An insert met a row another worker inserted after this one's read: step again. */
class Raced extends Error {}

// A BIGINT comes back from `pg` as a string (it may not fit a double; ours are Unix ms).
/** @type {(value: unknown) => number | null} */
const int = (value) => (value === null || value === undefined ? null : Number(value))

// The columns as written from a step's row: a state name, numbers, text or NULL.
/**
 * @param {unknown[]} values
 * @returns {InboxRow}
 */
function rowOf(values) {
  const [state, attempts, dueAt, lastError, updatedAt] = values
  return {
    state: /** @type {InboxRow['state']} */ (state),
    attempts: /** @type {number} */ (int(attempts)),
    dueAt: int(dueAt),
    lastError: /** @type {string | null | undefined} */ (lastError) ?? null,
    updatedAt: /** @type {number} */ (int(updatedAt)),
  }
}

/**
 * A `run` step's delivery (the step has its attempt number).
 * @param {string} key
 * @param {string} callId
 * @param {string} event
 * @param {Uint8Array} body
 * @param {InboxStep} step
 * @returns {PgDelivery}
 */
function deliveryOf(key, callId, event, body, step) {
  return Object.freeze({ key, callId, event, body: Buffer.from(body), attempt: /** @type {number} */ (step.attempt) })
}

/** The statements of one dialect and every change as a generator of statements. */
class SqlSteps {
  /**
   * @param {Dialect} dialect
   * @param {InboxPolicy} policy
   */
  constructor(dialect, policy) {
    /** @type {(text: string) => string} */
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
    this.open = q(
      'INSERT INTO oneinbox_open_calls (call_id, changed_at) VALUES (?, ?) ON CONFLICT (call_id) DO UPDATE SET changed_at = excluded.changed_at',
    )
    this.close = q('DELETE FROM oneinbox_open_calls WHERE call_id = ?')
    this.openCalls = q('SELECT call_id, changed_at FROM oneinbox_open_calls WHERE changed_at <= ? ORDER BY changed_at, call_id LIMIT ?')
  }

  schema() {
    return schema(this.dialect)
  }

  /**
   * @param {string} key
   * @param {InboxRow} row
   * @returns {Statement}
   */
  write(key, row) {
    return [this.update, [row.state, row.attempts, row.dueAt, row.lastError, row.updatedAt, key]]
  }

  /**
   * Folds `event` into its call's stored record (locked; `stored`: its row already read, if it
   * was), and writes it back.
   * @param {Event} event
   * @param {number} ms
   * @param {unknown[]} [stored]
   * @returns {Steps<CallRecordT>}
   */
  *fold(event, ms, stored) {
    const callId = event.call_id
    const found = stored ?? (yield [this.readRecord, [callId]]).rows[0]
    if (found === undefined) {
      const record = new CallRecord(callId)
      record.apply(event)
      if ((yield [this.insertRecord, [callId, record.toJson()]]).rowCount !== 1) throw new Raced()
      yield this.touch(record, ms)
      return record
    }
    const record = CallRecord.fromJson(/** @type {string} */ (found[0]))
    if (record.apply(event).changed) {
      yield [this.updateRecord, [record.toJson(), callId]]
      yield this.touch(record, ms)
    }
    return record
  }

  /**
   * The record changed at `ms`: keeps it among the open calls while it is open.
   * @param {CallRecordT} record
   * @param {number} ms
   * @returns {Statement}
   */
  touch(record, ms) {
    return recordIsOpen(record) ? [this.open, [record.call_id, ms]] : [this.close, [record.call_id]]
  }

  /**
   * @param {number} changedBefore
   * @param {number} limit
   * @returns {Steps<import('./stores').OpenCall[]>}
   */
  *listOpen(changedBefore, limit) {
    const { rows } = yield [this.openCalls, [changedBefore, limit]]
    return rows.map((r) => Object.freeze({ callId: /** @type {string} */ (r[0]), changedAt: Number(r[1]) }))
  }

  /**
   * Folds the snapshot `call` into its call's stored record (locked), if there is one.
   * @param {object} call
   * @param {number} ms
   * @returns {Steps<CallRecordT | null>}
   */
  *applyCall(call, ms) {
    const callId = /** @type {{ id: string }} */ (call).id
    const found = (yield [this.readRecord, [callId]]).rows[0]
    if (found === undefined) return null
    const record = CallRecord.fromJson(/** @type {string} */ (found[0]))
    if (record.applyCall(call).changed) {
      yield [this.updateRecord, [record.toJson(), callId]]
      yield this.touch(record, ms)
    }
    return record
  }

  /**
   * @param {string} callId
   * @returns {Steps<void>}
   */
  *settle(callId) {
    yield [this.close, [callId]]
  }

  /**
   * @param {string} callId
   * @returns {Steps<CallRecordT>}
   */
  *recordOf(callId) {
    const found = (yield [this.get, [callId]]).rows[0]
    return found === undefined ? new CallRecord(callId) : CallRecord.fromJson(/** @type {string} */ (found[0]))
  }

  /**
   * @param {Event} event
   * @param {Buffer} body
   * @param {number} ms
   * @returns {Steps<PgArrival>}
   */
  *arrive(event, body, ms) {
    const key = dedupeKey(event)
    const found = (yield [this.read, [key]]).rows[0]
    const row = found === undefined ? null : rowOf(found)
    // A new delivery: its call's record (locked) says whether reconciliation already ran it.
    const stored = row === null ? (yield [this.readRecord, [event.call_id]]).rows[0] : undefined
    const covered = stored !== undefined && CallRecord.fromJson(/** @type {string} */ (stored[0])).covers(event.event, key)
    const s = this.policy.arrive(row, ms, covered)
    let record
    if (row === null && s.row !== null) {
      const r = s.row
      const values = [key, event.call_id, event.event, body, r.state, r.attempts, r.dueAt, r.lastError, r.updatedAt, ms]
      if ((yield [this.insert, values]).rowCount !== 1) throw new Raced()
      record = yield* this.fold(event, ms, stored)
    } else {
      if (s.row !== null) yield this.write(key, s.row)
      record = yield* this.recordOf(event.call_id)
    }
    const delivery = s.verdict === 'run' ? deliveryOf(key, event.call_id, event.event, body, s) : null
    return Object.freeze({ verdict: s.verdict, key, delivery, retryAfterMs: s.retryAfterMs, record })
  }

  /**
   * At most once: inserts the delivery as done (if new) and folds it in.
   * @param {Event} event
   * @param {Buffer | string} body
   * @param {number} ms
   * @returns {Steps<import('./stores').Recorded>}
   */
  *record(event, body, ms) {
    const key = dedupeKey(event)
    const values = [key, event.call_id, event.event, body, 'done', 0, null, null, ms, ms]
    if ((yield [this.insert, values]).rowCount !== 1) {
      return Object.freeze({ new: false, record: yield* this.recordOf(event.call_id) })
    }
    const record = yield* this.fold(event, ms)
    // Reconciliation already ran this event's handlers: folded, not new.
    return Object.freeze({ new: !record.covers(event.event, key), record })
  }

  /**
   * One step on the row of `key`: `ask(row, ms)` gives it.
   * @param {string} key
   * @param {number} ms
   * @param {(row: InboxRow | null, now: number) => InboxStep} ask
   * @returns {Steps<InboxStep>}
   */
  *change(key, ms, ask) {
    const found = (yield [this.read, [key]]).rows[0]
    const s = ask(found === undefined ? null : rowOf(found), ms)
    if (s.row !== null && found !== undefined) yield this.write(key, s.row)
    return s
  }

  /**
   * @param {PgDelivery} delivery
   * @param {string | null} error
   * @param {number} ms
   */
  finishSteps(delivery, error, ms) {
    return this.change(delivery.key, ms, (row, now) => this.policy.finish(row, delivery.attempt, error, now))
  }

  /**
   * @param {PgDelivery} delivery
   * @param {string} reason
   * @param {number} ms
   */
  releaseSteps(delivery, reason, ms) {
    return this.change(delivery.key, ms, (row, now) => this.policy.release(row, delivery.attempt, reason, now))
  }

  /**
   * @param {string} key
   * @param {number} ms
   */
  replaySteps(key, ms) {
    return this.change(key, ms, (row, now) => this.policy.replay(row, now))
  }

  /**
   * Locks the row of `key` until the transaction ends, and reads it.
   * @param {string} key
   * @returns {Steps<InboxRow | null>}
   */
  *lock(key) {
    const found = (yield [this.read, [key]]).rows[0]
    return found === undefined ? null : rowOf(found)
  }

  /**
   * @param {string} key
   * @param {number} ms
   * @returns {Steps<{ verdict: InboxVerdict, delivery: PgDelivery | null }>}
   */
  *take(key, ms) {
    const found = (yield [this.readWhole, [key]]).rows[0]
    if (found === undefined) return Object.freeze({ verdict: this.policy.claim(null, ms).verdict, delivery: null })
    // The columns readWhole selects: call_id, event (TEXT) and body (BYTEA), then the row's.
    const [callId, event, body] = /** @type {[string, string, Uint8Array]} */ (found)
    const s = this.policy.claim(rowOf(found.slice(3)), ms)
    if (s.row !== null) yield this.write(key, s.row)
    const delivery = s.verdict === 'run' ? deliveryOf(key, callId, event, body, s) : null
    return Object.freeze({ verdict: s.verdict, delivery })
  }

  /**
   * @param {number} ms
   * @param {number} limit
   * @returns {Steps<string[]>}
   */
  *dueKeys(ms, limit) {
    return (yield [this.due, [ms, limit]]).rows.map((row) => /** @type {string} */ (row[0]))
  }

  /**
   * @param {number} limit
   * @returns {Steps<PgDeadLetter[]>}
   */
  *deadLetters(limit) {
    return (yield [this.dead, [limit]]).rows.map((row) => {
      // The columns the statement selects, in order.
      const [key, callId, event, attempts, lastError, updatedAt, body] =
        /** @type {[string, string, string, unknown, string | null, unknown, Uint8Array]} */ (row)
      return Object.freeze({
        key,
        callId,
        event,
        attempts: /** @type {number} */ (int(attempts)),
        lastError: lastError ?? null,
        updatedAt: /** @type {number} */ (int(updatedAt)),
        body: Buffer.from(body),
      })
    })
  }

  /**
   * @param {number} olderThanMs
   * @param {boolean} includeDead
   * @param {number} ms
   * @returns {Steps<number>}
   */
  *pruneRows(olderThanMs, includeDead, ms) {
    return Math.max((yield [this.prune, [ms - olderThanMs, includeDead]]).rowCount, 0)
  }

  /**
   * @param {string} callId
   * @returns {Steps<CallRecordT | null>}
   */
  *getRecord(callId) {
    const found = (yield [this.get, [callId]]).rows[0]
    return found === undefined ? null : CallRecord.fromJson(/** @type {string} */ (found[0]))
  }

  /**
   * @param {string} key
   * @returns {Steps<InboxRow | null>}
   */
  *peekRow(key) {
    const found = (yield [this.peek, [key]]).rows[0]
    return found === undefined ? null : rowOf(found)
  }
}

/**
 * Runs a change's statements on `client` (a `pg` client inside a transaction the caller holds).
 * @template T
 * @param {import('./postgres').PostgresClient} client
 * @param {Steps<T>} steps
 * @returns {Promise<T>}
 */
async function runSteps(client, steps) {
  let next = steps.next()
  while (!next.done) {
    const [text, values] = next.value
    const result = await client.query({ text, values, rowMode: 'array' })
    // rowMode 'array': each row is an array of its columns.
    next = steps.next({ rowCount: result.rowCount ?? 0, rows: /** @type {unknown[][]} */ (result.rows ?? []) })
  }
  return next.value
}

module.exports = { POSTGRES, Raced, SqlSteps, runSteps, schema }
