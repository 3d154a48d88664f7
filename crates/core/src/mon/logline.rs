//! A monitor's log line, kept as what it says and written out when shown.
//!
//! A paxos round writes about twenty-four log lines ("lease on lc 12 until
//! 31.5", "accepting v13 pn 100", "store_state [13..13]", ...): a quarter of
//! a write's allocations when each was a `String` formatted as it happened
//! and kept in the trace. The lines every round writes are [`LogLine`]'s
//! own kinds, a few numbers each, formatted only when read
//! ([`LogLine::text`]: the page, the CLI's timeline, the JSON and the
//! trace's binary form all read that text, so what they show is the same
//! as when each line was a string). Fixed lines are `&'static str`; any
//! other line is a `String`.

use crate::mon::{Rank, Version};
use crate::time::{Time, SEC};
use crate::trace::event::ThinStr;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A line of a monitor's log. Two lines are equal when their texts are.
///
/// 16 bytes (a `Log` event is then 24 with its node and tag, as the other
/// kinds): one word of payload beside the tag. A text is behind one
/// pointer ([`ThinStr`]), a fixed line a reference to its `&'static str`,
/// and a line of two numbers keeps one of them in 32 bits; where that
/// number is past 32 bits the line is kept as its text (the constructors
/// below), which reads the same.
#[derive(Clone, Debug)]
pub enum LogLine {
    /// Any line, formatted when it was written.
    Text(ThinStr),
    /// A fixed line ("trigger_propose: active, proposing now").
    Static(&'static &'static str),
    /// PaxosService::propose_pending's "{service}: forced immediate propose".
    ForcedPropose(&'static &'static str),
    /// Paxos::propose_pending: "propose_pending v{v} ({ops} ops)"
    /// ([`LogLine::propose_pending`]).
    ProposePending { v: Version, ops: u32 },
    /// Paxos::begin: "begin v{v} pn {pn}" ([`LogLine::begin`]).
    Begin { v: u32, pn: u64 },
    /// Paxos::handle_begin: "accepting v{v} pn {pn}" ([`LogLine::accepting`]).
    Accepting { v: u32, pn: u64 },
    /// Paxos::handle_accept: "all accepted v{v}".
    AllAccepted(Version),
    /// Paxos::commit_finish: "commit v{v}".
    Commit(Version),
    /// Paxos::store_state: "store_state [{lo}..{hi}]" ([`LogLine::store_state`]).
    StoreState { lo: u32, hi: Version },
    /// Paxos::extend_lease: "extend_lease to {until}" (seconds).
    ExtendLease(Time),
    /// Paxos::handle_lease: "lease on lc {lc} until {until}" (seconds;
    /// [`LogLine::lease_on`]).
    LeaseOn { lc: u32, until: Time },
    /// Paxos::handle_lease_ack: "LEASE_ACK from mon.{from}: got everyone".
    LeaseAckAll(Rank),
}

// A line past 16 bytes makes every `Log` event, and so every event, larger.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<LogLine>() == 16);

/// A number in a line: a count or version, a rank (-1 is "none"), or a
/// time in seconds as [`Secs`] shows it (up to six decimals, no trailing zeros).
#[derive(Clone, Copy)]
enum Num {
    U(u64),
    Rank(Rank),
    Secs(Time),
}

impl Num {
    fn put(self, s: &mut String) {
        match self {
            Num::U(v) => put_u64(s, v, 1),
            Num::Rank(r) => {
                if r < 0 {
                    s.push('-');
                }
                put_u64(s, r.unsigned_abs() as u64, 1);
            }
            Num::Secs(t) => {
                let (whole, frac) = (t / SEC, t % SEC);
                put_u64(s, whole, 1);
                if frac != 0 {
                    let (frac, width) = frac_digits(frac);
                    s.push('.');
                    put_u64(s, frac, width);
                }
            }
        }
    }
}

/// `v` in decimal, appended as a log line writes it (no `core::fmt`).
pub fn push_u64(s: &mut String, v: u64) {
    put_u64(s, v, 1)
}

/// A time in seconds appended as [`crate::time::Secs`] shows it.
pub fn push_secs(s: &mut String, t: Time) {
    Num::Secs(t).put(s)
}

