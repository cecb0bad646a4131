//! [`PostgresStore`]: the inbox and the call records over PostgreSQL, in the tables of the
//! Python and Node stores (`oneinbox_inbox`, `oneinbox_calls`, `oneinbox_open_calls`; the DDL
//! is [`schema`]), with the same stored forms and the same reconciliation rules (a delivery
//! whose event reconciliation already ran is done without running; every change of a record
//! keeps the open calls' index), so that workers in the three languages share one database.
//!
//! Each change is one transaction that locks the delivery's row (`SELECT … FOR UPDATE`), asks
//! the core's [`Policy::step`] and writes the step; an insert that meets a concurrent one
//! starts the change again. The store keeps a small pool of connections (`deadpool-postgres`,
//! at most [`DEFAULT_MAX_CONNECTIONS`] unless told otherwise), so concurrent deliveries run
//! their transactions side by side instead of one after the other.

use std::fmt;
use std::sync::Arc;

use deadpool_postgres::{Manager, PoolError};
use oneinbox_webhooks::inbox::{prune_before, Input, Policy, Row, State, Step, Verdict};
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile::is_open;
use oneinbox_webhooks::{CallRecord, KeyedEvent};
use tokio::sync::{Mutex, MutexGuard, OnceCell};
use tokio_postgres::{Client, Config, NoTls, Transaction};

use crate::{arrival_step, Arrival, DeadLetter, Delivery, Recorded, Store, StoreError};

/// The statements that make the tables and indexes, as the Python and Node stores make them
/// (run on first use, under an advisory lock).
pub fn schema() -> Vec<String> {
    crate::sql::schema("BYTEA", "BIGINT")
}

/// The key of the advisory lock that serializes the migration (Python's and Node's too).
const MIGRATION_LOCK: i64 = 0x6F6E_6569;
use crate::sql::{CLOSE, COLUMNS, OPEN, OPEN_CALLS};
const RETRIES: usize = 5;

/// Runs `$body` (which reads the transaction `$tx`) in one transaction, committed when it
/// gives a value, made again (up to 5 times) when an insert raced, rolled back on a failure.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $store.ready().await?;
        let client = conn.client();
        let mut result = Err(StoreError::new(
            "PostgresStore: concurrent inserts of one delivery, 5 times in a row",
        ));
        for _ in 0..RETRIES {
            let $tx = client.transaction().await.map_err(StoreError::new)?;
            let outcome: Result<_, Failure> = async { $body }.await;
            match outcome {
                Ok(value) => {
                    $tx.commit().await.map_err(StoreError::new)?;
                    result = Ok(value);
                    break;
                }
                Err(Failure::Raced) => continue, // rolled back on drop
                Err(Failure::Store(error)) => {
                    result = Err(error);
                    break;
                }
            }
        }
        result
    }};
}

/// How many connections a [`PostgresStore`] opens at most unless told otherwise
/// ([`PostgresStore::connect_with`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10;

/// The store over one PostgreSQL database, with a pool of connections (`deadpool-postgres`):
/// each step takes an idle connection (or opens one, up to the pool's size; past it, waits for
/// one) for its transaction and gives it back after, so steps of concurrent deliveries do not
/// wait for one another. A connection found closed is dropped and a new one opened.
///
/// ```no_run
/// use oneinbox_webhooks_stores::postgres::PostgresStore;
///
/// # async fn f() -> Result<(), oneinbox_webhooks_stores::StoreError> {
/// let store = PostgresStore::connect("postgresql://app@127.0.0.1/app").await?;
/// // Or at most 4 connections:
/// let small = PostgresStore::connect_with("postgresql://app@127.0.0.1/app", 4).await?;
/// # Ok(()) }
/// ```
pub struct PostgresStore {
    source: Source,
    policy: Policy,
    /// Set once the tables are made.
    migrated: OnceCell<()>,
}

/// Where the connections come from.
enum Source {
    /// A pool that opens connections to the DSN ([`PostgresStore::connect`]).
    Pool(deadpool_postgres::Pool),
    /// One client given by the caller ([`PostgresStore::new`]), used one step at a time.
    One(Mutex<Client>),
}

/// A connection taken for one step: back to its pool (or unlocked) when dropped.
enum Conn<'a> {
    Pooled(Box<deadpool_postgres::Object>),
    One(MutexGuard<'a, Client>),
}

impl Conn<'_> {
    fn client(&mut self) -> &mut Client {
        match self {
            Conn::Pooled(object) => object,
            Conn::One(guard) => guard,
        }
    }
}

/// The error of a failed connection: its message may quote the DSN (a password included),
/// so only its kind.
fn cannot_connect(error: &tokio_postgres::Error) -> StoreError {
    let kind = if error.as_db_error().is_some() {
        "refused"
    } else {
        "failed"
    };
    StoreError::new(format!(
        "cannot connect to PostgreSQL with the store's DSN ({kind})"
    ))
}

