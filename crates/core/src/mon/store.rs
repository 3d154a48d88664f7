//! MonitorDBStore: each monitor's key/value store of (prefix, key) -> bytes,
//! changed only by atomic transactions. A killed monitor keeps it; a wiped one
//! loses it. Natively it lives in memory; the browser mirrors every applied
//! transaction, in order, into IndexedDB.

use super::small::{SmallBytes, SmallStr};
use super::store_keys::Keys;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A store prefix. The monitors' own prefixes are static strings, shared by
/// every operation that names them (a write's transactions name `paxos` a
/// dozen times); any other prefix is owned.
pub type Prefix = Cow<'static, str>;

/// The prefixes the monitors use, found without an allocation (the log and
/// health services write theirs every second), each at its index of
/// [`known_prefix`].
const KNOWN_PREFIXES: [&str; 12] = [
    "paxos",
    "kv",
    "mon_config_key",
    "logm",
    "health",
    "monmap",
    "mon_sync",
    "monitor",
    "auth",
    "mdsmap",
    "osdmap",
    "monitor_store",
];

/// The index of a known prefix in [`KNOWN_PREFIXES`]. Natively a switch on
/// the length (and a letter where names share one), then one comparison
/// with a constant, which compiles to a word or two compared in place and
/// is inlined where a prefix is found (comparing against the names one by
/// one called `memcmp` for each name of the same length, and a `match` on
/// byte strings compares byte by byte).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn known_prefix(p: &[u8]) -> Option<usize> {
    let (i, same) = match p.len() {
        2 => (1, p == b"kv"),
        4 if p[0] == b'l' => (3, p == b"logm"),
        4 => (8, p == b"auth"),
        5 => (0, p == b"paxos"),
        6 => match p[1] {
            b'e' => (4, p == b"health"),
            b'o' => (5, p == b"monmap"),
            b'd' => (9, p == b"mdsmap"),
            _ => (10, p == b"osdmap"),
        },
        7 => (7, p == b"monitor"),
        8 => (6, p == b"mon_sync"),
        13 => (11, p == b"monitor_store"),
        14 => (2, p == b"mon_config_key"),
        _ => return None,
    };
    same.then_some(i)
}

/// In wasm, where the page's bytes count, the names compared one by one.
#[cfg(target_arch = "wasm32")]
fn known_prefix(p: &[u8]) -> Option<usize> {
    KNOWN_PREFIXES.iter().position(|k| k.as_bytes() == p)
}

/// `prefix` as a [`Prefix`]: a known one borrowed, else a copy.
pub fn intern_prefix(prefix: &str) -> Prefix {
    match known_prefix(prefix.as_bytes()) {
        Some(i) => Cow::Borrowed(KNOWN_PREFIXES[i]),
        None => Cow::Owned(prefix.to_string()),
    }
}

/// A prefix named once and found by its place among the known ones
/// without comparing names: each service asks for its prefix's stamp at
/// every commit of any service ([`MonitorDBStore::stamp_of`]).
/// A known prefix's index (the trace packs it in a byte, `trace::store_tx`).
pub fn known_prefix_index(prefix: &str) -> Option<usize> {
    known_prefix(prefix.as_bytes())
}

/// The known prefix at `i`.
pub fn known_prefix_name(i: usize) -> Option<&'static str> {
    KNOWN_PREFIXES.get(i).copied()
}

#[derive(Clone, Copy, Debug)]
pub struct PrefixRef {
    name: &'static str,
    known: Option<usize>,
}

impl PrefixRef {
    pub fn new(name: &'static str) -> PrefixRef {
        PrefixRef {
            name,
            known: known_prefix(name.as_bytes()),
        }
    }
}

