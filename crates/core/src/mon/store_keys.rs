//! One prefix's keys in a monitor's store ([`super::store::MonitorDBStore`]).
//!
//! Most of what a paxos round writes is versions: `paxos/13` at BEGIN and at
//! COMMIT on every monitor, `kv/13` when the kv service's increment is
//! applied, and their trimming erases the oldest in batches. A prefix's
//! live versions are consecutive numbers, so each is kept in the slot its
//! number selects (no hashing, no key comparison, the newest next to each
//! other in memory: a hashed lookup into a table of hundreds of versions
//! missed the cache, and was a sixth of the benchmark's cycles); every
//! other key is found by hash. Only the place a key is kept differs: what
//! is stored, read, listed and compared is the same (Ceph's keys are
//! strings, and a version is its number in decimal,
//! `MonitorDBStore::combine_strings`).
//!
//! The slots are a plain table indexed by the number's low bits, not a
//! window that slides: the same code in the page, where a window's
//! `VecDeque` made the wasm 1.9 kB larger gzipped (docs/performance.md,
//! "Thirteenth round, wasm against native").

use super::small::{SmallBytes, SmallStr};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

type Key = SmallStr;

/// Keys found by hash: a prefix's named keys, and versions whose slot
/// another version holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Named(HashMap<Key, SmallBytes, BuildHasherDefault<WordHash>>);

/// The most slots a prefix's table grows to (versions this many apart and
/// more are kept by hash).
const MAX_SLOTS: usize = 4096;

/// A prefix's keys: its versions in slots, the rest by hash.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    named: Named,
    /// Version `v` in slot `v % slots.len()` (a power of two), with its
    /// number, or in `named` if another version held its slot when it was
    /// written.
    slots: Vec<Option<(u64, Key, SmallBytes)>>,
    /// Filled slots.
    filled: usize,
    /// Versions kept in `named`; while there are any, new versions go
    /// there too, so a number is never in both places.
    strays: usize,
}

/// `key`'s number when it is a version's key: decimal digits without a
/// leading zero (`"0"` itself is one), at most 19 of them so that it fits;
/// anything else (`"007"`, `"full_13"`, `"last_committed"`) is a name.
#[inline]
fn version_of(key: &str) -> Option<u64> {
    let b = key.as_bytes();
    match b.first() {
        Some(b'1'..=b'9') if b.len() <= 19 => {}
        Some(b'0') if b.len() == 1 => return Some(0),
        _ => return None,
    }
    let mut v = 0u64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    Some(v)
}

impl Keys {
    /// Version `v`'s slot (any slot, if there are none: out of range).
    #[inline]
    fn at(&self, v: u64) -> usize {
        v as usize & self.slots.len().wrapping_sub(1)
    }

    pub fn get(&self, key: &str) -> Option<&SmallBytes> {
        if let Some(v) = version_of(key) {
            if let Some(Some((n, _, value))) = self.slots.get(self.at(v)) {
                if *n == v {
                    return Some(value);
                }
            }
            if self.strays == 0 {
                return None;
            }
        }
        self.named.0.get(key)
    }

    /// Put `key` = `value` (copied inline or shared, never allocated); an
    /// existing key is kept (overwrites are the common case).
    pub fn insert(&mut self, key: &Key, value: &SmallBytes) {
        let version = version_of(key);
        if let Some(v) = version {
            if self.put_slot(v, key, value) {
                return;
            }
        }
        match self.named.0.entry(key.clone()) {
            Entry::Occupied(e) => *e.into_mut() = value.clone(),
            Entry::Vacant(e) => {
                e.insert(value.clone());
                if version.is_some() {
                    self.strays += 1;
                }
            }
        }
    }

    /// Put version `v` in its slot, the table grown if another holds it;
    /// false if it belongs in `named` (a stray).
    fn put_slot(&mut self, v: u64, key: &Key, value: &SmallBytes) -> bool {
        loop {
            let i = self.at(v);
            let room = self.strays == 0 && self.slots.len() < MAX_SLOTS;
            match self.slots.get_mut(i) {
                Some(Some((n, _, old))) if *n == v => {
                    *old = value.clone();
                    return true;
                }
                Some(empty @ None) if self.strays == 0 => {
                    *empty = Some((v, key.clone(), value.clone()));
                    self.filled += 1;
                    return true;
                }
                _ if room => self.grow(),
                _ => return false,
            }
        }
    }

    /// Twice the slots (at least 64): a version in slot `i` of `n` moves to
    /// `i` or `i + n` of `2n`, which was free.
    fn grow(&mut self) {
        let n = self.slots.len();
        self.slots.resize_with((n * 2).max(64), || None);
        for i in 0..n {
            if let Some((v, _, _)) = self.slots[i] {
                if self.at(v) != i {
                    self.slots.swap(i, i + n);
                }
            }
        }
    }

    pub fn remove(&mut self, key: &str) {
        let version = version_of(key);
        if let Some(v) = version {
            let i = self.at(v);
            if let Some(slot) = self.slots.get_mut(i) {
                if slot.as_ref().is_some_and(|(n, _, _)| *n == v) {
                    *slot = None;
                    self.filled -= 1;
                    return;
                }
            }
            if self.strays == 0 {
                return;
            }
        }
        if self.named.0.remove(key).is_some() && version.is_some() {
            self.strays -= 1;
        }
    }