impl Source {
    async fn get(&self) -> Result<Conn<'_>, StoreError> {
        match self {
            Source::Pool(pool) => match pool.get().await {
                Ok(object) => Ok(Conn::Pooled(Box::new(object))),
                Err(PoolError::Backend(error)) => Err(cannot_connect(&error)),
                Err(error) => Err(StoreError::new(format!("PostgresStore: {error}"))),
            },
            Source::One(client) => {
                let guard = client.lock().await;
                if guard.is_closed() {
                    return Err(StoreError::new(
                        "PostgresStore: its one connection closed (made with \
                         PostgresStore::new; PostgresStore::connect opens new ones)",
                    ));
                }
                Ok(Conn::One(guard))
            }
        }
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the DSN: it may hold a password.
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// A failure of the database, or a racing insert (`Raced`: step again).
enum Failure {
    Raced,
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Failure::Store(StoreError::new(error))
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

fn row_of(r: &tokio_postgres::Row, at: usize) -> Result<Row, Failure> {
    let state: String = r.try_get(at)?;
    let attempts: i32 = r.try_get(at + 1)?;
    Ok(Row {
        state: state.parse::<State>().map_err(StoreError::new)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        due_at: r.try_get(at + 2)?,
        last_error: r.try_get(at + 3)?,
        updated_at: r.try_get(at + 4)?,
    })
}

fn attempts(row: &Row) -> i32 {
    i32::try_from(row.attempts).unwrap_or(i32::MAX)
}

async fn write(tx: &Transaction<'_>, key: &str, row: &Row) -> Result<(), Failure> {
    tx.execute(
        "UPDATE oneinbox_inbox SET state = $1, attempts = $2, due_at = $3, last_error = $4, \
         updated_at = $5 WHERE key = $6",
        &[
            &row.state.as_str(),
            &attempts(row),
            &row.due_at,
            &row.last_error,
            &row.updated_at,
            &key,
        ],
    )
    .await?;
    Ok(())
}

async fn read(tx: &Transaction<'_>, key: &str) -> Result<Option<Row>, Failure> {
    let sql = format!("SELECT {COLUMNS} FROM oneinbox_inbox WHERE key = $1 FOR UPDATE");
    match tx.query_opt(&sql, &[&key]).await? {
        Some(r) => Ok(Some(row_of(&r, 0)?)),
        None => Ok(None),
    }
}

/// The stored record of `call_id`, locked (`FOR UPDATE`) when `lock`.
async fn record_of(
    tx: &Transaction<'_>,
    call_id: &str,
    lock: bool,
) -> Result<Option<CallRecord>, Failure> {
    let sql = if lock {
        "SELECT record FROM oneinbox_calls WHERE call_id = $1 FOR UPDATE"
    } else {
        "SELECT record FROM oneinbox_calls WHERE call_id = $1"
    };
    match tx.query_opt(sql, &[&call_id]).await? {
        Some(r) => {
            let json: String = r.try_get(0)?;
            Ok(Some(
                CallRecord::from_json(json.as_bytes()).map_err(StoreError::new)?,
            ))
        }
        None => Ok(None),
    }
}

/// The record of a call, changed at `now`: keeps it among the open calls while it is open.
async fn touch(tx: &Transaction<'_>, record: &CallRecord, now: i64) -> Result<(), Failure> {
    let call_id = record.call_id();
    if is_open(record) {
        tx.execute(OPEN, &[&call_id, &now]).await?;
    } else {
        tx.execute(CLOSE, &[&call_id]).await?;
    }
    Ok(())
}

/// Writes a changed record back, with the open calls' index.
async fn write_record(tx: &Transaction<'_>, record: &CallRecord, now: i64) -> Result<(), Failure> {
    tx.execute(
        "UPDATE oneinbox_calls SET record = $1 WHERE call_id = $2",
        &[&record.to_json(), &record.call_id()],
    )
    .await?;
    touch(tx, record, now).await
}

/// Folds `event` into its call's stored record (`stored`: as read, locked) and writes it back,
/// with the open calls' index.
async fn fold(
    tx: &Transaction<'_>,
    event: &KeyedEvent,
    stored: Option<CallRecord>,
    now: i64,
) -> Result<CallRecord, Failure> {
    let call_id = event.call_id();
    let Some(mut record) = stored else {
        let mut record = CallRecord::new(call_id);
        record.apply_keyed(event);
        let inserted = tx
            .execute(
                "INSERT INTO oneinbox_calls (call_id, record) VALUES ($1, $2) \
                 ON CONFLICT (call_id) DO NOTHING",
                &[&call_id, &record.to_json()],
            )
            .await?;
        if inserted != 1 {
            return Err(Failure::Raced);
        }
        touch(tx, &record, now).await?;
        return Ok(record);
    };
    if record.apply_keyed(event).changed {
        write_record(tx, &record, now).await?;
    }
    Ok(record)
}

impl PostgresStore {
    /// Connects to the database at `dsn` (without TLS: a local or private-network server),
    /// with a pool of at most [`DEFAULT_MAX_CONNECTIONS`] connections. The first connection is
    /// opened now, so a wrong DSN fails here; the others when concurrent steps need them.
    pub async fn connect(dsn: &str) -> Result<Self, StoreError> {
        PostgresStore::connect_with(dsn, DEFAULT_MAX_CONNECTIONS).await
    }

