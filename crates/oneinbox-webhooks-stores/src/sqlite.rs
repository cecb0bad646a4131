//! [`SqliteStore`]: the inbox and the call records in one SQLite file, in the tables of the
//! Python `SQLiteStore` (`oneinbox_inbox`, `oneinbox_calls`, `oneinbox_open_calls`), so a Rust
//! and a Python process share one file. WAL mode; each change is one `BEGIN IMMEDIATE` transaction (one writer at a
//! time), run on tokio's blocking threads.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use oneinbox_webhooks::inbox::{prune_before, Input, Policy, Row, State, Step, Verdict};
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile::is_open;
use oneinbox_webhooks::{CallRecord, KeyedEvent};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::sql::{schema, CLOSE, COLUMNS, OPEN, OPEN_CALLS};
use crate::{arrival_step, Arrival, DeadLetter, Delivery, Recorded, Store, StoreError};

/// How long a change waits for another process's lock unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The store in one SQLite file.
///
/// ```
/// use oneinbox_webhooks_stores::sqlite::SqliteStore;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("oneinbox-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let store = SqliteStore::open(dir.join("inbox.sqlite3")).await?;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), oneinbox_webhooks_stores::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    policy: Policy,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn db(error: rusqlite::Error) -> StoreError {
    StoreError::new(error)
}

fn row_at(r: &rusqlite::Row<'_>, at: usize) -> Result<Row, StoreError> {
    let state: String = r.get(at).map_err(db)?;
    let attempts: i64 = r.get(at + 1).map_err(db)?;
    Ok(Row {
        state: state.parse::<State>().map_err(StoreError::new)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        due_at: r.get(at + 2).map_err(db)?,
        last_error: r.get(at + 3).map_err(db)?,
        updated_at: r.get(at + 4).map_err(db)?,
    })
}

fn read(tx: &Transaction<'_>, key: &str) -> Result<Option<Row>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM oneinbox_inbox WHERE key = ?1");
    let mut statement = tx.prepare_cached(&sql).map_err(db)?;
    let mut rows = statement.query(params![key]).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(r) => Ok(Some(row_at(r, 0)?)),
        None => Ok(None),
    }
}

fn write(tx: &Transaction<'_>, key: &str, row: &Row) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE oneinbox_inbox SET state = ?1, attempts = ?2, due_at = ?3, last_error = ?4, \
         updated_at = ?5 WHERE key = ?6",
        params![
            row.state.as_str(),
            row.attempts,
            row.due_at,
            row.last_error,
            row.updated_at,
            key
        ],
    )
    .map_err(db)?;
    Ok(())
}

fn record_of(tx: &Transaction<'_>, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
    let json: Option<String> = tx
        .query_row(
            "SELECT record FROM oneinbox_calls WHERE call_id = ?1",
            params![call_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    json.map(|j| CallRecord::from_json(j.as_bytes()).map_err(StoreError::new))
        .transpose()
}

/// The record of `call_id`, changed at `now`: keeps it among the open calls while it is open.
fn touch(tx: &Transaction<'_>, record: &CallRecord, now: i64) -> Result<(), StoreError> {
    let call_id = record.call_id();
    if is_open(record) {
        tx.execute(OPEN, params![call_id, now]).map_err(db)?;
    } else {
        tx.execute(CLOSE, params![call_id]).map_err(db)?;
    }
    Ok(())
}

/// Folds `event` into its call's stored record (`stored`, as read) and writes it back, with
/// the open calls' index.
fn fold(
    tx: &Transaction<'_>,
    event: &KeyedEvent,
    stored: Option<CallRecord>,
    now: i64,
) -> Result<CallRecord, StoreError> {
    let call_id = event.call_id();
    match stored {
        None => {
            let mut record = CallRecord::new(call_id);
            record.apply_keyed(event);
            tx.execute(
                "INSERT INTO oneinbox_calls (call_id, record) VALUES (?1, ?2)",
                params![call_id, record.to_json()],
            )
            .map_err(db)?;
            touch(tx, &record, now)?;
            Ok(record)
        }
        Some(mut record) => {
            if record.apply_keyed(event).changed {
                write_record(tx, &record, now)?;
            }
            Ok(record)
        }
    }
}

/// Writes a changed record back, with the open calls' index.
fn write_record(tx: &Transaction<'_>, record: &CallRecord, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE oneinbox_calls SET record = ?1 WHERE call_id = ?2",
        params![record.to_json(), record.call_id()],
    )
    .map_err(db)?;
    touch(tx, record, now)
}

fn step_on(
    tx: &Transaction<'_>,
    policy: Policy,
    key: &str,
    input: Input<'_>,
    now: i64,
) -> Result<Step, StoreError> {
    let found = read(tx, key)?;
    let step = policy.step(found.as_ref(), &input, now);
    if let (Some(new), Some(_)) = (&step.row, &found) {
        write(tx, key, new)?;
    }
    Ok(step)
}

impl SqliteStore {
    /// Opens (or makes) the file at `path`: WAL mode, the tables made if missing, a wait of up
    /// to 30 s for another process's lock.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            let conn = Connection::open(path).map_err(db)?;
            conn.busy_timeout(DEFAULT_TIMEOUT).map_err(db)?;
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(db)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::new(format!(
                    "SqliteStore: journal mode {mode}, not WAL"
                )));
            }
            for statement in schema("BLOB", "INTEGER") {
                conn.execute(&statement, []).map_err(db)?;
            }
            Ok(conn)
        })
        .await
        .map_err(StoreError::new)??;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            policy: Policy::default(),
        })
    }

    /// The inbox's lease and attempts.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs `change` in one `BEGIN IMMEDIATE` transaction on a blocking thread.
    async fn run<T, F>(&self, change: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, Policy) -> Result<T, StoreError> + Send + 'static,
    {
        let (conn, policy) = (self.conn.clone(), self.policy);
        tokio::task::spawn_blocking(move || {
            // Every change is one transaction, rolled back when dropped: a panic elsewhere
            // while the lock was held leaves nothing half-written.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let value = change(&tx, policy)?;
            tx.commit().map_err(db)?;
            Ok(value)
        })
        .await
        .map_err(StoreError::new)?
    }
}