/// "00".."99": two digits per division (a division per digit was most of
/// a line's instructions).
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `v` in decimal, at least `width` digits (zero-padded).
pub(crate) fn put_u64(s: &mut String, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else if v > 0 {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i = i.min(buf.len() - width.clamp(1, buf.len()));
    // One copy, neither a `push` per character nor a UTF-8 check.
    // SAFETY: `buf` holds only the ASCII digits b'0'..=b'9', so `s` stays UTF-8.
    unsafe { s.as_mut_vec() }.extend_from_slice(&buf[i..]);
}

/// A fraction of a second (in microseconds) without its trailing zeros, and
/// how many of its six digits remain.
fn frac_digits(mut frac: u64) -> (u64, usize) {
    let mut width = 6;
    while frac.is_multiple_of(10) {
        frac /= 10;
        width -= 1;
    }
    (frac, width)
}

/// A line of the numbered kinds: text, a number, text, a number, text.
type Parts = (
    &'static str,
    Option<Num>,
    &'static str,
    Option<Num>,
    &'static str,
);

impl LogLine {
    /// The line as the log shows it.
    pub fn text(&self) -> Cow<'_, str> {
        use Num::{Rank as R, Secs as S, U};
        let (a, x, b, y, c): Parts = match self {
            LogLine::Text(s) => return Cow::Borrowed(s),
            LogLine::Static(s) => return Cow::Borrowed(*s),
            LogLine::ForcedPropose(service) => {
                (**service, None, ": forced immediate propose", None, "")
            }
            LogLine::ProposePending { v, ops } => propose_pending(*v, *ops as u64),
            LogLine::Begin { v, pn } => begin(*v as u64, *pn),
            LogLine::Accepting { v, pn } => accepting(*v as u64, *pn),
            LogLine::AllAccepted(v) => ("all accepted v", Some(U(*v)), "", None, ""),
            LogLine::Commit(v) => ("commit v", Some(U(*v)), "", None, ""),
            LogLine::StoreState { lo, hi } => store_state(*lo as u64, *hi),
            LogLine::ExtendLease(until) => ("extend_lease to ", Some(S(*until)), "", None, ""),
            LogLine::LeaseOn { lc, until } => lease_on(*lc as u64, *until),
            LogLine::LeaseAckAll(from) => (
                "LEASE_ACK from mon.",
                Some(R(*from)),
                ": got everyone",
                None,
                "",
            ),
        };
        Cow::Owned(spell((a, x, b, y, c)))
    }

    /// Paxos::propose_pending's line.
    pub fn propose_pending(v: Version, ops: u64) -> LogLine {
        match u32::try_from(ops) {
            Ok(ops) => LogLine::ProposePending { v, ops },
            Err(_) => spelled(propose_pending(v, ops)),
        }
    }

    /// Paxos::begin's line.
    pub fn begin(v: Version, pn: u64) -> LogLine {
        match u32::try_from(v) {
            Ok(v) => LogLine::Begin { v, pn },
            Err(_) => spelled(begin(v, pn)),
        }
    }

    /// Paxos::handle_begin's line.
    pub fn accepting(v: Version, pn: u64) -> LogLine {
        match u32::try_from(v) {
            Ok(v) => LogLine::Accepting { v, pn },
            Err(_) => spelled(accepting(v, pn)),
        }
    }

    /// Paxos::store_state's line.
    pub fn store_state(lo: Version, hi: Version) -> LogLine {
        match u32::try_from(lo) {
            Ok(lo) => LogLine::StoreState { lo, hi },
            Err(_) => spelled(store_state(lo, hi)),
        }
    }

    /// Paxos::handle_lease's line.
    pub fn lease_on(lc: Version, until: Time) -> LogLine {
        match u32::try_from(lc) {
            Ok(lc) => LogLine::LeaseOn { lc, until },
            Err(_) => spelled(lease_on(lc, until)),
        }
    }
}

fn propose_pending(v: Version, ops: u64) -> Parts {
    (
        "propose_pending v",
        Some(Num::U(v)),
        " (",
        Some(Num::U(ops)),
        " ops)",
    )
}

