//! Exact decimal numbers of the scenario language: durations, percents,
//! whole numbers. Integer arithmetic only, so every platform agrees.

use super::ast::{Ppb, PPB_100_PERCENT};
use crate::time::{Duration, MIN, MS, SEC, US};

/// Why a decimal did not convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// Not of the form `DIGITS[.DIGITS]`.
    Syntax,
    /// More precision than the unit allows (e.g. half a microsecond).
    TooFine,
    TooLarge,
}

/// `DIGITS[.DIGITS]` times `unit`, where the decimal is in units of `unit / 10^0`
/// and the result must be a whole number: `decimal_times("1.5", SEC)` is 1_500_000.
pub fn decimal_times(text: &str, unit: u64) -> Result<u64, DecimalError> {
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
        return Err(DecimalError::Syntax);
    }
    let mut total: u64 = 0;
    for b in whole.bytes() {
        total = total
            .checked_mul(10)
            .and_then(|t| t.checked_add(u64::from(b - b'0')))
            .ok_or(DecimalError::TooLarge)?;
    }
    total = total.checked_mul(unit).ok_or(DecimalError::TooLarge)?;
    let frac = frac.unwrap_or("").trim_end_matches('0');
    if frac.is_empty() {
        return Ok(total);
    }
    // Every unit used here divides 10^9 * 60, so a whole result needs at most
    // 9 significant decimals; more means the value is finer than the unit.
    if frac.len() > 9 {
        return Err(DecimalError::TooFine);
    }
    let mut num: u128 = 0;
    for b in frac.bytes() {
        num = num * 10 + u128::from(b - b'0');
    }
    let den = 10u128.pow(frac.len() as u32);
    let scaled = num * u128::from(unit);
    if !scaled.is_multiple_of(den) {
        return Err(DecimalError::TooFine);
    }
    let part = u64::try_from(scaled / den).map_err(|_| DecimalError::TooLarge)?;
    total.checked_add(part).ok_or(DecimalError::TooLarge)
}

/// `DIGITS[.DIGITS]` as the nearest `f64` (ties to even), as `str::parse`
/// gives it, for up to 19 significant digits and 19 decimals (`None` beyond,
/// or for other syntax). Written with integers because the standard parser
/// links a 10 kB table of powers of five into the page, which does not
/// compress (docs/performance.md, "Transfer").
pub fn decimal_f64(text: &str) -> Option<f64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if !all_digits(whole) || (text.contains('.') && !all_digits(frac)) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let digits = whole.bytes().chain(frac.bytes()).skip_while(|&b| b == b'0');
    let mut n: u64 = 0;
    for b in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if frac.len() > 19 {
        return None;
    }
    if frac.is_empty() || n == 0 {
        return Some(n as f64);
    }
    // n / 10^k: shift n as far left as u128 allows, divide, and fold a
    // non-zero remainder into the lowest bit (the quotient has at least 62
    // bits, so that bit only breaks ties); the conversion rounds once and
    // the power of two scales exactly.
    let den = 10u128.pow(frac.len() as u32);
    let shift = (n.leading_zeros() + 64) as i32 - 1;
    let num = u128::from(n) << shift;
    let q = (num / den) | u128::from(!num.is_multiple_of(den));
    Some(q as f64 * f64::from_bits(((1023 - shift) as u64) << 52))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A DURATION token (`250ms`, `1.5s`, `2m`, `7us`) in microseconds.
/// The error is a message for the user.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (num, unit) = if let Some(n) = text.strip_suffix("us") {
        (n, US)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, MS)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, SEC)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, MIN)
    } else {
        return Err(expected_duration(text));
    };
    decimal_times(num, unit).map_err(|e| match e {
        DecimalError::Syntax => expected_duration(text),
        DecimalError::TooFine => format!("\"{text}\" is not a whole number of microseconds"),
        DecimalError::TooLarge => format!("\"{text}\" is too large"),
    })
}

fn expected_duration(text: &str) -> String {
    format!(
        "expected a duration with a unit (us, ms, s or m) like 250ms, 1.5s or 2m, found \"{text}\""
    )
}

