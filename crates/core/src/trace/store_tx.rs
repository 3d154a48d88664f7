//! A store transaction as the trace keeps it: its operations packed into
//! one byte slice, the long values (encoded paxos values, service
//! versions) shared with the monitors' stores and messages beside it.
//!
//! A paxos round records about thirteen transactions of four or five
//! operations each; as a [`Transaction`] every operation took 72 bytes
//! (its prefix, key and value each a three-word header), about 360 bytes a
//! transaction and a quarter of the benchmark's trace. Packed, an operation
//! is a tag, its key's few bytes and its short value's: about 8 bytes. The
//! readers get the operations back as [`StoreOp`]s, equal to the ones
//! recorded ([`StoreTx::ops`]); the JSON is the transaction's as before.

use crate::mon::small::SmallBytes;
use crate::mon::store::{
    intern_key, intern_prefix, known_key as key_code, known_prefix_index, known_prefix_name,
    StoreOp, Transaction, KNOWN_KEYS as KEYS,
};
use crate::trace::binary::uint;
use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Op tags (the tag byte's low two bits); the rest of the byte is the
/// prefix's index among the known prefixes, or [`OTHER_PREFIX`].
const PUT: u8 = 0;
const ERASE: u8 = 1;
const ERASE_PREFIX: u8 = 2;
/// A prefix that is not a known one: its text follows.
const OTHER_PREFIX: u8 = 63;

/// The header's bit for a prefix that is not a known one, and for an
/// erase of a whole prefix (the known prefixes' are their indices).
const OTHER_PREFIX_BIT: u16 = 1 << 13;
const ERASE_PREFIX_BIT: u16 = 1 << 14;

/// A recorded store transaction: a two-byte header (which prefixes it
/// writes, and whether it erases a whole one, for the readers that look
/// for a few: [`StoreTx::touches`]), then per operation the tag byte, then (but
/// for an erase of a whole prefix) the key as `2 × known index + 1` or
/// `2 × length` and its text, then for a put its value as `2 × length`
/// and its bytes, or `1` for the next of `long`.
///
/// Both parts are behind one shared pointer (8 bytes, so that a `Store`
/// event is no larger than the common kinds; `None` when empty): a
/// transaction packed to the same bytes and the same long values as the
/// one packed before it is that one again ([`Packer::pack`]). Two in
/// three of the benchmark's are: a BEGIN's or a COMMIT's peons each
/// store the same operations, one after another, with the value the
/// broadcast message shares.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StoreTx(Option<Arc<Parts>>);

#[derive(PartialEq, Eq)]
struct Parts {
    ops: Box<[u8]>,
    /// The values too long to be inline in a [`SmallBytes`], shared.
    long: Longs,
}

/// Most transactions with long values have one (a paxos value): kept
/// without a slice of its own, so that a transaction is allocated no
/// more often than when its parts were two pointers. One value is
/// always `One` (the derived equality relies on it: [`StoreTx::of`]).
#[derive(PartialEq, Eq)]
enum Longs {
    One(Arc<[u8]>),
    Many(Box<[Arc<[u8]>]>),
}

/// Packs transactions, reusing its buffers: each [`StoreTx`]'s parts are
/// then allocated at their size (the simulator keeps them), and not at
/// all when it repeats the last one.
#[derive(Clone, Debug, Default)]
pub struct Packer {
    bytes: Vec<u8>,
    long: Vec<Arc<[u8]>>,
    last: StoreTx,
    /// The shared transaction [`Packer::pack_shared`] last packed, and its packing.
    last_shared: Option<(Arc<Transaction>, StoreTx)>,
}

impl Packer {
    /// [`Packer::pack`] of a transaction several monitors apply (the
    /// same allocation: `mon::out::Out::round_tx`), packed once for all.
    pub fn pack_shared(&mut self, tx: &Arc<Transaction>) -> StoreTx {
        if let Some((last, packed)) = &self.last_shared {
            if Arc::ptr_eq(last, tx) {
                return packed.clone();
            }
        }
        let packed = self.pack(tx);
        self.last_shared = Some((tx.clone(), packed.clone()));
        packed
    }

    /// `tx` packed; its long values are shared, not copied.
    pub fn pack(&mut self, tx: &Transaction) -> StoreTx {
        if tx.ops.is_empty() {
            return StoreTx::default();
        }
        let b = &mut self.bytes;
        b.clear();
        b.extend_from_slice(&[0, 0]);
        let mut header = 0;
        for op in &tx.ops {
            let (tag, prefix) = match op {
                StoreOp::Put { prefix, .. } => (PUT, prefix),
                StoreOp::Erase { prefix, .. } => (ERASE, prefix),
                StoreOp::ErasePrefix { prefix } => {
                    header |= ERASE_PREFIX_BIT;
                    (ERASE_PREFIX, prefix)
                }
            };
            match known_prefix_index(prefix) {
                Some(i) => {
                    header |= 1 << i;
                    b.push(tag | (i as u8) << 2);
                }
                None => {
                    header |= OTHER_PREFIX_BIT;
                    b.push(tag | OTHER_PREFIX << 2);
                    text(b, prefix.as_bytes());
                }
            }
            if let StoreOp::Put { key, .. } | StoreOp::Erase { key, .. } = op {
                match key_code(key) {
                    Some(i) => b.push(2 * i + 1),
                    None => text(b, key.as_bytes()),
                }
            }
            if let StoreOp::Put { value, .. } = op {
                match value.shared() {
                    Some(v) => {
                        b.push(1);
                        self.long.push(v.clone());
                    }
                    None => text(b, value),
                }
            }
        }
        b[..2].copy_from_slice(&u16::to_le_bytes(header));
        // The same operations on the same shared values: shared again
        // (the long values compared by address: equal bytes elsewhere
        // are another value, kept apart as before).
        let (ops, long) = self.last.parts();
        if ops == b.as_slice()
            && long.len() == self.long.len()
            && long.iter().zip(&self.long).all(|(a, b)| Arc::ptr_eq(a, b))
        {
            self.long.clear();
            return self.last.clone();
        }
        self.last = StoreTx::of(b.as_slice().into(), &mut self.long);
        self.last.clone()
    }
}

impl StoreTx {
    /// `tx` packed; its long values are shared, not copied.
    pub fn new(tx: &Transaction) -> StoreTx {
        Packer::default().pack(tx)
    }

    /// The operations, as they were recorded.
    pub fn ops(&self) -> impl Iterator<Item = StoreOp> + '_ {
        self.op_refs().map(OpRef::to_op)
    }

    /// The operations, borrowed from the packed form (nothing copied).
    pub fn op_refs(&self) -> OpRefs<'_> {
        let (ops, longs) = self.parts();
        OpRefs {
            ops,
            longs,
            at: 2,
            long: 0,
        }
    }

    /// Whether it may have an operation on `prefix`, or erase a whole
    /// prefix (without reading the operations: the fold looks at a few).
    pub fn touches(&self, prefix: &str, or_erases_a_prefix: bool) -> bool {
        let header = match self.parts().0 {
            [a, b, ..] => u16::from_le_bytes([*a, *b]),
            _ => return false,
        };
        let bit = known_prefix_index(prefix).map_or(OTHER_PREFIX_BIT, |i| 1 << i);
        header & bit != 0 || (or_erases_a_prefix && header & ERASE_PREFIX_BIT != 0)
    }

    /// The transaction itself, as it was recorded.
    pub fn to_transaction(&self) -> Transaction {
        let mut tx = Transaction::with_capacity(self.op_refs().count());
        tx.ops.extend(self.ops());
        tx
    }

    /// Its packed operations and its long values (the page's binary
    /// trace writes them as they are).
    pub fn parts(&self) -> (&[u8], &[Arc<[u8]>]) {
        match &self.0 {
            Some(p) => match &p.long {
                Longs::One(v) => (&p.ops, std::slice::from_ref(v)),
                Longs::Many(vs) => (&p.ops, vs),
            },
            None => (&[], &[]),
        }
    }

    /// Its parts, the long values taken from `long` (at their length: no slack).
    fn of(ops: Box<[u8]>, long: &mut Vec<Arc<[u8]>>) -> StoreTx {
        if ops.is_empty() && long.is_empty() {
            return StoreTx(None);
        }
        let long = match long.len() {
            1 => Longs::One(long.pop().unwrap_or_default()),
            _ => Longs::Many(long.drain(..).collect()),
        };
        StoreTx(Some(Arc::new(Parts { ops, long })))
    }

    /// What [`StoreTx::parts`] gave, if it is that: the operations read
    /// back and packed again must be the same bytes.
    pub fn from_parts(ops: Box<[u8]>, long: Box<[Arc<[u8]>]>) -> Option<StoreTx> {
        let tx = StoreTx::of(ops, &mut long.into());
        (StoreTx::new(&tx.to_transaction()) == tx).then_some(tx)
    }

    pub fn is_empty(&self) -> bool {
        self.parts().0.is_empty()
    }
}

