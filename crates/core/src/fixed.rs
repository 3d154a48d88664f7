//! Decimal text of an `f64`, written with integers: exactly what
//! `format!("{x:.N}")` (and, for [`shortest`], `format!("{x}")`) print.
//! The standard library's float formatting (Grisu with a Dragon4 fallback
//! and their tables of powers of ten) is about 15 kB of the page's wasm
//! (docs/performance.md, "Transfer"); this is a few hundred bytes.

use std::fmt;

/// `x` within `[lo, hi]`, as `f64::clamp` (NaN stays NaN) but without its
/// assertion, whose message prints the bounds with `{:?}` and so links the
/// float printer into the page. `lo <= hi` is the caller's.
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// `Fixed(x, d)` prints as `format!("{x:.d$}")` does, for `d` up to 19:
/// the exact binary value rounded half to even, `-` for any negative
/// (`-0.0` too), `NaN` and `inf` as Rust spells them.
#[derive(Clone, Copy, Debug)]
pub struct Fixed(pub f64, pub u32);

/// The mantissa and power of two of a finite `x >= 0`: x = m · 2^e.
fn parts(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, exp - 1075)
    }
}

/// round(m · 2^-k), halves to even, for `m < 2^64` (0 when k ≥ 128).
fn shift_round(m: u128, k: u32) -> u128 {
    if k >= 128 {
        return 0;
    }
    let q = m >> k;
    let r = m - (q << k);
    let half = 1u128 << (k - 1);
    if r > half || (r == half && q & 1 == 1) {
        q + 1
    } else {
        q
    }
}

