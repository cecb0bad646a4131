//! What the SQL stores share: the tables of the Python and Node stores (`_sql.py`, `sql.js`),
//! in each database's types, and the statements of the open calls' index
//! (`oneinbox_open_calls`). Parameters are written `$n`, which SQLite reads too.

/// The statements that make the tables and indexes (`IF NOT EXISTS`), with `blob` and `bigint`
/// the database's binary and 64-bit integer types.
pub(crate) fn schema(blob: &str, bigint: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS oneinbox_inbox (
    key TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body {blob},
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    due_at {bigint},
    last_error TEXT,
    created_at {bigint} NOT NULL,
    updated_at {bigint} NOT NULL
)"
        ),
        "CREATE INDEX IF NOT EXISTS oneinbox_inbox_due ON oneinbox_inbox (due_at) \
         WHERE due_at IS NOT NULL"
            .to_owned(),
        "CREATE INDEX IF NOT EXISTS oneinbox_inbox_dead ON oneinbox_inbox (updated_at) \
         WHERE state = 'dead'"
            .to_owned(),
        "CREATE INDEX IF NOT EXISTS oneinbox_inbox_done ON oneinbox_inbox (updated_at) \
         WHERE state = 'done'"
            .to_owned(),
        "CREATE TABLE IF NOT EXISTS oneinbox_calls (
    call_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
)"
        .to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS oneinbox_open_calls (
    call_id TEXT PRIMARY KEY,
    changed_at {bigint} NOT NULL
)"
        ),
        "CREATE INDEX IF NOT EXISTS oneinbox_open_calls_changed ON oneinbox_open_calls \
         (changed_at)"
            .to_owned(),
    ]
}

/// Lists a call among the open calls, changed at `$2` (`?2`).
pub(crate) const OPEN: &str = "INSERT INTO oneinbox_open_calls (call_id, changed_at) \
     VALUES ($1, $2) ON CONFLICT (call_id) DO UPDATE SET changed_at = excluded.changed_at";

/// Drops a call from the open calls.
pub(crate) const CLOSE: &str = "DELETE FROM oneinbox_open_calls WHERE call_id = $1";

/// The open calls changed at or before `$1`, the oldest change first, at most `$2`.
pub(crate) const OPEN_CALLS: &str = "SELECT call_id, changed_at FROM oneinbox_open_calls \
     WHERE changed_at <= $1 ORDER BY changed_at, call_id LIMIT $2";

/// The columns of the inbox row, in the order every statement reads them.
pub(crate) const COLUMNS: &str = "state, attempts, due_at, last_error, updated_at";
