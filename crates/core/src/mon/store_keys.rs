//! One prefix's keys in a monitor's store ([`super::store::MonitorDBStore`]).
//!
//! Most of what a paxos round writes is versions: `paxos/13` at BEGIN and at
//! COMMIT on every monitor, `kv/13` when the kv service's increment is
//! applied, and their trimming erases the oldest in batches. A prefix's
//! versions are consecutive numbers, so they are kept in a window indexed by
//! the number (no hashing, no key comparison, the newest next to each other
//! in memory: a hashed lookup into a table of hundreds of versions missed the
//! cache, and was a sixth of the benchmark's cycles); every other key is
//! found by hash. Only the place a key is kept differs: what is stored,
//! read, listed and compared is the same (Ceph's keys are strings, and a
//! version is its number in decimal, `MonitorDBStore::combine_strings`).
//!
//! In wasm, where the page's bytes count, every key is found by hash: the
//! window's code made the page's wasm 2.2 kB larger gzipped
//! (docs/performance.md, "Tenth round, the monitors' side"). But a prefix's
//! versions are hashed apart from its named keys, in a second map of the
//! same type (no more code than the choice of map), where a version's hash
//! is its number ([`number_hash`]): the live versions sit in consecutive
//! buckets, as in a window, and do not collide (docs/performance.md,
//! "Thirteenth round, wasm against native").

use super::small::{SmallBytes, SmallStr};
use super::store::{known_key, KNOWN_KEYS};
use std::collections::HashMap;
#[cfg(not(target_arch = "wasm32"))]
use std::collections::VecDeque;
use std::hash::{BuildHasherDefault, Hasher};

type Key = SmallStr;

/// The most empty slots a new version may leave between itself and the
/// window (a version written far from the others is kept by hash).
#[cfg(not(target_arch = "wasm32"))]
const GAP: u64 = 64;

/// Keys found by hash: a prefix's keys in wasm, its named keys natively.
/// But the keys every paxos round writes and every refresh reads
/// (`last_committed`, `first_committed`, `pending_v`, ...: [`known_key`])
/// each have a slot, found by their length and one comparison: hashed,
/// they were 3% of the benchmark's instructions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named {
    known: [Option<SmallBytes>; KNOWN_KEYS.len()],
    other: HashMap<Key, SmallBytes, BuildHasherDefault<WordHash>>,
}

impl Named {
    #[inline]
    pub fn get(&self, key: &str) -> Option<&SmallBytes> {
        match known_key(key) {
            Some(k) => self.known[k as usize].as_ref(),
            None => self.other.get(key),
        }
    }
    /// Put `key` = `value` (copied inline or shared, never allocated); an
    /// existing key is kept (overwrites are the common case). Inlined
    /// where a store applies a put (called, it cost 0.5% of the slice).
    #[inline(always)]
    pub fn insert(&mut self, key: &Key, value: &SmallBytes) {
        // One copy of the value, wherever it goes (fewer bytes in the page).
        let slot = match known_key(key) {
            Some(k) => self.known[k as usize].get_or_insert_with(SmallBytes::default),
            None => self.other.entry(key.clone()).or_default(),
        };
        *slot = value.clone();
    }
    /// Whether `key` was there. (Not inlined: rare, and the page's bytes.)
    #[inline(never)]
    pub fn remove(&mut self, key: &str) -> bool {
        match known_key(key) {
            Some(k) => self.known[k as usize].take().is_some(),
            None => self.other.remove(key).is_some(),
        }
    }
    pub fn len(&self) -> usize {
        self.known.iter().flatten().count() + self.other.len()
    }
    /// (Natively, [`Keys::is_empty`] counts the window too.)
    #[cfg(target_arch = "wasm32")]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every (key, value) onto `list`, in no particular order (readers
    /// sort; every reader lists a whole prefix: a list, not a chain of
    /// iterators, is less code in the page).
    fn list_into<'a>(&'a self, list: &mut Vec<(&'a str, &'a SmallBytes)>) {
        for (k, v) in KNOWN_KEYS.iter().zip(&self.known) {
            if let Some(v) = v {
                list.push((k, v));
            }
        }
        list.extend(self.other.iter().map(|(k, v)| (k.as_str(), v)));
    }
}