/// The keys a round writes every time (`intern_key`'s), each a small number:
/// the trace writes one in a byte (`trace::store_tx`), a store keeps its
/// value in a slot ([`super::store_keys`]); any other key is a name.
pub fn known_key(key: &str) -> Option<u8> {
    // By length first: most keys are version numbers, of no length here.
    // Each compared with its constant, which compiles to a word or two
    // compared in place (one comparison with whichever name matched the
    // length called `memcmp`: a store's every put and get of a name).
    let (code, same) = match key.len() {
        14 if key.as_bytes()[0] == b'l' => (0, key == "last_committed"),
        14 => (1, key == "election_epoch"),
        15 => (2, key == "first_committed"),
        9 => (3, key == "pending_v"),
        10 => (4, key == "pending_pn"),
        11 => (5, key == "accepted_pn"),
        7 => (6, key == "last_pn"),
        19 => (7, key == "connectivity_scores"),
        _ => return None,
    };
    same.then_some(code)
}

/// The keys of [`known_key`], at their numbers.
pub const KNOWN_KEYS: [&str; 8] = [
    "last_committed",
    "election_epoch",
    "first_committed",
    "pending_v",
    "pending_pn",
    "accepted_pn",
    "last_pn",
    "connectivity_scores",
];

/// A key within a prefix: the monitors' own fixed keys (`last_committed`,
/// `pending_v`, ..., rewritten by every paxos round) borrowed, a short one
/// (a version, most config-keys) inline, a long one shared ([`SmallStr`]).
pub type Key = SmallStr;

/// `key` as a [`Key`], without an allocation unless it is long (see [`SmallStr`]).
pub fn intern_key(key: &str) -> Key {
    // A `match` on the string: compared by length first, then bytes.
    let known = match key {
        "last_committed" => "last_committed",
        "first_committed" => "first_committed",
        "pending_v" => "pending_v",
        "pending_pn" => "pending_pn",
        "accepted_pn" => "accepted_pn",
        "last_pn" => "last_pn",
        "last_committed_floor" => "last_committed_floor",
        "election_epoch" => "election_epoch",
        "connectivity_scores" => "connectivity_scores",
        "force_sync" => "force_sync",
        "in_sync" => "in_sync",
        "joined" => "joined",
        "latest_monmap" => "latest_monmap",
        _ => return SmallStr::new(key),
    };
    SmallStr::from_static(known)
}

/// A version's key, `v` in decimal (`"13"`), on the stack: `to_string`
/// allocated and freed a string for every version written, read or erased
/// (paxos, the services' increments, their trimming).
pub fn version_key(v: u64) -> VersionKey {
    VersionKey::new("", v)
}

/// A full version's key, `"full_13"` (PaxosService's full_<v>).
pub fn full_version_key(v: u64) -> VersionKey {
    VersionKey::new("full_", v)
}

/// A key of a short prefix and a number, written on the stack.
pub struct VersionKey {
    buf: [u8; 28],
    start: usize,
}

impl VersionKey {
    fn new(prefix: &str, v: u64) -> VersionKey {
        let mut buf = [b'0'; 28];
        let mut start = buf.len();
        let mut n = v;
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // At most 8 bytes of prefix: 20 digits of a u64 leave that room.
        let prefix = &prefix.as_bytes()[..prefix.len().min(start)];
        start -= prefix.len();
        // A version's key has none: no copy (in wasm a call out of the code).
        if !prefix.is_empty() {
            buf[start..start + prefix.len()].copy_from_slice(prefix);
        }
        VersionKey { buf, start }
    }
}

impl std::ops::Deref for VersionKey {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: only ASCII digits and a prefix's whole bytes were written
        // (the prefixes are "" and "full_"), so the bytes are UTF-8; the
        // check cost as much as writing the key (one per version written,
        // read or erased).
        unsafe { std::str::from_utf8_unchecked(&self.buf[self.start..]) }
    }
}