/// The digits of m · 2^e (an integer past 2^64) in base 10^9, highest first.
fn big(m: u64, e: i32) -> Vec<u32> {
    const B: u64 = 1_000_000_000;
    // Lowest limb first while doubling.
    let mut limbs = vec![(m % B) as u32, ((m / B) % B) as u32, (m / B / B) as u32];
    for _ in 0..e {
        let mut carry = 0;
        for l in limbs.iter_mut() {
            let v = u64::from(*l) * 2 + carry;
            *l = (v % B) as u32;
            carry = v / B;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs.reverse();
    limbs
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(x, d) = *self;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        if x.is_infinite() {
            return f.write_str("inf");
        }
        let (m, e) = parts(x.abs());
        let pow = 10u64.pow(d);
        if e > 11 {
            // An integer of 2^64 or more: no fraction.
            let limbs = big(m, e);
            write!(f, "{}", limbs[0])?;
            for l in &limbs[1..] {
                write!(f, "{l:09}")?;
            }
        } else {
            let n = if e >= 0 {
                u128::from(m << e) * u128::from(pow)
            } else {
                shift_round(u128::from(m) * u128::from(pow), e.unsigned_abs())
            };
            // n < 2^64 · 10^d, so the whole part fits a u64.
            write!(f, "{}", (n / u128::from(pow)) as u64)?;
            if d > 0 {
                return write!(f, ".{:01$}", (n % u128::from(pow)) as u64, d as usize);
            }
            return Ok(());
        }
        if d > 0 {
            write!(f, ".{:01$}", 0, d as usize)?;
        }
        Ok(())
    }
}

/// `format!("{x}")` for an `x >= 0` below 2^64 that a scenario's option
/// can hold (read by `scenario::units::decimal_f64`: at most 19 significant
/// digits and 19 decimals): the fewest digits that read back as `x`, the
/// nearest to `x` of those. `None` for other values.
pub fn shortest(x: f64) -> Option<String> {
    if !(x.is_sign_positive() && x < 18_446_744_073_709_551_616.0) {
        return None;
    }
    let (m, e) = parts(x);
    if e >= 0 {
        // An integer: the fewest significant digits (the largest power of
        // ten to round to) that still reads back as x, zeros after them.
        let n = u128::from(m << e);
        let mut best = n;
        let mut step = 10u128;
        while step <= n {
            let down = n / step * step;
            let up = down + step;
            match (down as f64 == x, up as f64 == x) {
                (true, true) if up - n < n - down => best = up,
                (true, _) => best = down,
                (false, true) => best = up,
                _ => {}
            }
            step *= 10;
        }
        let mut out = String::new();
        let mut b = best;
        loop {
            out.insert(0, char::from(b'0' + (b % 10) as u8));
            b /= 10;
            if b == 0 {
                return Some(out);
            }
        }
    }
    // A fraction: the fewest decimals (so the fewest significant digits).
    for d in 0..=19u32 {
        let pow = 10u128.pow(d);
        let k = e.unsigned_abs();
        // Floor and ceiling of x · 10^d, which is below 2^64 · 10^19.
        let scaled = u128::from(m).checked_mul(pow)?;
        let down = if k >= 128 { 0 } else { scaled >> k };
        let mut best = None;
        for c in [down, down + 1] {
            let Ok(c64) = u64::try_from(c) else { continue };
            let text = decimal_text(c64, d);
            if crate::scenario::units::decimal_f64(&text) == Some(x) {
                // The nearer of the two (x · 10^d - down is below a half
                // exactly when down is nearer).
                let nearer_down = k < 128 && (scaled - (down << k)) < (1u128 << (k - 1));
                if best.is_none() || (c == down) == nearer_down {
                    best = Some(text);
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// `n / 10^d` written out, e.g. (1500, 3) → "1.5" (trailing zeros dropped).
fn decimal_text(n: u64, d: u32) -> String {
    let pow = 10u64.pow(d);
    let mut s = (n / pow).to_string();
    if d > 0 {
        let frac = format!("{:01$}", n % pow, d as usize);
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{shortest, Fixed};

    /// A spread of doubles: random bits (every exponent), small decimals,
    /// exact ties at each precision, and the edges.
    fn samples() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            0.05,
            0.15,
            0.25,
            0.35,
            2.5,
            -2.5,
            0.125,
            1.0005,
            0.0005,
            -0.0004,
            f64::MIN_POSITIVE,
            f64::MAX,
            -f64::MAX,
            5e-324,
            1e15,
            18_446_744_073_709_551_616.0,
            9_007_199_254_740_993.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..10_000u64 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.push(f64::from_bits(s));
            v.push((s % 2_000_000) as f64 / 1000.0 - 1000.0);
            v.push((s % 1_000_000) as f64 / 8.0 / 1000.0);
            v.push(i as f64 / 16.0);
            v.push((s >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * 1400.0);
        }
        v
    }

    #[test]
    fn fixed_prints_what_the_standard_formatter_prints() {
        for x in samples() {
            assert_eq!(Fixed(x, 0).to_string(), format!("{x:.0}"), "{:e}", x);
            assert_eq!(Fixed(x, 1).to_string(), format!("{x:.1}"), "{:e}", x);
            assert_eq!(Fixed(x, 2).to_string(), format!("{x:.2}"), "{:e}", x);
            assert_eq!(Fixed(x, 3).to_string(), format!("{x:.3}"), "{:e}", x);
        }
    }

    #[test]
    fn clamp_is_f64_clamp() {
        for x in samples() {
            for (lo, hi) in [(0.0, 1.0), (0.15, 1.0), (-1.0, 0.0), (0.0001, 100.0)] {
                let (a, b) = (super::clamp(x, lo, hi), x.clamp(lo, hi));
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{x:e}"
                );
            }
        }
    }

    #[test]
    fn shortest_prints_what_the_standard_formatter_prints_for_option_values() {
        let mut n = 0;
        for x in samples() {
            if let Some(s) = shortest(x) {
                assert_eq!(s, format!("{x}"), "{:e}", x);
                n += 1;
            }
        }
        assert!(n > 25_000, "{n}");
        for t in [
            "0.6",
            "2",
            "0.1",
            "1.5",
            "0.3333333333333333333",
            "1234567890.123",
            "12345678901234567890",
        ] {
            let x = crate::scenario::units::decimal_f64(t).unwrap();
            assert_eq!(shortest(x).unwrap(), format!("{x}"), "{t}");
        }
        assert_eq!(shortest(-1.0), None);
        assert_eq!(shortest(f64::NAN), None);
    }
}
