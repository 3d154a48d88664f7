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
    Secs(t).to_string()
}

/// [`format_secs`] written straight into a formatter, so a log line that
/// shows a time allocates only the line itself.
pub struct Secs(pub Time);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, mut frac) = (self.0 / SEC, self.0 % SEC);
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let mut digits = 6;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{whole}.{frac:0digits$}")
    }
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
        assert_eq!(format_secs(3 * SEC), "3");
        assert_eq!(format_secs(123), "0.000123");
        assert_eq!(format_secs(SEC + 120_000), "1.12");
    }
}