/// A prefix's keys (wasm): the keys that start with a digit (the versions,
/// and any other such name) in one map, the rest in another. Any rule would
/// do that sends a key always to the same map; this one reads one byte.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    named: Named,
    versions: Named,
}

#[cfg(target_arch = "wasm32")]
fn numbered(key: &str) -> bool {
    key.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

#[cfg(target_arch = "wasm32")]
impl Keys {
    /// The map `key` belongs in.
    #[inline]
    fn map(&mut self, key: &str) -> &mut Named {
        if numbered(key) {
            &mut self.versions
        } else {
            &mut self.named
        }
    }
    pub fn get(&self, key: &str) -> Option<&SmallBytes> {
        if numbered(key) {
            self.versions.get(key)
        } else {
            self.named.get(key)
        }
    }
    #[inline(always)]
    pub fn insert(&mut self, key: &Key, value: &SmallBytes) {
        self.map(key).insert(key, value);
    }
    pub fn remove(&mut self, key: &str) {
        self.map(key).remove(key);
    }
    pub fn len(&self) -> usize {
        self.named.len() + self.versions.len()
    }
    pub fn is_empty(&self) -> bool {
        self.named.is_empty() && self.versions.is_empty()
    }
    /// Every (key, value), in no particular order (readers sort).
    pub fn iter(&self) -> std::vec::IntoIter<(&str, &SmallBytes)> {
        let mut list = Vec::new();
        self.named.list_into(&mut list);
        self.versions.list_into(&mut list);
        list.into_iter()
    }
}

/// A prefix's keys: its versions in a window, the rest by hash.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Default)]
pub struct Keys {
    named: Named,
    /// Versions `first..first + slots.len()`, a slot per number (`None`
    /// where there is none). A number in that range is never in `named`.
    slots: VecDeque<Option<(Key, SmallBytes)>>,
    first: u64,
    /// Filled slots.
    filled: usize,
    /// Versions kept in `named` (written outside the window's reach); while
    /// there are any the window does not grow, so it never covers one.
    strays: usize,
}

/// `key`'s number when it is a version's key: decimal digits without a
/// leading zero (`"0"` itself is one), at most 19 of them so that it fits;
/// anything else (`"007"`, `"full_13"`, `"last_committed"`) is a name.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
fn version_of(key: &str) -> Option<u64> {
    version_bytes(key.as_bytes())
}

/// [`version_of`] a key's bytes (as [`WordHash`] gets them).
#[inline]
fn version_bytes(b: &[u8]) -> Option<u64> {
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

#[cfg(not(target_arch = "wasm32"))]
impl Keys {
    /// The slot of version `v`, if the window covers it.
    #[inline]
    fn slot(&self, v: u64) -> Option<usize> {
        let i = v.checked_sub(self.first)?;
        (i < self.slots.len() as u64).then_some(i as usize)
    }

    pub fn get(&self, key: &str) -> Option<&SmallBytes> {
        match version_of(key) {
            Some(v) => match self.slot(v) {
                Some(i) => self.slots[i].as_ref().map(|(_, value)| value),
                None if self.strays == 0 => None,
                None => self.named.get(key),
            },
            None => self.named.get(key),
        }
    }

    /// Put `key` = `value` (copied inline or shared, never allocated; an
    /// existing key is kept).
    pub fn insert(&mut self, key: &Key, value: &SmallBytes) {
        let Some(v) = version_of(key) else {
            self.named.insert(key, value);
            return;
        };
        let i = match self.slot(v) {
            Some(i) => i,
            None => match self.widen(v) {
                Some(i) => i,
                None => {
                    if self
                        .named
                        .other
                        .insert(key.clone(), value.clone())
                        .is_none()
                    {
                        self.strays += 1;
                    }
                    return;
                }
            },
        };
        match &mut self.slots[i] {
            Some((_, old)) => *old = value.clone(),
            empty => {
                *empty = Some((key.clone(), value.clone()));
                self.filled += 1;
            }
        }
    }

    /// Grow the window to cover `v`, if it is near enough and no stray
    /// version could fall inside; its slot.
    fn widen(&mut self, v: u64) -> Option<usize> {
        if self.strays > 0 {
            return None;
        }
        if self.slots.is_empty() {
            self.first = v;
            self.slots.push_back(None);
            return Some(0);
        }
        let end = self.first + self.slots.len() as u64;
        if v >= end && v - end < GAP {
            for _ in end..=v {
                self.slots.push_back(None);
            }
            Some(self.slots.len() - 1)
        } else if v < self.first && self.first - v <= GAP {
            for _ in v..self.first {
                self.slots.push_front(None);
            }
            self.first = v;
            Some(0)
        } else {
            None
        }
    }

    pub fn remove(&mut self, key: &str) {
        let Some(v) = version_of(key) else {
            self.named.remove(key);
            return;
        };
        match self.slot(v) {
            Some(i) => {
                if self.slots[i].take().is_some() {
                    self.filled -= 1;
                }
                // The window shrinks to its filled ends (trimming erases
                // the oldest versions).
                while let Some(None) = self.slots.front() {
                    self.slots.pop_front();
                    self.first += 1;
                }
                while let Some(None) = self.slots.back() {
                    self.slots.pop_back();
                }
            }
            None if self.strays > 0 && self.named.remove(key) => self.strays -= 1,
            None => {}
        }
    }

    pub fn len(&self) -> usize {
        self.named.len() + self.filled
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (key, value), in no particular order (readers sort).
    pub fn iter(&self) -> std::vec::IntoIter<(&str, &SmallBytes)> {
        let mut list = Vec::with_capacity(self.len());
        self.named.list_into(&mut list);
        list.extend(
            self.slots
                .iter()
                .filter_map(|s| s.as_ref().map(|(k, v)| (k.as_str(), v))),
        );
        list.into_iter()
    }
}

/// Equal contents, wherever each key is kept.
#[cfg(not(target_arch = "wasm32"))]
impl PartialEq for Keys {
    fn eq(&self, o: &Self) -> bool {
        self.len() == o.len() && self.iter().all(|(k, v)| o.get(k) == Some(v))
    }
}
#[cfg(not(target_arch = "wasm32"))]
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
        // In wasm, a version: consecutive numbers in consecutive buckets (a
        // table's index is the hash's low bits), the rest mixed for the tag
        // hashbrown compares first (the top 7 bits: of the low 32 in
        // wasm32). Natively the versions are in windows, not hashed.
        #[cfg(target_arch = "wasm32")]
        if let Some(v) = version_bytes(bytes) {
            self.0 = number_hash(v);
            return;
        }
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The length too, so "a" and "a\0" differ.
            self.add(crate::short_copy::word_le(rest) ^ ((rest.len() as u64) << 59));
        }
    }
    /// Only `str`'s end marker comes here (every key is one string): in
    /// wasm not mixed in, which would scatter the versions.
    #[inline]
    fn write_u8(&mut self, b: u8) {
        if cfg!(not(target_arch = "wasm32")) {
            self.add(b as u64);
        }
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The bits of a version's hash that are its number.
const NUMBER: u64 = (1 << 25) - 1;

/// A version's hash (wasm): its number in the low bits, mixed above. A
/// gap after every seventh: hashbrown marks an erased bucket deleted, not
/// empty, when it is in a run of eight full ones, so the trimmed oldest
/// versions left tombstones, which use up a table's room to grow until it
/// rehashes in place (1.7% more instructions in node without the gap).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[inline]
fn number_hash(v: u64) -> u64 {
    v.wrapping_mul(SEED) & !NUMBER | (v + v / 7) & NUMBER
}

#[cfg(all(test, not(target_arch = "wasm32")))]
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
        put(&mut k, "1000", 3); // far from the window: kept by hash
        put(&mut k, "5", 4); // near, but a stray is kept by hash: so is it
        put(&mut k, "12", 5); // overwritten
        assert_eq!(k.len(), 14);
        assert_eq!(k.get("12").map(|v| v[0]), Some(5));
        assert_eq!(k.get("1000").map(|v| v[0]), Some(3));
        assert_eq!(k.get("013").map(|v| v[0]), Some(2));
        assert_eq!(k.get("13").map(|v| v[0]), Some(13));
        assert_eq!(k.get("6"), None);
        assert_eq!(k.get("999"), None);
        // While a stray is kept by hash the window does not grow to it.
        put(&mut k, "21", 6);
        assert_eq!(k.get("21").map(|v| v[0]), Some(6));
        // Trimming the oldest, as maybe_trim does, and the stray.
        for v in [5, 10, 11, 12, 1000, 21] {
            k.remove(&v.to_string());
        }
        k.remove("1000");
        assert_eq!(k.get("5"), None);
        assert_eq!(k.get("1000"), None);
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
        // Empty, the window starts again wherever the next version is.
        put(&mut k, "500", 7);
        assert_eq!(all(&k), [("500".to_string(), 7)]);
    }

    #[test]
    fn known_keys_in_their_slots_read_list_and_compare_as_hashed_ones() {
        let mut k = Keys::default();
        for (i, name) in KNOWN_KEYS.iter().enumerate() {
            assert_eq!(known_key(name), Some(i as u8));
            put(&mut k, name, i as u8);
        }
        // Names of the same lengths, and the names of other keys.
        for name in ["last_committee", "in_sync", "force_sync", "joined"] {
            assert_eq!(known_key(name), None);
            put(&mut k, name, 9);
        }
        put(&mut k, "pending_v", 7); // overwritten
        assert_eq!(k.len(), KNOWN_KEYS.len() + 4);
        assert_eq!(k.get("pending_v").map(|v| v[0]), Some(7));
        assert_eq!(k.get("last_committee").map(|v| v[0]), Some(9));
        k.remove("first_committed");
        k.remove("in_sync");
        assert_eq!(k.get("first_committed"), None);
        assert_eq!(k.len(), KNOWN_KEYS.len() + 2);
        let listed = all(&k);
        assert_eq!(listed.len(), k.len());
        assert!(listed.contains(&("pending_v".to_string(), 7)));
        assert!(listed.contains(&("joined".to_string(), 9)));
        // The same contents put in another order compare equal.
        let mut other = Keys::default();
        for (key, v) in listed.into_iter().rev() {
            put(&mut other, &key, v);
        }
        assert_eq!(other, k);
        other.remove("last_pn");
        assert_ne!(other, k);
    }

    #[test]
    fn a_versions_hash_is_its_number_below_mixed_bits() {
        // Consecutive versions in consecutive buckets of any table up to
        // 2^25 but for a gap after every seventh, with differing tags (hashbrown's top 7 bits, of the low 32
        // in wasm32).
        assert_eq!(number_hash(1000) & NUMBER, 1142);
        assert_eq!(number_hash(1001) & NUMBER, 1144);
        assert_eq!(number_hash(1002) & NUMBER, 1145);
        assert_ne!(
            number_hash(1000) >> 25 & 0x7f,
            number_hash(1001) >> 25 & 0x7f
        );
        assert_ne!(number_hash(1000) >> 57, number_hash(1001) >> 57);
        // Natively a name's hash is its bytes' (and str's end marker).
        let hash = |key: &str| {
            let mut h = WordHash::default();
            std::hash::Hash::hash(key, &mut h);
            h.finish()
        };
        assert_ne!(hash("013"), hash("13"));
        assert_ne!(hash("last_committed"), hash("pending_v"));
    }
}
