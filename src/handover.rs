//! What the Import page's module hands the page when it reads something
//! for it in a worker (`#imported`'s history, a real trace's bands): numbers
//! as LEB128 varints and strings with their length, written and read as the
//! trace's binary encoding writes and reads them (`trace::binary`), and, as
//! a worker answers a string, one character a byte ([`to_text`], [`from_text`]).

use monscope_core::mon::status::MonState;
use monscope_core::trace::binary::{self, Reader};
use monscope_core::trace::state_bands::{Band, StateBands};

/// Bytes as a string, one character a byte (U+0000 to U+00FF).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn to_text(b: &[u8]) -> String {
    b.iter().copied().map(char::from).collect()
}

/// What [`to_text`] wrote, or None.
pub fn from_text(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(c).ok()).collect()
}

/// A real trace's bands (`trace::state_bands`), for the page's real band.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn encode_bands(s: &StateBands) -> Vec<u8> {
    let mut b = Vec::new();
    binary::string(&mut b, &s.source);
    binary::uint(&mut b, s.end);
    binary::uint(&mut b, s.mons.len() as u64);
    for (name, bands) in &s.mons {
        binary::string(&mut b, name);
        binary::uint(&mut b, bands.len() as u64);
        for band in bands {
            binary::uint(&mut b, band.from);
            binary::uint(&mut b, band.to);
            binary::string(&mut b, band.state.name());
        }
    }
    b
}

/// What [`encode_bands`] wrote, or None.
pub fn decode_bands(b: &[u8]) -> Option<StateBands> {
    let mut r = Reader::new(b);
    let source = r.string()?;
    let end = r.uint()?;
    let mut mons = Vec::new();
    for _ in 0..r.uint()? {
        let name = r.string()?;
        let mut bands = Vec::new();
        for _ in 0..r.uint()? {
            let (from, to) = (r.uint()?, r.uint()?);
            let state = MonState::from_name(&r.string()?)?;
            bands.push(Band { from, to, state });
        }
        mons.push((name, bands));
    }
    (r.at == b.len()).then_some(StateBands { source, end, mons })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strings_and_bytes_read_back() {
        let mut b = Vec::new();
        for v in [0, 1, 127, 128, 300, u64::MAX] {
            binary::uint(&mut b, v);
        }
        binary::string(&mut b, "mon.a — ✓");
        let b = from_text(&to_text(&b)).unwrap();
        let mut r = Reader::new(&b);
        for v in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.uint(), Some(v));
        }
        assert_eq!(r.string().as_deref(), Some("mon.a — ✓"));
        assert_eq!(r.uint(), None);
        assert_eq!(from_text("a\u{100}"), None);
    }

    #[test]
    fn a_real_traces_bands_read_back() {
        // What `monscope real` wrote on ceph-mon 16.2.15 (the e2e test's file).
        let text = include_str!("../tests/e2e/fixtures/real-leader-killed.jsonl");
        let bands = monscope_core::trace::state_bands::read_state_bands(text).unwrap();
        let b = encode_bands(&bands);
        assert!(bands.mons.iter().all(|(_, b)| !b.is_empty()));
        assert_eq!(decode_bands(&b), Some(bands));
        assert_eq!(decode_bands(&b[..b.len() - 1]), None);
    }
}
