//! A small ordered map in a vector, for the few ranks, timers, links or
//! cookies a monitor or the simulator keys by. It iterates, compares, prints
//! and serializes as a `BTreeMap` does (keys ascending), so traces and digests
//! are the same; but a `BTreeMap` is about 6 kB of wasm per key/value type
//! (insert, remove with its rebalancing, clone of subtrees) and the page links
//! a dozen such types, while this is a binary search and a `Vec` (docs/performance.md,
//! "Transfer"). With a handful of entries it is also no slower.

use serde::{Serialize, Serializer};
use std::fmt;

/// (key, value) pairs in ascending key order, each key once.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

/// `(&K, &V)` of a stored pair (what a `BTreeMap` iterates).
fn pair<K, V>(p: &(K, V)) -> (&K, &V) {
    (&p.0, &p.1)
}

pub type Iter<'a, K, V> = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&(K, V)) -> (&K, &V)>;

impl<K: Ord, V> VecMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|p| p.0.cmp(k))
    }
    /// The value it replaced, if any (as `BTreeMap::insert`).
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }
    /// The value under `k`, inserting `v()` first if there is none (as
    /// `entry(k).or_insert_with(v)`).
    pub fn or_insert_with(&mut self, k: K, v: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, v()));
                i
            }
        };
        &mut self.0[i].1
    }
    /// The value under a key given in a borrowed form (a `&str` for a
    /// `String` key: no key made to look one up).
    pub fn get_mut_by<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let i = self.0.binary_search_by(|p| p.0.borrow().cmp(k)).ok()?;
        Some(&mut self.0[i].1)
    }
    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.0[i].1)
    }
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }
    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }
}

impl<K, V> VecMap<K, V> {
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.0.iter().map(pair as fn(&(K, V)) -> (&K, &V))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.0.iter().map(|p| &p.0)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.0.iter().map(|p| &p.1)
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.0.iter_mut().map(|p| &mut p.1)
    }
    /// Keeps the pairs for which `f` holds, in order (as `BTreeMap::retain`).
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|p| f(&p.0, &mut p.1));
    }
    /// Empty, keeping the buffer.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// `map[&k]`, which panics when `k` is absent (as a `BTreeMap`'s).
impl<K: Ord, V> std::ops::Index<&K> for VecMap<K, V> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("no entry found for key")
    }
}

/// As a `BTreeMap` prints: `{k: v, …}`.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As a `BTreeMap` serializes: a map, keys ascending.
impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    #[test]
    fn it_keeps_each_key_once_in_order_as_a_btree_map_does() {
        let mut m = VecMap::new();
        let mut b = BTreeMap::new();
        for (k, v) in [(3, 'c'), (1, 'a'), (3, 'C'), (2, 'b'), (5, 'e')] {
            assert_eq!(m.insert(k, v), b.insert(k, v));
        }
        assert_eq!(m.remove(&2), b.remove(&2));
        assert_eq!(m.remove(&2), None);
        m.retain(|&k, _| k != 5);
        b.retain(|&k, _| k != 5);
        *m.or_insert_with(4, || 'd') = 'D';
        *b.entry(4).or_insert('d') = 'D';
        assert_eq!(*m.or_insert_with(4, || 'x'), 'D');
        assert!(m.iter().eq(b.iter()));
        assert_eq!(m.keys().next_back(), b.keys().next_back());
        assert_eq!(format!("{m:?}"), format!("{b:?}"));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            (m.get(&1), m.contains_key(&3), m.len()),
            (Some(&'a'), true, 3)
        );
        m.clear();
        assert!(m.is_empty());
    }
}