impl From<&Transaction> for StoreTx {
    fn from(tx: &Transaction) -> StoreTx {
        StoreTx::new(tx)
    }
}

impl From<Transaction> for StoreTx {
    fn from(tx: Transaction) -> StoreTx {
        StoreTx::new(&tx)
    }
}

/// `2 × length`, then the bytes (inlined natively: 1% of the benchmark's
/// instructions were its calls; in the page, its size counts more).
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn text(b: &mut Vec<u8>, t: &[u8]) {
    match t.len() {
        n @ 0..64 => crate::short_copy::push_extend(b, 2 * n as u8, t),
        n => {
            uint(b, 2 * n as u64);
            crate::short_copy::extend(b, t);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Put,
    Erase,
    ErasePrefix,
}

/// One operation, borrowed from a [`StoreTx`]: `key` is empty and
/// `value` `None` where the operation has none.
#[derive(Clone, Copy, Debug)]
pub struct OpRef<'a> {
    pub kind: OpKind,
    pub prefix: &'a str,
    pub key: &'a str,
    value: Value<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    None,
    Inline(&'a [u8]),
    Long(&'a Arc<[u8]>),
}

impl<'a> OpRef<'a> {
    /// A put's value.
    pub fn value(&self) -> Option<&'a [u8]> {
        match self.value {
            Value::None => None,
            Value::Inline(v) => Some(v),
            Value::Long(v) => Some(v),
        }
    }

    /// The operation as it was recorded (a long value shared again).
    pub fn to_op(self) -> StoreOp {
        let prefix = intern_prefix(self.prefix);
        match self.kind {
            OpKind::Put => StoreOp::Put {
                prefix,
                key: intern_key(self.key),
                value: match self.value {
                    Value::Long(v) => v.clone().into(),
                    _ => SmallBytes::new(self.value().unwrap_or_default()),
                },
            },
            OpKind::Erase => StoreOp::Erase {
                prefix,
                key: intern_key(self.key),
            },
            OpKind::ErasePrefix => StoreOp::ErasePrefix { prefix },
        }
    }
}

/// The operations of a [`StoreTx`], in order.
pub struct OpRefs<'a> {
    ops: &'a [u8],
    longs: &'a [Arc<[u8]>],
    at: usize,
    long: usize,
}

impl<'a> OpRefs<'a> {
    #[inline]
    fn uint(&mut self) -> usize {
        match self.ops.get(self.at) {
            Some(&b) if b < 0x80 => {
                self.at += 1;
                return b as usize;
            }
            _ => {}
        }
        let mut v = 0;
        let mut shift = 0;
        while let Some(&b) = self.ops.get(self.at) {
            self.at += 1;
            // Damaged bytes may run on past a usize: the excess is dropped
            // (what is read is then refused by `from_parts`), not a panic.
            v |= ((b & 0x7f) as usize).checked_shl(shift).unwrap_or(0);
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        v
    }

    /// What [`text`] wrote, or `Err(n)` for an odd `n` in its place.
    fn text(&mut self) -> Result<&'a [u8], usize> {
        let n = self.uint();
        if n % 2 == 1 {
            return Err(n);
        }
        let ops: &'a [u8] = self.ops;
        let end = (self.at + n / 2).min(ops.len());
        let t = &ops[self.at..end];
        self.at = end;
        Ok(t)
    }

    fn key(&mut self) -> &'a str {
        match self.text() {
            // Written from a `str` (a key).
            Ok(t) => std::str::from_utf8(t).unwrap_or_default(),
            Err(n) => KEYS.get(n / 2).copied().unwrap_or_default(),
        }
    }

    /// Past what [`text`] wrote; whether it was a long value's mark (an
    /// odd number) instead.
    fn pass(&mut self) -> bool {
        let n = self.uint();
        if n % 2 == 1 {
            return true;
        }
        self.at = (self.at + n / 2).min(self.ops.len());
        false
    }

    /// The next operation on `prefix`, or one that erases a whole prefix
    /// (for a prefix not a known one: on any such prefix, which the caller
    /// compares): the others are passed over without reading their keys' text (the
    /// fold reads a config-key mirror out of every transaction that
    /// writes one, among a round's paxos keys; decoding each key was most
    /// of its time there).
    pub fn next_on(&mut self, prefix: &str) -> Option<OpRef<'a>> {
        let index = known_prefix_index(prefix).map_or(OTHER_PREFIX, |i| i as u8);
        loop {
            let tag = *self.ops.get(self.at)?;
            // As `next` reads it: a prefix not known is written out.
            let known = known_prefix_name((tag >> 2) as usize).is_some();
            if tag & 3 >= ERASE_PREFIX || tag >> 2 == index || (!known && index == OTHER_PREFIX) {
                return self.next();
            }
            self.at += 1;
            if !known {
                self.pass();
            }
            self.pass();
            if tag & 3 == PUT && self.pass() {
                self.long += 1;
            }
        }
    }

    fn value(&mut self) -> Value<'a> {
        match self.text() {
            Ok(v) => Value::Inline(v),
            Err(_) => {
                let long: &'a [Arc<[u8]>] = self.longs;
                self.long += 1;
                long.get(self.long - 1).map_or(Value::None, Value::Long)
            }
        }
    }
}