    pub fn len(&self) -> usize {
        self.named.0.len() + self.filled
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (key, value), in no particular order (readers sort).
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &SmallBytes)> {
        self.named.0.iter().chain(
            self.slots
                .iter()
                .filter_map(|s| s.as_ref().map(|(_, k, v)| (k, v))),
        )
    }
}

/// Equal contents, wherever each key is kept.
impl PartialEq for Keys {
    fn eq(&self, o: &Self) -> bool {
        self.len() == o.len() && self.iter().all(|(k, v)| o.get(k) == Some(v))
    }
}
impl Eq for Keys {}

/// A multiply-rotate hash over eight bytes at a time (rustc's FxHasher's
/// scheme). Every paxos round looks up and writes a few dozen keys per
/// monitor (`last_committed`, `pending_v`, ...): hashing them a byte at a
/// time (FNV-1a) was most of a store lookup's instructions. A fixed hasher,
/// not std's randomly seeded one: the core draws no randomness, and nothing
/// reads the map's order anyway.
#[derive(Default)]
struct WordHash(u64);

const SEED: u64 = 0xf135_7aea_2e62_a9c5;

impl WordHash {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(SEED).rotate_left(26);
    }
}

impl Hasher for WordHash {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length too, so "a" and "a\0" differ.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.add(b as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &mut Keys, key: &str, v: u8) {
        k.insert(&SmallStr::new(key), &SmallBytes::new(&[v]));
    }
    fn all(k: &Keys) -> Vec<(String, u8)> {
        let mut v: Vec<(String, u8)> = k.iter().map(|(k, v)| (k.to_string(), v[0])).collect();
        v.sort();
        v
    }

    #[test]
    fn only_canonical_decimal_keys_are_versions() {
        assert_eq!(version_of("0"), Some(0));
        assert_eq!(version_of("13"), Some(13));
        assert_eq!(
            version_of("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        for name in [
            "",
            "00",
            "013",
            "1a",
            "full_13",
            "last_committed",
            "-1",
            "18446744073709551615",
        ] {
            assert_eq!(version_of(name), None, "{name}");
        }
    }

    #[test]
    fn versions_near_and_far_names_and_strays_read_back_as_written() {
        let mut k = Keys::default();
        for v in 10..20 {
            put(&mut k, &v.to_string(), v as u8);
        }
        put(&mut k, "last_committed", 1);
        put(&mut k, "013", 2); // a name that looks like a number
        put(&mut k, "4106", 3); // 4096 from "10": the same slot in any table, so kept by hash
        put(&mut k, "5", 4); // a free slot, but while a stray is kept by hash: so is it
        put(&mut k, "12", 5); // overwritten
        assert_eq!(k.slots.len(), MAX_SLOTS);
        assert_eq!((k.len(), k.strays), (14, 2));
        assert_eq!(k.get("12").map(|v| v[0]), Some(5));
        assert_eq!(k.get("4106").map(|v| v[0]), Some(3));
        assert_eq!(k.get("013").map(|v| v[0]), Some(2));
        assert_eq!(k.get("13").map(|v| v[0]), Some(13));
        assert_eq!(k.get("6"), None);
        assert_eq!(k.get("999"), None);
        put(&mut k, "21", 6);
        assert_eq!(k.get("21").map(|v| v[0]), Some(6));
        // Trimming the oldest, as maybe_trim does, and the strays.
        for v in [5, 10, 11, 12, 4106, 21] {
            k.remove(&v.to_string());
        }
        k.remove("4106");
        assert_eq!(k.strays, 0);
        assert_eq!(k.get("5"), None);
        assert_eq!(k.get("4106"), None);
        assert_eq!(
            all(&k),
            [
                ("013".to_string(), 2),
                ("13".to_string(), 13),
                ("14".to_string(), 14),
                ("15".to_string(), 15),
                ("16".to_string(), 16),
                ("17".to_string(), 17),
                ("18".to_string(), 18),
                ("19".to_string(), 19),
                ("last_committed".to_string(), 1),
            ]
        );
        // The same contents kept another way compare equal.
        let mut other = Keys::default();
        for (key, v) in all(&k).into_iter().rev() {
            put(&mut other, &key, v);
        }
        assert_eq!(other, k);
        put(&mut other, "13", 0);
        assert_ne!(other, k);
        for v in 13..20 {
            k.remove(&v.to_string());
        }
        k.remove("013");
        k.remove("last_committed");
        assert!(k.is_empty());
        // With no strays left, new versions take their slots again.
        put(&mut k, "500", 7);
        assert_eq!(all(&k), [("500".to_string(), 7)]);
        assert_eq!((k.filled, k.strays), (1, 0));
    }

    #[test]
    fn the_slots_grow_with_the_live_versions_and_keep_them() {
        let mut k = Keys::default();
        // A paxos prefix's life: versions written in order, the oldest
        // trimmed in batches, about 750 kept.
        for v in 1..3000u64 {
            put(&mut k, &v.to_string(), v as u8);
            if v % 50 == 0 && v > 750 {
                for old in v - 800..v - 750 {
                    k.remove(&old.to_string());
                }
            }
        }
        assert_eq!(k.strays, 0);
        assert_eq!(k.slots.len(), 1024);
        let live: Vec<u64> = (1..3000).filter(|v| k.get(&v.to_string()).is_some()).collect();
        assert!(live.iter().copied().eq(2200..3000));
        assert!(live.iter().all(|v| k.get(&v.to_string()) == Some(&SmallBytes::new(&[*v as u8]))));
        assert_eq!(k.len(), live.len());
    }
}