    /// [`PostgresStore::connect`] with a pool of at most `max_connections` connections (1:
    /// every step waits for the one before).
    pub async fn connect_with(dsn: &str, max_connections: usize) -> Result<Self, StoreError> {
        let config: Config = dsn.parse().map_err(|_| {
            StoreError::new("cannot connect to PostgreSQL with the store's DSN (not a DSN)")
        })?;
        let pool = deadpool_postgres::Pool::builder(Manager::new(config, NoTls))
            .max_size(max_connections.max(1))
            .build()
            .map_err(|e| StoreError::new(format!("PostgresStore: {e}")))?;
        let store = PostgresStore {
            source: Source::Pool(pool),
            policy: Policy::default(),
            migrated: OnceCell::new(),
        };
        // The first connection now (kept in the pool), so a wrong DSN fails here.
        drop(store.source.get().await?);
        Ok(store)
    }

    /// The store over one connected client: one transaction at a time, and no other
    /// connection opened (if it closes, every step fails).
    pub fn new(client: Client) -> Self {
        PostgresStore {
            source: Source::One(Mutex::new(client)),
            policy: Policy::default(),
            migrated: OnceCell::new(),
        }
    }

    /// The inbox's lease and attempts.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// A connection of the pool, with the tables made on first use.
    async fn ready(&self) -> Result<Conn<'_>, StoreError> {
        let mut conn = self.source.get().await?;
        let client = conn.client();
        self.migrated
            .get_or_try_init(|| async move {
                let tx = client.transaction().await.map_err(StoreError::new)?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                    .await
                    .map_err(StoreError::new)?;
                for statement in schema() {
                    tx.batch_execute(&statement)
                        .await
                        .map_err(StoreError::new)?;
                }
                tx.commit().await.map_err(StoreError::new)
            })
            .await?;
        Ok(conn)
    }

