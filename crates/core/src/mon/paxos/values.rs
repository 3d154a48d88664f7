//! MMonPaxos's `values`: version -> encoded store transaction. A BEGIN or
//! COMMIT carries one, a LAST or share_state a few, in ascending order; a
//! `BTreeMap` allocated a node of eleven slots (about 370 bytes) for the one
//! value of each message sent. A vector of pairs holds it in 32 bytes and
//! keeps the order and the JSON (an object keyed by version) the same.

use crate::mon::Version;
use serde::{Serialize, Serializer};
use std::ops::RangeInclusive;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values(Vec<(Version, Vec<u8>)>);

impl Values {
    pub fn new() -> Self {
        Self::default()
    }
    /// Set `v`'s value (replacing one there, as `BTreeMap::insert`).
    pub fn insert(&mut self, v: Version, value: Vec<u8>) {
        match self.0.binary_search_by_key(&v, |e| e.0) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (v, value)),
        }
    }
    pub fn get(&self, v: &Version) -> Option<&Vec<u8>> {
        let i = self.0.binary_search_by_key(v, |e| e.0).ok()?;
        Some(&self.0[i].1)
    }
    /// (version, value) in ascending version order.
    pub fn iter(&self) -> impl Iterator<Item = (&Version, &Vec<u8>)> {
        self.0.iter().map(|(v, b)| (v, b))
    }
    pub fn keys(&self) -> impl Iterator<Item = &Version> {
        self.0.iter().map(|(v, _)| v)
    }
    pub fn values(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.0.iter().map(|(_, b)| b)
    }
    /// The versions within `r`, ascending.
    pub fn range(&self, r: RangeInclusive<Version>) -> impl Iterator<Item = (&Version, &Vec<u8>)> {
        self.iter().filter(move |(v, _)| r.contains(v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// As the `BTreeMap` it replaces: an object keyed by version.
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
        assert_eq!(v.get(&5), Some(&vec![4, 5]));
        assert_eq!(v.range(4..=9).map(|(k, _)| *k).collect::<Vec<_>>(), [5, 9]);
        assert_eq!(v.len(), 3);
    }
}