fn begin(v: Version, pn: u64) -> Parts {
    ("begin v", Some(Num::U(v)), " pn ", Some(Num::U(pn)), "")
}

fn accepting(v: Version, pn: u64) -> Parts {
    ("accepting v", Some(Num::U(v)), " pn ", Some(Num::U(pn)), "")
}

fn store_state(lo: Version, hi: Version) -> Parts {
    (
        "store_state [",
        Some(Num::U(lo)),
        "..",
        Some(Num::U(hi)),
        "]",
    )
}

fn lease_on(lc: Version, until: Time) -> Parts {
    let (lc, until) = (Num::U(lc), Num::Secs(until));
    ("lease on lc ", Some(lc), " until ", Some(until), "")
}

/// A line kept as its text (a number past 32 bits): one copy of the
/// code, out of the constructors' way.
#[cold]
#[inline(never)]
fn spelled(parts: Parts) -> LogLine {
    LogLine::Text(spell(parts).into())
}

/// A numbered line's text, written without `core::fmt` (about 900
/// instructions a line).
fn spell((a, x, b, y, c): Parts) -> String {
    let mut s = String::with_capacity(a.len() + b.len() + c.len() + 40);
    s.push_str(a);
    x.inspect(|n| n.put(&mut s));
    s.push_str(b);
    y.inspect(|n| n.put(&mut s));
    s.push_str(c);
    s
}

impl PartialEq for LogLine {
    fn eq(&self, other: &LogLine) -> bool {
        self.text() == other.text()
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The JSON has the text, as when the line was a string.
impl Serialize for LogLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl From<String> for LogLine {
    fn from(s: String) -> LogLine {
        LogLine::Text(s.into())
    }
}

/// A fixed line: `out.log(&"bootstrap")` (a reference to the literal, so
/// the line is one pointer).
impl From<&'static &'static str> for LogLine {
    fn from(s: &'static &'static str) -> LogLine {
        LogLine::Static(s)
    }
}

#[cfg(test)]
mod tests {
    use super::LogLine;
    use crate::time::Secs;

    #[test]
    fn a_line_reads_as_format_writes_it() {
        for t in [
            0,
            1,
            9,
            10,
            500_000,
            31_500_000,
            30_000_050,
            7_123_456,
            99,
            100,
            1_000_001,
            u64::MAX,
        ] {
            let line = LogLine::lease_on(t, t).text().into_owned();
            assert_eq!(line, format!("lease on lc {t} until {}", Secs(t)));
        }
        let line = LogLine::ProposePending { v: 7, ops: 3 };
        assert_eq!(line.text(), "propose_pending v7 (3 ops)");
        // A number past 32 bits: the line is kept as its text, read the same.
        let big = u64::MAX;
        for (line, text) in [
            (
                LogLine::propose_pending(big, big),
                format!("propose_pending v{big} ({big} ops)"),
            ),
            (LogLine::begin(big, big), format!("begin v{big} pn {big}")),
            (LogLine::accepting(big, 3), format!("accepting v{big} pn 3")),
            (
                LogLine::store_state(big, big),
                format!("store_state [{big}..{big}]"),
            ),
        ] {
            assert!(matches!(line, LogLine::Text(_)));
            assert_eq!(line.text(), text);
        }
        assert_eq!(LogLine::begin(7, big).text(), format!("begin v7 pn {big}"));
        assert_eq!(
            LogLine::store_state(2, big).text(),
            format!("store_state [2..{big}]")
        );
        for r in [-1i32, 0, 4, i32::MIN] {
            assert_eq!(
                LogLine::LeaseAckAll(r).text(),
                format!("LEASE_ACK from mon.{r}: got everyone")
            );
        }
        assert_eq!(
            LogLine::ForcedPropose(&"kv").text(),
            "kv: forced immediate propose"
        );
    }

    #[test]
    fn lines_are_equal_when_their_texts_are() {
        assert_eq!(LogLine::Commit(12), LogLine::from("commit v12".to_string()));
        assert_ne!(LogLine::Commit(12), LogLine::Commit(13));
        assert_eq!(
            LogLine::from(&"bootstrap"),
            LogLine::Text("bootstrap".into())
        );
    }
}
