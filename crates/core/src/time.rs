//! Virtual time: integer microseconds, the only clock anything in the core sees.

/// A point in simulated time, in microseconds since the run began
/// (or, for a monitor, on that monitor's own skewed clock).
pub type Time = u64;
/// A span of simulated time in microseconds.
pub type Duration = u64;

pub const US: Duration = 1;
pub const MS: Duration = 1_000;
pub const SEC: Duration = 1_000_000;
pub const MIN: Duration = 60 * SEC;

/// Convert seconds given as a float (Ceph's option unit) to microseconds,
/// rounding to the nearest microsecond. Only basic IEEE arithmetic is used,
/// which is identical natively and in wasm.
pub fn secs_f64(s: f64) -> Duration {
    if s <= 0.0 {
        0
    } else {
        (s * 1e6).round() as Duration
    }
}

/// Render a time the way scenarios write it: the largest unit that is exact
/// (`2m`, `1.5s`, `250ms`, `7us`).
pub fn format_duration(d: Duration) -> String {
    if d == 0 {
        return "0s".to_string();
    }
    if d.is_multiple_of(MIN) {
        return format!("{}m", d / MIN);
    }
    if d.is_multiple_of(SEC) {
        return format!("{}s", d / SEC);
    }
    if d.is_multiple_of(MS) {
        let ms = d / MS;
        if ms >= 1000 {
            return trim_decimal(d / SEC, d % SEC, 6, "s");
        }
        return format!("{ms}ms");
    }
    if d >= MS {
        return trim_decimal(d / MS, d % MS, 3, "ms");
    }
    format!("{d}us")
}

fn trim_decimal(whole: u64, frac: u64, digits: usize, unit: &str) -> String {
    let f = format!("{frac:0digits$}");
    format!("{whole}.{}{unit}", f.trim_end_matches('0'))
}

/// Seconds with up to six decimals and no trailing zeros, for readable output
/// (`12.5`, `3`, `0.000123`).
pub fn format_secs(t: Time) -> String {
    let whole = t / SEC;
    let frac = t % SEC;
    if frac == 0 {
        format!("{whole}")
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

/// Parse a scenario DURATION (`250ms`, `1.5s`, `2m`, `7us`): a decimal number
/// and a unit. A value that is not a whole number of microseconds is an error.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("\"{text}\" needs a unit (us, ms, s or m)"))?;
    let (num, unit) = text.split_at(split);
    let scale: u128 = match unit {
        "us" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        _ => return Err(format!("unknown unit \"{unit}\" (expected us, ms, s or m)")),
    };
    let (whole, frac) = match num.split_once('.') {
        Some((w, f)) => (w, f),
        None => (num, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits_ok(whole)
        || !digits_ok(frac)
        || (num.contains('.') && frac.is_empty())
    {
        return Err(format!(
            "\"{text}\" is not a duration (e.g. 250ms, 1.5s, 2m)"
        ));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 12 {
        return Err(format!("\"{text}\" is not a whole number of microseconds"));
    }
    let too_big = || format!("\"{text}\" is too long a time");
    let w: u128 = whole.parse().map_err(|_| too_big())?;
    let f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| too_big())?
    };
    let denom = 10u128.pow(frac.len() as u32);
    let frac_us = f * scale;
    if frac_us % denom != 0 {
        return Err(format!("\"{text}\" is not a whole number of microseconds"));
    }
    let total = w
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_us / denom))
        .ok_or_else(too_big)?;
    u64::try_from(total).map_err(|_| too_big())
}

/// Parse decimal seconds (`12.5`), as in share links' `t=`.
pub fn parse_secs(text: &str) -> Result<Time, String> {
    parse_duration(&format!("{text}s"))
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_in_their_largest_exact_unit() {
        assert_eq!(format_duration(2 * MIN), "2m");
        assert_eq!(format_duration(1_500 * MS), "1.5s");
        assert_eq!(format_duration(250 * MS), "250ms");
        assert_eq!(format_duration(7), "7us");
        assert_eq!(format_duration(1_500), "1.5ms");
        assert_eq!(format_secs(12_500_000), "12.5");
    }

    #[test]
    fn durations_parse_exactly_or_say_why_not() {
        assert_eq!(parse_duration("250ms"), Ok(250 * MS));
        assert_eq!(parse_duration("1.5s"), Ok(1_500 * MS));
        assert_eq!(parse_duration("2m"), Ok(2 * MIN));
        assert_eq!(parse_duration("0.001ms"), Ok(1));
        assert!(parse_duration("0.5us")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_duration("5").unwrap_err().contains("unit"));
        assert!(parse_duration("5h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration(".5s").is_err());
        assert!(parse_duration("99999999999999999999999m").is_err());
        assert_eq!(parse_secs("12.5"), Ok(12_500_000));
    }
}
