//! [`RedisStore`]: the inbox and the call records over Redis, with the keys, values and scripts
//! of the Python and Node `RedisStore`s, so that workers in the three languages share one
//! server (see [`oneinbox_webhooks::inbox::redis`] for the layout).
//!
//! Each change reads the delivery's hash (and, for a new delivery, its call's hash), asks the
//! core's [`Policy::step`] and writes with the core's compare-and-set script; when another
//! worker wrote in between, it reads again. As in Python and Node, a new delivery whose event
//! reconciliation already ran ([`CallRecord::covers`]) is written done without running
//! ([`Input::Covered`]), and every change of a record keeps the open calls' set
//! `{prefix}open` (the script's sixth key; [`inbox::redis::RECORD`] for a snapshot).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use oneinbox_webhooks::inbox::{self, prune_before, Input, Policy, Row, State, Step, Verdict};
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile::is_open;
use oneinbox_webhooks::{CallRecord, KeyedEvent};
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Script};

use crate::{arrival_step, Arrival, DeadLetter, Delivery, Recorded, Store, StoreError};

/// The prefix of every key unless told otherwise (as in Python and Node).
pub const DEFAULT_PREFIX: &str = "oneinbox:";

/// How many times a change is tried when other workers keep writing in between.
const TRIES: usize = 50;

type Fields = HashMap<String, Vec<u8>>;

/// The store over one Redis server (or a compatible one, such as Valkey).
///
/// ```no_run
/// use oneinbox_webhooks_stores::redis::RedisStore;
/// use oneinbox_webhooks_stores::{drain, now_ms};
///
/// # async fn f(handlers: oneinbox_webhooks_stores::Handlers) -> Result<(), oneinbox_webhooks_stores::StoreError> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/0").await?; // prefix "oneinbox:", as in Python and Node
/// let report = drain(&store, &handlers, now_ms(), 100).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: MultiplexedConnection,
    prefix: String,
    policy: Policy,
    ttl_seconds: Option<u64>,
    write: Arc<Script>,
    record: Arc<Script>,
    prune: Arc<Script>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

fn failed(error: redis::RedisError) -> StoreError {
    StoreError::new(error)
}

fn text(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

fn number<T: std::str::FromStr>(fields: &Fields, name: &str) -> Result<T, StoreError> {
    text(fields, name)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| StoreError::new(format!("RedisStore: the field {name} is not a number")))
}

fn row(fields: &Fields) -> Result<Option<Row>, StoreError> {
    let Some(state) = text(fields, "state") else {
        return Ok(None);
    };
    Ok(Some(Row {
        state: state.parse::<State>().map_err(StoreError::new)?,
        attempts: number(fields, "attempts")?,
        due_at: match fields.contains_key("due_at") {
            true => Some(number(fields, "due_at")?),
            false => None,
        },
        last_error: text(fields, "last_error"),
        updated_at: number(fields, "updated_at")?,
    }))
}

fn blank<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

