//! The worker's encoding read back: every built-in scenario's whole trace
//! decodes to the events it was written from, and bad bytes are errors.

use super::{Decoder, Encoder};
use crate::scenario::{library::BUILTIN, parse};
use crate::sim::{Budget, Sim};
use crate::trace::{Event, EventKind};
use std::sync::Arc;

/// The trace of `text` as the page's worker takes it: in steps of the
/// simulator, each step's events one batch.
fn batches(text: &str) -> Vec<Vec<Event>> {
    let scenario = Arc::new(parse(text).unwrap());
    let end = scenario.end;
    let mut sim = Sim::shared(scenario, Budget::DEFAULT);
    let mut out = Vec::new();
    let mut t = 0;
    loop {
        sim.run_until(t);
        out.push(sim.take_trace());
        if t >= end || sim.overrun().is_some() {
            return out;
        }
        t = (t + 1_700_000).min(end);
    }
}

/// Decode each batch in slices of `slice` events.
fn decode(encoded: &[Vec<u8>], slice: usize) -> Vec<Event> {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for b in encoded {
        let mut at = 0;
        while at < b.len() {
            let before = out.len();
            d.decode(b, &mut at, slice, &mut out).unwrap();
            assert!(out.len() - before <= slice);
        }
    }
    out
}

/// Pairs of consecutive sends that share one message.
fn shared_sends(trace: &[Event]) -> usize {
    let msgs: Vec<_> = trace
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { msg, .. } => Some(msg),
            _ => None,
        })
        .collect();
    msgs.windows(2).filter(|w| Arc::ptr_eq(w[0], w[1])).count()
}

#[test]
fn every_builtin_scenarios_whole_trace_decodes_to_itself() {
    for (stem, text) in BUILTIN {
        let batches = batches(text);
        let mut enc = Encoder::new();
        let encoded: Vec<Vec<u8>> = batches
            .iter()
            .map(|b| {
                let mut out = Vec::new();
                enc.encode(b, &mut out);
                out
            })
            .collect();
        let trace: Vec<Event> = batches.into_iter().flatten().collect();
        assert!(!trace.is_empty(), "{stem}");
        let decoded = decode(&encoded, 61);
        if let Some(i) = (0..trace.len()).find(|&i| decoded.get(i) != Some(&trace[i])) {
            panic!(
                "{stem}: event {i} differs: {:?}\nvs {:?}",
                decoded.get(i),
                trace[i]
            );
        }
        assert_eq!(decoded.len(), trace.len(), "{stem}");
        // A message sent to several peons at once stays one.
        assert_eq!(shared_sends(&decoded), shared_sends(&trace), "{stem}");
    }
}

#[test]
fn bad_bytes_are_an_error_never_a_panic() {
    let text = crate::scenario::library::get("connectivity-broken-link").unwrap();
    let trace: Vec<Event> = batches(text).into_iter().flatten().take(300).collect();
    let mut bytes = Vec::new();
    Encoder::new().encode(&trace, &mut bytes);
    // Cut anywhere: what is whole decodes, the rest is an error.
    for cut in 0..bytes.len() {
        let mut out = Vec::new();
        let mut at = 0;
        let r = Decoder::new().decode(&bytes[..cut], &mut at, usize::MAX, &mut out);
        assert!(out[..] == trace[..out.len()]);
        assert!(r.is_err() || at == cut);
    }
    // Changed bytes: an error or other events, never a panic.
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0xa5;
        let mut at = 0;
        let _ = Decoder::new().decode(&b, &mut at, usize::MAX, &mut Vec::new());
    }
}
