//! MMonPaxos's `values`: version -> encoded store transaction. A BEGIN or
//! COMMIT carries one, a LAST or share_state a few, in ascending order; a
//! `BTreeMap` allocated a node of eleven slots (about 370 bytes) for the one
//! value of each message sent, and each peon's copy of a broadcast copied
//! the value. A shared vector of pairs holds it once (a single value in
//! place, without a vector of its own) and keeps the order, the JSON (an
//! object keyed by version) and the Debug form the same. The
//! value itself is shared too: with the proposer's `new_value`, the store
//! transactions that write it (`paxos/<v>`) and the commit notes.

use crate::mon::Version;
use serde::{Serialize, Serializer};
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

/// Shared, and copied on write: a BEGIN or COMMIT is built once and sent to
/// every peon, so its copies share the value instead of each copying it.
/// No allocation while empty (a LEASE, an ACCEPT), one for one value.
/// The same allocation holds the message's rare recovery numbers
/// ([`MMonPaxos::pn_from`](crate::mon::messages::MMonPaxos::pn_from) and
/// `uncommitted_pn`, set on a COLLECT or LAST), so that an MMonPaxos is 56
/// bytes; they are no part of the values' JSON or Debug form.
#[derive(Clone, Default, PartialEq)]
pub struct Values(Option<Arc<Inner>>);

/// Present only while there is a value or a recovery number, so that
/// equal messages compare equal.
#[derive(Clone, PartialEq, Eq)]
struct Inner {
    entries: Entries,
    /// `[pn_from, uncommitted_pn]`, boxed (a LAST's, rare): the
    /// allocation stays in glibc's 64-byte class, as a value alone was.
    recovery: Option<Box<[u64; 2]>>,
}

/// (version, encoded transaction), ascending: the one value of a BEGIN or
/// COMMIT held in place (a vector of one was an allocation more per
/// message), more of them in a vector (empty: only recovery numbers).
/// `Eq`, so equal `Arc`s compare by address first (a broadcast's copies).
#[derive(Clone, PartialEq, Eq)]
enum Entries {
    One([(Version, Arc<[u8]>); 1]),
    Many(Vec<(Version, Arc<[u8]>)>),
}

impl Values {
    pub fn new() -> Self {
        Self::default()
    }
    fn entries(&self) -> &[(Version, Arc<[u8]>)] {
        match self.0.as_deref() {
            None => &[],
            Some(Inner {
                entries: Entries::One(e),
                ..
            }) => e,
            Some(Inner {
                entries: Entries::Many(e),
                ..
            }) => e,
        }
    }
    /// `[pn_from, uncommitted_pn]` of the message that holds these values.
    pub(crate) fn recovery(&self) -> [u64; 2] {
        self.0
            .as_ref()
            .and_then(|i| i.recovery.as_deref().copied())
            .unwrap_or([0; 2])
    }
    /// Set `recovery()[i]`; the allocation goes when nothing is left in it.
    pub(crate) fn set_recovery(&mut self, i: usize, pn: u64) {
        if self.0.is_none() && pn == 0 {
            return;
        }
        let inner = Arc::make_mut(self.0.get_or_insert_with(|| {
            Arc::new(Inner {
                entries: Entries::Many(Vec::new()),
                recovery: None,
            })
        }));
        let mut r = inner.recovery.as_deref().copied().unwrap_or([0; 2]);
        r[i] = pn;
        inner.recovery = (r != [0; 2]).then(|| Box::new(r));
        if inner.recovery.is_none() && matches!(&inner.entries, Entries::Many(e) if e.is_empty()) {
            self.0 = None;
        }
    }
    /// Set `v`'s value (replacing one there, as `BTreeMap::insert`).
    pub fn insert(&mut self, v: Version, value: impl Into<Arc<[u8]>>) {
        let value = value.into();
        let Some(inner) = &mut self.0 else {
            self.0 = Some(Arc::new(Inner {
                entries: Entries::One([(v, value)]),
                recovery: None,
            }));
            return;
        };
        let e = &mut Arc::make_mut(inner).entries;
        if let Entries::Many(m) = e {
            if m.is_empty() {
                *e = Entries::One([(v, value)]);
                return;
            }
        }
        if let Entries::One([one]) = e {
            if one.0 == v {
                one.1 = value;
                return;
            }
            *e = Entries::Many(vec![one.clone()]);
        }
        let Entries::Many(e) = e else { return };
        match e.binary_search_by_key(&v, |e| e.0) {
            Ok(i) => e[i].1 = value,
            Err(i) => e.insert(i, (v, value)),
        }
    }
    pub fn get(&self, v: &Version) -> Option<&Arc<[u8]>> {
        let e = self.entries();
        let i = e.binary_search_by_key(v, |e| e.0).ok()?;
        Some(&e[i].1)
    }
    /// (version, value) in ascending version order.
    pub fn iter(&self) -> impl Iterator<Item = (&Version, &Arc<[u8]>)> {
        self.entries().iter().map(|(v, b)| (v, b))
    }
    pub fn keys(&self) -> impl Iterator<Item = &Version> {
        self.entries().iter().map(|(v, _)| v)
    }
    pub fn values(&self) -> impl Iterator<Item = &Arc<[u8]>> {
        self.entries().iter().map(|(_, b)| b)
    }
    /// The versions within `r`, ascending.
    pub fn range(
        &self,
        r: RangeInclusive<Version>,
    ) -> impl Iterator<Item = (&Version, &Arc<[u8]>)> {
        self.iter().filter(move |(v, _)| r.contains(v))
    }
    pub fn len(&self) -> usize {
        self.entries().len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}

/// As the `BTreeMap` it replaced printed itself.
impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As the `BTreeMap` it replaced: an object keyed by version.
impl Serialize for Values {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::Values;
    use std::collections::BTreeMap;

    #[test]
    fn values_keep_version_order_and_serialize_as_the_map_did() {
        let mut v = Values::new();
        let mut m = BTreeMap::new();
        for (k, b) in [
            (5u64, vec![1u8]),
            (3, vec![2]),
            (9, vec![]),
            (5, vec![4, 5]),
        ] {
            v.insert(k, b.clone());
            m.insert(k, b);
        }
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
        assert_eq!(v.keys().copied().collect::<Vec<_>>(), [3, 5, 9]);
        assert_eq!(v.get(&5).map(|b| &b[..]), Some(&[4u8, 5][..]));
        assert_eq!(v.range(4..=9).map(|(k, _)| *k).collect::<Vec<_>>(), [5, 9]);
        assert_eq!(v.len(), 3);
        assert_eq!(format!("{v:?}"), format!("{m:?}"));
        let shared = v.clone();
        v.insert(1, vec![7]);
        assert_eq!(shared.len(), 3, "a copy keeps what it had");
        assert_eq!(Values::new(), Values::default());
    }

    #[test]
    fn one_value_is_replaced_and_grows_as_the_map_did() {
        let mut v = Values::new();
        v.insert(7, vec![1u8]);
        let shared = v.clone();
        v.insert(7, vec![2u8]);
        assert_eq!(v.get(&7).map(|b| &b[..]), Some(&[2u8][..]));
        assert_eq!(shared.get(&7).map(|b| &b[..]), Some(&[1u8][..]));
        v.insert(6, vec![3u8]);
        assert_eq!(v.keys().copied().collect::<Vec<_>>(), [6, 7]);
        assert_eq!(format!("{v:?}"), "{6: [3], 7: [2]}");
        assert_ne!(v, shared);
    }
}
