//! One shared Python `str` for values that repeat from one event to the next.
//!
//! Making a `str` is most of the cost of a small event (the limited API has no cheaper
//! constructor than `PyUnicode_FromStringAndSize`), and many values are the same in every
//! event of an account: the agent id, its phone number, the status, the outcome, a message's
//! role, the keys of `extra` and `extracted_data`. The core marks those fields
//! (`Builder::repeated_str`); for them and for keys, [`Strings`] looks in a small table first,
//! as orjson does for keys and pydantic-core (`cache_strings`) for short strings. Values that
//! are new in every event (call ids, summaries, transcripts) never go through it.
//!
//! The table is direct-mapped: a hash of the text picks one slot, which holds the last string
//! that landed there; a hit is checked against the full text, a miss replaces the slot. So it
//! holds at most [`SLOTS`] strings of at most [`MAX_LEN`] bytes, and costs a hash and a
//! comparison when it does not help. Python strings are immutable, so sharing one is only
//! visible to `is`.

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

struct Slot {
    text: Box<str>,
    value: Py<PyString>,
}

pub(crate) struct Table {
    slots: Vec<Option<Slot>>,
}

/// The process's table. The module is imported once per process (pyo3 modules refuse
/// subinterpreters), and a static is never dropped, so no string outlives its interpreter.
static TABLE: Mutex<Table> = Mutex::new(Table { slots: Vec::new() });

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
                // Only a panic inside `get` could poison it, and every slot is whole at any
                // point: the table is still good.
                Err(TryLockError::Poisoned(p)) => Strings::Held(p.into_inner()),
                Err(TryLockError::WouldBlock) => Strings::Busy,
            };
        }
        let Strings::Held(table) = self else {
            return PyString::new(py, text);
        };
        if table.slots.is_empty() {
            table.slots.resize_with(SLOTS, || None);
        }
        let mut hasher = FxHasher::default();
        hasher.write(text.as_bytes());
        // The remainder is below SLOTS, so it fits a usize.
        let index = usize::try_from(hasher.finish() % SLOTS as u64).unwrap_or(0);
        let Some(slot) = table.slots.get_mut(index) else {
            return PyString::new(py, text);
        };
        if let Some(shared) = slot {
            if *shared.text == *text {
                return shared.value.bind(py).clone();
            }
        }
        let value = PyString::new(py, text);
        *slot = Some(Slot {
            text: text.into(),
            value: value.clone().unbind(),
        });
        value
    }
}