impl<'a> Iterator for OpRefs<'a> {
    type Item = OpRef<'a>;

    fn next(&mut self) -> Option<OpRef<'a>> {
        let tag = *self.ops.get(self.at)?;
        self.at += 1;
        let prefix = match known_prefix_name((tag >> 2) as usize) {
            Some(p) => p,
            None => std::str::from_utf8(self.text().unwrap_or_default()).unwrap_or_default(),
        };
        let kind = match tag & 3 {
            PUT => OpKind::Put,
            ERASE => OpKind::Erase,
            _ => OpKind::ErasePrefix,
        };
        let key = match kind {
            OpKind::ErasePrefix => "",
            _ => self.key(),
        };
        let value = match kind {
            OpKind::Put => self.value(),
            _ => Value::None,
        };
        Some(OpRef {
            kind,
            prefix,
            key,
            value,
        })
    }
}

/// As the [`Transaction`] it was.
impl Serialize for StoreTx {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_transaction().serialize(s)
    }
}

impl fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_transaction().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same allocation.
    fn shared(a: &StoreTx, b: &StoreTx) -> bool {
        matches!((&a.0, &b.0), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }

    #[test]
    fn a_recorded_transaction_reads_back_as_it_was() {
        let long = vec![7u8; 300];
        let long_key = "a_key_longer_than_any_inline_one_".repeat(5);
        let mut tx = Transaction::new();
        tx.put("paxos", "1234", long.clone())
            .put_u64("paxos", "last_committed", 1234)
            .put("kv", &long_key, b"short")
            .put("mon_config_key", "k12", b"")
            .erase("paxos", "1200")
            .put("an_unknown_prefix", "pending_v", long.clone())
            .erase("an_unknown_prefix", "")
            .erase_prefix("monitor")
            .erase_prefix("another_unknown_one");
        let packed = StoreTx::new(&tx);
        assert_eq!(packed.to_transaction(), tx);
        assert_eq!(packed.op_refs().count(), 9);
        assert_eq!(
            serde_json::to_string(&packed).unwrap(),
            serde_json::to_string(&tx).unwrap()
        );
        // The long values are shared with the transaction's, not copied.
        assert_eq!(packed.parts().1.len(), 2);
        assert!(StoreTx::new(&Transaction::new()).is_empty());
        // Its parts read back as it, and nothing else does.
        let (ops, long) = packed.parts();
        assert_eq!(
            StoreTx::from_parts(ops.into(), long.into()),
            Some(packed.clone())
        );
        assert_eq!(StoreTx::from_parts(ops.into(), [].into()), None);
        assert_eq!(
            StoreTx::from_parts(ops[..ops.len() - 1].into(), long.into()),
            None
        );
        assert_eq!(
            StoreTx::from_parts([0xff, 0xfe, 0x80].into(), [].into()),
            None
        );
        assert_ne!(packed, StoreTx::new(&Transaction::new()));
    }

    #[test]
    fn the_operations_on_a_prefix_are_those_read_in_full_on_it() {
        let long = vec![7u8; 300];
        let mut tx = Transaction::new();
        tx.put("paxos", "1234", long.clone())
            .put("mon_config_key", "k1", b"v1")
            .put_u64("paxos", "last_committed", 1234)
            .put("an_unknown_prefix", "pending_v", long.clone())
            .put("mon_config_key", "k2", long.clone())
            .erase("an_unknown_prefix", "k")
            .erase("mon_config_key", "k1")
            .erase_prefix("monitor")
            .put("kv", "x", b"y")
            .erase_prefix("another_unknown_one")
            .put("another_unknown_one", "k3", b"z");
        let packed = StoreTx::new(&tx);
        for prefix in [
            "mon_config_key",
            "paxos",
            "an_unknown_prefix",
            "kv",
            "absent",
        ] {
            let mut on = packed.op_refs();
            let mut seen = Vec::new();
            while let Some(op) = on.next_on(prefix) {
                // A prefix not known: any such prefix's operations come.
                if op.kind == OpKind::ErasePrefix || op.prefix == prefix {
                    seen.push(op.to_op());
                } else {
                    assert!(known_prefix_index(prefix).is_none());
                }
            }
            let all: Vec<StoreOp> = packed
                .op_refs()
                .filter(|op| op.kind == OpKind::ErasePrefix || op.prefix == prefix)
                .map(OpRef::to_op)
                .collect();
            assert_eq!(seen, all, "{prefix}");
        }
    }

    #[test]
    fn a_transaction_packed_again_is_shared_only_when_it_repeats_the_last() {
        let long: Arc<[u8]> = vec![7u8; 300].into();
        let tx = |v: &Arc<[u8]>, lc| {
            let mut tx = Transaction::new();
            tx.put("paxos", "13", v.clone())
                .put_u64("paxos", "pending_v", lc);
            tx
        };
        let mut p = Packer::default();
        let a = p.pack(&tx(&long, 13));
        let b = p.pack(&tx(&long, 13));
        assert!(shared(&a, &b));
        // Other bytes, or equal bytes in another value: packed anew.
        let c = p.pack(&tx(&long, 14));
        assert!(!shared(&b, &c));
        let copy: Arc<[u8]> = vec![7u8; 300].into();
        let d = p.pack(&tx(&copy, 14));
        assert!(!shared(&c, &d) && Arc::ptr_eq(&d.parts().1[0], &copy));
        assert_eq!(c, d);
        for (packed, lc) in [(a, 13), (b, 13), (c, 14), (d, 14)] {
            assert_eq!(packed.to_transaction(), tx(&long, lc));
        }
    }
}
