//! [`EventsSeen`]: the names of the events a record applied.

use std::collections::BTreeSet;
use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};
use smallvec::SmallVec;

use crate::contract::Kind;

/// The names of the events a [`CallRecord`](super::CallRecord) applied (unknown events
/// included), a set read in code point order. The seven documented names are kept as bits,
/// so a record that saw only them holds no string for them.
///
/// ```
/// use oneinbox_webhooks::{parse_event, CallRecord};
///
/// let mut record = CallRecord::new("call_1");
/// record.apply(&parse_event(br#"{"event":"call.transferred","call_id":"call_1"}"#)?);
/// record.apply(&parse_event(br#"{"event":"call.ended","call_id":"call_1"}"#)?);
/// let seen = record.events_seen();
/// assert!(seen.contains("call.ended") && !seen.contains("call.started"));
/// assert_eq!(seen.iter().collect::<Vec<_>>(), ["call.ended", "call.transferred"]);
/// assert_eq!(seen.len(), 2);
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct EventsSeen {
    /// Bit `i` for `Kind::ALL[i]`.
    known: u8,
    /// The other names.
    other: BTreeSet<String>,
}

// Every documented event has a bit.
const _: () = assert!(Kind::ALL.len() <= 8);

impl EventsSeen {
    /// The bit of a documented name.
    fn bit(name: &str) -> Option<u8> {
        let kind = Kind::from_name(name)?;
        let at = Kind::ALL.iter().position(|k| *k == kind)?;
        Some(1 << at)
    }

    /// Adds `name`: whether it was not there yet.
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        match Self::bit(name) {
            Some(bit) => {
                let new = self.known & bit == 0;
                self.known |= bit;
                new
            }
            None => !self.other.contains(name) && self.other.insert(name.to_owned()),
        }
    }

    /// Whether the event `name` was applied.
    pub fn contains(&self, name: &str) -> bool {
        match Self::bit(name) {
            Some(bit) => self.known & bit != 0,
            None => self.other.contains(name),
        }
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.known.count_ones() as usize + self.other.len()
    }

    /// Whether no event was applied.
    pub fn is_empty(&self) -> bool {
        self.known == 0 && self.other.is_empty()
    }

    /// The names, in code point order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + '_ {
        self.names().into_iter()
    }

    /// The names, sorted.
    fn names(&self) -> SmallVec<[&str; 8]> {
        let mut names: SmallVec<[&str; 8]> = Kind::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| self.known & (1 << i) != 0)
            .map(|(_, kind)| kind.name())
            .chain(self.other.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names
    }
}

impl<'a> IntoIterator for &'a EventsSeen {
    type Item = &'a str;
    type IntoIter = smallvec::IntoIter<[&'a str; 8]>;

    /// [`EventsSeen::iter`].
    fn into_iter(self) -> Self::IntoIter {
        self.names().into_iter()
    }
}

impl FromIterator<String> for EventsSeen {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> Self {
        let mut seen = EventsSeen::default();
        for name in names {
            match Self::bit(&name) {
                Some(bit) => seen.known |= bit,
                None => {
                    seen.other.insert(name);
                }
            }
        }
        seen
    }
}

/// As a set of strings.
impl fmt::Debug for EventsSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// As a JSON array of the names, in code point order.
impl Serialize for EventsSeen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for name in self.iter() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_in_code_point_order_whatever_the_names() {
        let names = [
            "transcript.partial",
            "call.zzz",
            "call.ended",
            "",
            "call.ended.x",
            "call.analyzed",
            "\u{e9}",
            "transcript.final",
            "call.recording.available",
            "call.failed",
            "call.started",
        ];
        let mut seen = EventsSeen::default();
        for name in names {
            assert!(seen.insert(name), "{name}");
            assert!(!seen.insert(name), "{name}");
            assert!(seen.contains(name), "{name}");
        }
        let expected: BTreeSet<&str> = names.into_iter().collect();
        assert!(seen.iter().eq(expected.iter().copied()));
        assert!((&seen).into_iter().rev().eq(expected.iter().rev().copied()));
        assert_eq!(seen.iter().len(), names.len());
        assert_eq!(seen.len(), names.len());
        assert_eq!(
            seen,
            names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<EventsSeen>()
        );
        assert_eq!(
            serde_json::to_value(&seen).unwrap(),
            serde_json::to_value(&expected).unwrap()
        );
        assert_eq!(format!("{seen:?}"), format!("{expected:?}"));
        assert!(!seen.contains("call.Ended") && EventsSeen::default().is_empty());
    }
}