fn record_of(stored: &Fields, call_id: &str) -> Result<CallRecord, StoreError> {
    match stored.get("record") {
        Some(json) => CallRecord::from_json(json).map_err(StoreError::new),
        None => Ok(CallRecord::new(call_id)),
    }
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://host:port/db`), with the default prefix,
    /// policy and no expiry of call records.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(failed)?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(failed)?;
        Ok(RedisStore::new(conn))
    }

    /// The store over an open connection.
    pub fn new(conn: MultiplexedConnection) -> Self {
        RedisStore {
            conn,
            prefix: DEFAULT_PREFIX.to_owned(),
            policy: Policy::default(),
            ttl_seconds: None,
            write: Arc::new(Script::new(inbox::redis::WRITE)),
            record: Arc::new(Script::new(inbox::redis::RECORD)),
            prune: Arc::new(Script::new(inbox::redis::PRUNE)),
        }
    }

    /// Keys start with `prefix` (share it with the Python and Node stores of the same app).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The inbox's lease and attempts.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Call records expire `seconds` after their last change.
    pub fn with_ttl_seconds(mut self, seconds: Option<u64>) -> Self {
        self.ttl_seconds = seconds;
        self
    }

    fn delivery_key(&self, key: &str) -> String {
        format!("{}d:{key}", self.prefix)
    }

    fn record_key(&self, call_id: &str) -> String {
        format!("{}r:{call_id}", self.prefix)
    }

    fn set(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn hash(&self, key: &str) -> Result<Fields, StoreError> {
        self.conn.clone().hgetall(key).await.map_err(failed)
    }

    /// The core's compare-and-set write; whether it was written. `record`: the call's hash,
    /// its version as read, the record's JSON (`""`: unchanged), the open flag ([`open_flag`])
    /// and the call id.
    async fn write(
        &self,
        key: &str,
        version: &str,
        row: &Row,
        new: Option<(&str, &str, &[u8])>,
        record: Option<(&str, &str, &str, &str, &str)>,
    ) -> Result<bool, StoreError> {
        let mut invocation = self.write.prepare_invoke();
        invocation
            .key(self.delivery_key(key))
            .key(self.set("due"))
            .key(self.set("dead"))
            .key(self.set("done"));
        let (call_id, event, body) = new.unwrap_or(("", "", b""));
        invocation
            .arg(version)
            .arg(row.state.as_str())
            .arg(row.attempts)
            .arg(blank(row.due_at))
            .arg(row.last_error.as_deref().unwrap_or(""))
            .arg(row.updated_at)
            .arg(key)
            .arg(call_id)
            .arg(event)
            .arg(body);
        if let Some((record_key, record_version, text, open, call_id)) = record {
            invocation
                .key(record_key)
                .key(self.set("open"))
                .arg(record_version)
                .arg(text)
                .arg(blank(self.ttl_seconds))
                .arg(open)
                .arg(call_id);
        }
        let written: i64 = invocation
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(failed)?;
        Ok(written == 1)
    }

    /// One step on the row of `key`; the step and the delivery's hash as read.
    async fn change(
        &self,
        key: &str,
        input: Input<'_>,
        now: i64,
    ) -> Result<(Step, Fields), StoreError> {
        for _ in 0..TRIES {
            let fields = self.hash(&self.delivery_key(key)).await?;
            let version = text(&fields, "v").unwrap_or_default();
            let step = self.policy.step(row(&fields)?.as_ref(), &input, now);
            match &step.row {
                Some(new) if !fields.is_empty() => {
                    if self.write(key, &version, new, None, None).await? {
                        return Ok((step, fields));
                    }
                }
                _ => return Ok((step, fields)),
            }
        }
        Err(busy())
    }
}

/// Whether a write lists the call as open (`"1"`), drops it (`"0"`) or leaves it (`""`: the
/// record did not change), as the Python and Node stores write it.
fn open_flag(changed: bool, record: &CallRecord) -> &'static str {
    match (changed, is_open(record)) {
        (false, _) => "",
        (true, true) => "1",
        (true, false) => "0",
    }
}

fn busy() -> StoreError {
    StoreError::new(format!(
        "RedisStore: {TRIES} concurrent writers in a row on one delivery"
    ))
}