    async fn change(&self, key: &str, input: Input<'_>, now: i64) -> Result<Step, StoreError> {
        let policy = self.policy;
        in_transaction!(self, |tx| {
            let found = read(&tx, key).await?;
            let step = policy.step(found.as_ref(), &input, now);
            if let (Some(new), Some(_)) = (&step.row, &found) {
                write(&tx, key, new).await?;
            }
            Ok(step)
        })
    }
}

impl PostgresStore {
    /// [`Store::arrive`] (`once` false) or [`Store::record`] (`once`), and whether the
    /// delivery is new ([`crate::arrival_step`]).
    async fn arrival(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
        once: bool,
    ) -> Result<(Arrival, bool), StoreError> {
        let policy = self.policy;
        let (key, call_id, name) = (event.key(), event.call_id(), event.name());
        let (step, record, new) = in_transaction!(self, |tx| {
            let found = read(&tx, key).await?;
            // A new delivery: its call's record (locked) says whether reconciliation ran it.
            let stored = match found {
                None => record_of(&tx, call_id, true).await?,
                Some(_) => None,
            };
            let (step, new) =
                arrival_step(&policy, found.as_ref(), stored.as_ref(), event, now, once);
            let record = match (&step.row, &found) {
                (Some(r), None) => {
                    let sql = format!(
                        "INSERT INTO oneinbox_inbox (key, call_id, event, body, {COLUMNS}, \
                                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                                 ON CONFLICT (key) DO NOTHING"
                    );
                    let values: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
                        &key,
                        &call_id,
                        &name,
                        &body,
                        &r.state.as_str(),
                        &attempts(r),
                        &r.due_at,
                        &r.last_error,
                        &r.updated_at,
                        &now,
                    ];
                    if tx.execute(&sql, &values).await? != 1 {
                        return Err(Failure::Raced);
                    }
                    fold(&tx, event, stored, now).await?
                }
                (row, _) => {
                    if let Some(r) = row {
                        write(&tx, key, r).await?;
                    }
                    record_of(&tx, call_id, false)
                        .await?
                        .unwrap_or_else(|| CallRecord::new(call_id))
                }
            };
            Ok((step, record, new))
        })?;
        let delivery = match step.verdict {
            Verdict::Run { attempt } => Some(Delivery {
                key: key.to_owned(),
                call_id: call_id.to_owned(),
                event: name.to_owned(),
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
    }
}

impl Store for PostgresStore {
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
        let input = Input::Finish {
            attempt: delivery.attempt,
            error,
        };
        Ok(self.change(&delivery.key, input, now).await?.verdict)
    }

    async fn release(
        &self,
        delivery: &Delivery,
        reason: &str,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        let input = Input::Release {
            attempt: delivery.attempt,
            reason,
        };
        Ok(self.change(&delivery.key, input, now).await?.verdict)
    }

    async fn due(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        in_transaction!(self, |tx| {
            let rows = tx
                .query(
                    "SELECT key FROM oneinbox_inbox WHERE due_at IS NOT NULL AND due_at <= $1 \
                         ORDER BY due_at, key LIMIT $2",
                    &[&now, &limit],
                )
                .await?;
            let keys: Result<Vec<String>, _> = rows.iter().map(|r| r.try_get(0)).collect();
            Ok(keys?)
        })
    }

    async fn take(&self, key: &str, now: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        let policy = self.policy;
        in_transaction!(self, |tx| {
            let sql = format!(
                    "SELECT call_id, event, body, {COLUMNS} FROM oneinbox_inbox WHERE key = $1 FOR UPDATE"
                );
            let Some(found) = tx.query_opt(&sql, &[&key]).await? else {
                return Ok((policy.step(None, &Input::Claim, now).verdict, None));
            };
            let row = row_of(&found, 3)?;
            let step = policy.step(Some(&row), &Input::Claim, now);
            if let Some(new) = &step.row {
                write(&tx, key, new).await?;
            }
            let Verdict::Run { attempt } = step.verdict else {
                return Ok((step.verdict, None));
            };
            let body: Option<Vec<u8>> = found.try_get(2)?;
            let delivery = Delivery {
                key: key.to_owned(),
                call_id: found.try_get(0)?,
                event: found.try_get(1)?,
                body: Arc::from(body.unwrap_or_default()),
                attempt,
            };
            Ok((step.verdict, Some(delivery)))
        })
    }

    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        in_transaction!(self, |tx| {
            let rows = tx
                .query(
                    "SELECT key, call_id, event, attempts, last_error, updated_at, body \
                         FROM oneinbox_inbox WHERE state = 'dead' ORDER BY updated_at, key",
                    &[],
                )
                .await?;
            let mut letters = Vec::with_capacity(rows.len());
            for r in rows {
                let attempts: i32 = r.try_get(3)?;
                let body: Option<Vec<u8>> = r.try_get(6)?;
                letters.push(DeadLetter {
                    key: r.try_get(0)?,
                    call_id: r.try_get(1)?,
                    event: r.try_get(2)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    last_error: r.try_get(4)?,
                    updated_at: r.try_get(5)?,
                    body: Arc::from(body.unwrap_or_default()),
                });
            }
            Ok(letters)
        })
    }

    async fn replay(&self, key: &str, now: i64) -> Result<Verdict, StoreError> {
        Ok(self.change(key, Input::Replay, now).await?.verdict)
    }

    async fn prune(
        &self,
        older_than_ms: u64,
        include_dead: bool,
        now: i64,
    ) -> Result<usize, StoreError> {
        let before = prune_before(now, older_than_ms);
        in_transaction!(self, |tx| {
            let dropped = tx
                .execute(
                    "DELETE FROM oneinbox_inbox WHERE updated_at <= $1 AND \
                         (state = 'done' OR ($2 AND state = 'dead'))",
                    &[&before, &include_dead],
                )
                .await?;
            Ok(usize::try_from(dropped).unwrap_or(usize::MAX))
        })
    }

    async fn get(&self, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
        in_transaction!(self, |tx| record_of(&tx, call_id, false).await)
    }

    async fn open_calls(
        &self,
        changed_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        in_transaction!(self, |tx| {
            let rows = tx.query(OPEN_CALLS, &[&changed_before_ms, &limit]).await?;
            let mut calls = Vec::with_capacity(rows.len());
            for r in rows {
                calls.push((r.try_get(0)?, r.try_get(1)?));
            }
            Ok(calls)
        })
    }

    async fn apply_call(&self, call: &Call, now: i64) -> Result<Option<CallRecord>, StoreError> {
        in_transaction!(self, |tx| {
            let Some(mut record) = record_of(&tx, &call.id, true).await? else {
                return Ok(None);
            };
            if record.apply_call(call).changed {
                write_record(&tx, &record, now).await?;
            }
            Ok(Some(record))
        })
    }

    async fn settle(&self, call_id: &str) -> Result<(), StoreError> {
        in_transaction!(self, |tx| {
            tx.execute(CLOSE, &[&call_id]).await?;
            Ok(())
        })
    }
}
