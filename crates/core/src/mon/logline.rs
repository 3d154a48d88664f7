//! Log lines written piece by piece, for the lines every paxos round writes.
//!
//! A round writes about twenty log lines ("lease on lc 12 until 31.5",
//! "accepting v13 pn 100", "store_state [13..13]", ...), and `format!` took
//! about 900 instructions for each: its generic machinery and a buffer
//! grown as it went, 8% of the benchmark. [`logline!`](crate::logline)
//! measures its pieces first, allocates the line once at its exact length
//! and writes each piece directly. The text is the same as `format!` with
//! `{}` gives (the tests compare them).

use crate::time::{Secs, SEC};

/// A piece of a log line: its length in bytes, and the piece written out.
pub trait Piece {
    fn width(&self) -> usize;
    fn put(&self, s: &mut String);
}

impl Piece for &str {
    fn width(&self) -> usize {
        str::len(self)
    }
    fn put(&self, s: &mut String) {
        s.push_str(self);
    }
}

/// Decimal digits of `v`.
fn digits(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// "00".."99": two digits per division (a division per digit was most of
/// a line's instructions).
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `v` in decimal, at least `width` digits (zero-padded).
fn put_u64(s: &mut String, mut v: u64, width: usize) {
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
    // One copy, neither a `push` per character nor a UTF-8 check (each
    // cost as much as the rest of the line).
    // SAFETY: `buf` holds only the ASCII digits b'0'..=b'9', so `s` stays UTF-8.
    unsafe { s.as_mut_vec() }.extend_from_slice(&buf[i..]);
}

/// Unsigned integers, in decimal.
macro_rules! unsigned_piece {
    ($($t:ty),+) => {$(
        impl Piece for $t {
            fn width(&self) -> usize {
                digits(*self as u64)
            }
            fn put(&self, s: &mut String) {
                put_u64(s, *self as u64, 1);
            }
        }
    )+};
}
unsigned_piece!(u64, u32, usize);

/// A rank (`Rank` is an `i32`; -1 is "none").
impl Piece for i32 {
    fn width(&self) -> usize {
        usize::from(*self < 0) + digits(self.unsigned_abs() as u64)
    }
    fn put(&self, s: &mut String) {
        if *self < 0 {
            s.push('-');
        }
        put_u64(s, self.unsigned_abs() as u64, 1);
    }
}

/// Seconds as [`Secs`] displays them: up to six decimals, no trailing zeros.
impl Piece for Secs {
    fn width(&self) -> usize {
        let (whole, frac) = (self.0 / SEC, self.0 % SEC);
        if frac == 0 {
            return digits(whole);
        }
        digits(whole) + 1 + frac_digits(frac).1
    }
    fn put(&self, s: &mut String) {
        let (whole, frac) = (self.0 / SEC, self.0 % SEC);
        put_u64(s, whole, 1);
        if frac != 0 {
            let (frac, width) = frac_digits(frac);
            s.push('.');
            put_u64(s, frac, width);
        }
    }
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

/// A `String` of the pieces (`&str`, integers, [`Secs`]) one after another,
/// allocated once: `logline!("accepting v", v, " pn ", pn)`.
#[macro_export]
macro_rules! logline {
    ($($p:expr),+ $(,)?) => {{
        let mut len = 0;
        $( len += $crate::mon::logline::Piece::width(&$p); )+
        let mut s = String::with_capacity(len);
        $( $crate::mon::logline::Piece::put(&$p, &mut s); )+
        s
    }};
}

#[cfg(test)]
mod tests {
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
            let line = logline!("lease on lc ", t, " until ", Secs(t));
            assert_eq!(line, format!("lease on lc {t} until {}", Secs(t)));
            assert_eq!(line.len(), line.capacity());
        }
        assert_eq!(logline!("v", 7u32, " (", 3usize, " ops)"), "v7 (3 ops)");
        for r in [-1i32, 0, 4, i32::MIN] {
            assert_eq!(logline!("mon.", r), format!("mon.{r}"));
        }
    }
}