impl RedisStore {
    /// [`Store::arrive`] (`once` false) or [`Store::record`] (`once`), and whether the
    /// delivery is new ([`crate::arrival_step`]).
    async fn arrival(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
        once: bool,
    ) -> Result<(Arrival, bool), StoreError> {
        let (key, call_id) = (event.key(), event.call_id());
        let record_key = self.record_key(call_id);
        for _ in 0..TRIES {
            let fields = self.hash(&self.delivery_key(key)).await?;
            let version = text(&fields, "v").unwrap_or_default();
            let stored = self.hash(&record_key).await?;
            let record_version = text(&stored, "v").unwrap_or_default();
            let mut record = record_of(&stored, call_id)?;
            let current = row(&fields)?;
            // A new delivery of an event that reconciliation already ran: a repeat, folded in.
            let (step, new) = arrival_step(
                &self.policy,
                current.as_ref(),
                Some(&record),
                event,
                now,
                once,
            );
            let written = match (&step.row, &current) {
                (Some(new), None) => {
                    let changed = record.apply_keyed(event).changed;
                    let text = match changed {
                        true => record.to_json(),
                        false => String::new(),
                    };
                    let delivery = (call_id, event.name(), body);
                    let folded = (
                        record_key.as_str(),
                        record_version.as_str(),
                        text.as_str(),
                        open_flag(changed, &record),
                        call_id,
                    );
                    self.write(key, &version, new, Some(delivery), Some(folded))
                        .await?
                }
                (Some(new), Some(_)) => self.write(key, &version, new, None, None).await?,
                (None, _) => true,
            };
            if written {
                let delivery = match step.verdict {
                    Verdict::Run { attempt } => Some(Delivery {
                        key: key.to_owned(),
                        call_id: call_id.to_owned(),
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
                return Ok((arrival, new));
            }
        }
        Err(busy())
    }
}

impl Store for RedisStore {
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
        Ok(self.change(&delivery.key, input, now).await?.0.verdict)
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
        Ok(self.change(&delivery.key, input, now).await?.0.verdict)
    }

    async fn due(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = isize::try_from(limit).unwrap_or(isize::MAX);
        self.conn
            .clone()
            .zrangebyscore_limit(self.set("due"), "-inf", now, 0, limit)
            .await
            .map_err(failed)
    }

    async fn take(&self, key: &str, now: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        let (step, fields) = self.change(key, Input::Claim, now).await?;
        let Verdict::Run { attempt } = step.verdict else {
            return Ok((step.verdict, None));
        };
        let delivery = Delivery {
            key: key.to_owned(),
            call_id: text(&fields, "call_id").unwrap_or_default(),
            event: text(&fields, "event").unwrap_or_default(),
            body: Arc::from(fields.get("body").map_or(&[][..], Vec::as_slice)),
            attempt,
        };
        Ok((step.verdict, Some(delivery)))
    }

    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let keys: Vec<String> = self
            .conn
            .clone()
            .zrange(self.set("dead"), 0, -1)
            .await
            .map_err(failed)?;
        let mut letters = Vec::new();
        for key in keys {
            let fields = self.hash(&self.delivery_key(&key)).await?;
            let Some(row) = row(&fields)?.filter(|r| r.state == State::Dead) else {
                continue; // replayed or pruned meanwhile
            };
            letters.push(DeadLetter {
                call_id: text(&fields, "call_id").unwrap_or_default(),
                event: text(&fields, "event").unwrap_or_default(),
                attempts: row.attempts,
                last_error: row.last_error,
                updated_at: row.updated_at,
                body: Arc::from(fields.get("body").map_or(&[][..], Vec::as_slice)),
                key,
            });
        }
        Ok(letters)
    }

    async fn replay(&self, key: &str, now: i64) -> Result<Verdict, StoreError> {
        Ok(self.change(key, Input::Replay, now).await?.0.verdict)
    }

    async fn prune(
        &self,
        older_than_ms: u64,
        include_dead: bool,
        now: i64,
    ) -> Result<usize, StoreError> {
        let dropped: i64 = self
            .prune
            .key(self.set("done"))
            .key(self.set("dead"))
            .arg(prune_before(now, older_than_ms))
            .arg(if include_dead { "1" } else { "0" })
            .arg(&self.prefix)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(failed)?;
        Ok(usize::try_from(dropped).unwrap_or(0))
    }

    async fn get(&self, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
        let stored = self.hash(&self.record_key(call_id)).await?;
        match stored.get("record") {
            Some(json) => CallRecord::from_json(json)
                .map(Some)
                .map_err(StoreError::new),
            None => Ok(None),
        }
    }

    async fn open_calls(
        &self,
        changed_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let limit = isize::try_from(limit).unwrap_or(isize::MAX);
        self.conn
            .clone()
            .zrangebyscore_limit_withscores(self.set("open"), "-inf", changed_before_ms, 0, limit)
            .await
            .map_err(failed)
    }

    async fn apply_call(&self, call: &Call, now: i64) -> Result<Option<CallRecord>, StoreError> {
        let record_key = self.record_key(&call.id);
        for _ in 0..TRIES {
            let stored = self.hash(&record_key).await?;
            let Some(json) = stored.get("record") else {
                return Ok(None);
            };
            let mut record = CallRecord::from_json(json).map_err(StoreError::new)?;
            if !record.apply_call(call).changed {
                return Ok(Some(record));
            }
            let written: i64 = self
                .record
                .key(&record_key)
                .key(self.set("open"))
                .arg(text(&stored, "v").unwrap_or_default())
                .arg(record.to_json())
                .arg(blank(self.ttl_seconds))
                .arg(open_flag(true, &record))
                .arg(&call.id)
                .arg(now)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(failed)?;
            if written == 1 {
                return Ok(Some(record));
            }
        }
        Err(StoreError::new(format!(
            "RedisStore: {TRIES} concurrent writers in a row on one record"
        )))
    }

    async fn settle(&self, call_id: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .conn
            .clone()
            .zrem(self.set("open"), call_id)
            .await
            .map_err(failed)?;
        Ok(())
    }
}
