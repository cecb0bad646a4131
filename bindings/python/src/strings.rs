//! One shared Python `str` for values that repeat from one event to the next.
//!
//! Making a `str` is a large share of the cost of a small event (the limited API has no cheaper
//! constructor than `PyUnicode_FromStringAndSize`), and many values are the same in every
//! event of an account: the agent id, its phone number, the status, the outcome, a message's
//! role, the keys of `extra` and `extracted_data`. The core marks those fields
//! (`Builder::repeated_str`); for them and for keys, [`Strings`] looks in a small table first,
//! as orjson does for keys and pydantic-core (`cache_strings`) for short strings. Values that
//! are new in every event (call ids, summaries, transcripts) never go through it.
//!
//! The table is direct-mapped: a hash of the text picks one slot, which holds one string; a
//! hit is checked against the full text. A text that misses is kept, in place of the slot's
//! string, only when it missed that slot the last time too, so values that never repeat (a
//! caller's number, say) pass through without evicting the ones that do. The table holds at
//! most [`SLOTS`] strings of at most [`MAX_LEN`] bytes; when it does not help, it costs a hash
//! and the read and write of one 16-byte slot head. Python strings are immutable, so sharing one is only visible to `is`.

use std::hash::Hasher;
use std::sync::{Mutex, MutexGuard, TryLockError};

use pyo3::prelude::*;
use pyo3::types::PyString;
use rustc_hash::FxHasher;

/// Slots in the table.
const SLOTS: usize = 1024;
/// Longer texts are not shared: they are rarely repeated values, and comparing them costs
/// more.
const MAX_LEN: usize = 64;

/// What a lookup reads first, for each slot: the hash of the slot's string (0 when it has
/// none) and the hash of the last text that missed it. Kept apart from the texts so that the
/// heads of all slots (16 KiB) stay in the CPU's cache, and a miss reads nothing else.
#[derive(Clone, Copy)]
struct Head {
    hash: u64,
    missed: u64,
}

/// A slot's string and its text (kept here, so that a lookup reads no Python object).
struct Entry {
    value: Option<Py<PyString>>,
    len: usize,
    text: [u8; MAX_LEN],
}

pub(crate) struct Table {
    heads: Vec<Head>,
    entries: Vec<Entry>,
}

/// The process's table. The module is imported once per process (pyo3 modules refuse
/// subinterpreters), and a static is never dropped, so no string outlives its interpreter.
static TABLE: Mutex<Table> = Mutex::new(Table {
    heads: Vec::new(),
    entries: Vec::new(),
});

/// The table for one parse, locked on first use and held until the parse ends.
///
/// It is taken with `try_lock`: while a parse holds it, Python code can run on the same
/// thread (a finalizer during an allocation) or, between such points, on another one, and a
/// `parse_event` there must not wait for it. Such a parse makes its strings without the table.
pub(crate) enum Strings {
    Untried,
    Held(MutexGuard<'static, Table>),
    Busy,
}

impl Strings {
    /// The `str` of `text`: the shared one when the table holds it, else a new one, which the
    /// table then keeps in place of its slot's previous string.
    pub(crate) fn get<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > MAX_LEN {
            return PyString::new(py, text);
        }
        if let Strings::Untried = self {
            *self = match TABLE.try_lock() {
                Ok(table) => Strings::Held(table),
                // Only a panic inside `get` could poison it, and a slot being written holds
                // no string: the table is still good.
                Err(TryLockError::Poisoned(p)) => Strings::Held(p.into_inner()),
                Err(TryLockError::WouldBlock) => Strings::Busy,
            };
        }
        let Strings::Held(table) = self else {
            return PyString::new(py, text);
        };
        let Table { heads, entries } = &mut **table;
        if heads.is_empty() {
            heads.resize(SLOTS, Head { hash: 0, missed: 0 });
            entries.resize_with(SLOTS, || Entry {
                value: None,
                len: 0,
                text: [0; MAX_LEN],
            });
        }
        let mut hasher = FxHasher::default();
        hasher.write(text.as_bytes());
        let hash = hasher.finish();
        // The remainder is below SLOTS, so it fits a usize.
        let index = usize::try_from(hash % SLOTS as u64).unwrap_or(0);
        let (Some(head), Some(entry)) = (heads.get_mut(index), entries.get_mut(index)) else {
            return PyString::new(py, text);
        };
        if head.hash == hash {
            if let Some(shared) = &entry.value {
                if entry.text.get(..entry.len) == Some(text.as_bytes()) {
                    return shared.bind(py).clone();
                }
            }
        }
        let value = PyString::new(py, text);
        // A text is kept the second time in a row that it misses its slot: a value that is
        // new in every event (a caller's number) then never replaces one that repeats.
        if std::mem::replace(&mut head.missed, hash) != hash {
            return value;
        }
        // Emptied first: a slot holds a string only once its text is written.
        entry.value = None;
        if let Some(dst) = entry.text.get_mut(..text.len()) {
            dst.copy_from_slice(text.as_bytes());
            entry.len = text.len();
            head.hash = hash;
            entry.value = Some(value.clone().unbind());
        }
        value
    }
}