/// One operation of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum StoreOp {
    Put {
        prefix: Prefix,
        key: Key,
        /// Short values (counters, most config-key values) inline, long
        /// ones (encoded paxos values) shared.
        value: SmallBytes,
    },
    Erase {
        prefix: Prefix,
        key: Key,
    },
    /// Erase every key of a prefix (Ceph's `erase` over a whole prefix, as sync does).
    ErasePrefix {
        prefix: Prefix,
    },
}

/// An atomic batch of operations (Ceph's MonitorDBStore::Transaction).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Transaction {
    pub ops: Vec<StoreOp>,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }
    /// Room for `n` operations: a transaction the trace records is kept
    /// without growth slack, and one built at its size needs no shrinking.
    pub fn with_capacity(n: usize) -> Self {
        Transaction {
            ops: Vec::with_capacity(n),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    pub fn put(&mut self, prefix: &str, key: &str, value: impl Into<SmallBytes>) -> &mut Self {
        self.ops.push(StoreOp::Put {
            prefix: intern_prefix(prefix),
            key: intern_key(key),
            value: value.into(),
        });
        self
    }
    pub fn put_u64(&mut self, prefix: &str, key: &str, v: u64) -> &mut Self {
        self.put(prefix, key, &v.to_le_bytes())
    }
    pub fn erase(&mut self, prefix: &str, key: &str) -> &mut Self {
        self.ops.push(StoreOp::Erase {
            prefix: intern_prefix(prefix),
            key: intern_key(key),
        });
        self
    }
    pub fn erase_prefix(&mut self, prefix: &str) -> &mut Self {
        self.ops.push(StoreOp::ErasePrefix {
            prefix: intern_prefix(prefix),
        });
        self
    }
    /// Append every op of `other` (Ceph's `append`).
    pub fn append(&mut self, other: Transaction) {
        // Exactly: the result is usually recorded, and kept without slack.
        self.ops.reserve_exact(other.ops.len());
        self.ops.extend(other.ops);
    }
    /// Append a copy of every op of `other` (names and long values shared).
    pub fn append_copy(&mut self, other: &Transaction) {
        self.ops.reserve_exact(other.ops.len());
        self.ops.extend_from_slice(&other.ops);
    }

    /// Encode for storage as a paxos value (Ceph stores encoded transactions
    /// under paxos/<v>). Format: per op a tag byte then length-prefixed fields.
    pub fn encode(&self) -> Vec<u8> {
        // Sized first: growing the buffer as it filled took several
        // reallocations per paxos value.
        let size = self.ops.iter().fold(4, |n, op| {
            n + match op {
                StoreOp::Put { prefix, key, value } => 13 + prefix.len() + key.len() + value.len(),
                StoreOp::Erase { prefix, key } => 9 + prefix.len() + key.len(),
                StoreOp::ErasePrefix { prefix } => 5 + prefix.len(),
            }
        });
        // 16 more: room for the last short text's fixed-size write
        // (`short_copy::extend`; the value is copied into an `Arc` anyway).
        let mut b = Vec::with_capacity(size + 16);
        put_u32(&mut b, self.ops.len() as u32);
        for op in &self.ops {
            match op {
                StoreOp::Put { prefix, key, value } => {
                    b.push(1);
                    put_bytes(&mut b, prefix.as_bytes());
                    put_bytes(&mut b, key.as_bytes());
                    put_bytes(&mut b, value);
                }
                StoreOp::Erase { prefix, key } => {
                    b.push(2);
                    put_bytes(&mut b, prefix.as_bytes());
                    put_bytes(&mut b, key.as_bytes());
                }
                StoreOp::ErasePrefix { prefix } => {
                    b.push(3);
                    put_bytes(&mut b, prefix.as_bytes());
                }
            }
        }
        b
    }

    /// Decode what [`Transaction::encode`] wrote. Stored data is untrusted
    /// (it may come from IndexedDB), so every malformed input is an error.
    pub fn decode(mut b: &[u8]) -> Result<Transaction, String> {
        let n = get_u32(&mut b)?;
        // Every op takes at least 5 bytes, so a corrupt count cannot over-allocate.
        let mut ops = Vec::with_capacity((n as usize).min(b.len() / 5));
        for _ in 0..n {
            let tag = *b.first().ok_or("truncated transaction")?;
            b = &b[1..];
            let op = match tag {
                1 => StoreOp::Put {
                    prefix: get_prefix(&mut b)?,
                    key: get_key(&mut b)?,
                    value: SmallBytes::new(get_bytes(&mut b)?),
                },
                2 => StoreOp::Erase {
                    prefix: get_prefix(&mut b)?,
                    key: get_key(&mut b)?,
                },
                3 => StoreOp::ErasePrefix {
                    prefix: get_prefix(&mut b)?,
                },
                t => return Err(format!("unknown transaction op {t}")),
            };
            ops.push(op);
        }
        if !b.is_empty() {
            return Err("trailing bytes after transaction".into());
        }
        Ok(Transaction { ops })
    }
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_bytes(b: &mut Vec<u8>, v: &[u8]) {
    put_u32(b, v.len() as u32);
    crate::short_copy::extend(b, v);
}
fn get_u32(b: &mut &[u8]) -> Result<u32, String> {
    if b.len() < 4 {
        return Err("truncated transaction".into());
    }
    let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    *b = &b[4..];
    Ok(v)
}
fn get_bytes<'a>(b: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let n = get_u32(b)? as usize;
    if b.len() < n {
        return Err("truncated transaction".into());
    }
    let (v, rest) = b.split_at(n);
    *b = rest;
    Ok(v)
}
fn get_key(b: &mut &[u8]) -> Result<Key, String> {
    let s = std::str::from_utf8(get_bytes(b)?).map_err(|_| "key is not UTF-8".to_string())?;
    Ok(intern_key(s))
}

fn get_prefix(b: &mut &[u8]) -> Result<Prefix, String> {
    let bytes = get_bytes(b)?;
    // A known prefix is found by its bytes, which are then UTF-8 already.
    if let Some(i) = known_prefix(bytes) {
        return Ok(Cow::Borrowed(KNOWN_PREFIXES[i]));
    }
    let s = std::str::from_utf8(bytes).map_err(|_| "prefix is not UTF-8".to_string())?;
    Ok(Cow::Owned(s.to_string()))
}

/// What code that owns a monitor's store needs of it (Ceph's KeyValueDB, which
/// RocksDB implements for a real monitor): whole transactions in, reads out.
/// [`MonitorDBStore`] keeps it in memory; the web app's IndexedDB-backed store
/// reads from the same memory and also journals every transaction, in order.
pub trait KeyValueDB {
    /// Apply `tx` atomically: all of it or, if it fails, none of it.
    fn apply(&mut self, tx: &Transaction);
    fn get(&self, prefix: &str, key: &str) -> Option<&[u8]>;
}

impl KeyValueDB for MonitorDBStore {
    fn apply(&mut self, tx: &Transaction) {
        MonitorDBStore::apply(self, tx)
    }
    fn get(&self, prefix: &str, key: &str) -> Option<&[u8]> {
        MonitorDBStore::get(self, prefix, key)
    }
}

/// The store itself: prefix -> key -> value. The keys of a prefix are found
/// by hash, its versions by number ([`Keys`]: a paxos prefix holds hundreds
/// of versions, and comparing string keys through a `BTreeMap` was a tenth
/// of the benchmark's time); everything
/// that lists keys sorts them first, so iteration stays in key order, as
/// Ceph's key/value store gives it. The few prefixes are a list in prefix
/// order, found by equality (which compares lengths first: one string
/// comparison per lookup, where a `BTreeMap` compared down to the match).
/// A known prefix's place in that list is kept, so finding it compares no
/// names at all.
#[derive(Clone, Debug, Default)]
pub struct MonitorDBStore {
    /// Per prefix: its name, its keys, and the stamp of its last change.
    data: Vec<(String, Keys, u64)>,
    /// Where each of [`KNOWN_PREFIXES`] is in `data`: its position + 1,
    /// 0 if absent.
    slots: [u32; KNOWN_PREFIXES.len()],
    /// Transactions applied so far: the stamp of the next change.
    applied: u64,
    /// The stamp of the last change that removed a prefix.
    removed: u64,
}

/// Equal contents: the stamps say only when a prefix changed.
impl PartialEq for MonitorDBStore {
    fn eq(&self, o: &Self) -> bool {
        self.data.len() == o.data.len()
            && self
                .data
                .iter()
                .zip(&o.data)
                .all(|((p, k, _), (q, l, _))| p == q && k == l)
    }
}
impl Eq for MonitorDBStore {}

/// One prefix's (key, value) pairs in key order.
fn sorted(keys: &Keys) -> Vec<(&str, &[u8])> {
    let mut v: Vec<(&str, &[u8])> = keys.iter().map(|(k, v)| (k, v.as_slice())).collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

/// As `{"data": {prefix: {key: bytes}}}`, keys in order (what the derived
/// form of the ordered maps gave).
impl Serialize for MonitorDBStore {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let data: BTreeMap<&str, BTreeMap<&str, &[u8]>> = self
            .data
            .iter()
            .map(|(p, keys, _)| (p.as_str(), sorted(keys).into_iter().collect()))
            .collect();
        let mut st = s.serialize_struct("MonitorDBStore", 1)?;
        st.serialize_field("data", &data)?;
        st.end()
    }
}

impl MonitorDBStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `prefix` is in `data` (inlined natively, as [`known_prefix`]).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn position(&self, prefix: &str) -> Option<usize> {
        match known_prefix(prefix.as_bytes()) {
            Some(k) => (self.slots[k] as usize).checked_sub(1),
            None => self.data.iter().position(|(p, _, _)| p == prefix),
        }
    }

    /// The known prefixes' places again, after a prefix was added or removed.
    fn reslot(&mut self) {
        self.slots = Default::default();
        for (i, (p, _, _)) in self.data.iter().enumerate() {
            if let Some(k) = known_prefix(p.as_bytes()) {
                self.slots[k] = i as u32 + 1;
            }
        }
    }

    fn keys(&self, prefix: &str) -> Option<&Keys> {
        self.position(prefix).map(|i| &self.data[i].1)
    }

    /// The keys of `prefix`, marked changed at `stamp`.
    fn keys_mut(&mut self, prefix: &str, stamp: u64) -> Option<&mut Keys> {
        let i = self.position(prefix)?;
        let (_, keys, changed) = &mut self.data[i];
        *changed = stamp;
        Some(keys)
    }

    /// The keys of `prefix`, added (in prefix order) if it has none, marked
    /// changed at `stamp`.
    fn keys_or_new(&mut self, prefix: &str, stamp: u64) -> &mut Keys {
        let i = match self.position(prefix) {
            Some(i) => i,
            None => {
                let i = self.data.partition_point(|(p, _, _)| p.as_str() < prefix);
                self.data
                    .insert(i, (prefix.to_string(), Keys::default(), stamp));
                self.reslot();
                i
            }
        };
        self.data[i].2 = stamp;
        &mut self.data[i].1
    }

    fn remove_prefix(&mut self, prefix: &str, stamp: u64) {
        if let Some(i) = self.position(prefix) {
            self.data.remove(i);
            self.reslot();
            self.removed = stamp;
        }
    }

    /// [`Self::prefix_stamp`] of a prefix found once ([`PrefixRef`]).
    #[inline]
    pub fn stamp_of(&self, prefix: PrefixRef) -> u64 {
        match prefix.known {
            Some(k) => match self.slots[k] {
                0 => self.removed,
                i => self.data[i as usize - 1].2,
            },
            None => self.prefix_stamp(prefix.name),
        }
    }

    /// A stamp of `prefix`'s contents: it differs after any change to
    /// them, so a reader that kept what it read at one stamp can use it
    /// again while the stamp is the same (PaxosService::refresh reads its
    /// first and last committed at every commit of any service). An absent
    /// prefix's stamp is the last removal of any prefix.
    pub fn prefix_stamp(&self, prefix: &str) -> u64 {
        self.position(prefix)
            .map_or(self.removed, |i| self.data[i].2)
    }

    /// Apply a transaction atomically (in memory it cannot fail half-way).
    pub fn apply(&mut self, tx: &Transaction) {
        self.applied += 1;
        let stamp = self.applied;
        for op in &tx.ops {
            match op {
                StoreOp::Put { prefix, key, value } => {
                    self.keys_or_new(prefix, stamp).insert(key, value);
                }
                StoreOp::Erase { prefix, key } => {
                    if let Some(p) = self.keys_mut(prefix, stamp) {
                        p.remove(key);
                        if p.is_empty() {
                            self.remove_prefix(prefix, stamp);
                        }
                    }
                }
                StoreOp::ErasePrefix { prefix } => {
                    self.remove_prefix(prefix, stamp);
                }
            }
        }
    }

    pub fn get(&self, prefix: &str, key: &str) -> Option<&[u8]> {
        self.keys(prefix)?.get(key).map(|v| v.as_slice())
    }
    pub fn exists(&self, prefix: &str, key: &str) -> bool {
        self.get(prefix, key).is_some()
    }
    /// A u64 written by [`Transaction::put_u64`]; 0 if absent or malformed (Ceph's get() default).
    pub fn get_u64(&self, prefix: &str, key: &str) -> u64 {
        match self.get(prefix, key) {
            Some(v) if v.len() == 8 => u64::from_le_bytes(v.try_into().unwrap_or([0; 8])),
            _ => 0,
        }
    }
    pub fn get_str(&self, prefix: &str, key: &str) -> Option<String> {
        self.get(prefix, key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
    /// All (key, value) pairs of one prefix, in key order.
    pub fn iter_prefix<'a>(
        &'a self,
        prefix: &str,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.keys(prefix)
            .map(sorted)
            .unwrap_or_default()
            .into_iter()
    }
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(|(p, _, _)| p.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn key_count(&self) -> usize {
        self.data.iter().map(|(_, m, _)| m.len()).sum()
    }

    /// One transaction that turns an empty store into this one (a compacted
    /// journal: what a store is rebuilt from).
    pub fn to_transaction(&self) -> Transaction {
        let mut tx = Transaction::new();
        for (prefix, keys, _) in &self.data {
            for (key, value) in sorted(keys) {
                tx.put(prefix, key, value);
            }
        }
        tx
    }

    /// Where `self` and `other` differ, one line per key (at most `limit`
    /// lines, then a count of the rest); empty when they are equal.
    pub fn diff(&self, other: &MonitorDBStore, limit: usize) -> Vec<String> {
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for store in [self, other] {
            for (p, m, _) in &store.data {
                keys.extend(m.iter().map(|(k, _)| (p.as_str(), k)));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let show = |v: Option<&[u8]>| match v {
            None => "absent".to_string(),
            Some(v) => format!("{} bytes", v.len()),
        };
        let differing: Vec<String> = keys
            .into_iter()
            .filter(|(p, k)| self.get(p, k) != other.get(p, k))
            .map(|(p, k)| {
                format!(
                    "{p}/{k}: {} vs {}",
                    show(self.get(p, k)),
                    show(other.get(p, k))
                )
            })
            .collect();
        let n = differing.len();
        let mut out: Vec<String> = differing.into_iter().take(limit).collect();
        if n > limit {
            out.push(format!("and {} more keys", n - limit));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_round_trip_and_apply_atomically() {
        let mut tx = Transaction::new();
        tx.put("paxos", "1", b"v1".to_vec())
            .put_u64("paxos", "last_committed", 1)
            .erase("paxos", "pending_v");
        let back = Transaction::decode(&tx.encode()).unwrap();
        assert_eq!(back, tx);
        let mut s = MonitorDBStore::new();
        s.apply(&back);
        assert_eq!(s.get_u64("paxos", "last_committed"), 1);
        assert_eq!(s.get("paxos", "1"), Some(&b"v1"[..]));
        let mut clear = Transaction::new();
        clear.erase_prefix("paxos");
        s.apply(&clear);
        assert!(s.is_empty());
    }

    #[test]
    fn a_store_rebuilds_from_its_transaction_and_diffs_name_the_keys() {
        let mut s = MonitorDBStore::new();
        let mut tx = Transaction::new();
        tx.put_u64("paxos", "last_committed", 7)
            .put("monitor", "election_epoch", vec![1; 8]);
        s.apply(&tx);
        let mut rebuilt = MonitorDBStore::new();
        KeyValueDB::apply(&mut rebuilt, &s.to_transaction());
        assert_eq!(rebuilt, s);
        assert!(rebuilt.diff(&s, 10).is_empty());
        let mut bump = Transaction::new();
        bump.put_u64("paxos", "last_committed", 8)
            .erase("monitor", "election_epoch");
        rebuilt.apply(&bump);
        let d = rebuilt.diff(&s, 1);
        assert_eq!(d[0], "monitor/election_epoch: absent vs 8 bytes");
        assert_eq!(d[1], "and 1 more keys");
        // Keys only one side has, in prefixes only one side has: in
        // (prefix, key) order, each once.
        let mut more = Transaction::new();
        more.put("paxos", "10", vec![1]).put("kv", "b", vec![2]);
        rebuilt.apply(&more);
        let mut other = Transaction::new();
        other.put("kv", "a", vec![3]).put("auth", "z", vec![4]);
        s.apply(&other);
        assert_eq!(
            rebuilt.diff(&s, 10),
            [
                "auth/z: absent vs 1 bytes",
                "kv/a: absent vs 1 bytes",
                "kv/b: 1 bytes vs absent",
                "monitor/election_epoch: absent vs 8 bytes",
                "paxos/10: 1 bytes vs absent",
                "paxos/last_committed: 8 bytes vs 8 bytes",
            ]
        );
    }

    #[test]
    fn a_prefix_lists_its_keys_in_byte_order_as_ceph_key_value_db_iterates() {
        let mut s = MonitorDBStore::new();
        let mut tx = Transaction::new();
        tx.put("paxos", "9", b"a".to_vec())
            .put("paxos", "100", b"b".to_vec())
            .put("paxos", "10", b"c".to_vec())
            .put("kv", "last_committed", b"d".to_vec());
        s.apply(&tx);
        let keys: Vec<&str> = s.iter_prefix("paxos").map(|(k, _)| k).collect();
        assert_eq!(keys, ["10", "100", "9"]);
        let journal: Vec<String> = s
            .to_transaction()
            .ops
            .iter()
            .map(|op| match op {
                StoreOp::Put { prefix, key, .. } => format!("{prefix}/{key}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            journal,
            ["kv/last_committed", "paxos/10", "paxos/100", "paxos/9"]
        );
    }

    #[test]
    fn a_prefix_stamp_changes_with_every_change_to_the_prefix_and_only_then() {
        let mut s = MonitorDBStore::new();
        let absent = s.prefix_stamp("kv");
        let mut tx = Transaction::new();
        tx.put_u64("kv", "last_committed", 1);
        s.apply(&tx);
        let written = s.prefix_stamp("kv");
        assert_ne!(written, absent);
        // Another prefix's change leaves it.
        let mut other = Transaction::new();
        other.put_u64("paxos", "last_committed", 9);
        s.apply(&other);
        assert_eq!(s.prefix_stamp("kv"), written);
        // Gone, and written again: each a new stamp.
        let mut gone = Transaction::new();
        gone.erase("kv", "last_committed");
        s.apply(&gone);
        let erased = s.prefix_stamp("kv");
        assert!(![absent, written].contains(&erased));
        s.apply(&tx);
        assert!(![absent, written, erased].contains(&s.prefix_stamp("kv")));
        // The same stamps found through a prefix named once, known or not.
        for p in ["kv", "paxos", "other"] {
            assert_eq!(s.stamp_of(PrefixRef::new(p)), s.prefix_stamp(p));
        }
        // Stamps are not contents: a store rebuilt from this one equals it.
        let mut rebuilt = MonitorDBStore::new();
        rebuilt.apply(&s.to_transaction());
        assert_eq!(rebuilt, s);
    }

    #[test]
    fn known_prefixes_are_found_at_their_index_and_kept_in_order() {
        for (i, p) in KNOWN_PREFIXES.iter().enumerate() {
            assert_eq!(known_prefix(p.as_bytes()), Some(i));
        }
        assert_eq!(known_prefix(b"paxo"), None);
        // Known and other prefixes, added and removed in any order: each
        // is found, and the store lists them in byte order.
        let mut s = MonitorDBStore::new();
        let mut tx = Transaction::new();
        tx.put("paxos", "1", vec![1])
            .put("zz", "k", vec![2])
            .put("auth", "k", vec![3])
            .put("kv", "k", vec![4]);
        s.apply(&tx);
        let mut gone = Transaction::new();
        gone.erase_prefix("auth").erase("zz", "k");
        s.apply(&gone);
        let mut more = Transaction::new();
        more.put("a", "k", vec![5]).put("monmap", "k", vec![6]);
        s.apply(&more);
        let prefixes: Vec<&str> = s.prefixes().collect();
        assert_eq!(prefixes, ["a", "kv", "monmap", "paxos"]);
        assert_eq!(s.get("paxos", "1"), Some(&[1][..]));
        assert_eq!(s.get("kv", "k"), Some(&[4][..]));
        assert_eq!(s.get("monmap", "k"), Some(&[6][..]));
        assert_eq!(s.get("a", "k"), Some(&[5][..]));
        assert_eq!(s.get("auth", "k"), None);
        assert_eq!(s.get("zz", "k"), None);
    }

    #[test]
    fn version_keys_are_the_numbers_in_decimal() {
        for v in [0, 7, 10, 99, 100, 12_345, u64::MAX] {
            assert_eq!(&*version_key(v), v.to_string());
            assert_eq!(&*full_version_key(v), format!("full_{v}"));
        }
    }

    #[test]
    fn malformed_encodings_are_errors() {
        assert!(Transaction::decode(&[]).is_err());
        assert!(Transaction::decode(&[1, 0, 0, 0, 9]).is_err());
        assert!(Transaction::decode(&[1, 0, 0, 0, 1, 255, 255, 255, 255]).is_err());
    }

    #[test]
    fn a_transaction_survives_encoding_with_shared_and_own_names() {
        let mut t = Transaction::new();
        t.put_u64("paxos", "last_committed", 7)
            .put("mon_config_key", "my/key", b"v".to_vec())
            .put("logm", "full_3", b"x".to_vec())
            .erase("kv", "42")
            .erase_prefix("mon_sync");
        let back = Transaction::decode(&t.encode()).unwrap();
        assert_eq!(back, t);
        let mut s = MonitorDBStore::default();
        s.apply(&back);
        assert_eq!(s.get_u64("paxos", "last_committed"), 7);
        assert_eq!(s.get("mon_config_key", "my/key"), Some(&b"v"[..]));
        assert_eq!(s.get("logm", "full_3"), Some(&b"x"[..]));
    }
}