impl SqliteStore {
    /// [`Store::arrive`] (`once` false) or [`Store::record`] (`once`), and whether the
    /// delivery is new ([`crate::arrival_step`]).
    async fn arrival(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
        once: bool,
    ) -> Result<(Arrival, bool), StoreError> {
        let (event, body) = (event.clone(), body.to_vec());
        self.run(move |tx, policy| {
            let key = event.key();
            let found = read(tx, key)?;
            // A new delivery: its call's record says whether reconciliation ran it.
            let stored = match found {
                None => record_of(tx, event.call_id())?,
                Some(_) => None,
            };
            let (step, new) =
                arrival_step(&policy, found.as_ref(), stored.as_ref(), &event, now, once);
            let record = match (&step.row, &found) {
                (Some(r), None) => {
                    let sql = format!(
                        "INSERT INTO oneinbox_inbox (key, call_id, event, body, {COLUMNS}, \
                         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                    );
                    tx.execute(
                        &sql,
                        params![
                            key,
                            event.call_id(),
                            event.name(),
                            body,
                            r.state.as_str(),
                            r.attempts,
                            r.due_at,
                            r.last_error,
                            r.updated_at,
                            now
                        ],
                    )
                    .map_err(db)?;
                    fold(tx, &event, stored, now)?
                }
                (row, _) => {
                    if let Some(r) = row {
                        write(tx, key, r)?;
                    }
                    record_of(tx, event.call_id())?
                        .unwrap_or_else(|| CallRecord::new(event.call_id()))
                }
            };
            let delivery = match step.verdict {
                Verdict::Run { attempt } => Some(Delivery {
                    key: key.to_owned(),
                    call_id: event.call_id().to_owned(),
                    event: event.name().to_owned(),
                    body: Arc::from(body),
                    attempt,
                }),
                _ => None,
            };
            let arrival = Arrival {
                verdict: step.verdict,
                key: key.to_owned(),
                delivery,
                record: Arc::new(record),
            };
            Ok((arrival, new))
        })
        .await
    }
}

impl Store for SqliteStore {
    async fn arrive(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> Result<Arrival, StoreError> {
        Ok(self.arrival(event, body, now, false).await?.0)
    }

    async fn record(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let (arrival, new) = self.arrival(event, body, now, true).await?;
        Ok(Recorded {
            new,
            record: arrival.record,
        })
    }

    async fn finish(
        &self,
        delivery: &Delivery,
        error: Option<&str>,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        let (key, attempt, error) = (
            delivery.key.clone(),
            delivery.attempt,
            error.map(str::to_owned),
        );
        self.run(move |tx, policy| {
            let input = Input::Finish {
                attempt,
                error: error.as_deref(),
            };
            Ok(step_on(tx, policy, &key, input, now)?.verdict)
        })
        .await
    }

    async fn release(
        &self,
        delivery: &Delivery,
        reason: &str,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        let (key, attempt, reason) = (delivery.key.clone(), delivery.attempt, reason.to_owned());
        self.run(move |tx, policy| {
            let input = Input::Release {
                attempt,
                reason: &reason,
            };
            Ok(step_on(tx, policy, &key, input, now)?.verdict)
        })
        .await
    }

    async fn due(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |tx, _| {
            let mut statement = tx
                .prepare_cached(
                    "SELECT key FROM oneinbox_inbox WHERE due_at IS NOT NULL AND due_at <= ?1 \
                     ORDER BY due_at, key LIMIT ?2",
                )
                .map_err(db)?;
            let keys = statement
                .query_map(params![now, limit], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            Ok(keys)
        })
        .await
    }

    async fn take(&self, key: &str, now: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        let key = key.to_owned();
        self.run(move |tx, policy| {
            let sql = format!(
                "SELECT call_id, event, body, {COLUMNS} FROM oneinbox_inbox WHERE key = ?1"
            );
            let mut statement = tx.prepare_cached(&sql).map_err(db)?;
            let mut rows = statement.query(params![key]).map_err(db)?;
            let Some(found) = rows.next().map_err(db)? else {
                return Ok((policy.step(None, &Input::Claim, now).verdict, None));
            };
            let row = row_at(found, 3)?;
            let call_id: String = found.get(0).map_err(db)?;
            let event: String = found.get(1).map_err(db)?;
            let body: Option<Vec<u8>> = found.get(2).map_err(db)?;
            drop(rows);
            let step = policy.step(Some(&row), &Input::Claim, now);
            if let Some(new) = &step.row {
                write(tx, &key, new)?;
            }
            let Verdict::Run { attempt } = step.verdict else {
                return Ok((step.verdict, None));
            };
            let body = Arc::from(body.unwrap_or_default());
            Ok((
                step.verdict,
                Some(Delivery {
                    key,
                    call_id,
                    event,
                    body,
                    attempt,
                }),
            ))
        })
        .await
    }

    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        self.run(|tx, _| {
            let mut statement = tx
                .prepare_cached(
                    "SELECT key, call_id, event, attempts, last_error, updated_at, body \
                     FROM oneinbox_inbox WHERE state = 'dead' ORDER BY updated_at, key",
                )
                .map_err(db)?;
            let letters = statement
                .query_map([], |r| {
                    let attempts: i64 = r.get(3)?;
                    let body: Option<Vec<u8>> = r.get(6)?;
                    Ok(DeadLetter {
                        key: r.get(0)?,
                        call_id: r.get(1)?,
                        event: r.get(2)?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        last_error: r.get(4)?,
                        updated_at: r.get(5)?,
                        body: Arc::from(body.unwrap_or_default()),
                    })
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(letters)
        })
        .await
    }

    async fn replay(&self, key: &str, now: i64) -> Result<Verdict, StoreError> {
        let key = key.to_owned();
        self.run(move |tx, policy| Ok(step_on(tx, policy, &key, Input::Replay, now)?.verdict))
            .await
    }

    async fn prune(
        &self,
        older_than_ms: u64,
        include_dead: bool,
        now: i64,
    ) -> Result<usize, StoreError> {
        let before = prune_before(now, older_than_ms);
        self.run(move |tx, _| {
            tx.execute(
                "DELETE FROM oneinbox_inbox WHERE updated_at <= ?1 AND \
                 (state = 'done' OR (?2 AND state = 'dead'))",
                params![before, include_dead],
            )
            .map_err(db)
        })
        .await
    }

    async fn get(&self, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
        let call_id = call_id.to_owned();
        self.run(move |tx, _| record_of(tx, &call_id)).await
    }

    async fn open_calls(
        &self,
        changed_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |tx, _| {
            let mut statement = tx.prepare_cached(OPEN_CALLS).map_err(db)?;
            let calls = statement
                .query_map(params![changed_before_ms, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(db)?
                .collect::<Result<Vec<(String, i64)>, _>>()
                .map_err(db)?;
            Ok(calls)
        })
        .await
    }

    async fn apply_call(&self, call: &Call, now: i64) -> Result<Option<CallRecord>, StoreError> {
        let call = call.clone();
        self.run(move |tx, _| {
            let Some(mut record) = record_of(tx, &call.id)? else {
                return Ok(None);
            };
            if record.apply_call(&call).changed {
                write_record(tx, &record, now)?;
            }
            Ok(Some(record))
        })
        .await
    }

    async fn settle(&self, call_id: &str) -> Result<(), StoreError> {
        let call_id = call_id.to_owned();
        self.run(move |tx, _| {
            tx.execute(CLOSE, params![call_id]).map_err(db)?;
            Ok(())
        })
        .await
    }
}
