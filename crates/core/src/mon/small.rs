//! The names and values of store operations, kept inline when short.
//!
//! A paxos round writes a dozen keys per monitor (`last_committed`, the
//! version, the config-key and its value, ...), and most of them are a few
//! bytes: an 8-byte counter, "1234", "k12", "v3456". Held in a `String` or a
//! `Vec<u8>` each was an allocation, made again wherever the operation was
//! decoded, applied to a store or recorded in the trace (about 90 of the
//! benchmark's 234 allocations per write). Here a short one lives in the
//! 24 bytes a `Vec` header took, and a long one (an encoded paxos value) is
//! shared, so a store and the trace that record the same write hold one copy.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The longest string or byte string kept inline: what fits in the three
/// words of a `Vec` header besides a tag and a length (22 bytes natively, 10
/// in wasm32, where a `Vec` header is 12 bytes).
const INLINE: usize = 3 * std::mem::size_of::<usize>() - 2;

/// Bytes: up to [`INLINE`] inline, longer ones shared.
#[derive(Clone)]
pub struct SmallBytes(BytesRepr);

#[derive(Clone)]
enum BytesRepr {
    Inline(u8, [u8; INLINE]),
    Shared(Arc<[u8]>),
}

impl SmallBytes {
    pub fn new(b: &[u8]) -> SmallBytes {
        SmallBytes(match inline(b) {
            Some((n, buf)) => BytesRepr::Inline(n, buf),
            None => BytesRepr::Shared(b.into()),
        })
    }
    /// The shared bytes of a long value (`None` for an inline one).
    pub fn shared(&self) -> Option<&Arc<[u8]>> {
        match &self.0 {
            BytesRepr::Shared(b) => Some(b),
            BytesRepr::Inline(..) => None,
        }
    }
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            BytesRepr::Inline(n, buf) => &buf[..*n as usize],
            BytesRepr::Shared(b) => b,
        }
    }
}

fn inline(b: &[u8]) -> Option<(u8, [u8; INLINE])> {
    if b.len() > INLINE {
        return None;
    }
    let mut buf = [0; INLINE];
    crate::short_copy::copy_into_zeroed(&mut buf, b);
    Some((b.len() as u8, buf))
}

/// No bytes (inline).
impl Default for SmallBytes {
    fn default() -> Self {
        SmallBytes(BytesRepr::Inline(0, [0; INLINE]))
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> Self {
        SmallBytes::new(b)
    }
}

impl<const N: usize> From<&[u8; N]> for SmallBytes {
    fn from(b: &[u8; N]) -> Self {
        SmallBytes::new(b)
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(b: Vec<u8>) -> Self {
        match inline(&b) {
            Some((n, buf)) => SmallBytes(BytesRepr::Inline(n, buf)),
            None => SmallBytes(BytesRepr::Shared(b.into())),
        }
    }
}

/// Shared, not copied, unless it is short enough to be inline.
impl From<Arc<[u8]>> for SmallBytes {
    fn from(b: Arc<[u8]>) -> Self {
        match inline(&b) {
            Some((n, buf)) => SmallBytes(BytesRepr::Inline(n, buf)),
            None => SmallBytes(BytesRepr::Shared(b)),
        }
    }
}

impl From<&Vec<u8>> for SmallBytes {
    fn from(b: &Vec<u8>) -> Self {
        SmallBytes::new(b)
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, o: &Self) -> bool {
        self.as_slice() == o.as_slice()
    }
}
impl Eq for SmallBytes {}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// As the `Vec<u8>` it replaces: a sequence of numbers.
impl Serialize for SmallBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// A string: a static one borrowed, up to [`INLINE`] bytes inline, longer ones shared.
#[derive(Clone)]
pub struct SmallStr(StrRepr);

#[derive(Clone)]
enum StrRepr {
    Static(&'static str),
    Inline(u8, [u8; INLINE]),
    Shared(Arc<str>),
}

impl SmallStr {
    pub const fn from_static(s: &'static str) -> SmallStr {
        SmallStr(StrRepr::Static(s))
    }
    pub fn new(s: &str) -> SmallStr {
        SmallStr(match inline(s.as_bytes()) {
            Some((n, buf)) => StrRepr::Inline(n, buf),
            None => StrRepr::Shared(s.into()),
        })
    }
    pub fn as_str(&self) -> &str {
        match &self.0 {
            StrRepr::Static(s) => s,
            // Not validated again on every read (a store lookup hashes and
            // compares its key through here: validating was 2% of the
            // benchmark's instructions).
            // SAFETY: `Inline` is only made by `SmallStr::new` from the bytes
            // of a `&str` (a whole string, so they are UTF-8) and never changed.
            StrRepr::Inline(n, buf) => unsafe {
                std::str::from_utf8_unchecked(&buf[..*n as usize])
            },
            StrRepr::Shared(s) => s,
        }
    }
}

impl Deref for SmallStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SmallStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// As `str` hashes, so a map keyed by `SmallStr` is searched with a `&str`.
impl Hash for SmallStr {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl PartialEq for SmallStr {
    fn eq(&self, o: &Self) -> bool {
        self.as_str() == o.as_str()
    }
}
impl Eq for SmallStr {}

impl PartialEq<str> for SmallStr {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}
impl PartialEq<&str> for SmallStr {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}
impl PartialEq<SmallStr> for str {
    fn eq(&self, o: &SmallStr) -> bool {
        self == o.as_str()
    }
}
impl PartialEq<SmallStr> for &str {
    fn eq(&self, o: &SmallStr) -> bool {
        *self == o.as_str()
    }
}

impl fmt::Display for SmallStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SmallStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl Serialize for SmallStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_values_read_back_as_written_and_serialize_as_before() {
        for len in [0, 8, 22, 23, 200] {
            let v: Vec<u8> = (0..len as u8).collect();
            let b = SmallBytes::from(v.clone());
            assert_eq!(b.as_slice(), v.as_slice());
            assert_eq!(
                serde_json::to_string(&b).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
            let s: String = "k".repeat(len);
            let k = SmallStr::new(&s);
            assert_eq!(k.as_str(), s);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                serde_json::to_string(&s).unwrap()
            );
        }
        let vec = std::mem::size_of::<Vec<u8>>();
        assert_eq!(std::mem::size_of::<SmallBytes>(), vec);
        assert_eq!(std::mem::size_of::<SmallStr>(), vec);
    }
}