/// A PERCENT token (`0%` to `100%`, decimals allowed) in parts per billion.
pub fn parse_percent(text: &str) -> Result<Ppb, String> {
    let expected =
        || format!("expected a percentage from 0% to 100% like 1% or 0.5%, found \"{text}\"");
    let num = text.strip_suffix('%').ok_or_else(expected)?;
    // 1% is 10^7 ppb.
    let ppb = decimal_times(num, 10_000_000).map_err(|e| match e {
        DecimalError::Syntax => expected(),
        DecimalError::TooFine => {
            format!("\"{text}\" is finer than the resolution of 0.0000001% (one in a billion)")
        }
        DecimalError::TooLarge => format!("\"{text}\" is over 100%"),
    })?;
    if ppb > u64::from(PPB_100_PERCENT) {
        return Err(format!("\"{text}\" is over 100%"));
    }
    Ok(ppb as Ppb)
}

/// A whole number token.
pub fn parse_count(text: &str, what: &str) -> Result<u64, String> {
    match decimal_times(text, 1) {
        Ok(n) if !text.contains('.') => Ok(n),
        Err(DecimalError::TooLarge) => Err(format!("\"{text}\" is too large")),
        _ => Err(format!(
            "expected {what} (a whole number), found \"{text}\""
        )),
    }
}

/// `0.5%`: the shortest exact form of a probability.
pub fn format_percent(ppb: Ppb) -> String {
    let whole = ppb / 10_000_000;
    let frac = ppb % 10_000_000;
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:07}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

/// A monitor name: `[a-z][a-z0-9-]{0,15}`.
pub fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && s.len() <= 16
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact_microseconds() {
        assert_eq!(parse_duration("250ms"), Ok(250 * MS));
        assert_eq!(parse_duration("1.5s"), Ok(1_500 * MS));
        assert_eq!(parse_duration("2m"), Ok(2 * MIN));
        assert_eq!(parse_duration("7us"), Ok(7));
        assert_eq!(parse_duration("0.0000010s"), Ok(1));
        assert_eq!(parse_duration("1.000000000000s"), Ok(SEC));
        assert_eq!(
            parse_duration("0.00000001m"),
            Err("\"0.00000001m\" is not a whole number of microseconds".into())
        );
        assert!(parse_duration("1.5us").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration(".5s").is_err());
        assert!(parse_duration("1.s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("99999999999999999999s")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn decimals_read_as_the_same_f64_as_the_standard_parser() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut texts: Vec<String> = [
            "0",
            "0.5",
            "0.05",
            "1",
            "0.1",
            "0.3",
            "2.675",
            "9007199254740993",
            "18446744073709551615",
            "0.0000000000000000001",
            "1234567890.123456789",
            "0.6",
            "000.250",
            "1.7976931348623157",
            "4.9406564584124654",
            "7.000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 19 + 1) as usize;
            let point = (x >> 8) as usize % digits; // 0: no point
            let n = format!("{:019}", x >> 1);
            let d = &n[19 - digits..];
            texts.push(if point == 0 {
                d.to_string()
            } else {
                format!("{}.{}", &d[..point], &d[point..])
            });
        }
        for t in &texts {
            assert_eq!(decimal_f64(t), t.parse::<f64>().ok(), "{t}");
        }
        for bad in [
            "", ".5", "1.", "-1", "1e3", "0x1", " 1", "1.2.3", "inf", "NaN",
        ] {
            assert_eq!(decimal_f64(bad), None, "{bad:?}");
        }
        // Beyond 19 significant digits or 19 decimals it says no rather than round twice.
        assert_eq!(decimal_f64("18446744073709551616"), None);
        assert_eq!(decimal_f64("0.00000000000000000001"), None);
    }

    #[test]
    fn percents_are_parts_per_billion() {
        assert_eq!(parse_percent("0.5%"), Ok(5_000_000));
        assert_eq!(parse_percent("100%"), Ok(PPB_100_PERCENT));
        assert_eq!(parse_percent("0.0000001%"), Ok(1));
        assert!(parse_percent("0.00000001%").is_err());
        assert!(parse_percent("100.0000001%").is_err());
        assert_eq!(format_percent(5_000_000), "0.5%");
        assert_eq!(format_percent(PPB_100_PERCENT), "100%");
        assert_eq!(format_percent(1), "0.0000001%");
    }

    #[test]
    fn monitor_names() {
        assert!(is_name("a"));
        assert!(is_name("mon-1"));
        assert!(is_name("abcdefghijklmnop"));
        assert!(!is_name("abcdefghijklmnopq"));
        assert!(!is_name("1a"));
        assert!(!is_name("A"));
        assert!(!is_name(""));
        assert!(!is_name("é"));
    }
}
