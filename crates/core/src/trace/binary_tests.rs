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

/// A deterministic generator for the mutations (the simulator's PCG32).
fn rng(seed: u64) -> crate::sim::rng::Pcg32 {
    crate::sim::rng::Pcg32::new(seed)
}

fn below(r: &mut crate::sim::rng::Pcg32, n: usize) -> usize {
    r.next_u32() as usize % n.max(1)
}

/// `b` damaged once or a few times: bits flipped, bytes changed, dropped,
/// inserted or duplicated, a span zeroed or set to 0xff (a huge varint).
fn mutate(r: &mut crate::sim::rng::Pcg32, b: &[u8]) -> Vec<u8> {
    let mut b = b.to_vec();
    for _ in 0..=below(r, 3) {
        let n = b.len();
        let i = below(r, n);
        match below(r, 7) {
            0 if n > 0 => b[i] ^= 1 << below(r, 8),
            1 if n > 0 => b[i] = r.next_u32() as u8,
            2 if n > 0 => {
                b.remove(i);
            }
            3 => b.insert(i, r.next_u32() as u8),
            4 if n > 0 => {
                let end = (i + 1 + below(r, 12)).min(n);
                let copy = b[i..end].to_vec();
                b.splice(i..i, copy);
            }
            5 => {
                let end = (i + 1 + below(r, 10)).min(n);
                b[i..end].fill(0xff);
            }
            _ => {
                let end = (i + 1 + below(r, 10)).min(n);
                b[i..end].fill(0);
            }
        }
    }
    b
}

#[test]
fn mutated_traces_of_every_kind_of_event_are_an_error_or_events_never_a_panic() {
    // Scenarios between them making every kind of event and message.
    let mut encoded = Vec::new();
    for stem in [
        "connectivity-broken-link",
        "client-writes",
        "full-sync-after-trim",
        "add-and-remove",
        "clock-skew",
    ] {
        let text = crate::scenario::library::get(stem).unwrap();
        let trace: Vec<Event> = batches(text).into_iter().flatten().collect();
        // Slices from all through the run, each decoded from a fresh state.
        for part in trace.chunks(trace.len() / 6 + 1) {
            let mut b = Vec::new();
            Encoder::new().encode(&part[..part.len().min(400)], &mut b);
            encoded.push(b);
        }
    }
    let mut r = rng(0x6d6f_6e73_636f_7065);
    let (mut refused, mut read) = (0, 0);
    for i in 0..6_000 {
        let b = mutate(&mut r, &encoded[i % encoded.len()]);
        let (mut at, mut out) = (0, Vec::new());
        match Decoder::new().decode(&b, &mut at, usize::MAX, &mut out) {
            Ok(()) => {
                assert_eq!(at, b.len());
                read += 1;
            }
            Err(e) => {
                assert!(e.starts_with("the trace's encoding is bad at byte"), "{e}");
                assert!(at < b.len());
                refused += 1;
            }
        }
        // What is read never holds more events than the bytes could.
        assert!(out.len() <= b.len());
    }
    assert!(
        refused > 1_000 && read > 100,
        "{refused} refused, {read} read"
    );
}

#[test]
fn random_bytes_and_huge_counts_are_refused_without_allocating_them() {
    let mut r = rng(42);
    for n in 0..3_000 {
        let b: Vec<u8> = (0..n % 300).map(|_| r.next_u32() as u8).collect();
        let _ = Decoder::new().decode(&b, &mut 0, usize::MAX, &mut Vec::new());
    }
    // A send whose message claims 2^62 log entries, strings or values: the
    // count is refused (it is past the bytes left), nothing is reserved.
    let mut head = Vec::new();
    super::int(&mut head, 5); // at
    head.push(0); // send
    super::uints(&mut head, &[1, 0, 1]);
    super::int(&mut head, 3);
    head.push(1); // a new message
    for body in [
        vec![12u8],    // a log message's entries
        vec![3, 1, 1], // paxos collect's epoch, then its fields
        vec![0, 0],    // a probe's name
    ] {
        let mut b = head.clone();
        b.extend_from_slice(&body);
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]);
        let mut out = Vec::new();
        assert!(Decoder::new()
            .decode(&b, &mut 0, usize::MAX, &mut out)
            .is_err());
        assert!(out.is_empty());
    }
}

#[test]
fn damaged_store_transactions_are_refused_never_a_panic() {
    use crate::trace::store_tx::StoreTx;
    let text = crate::scenario::library::get("full-sync-after-trim").unwrap();
    let txs: Vec<StoreTx> = batches(text)
        .into_iter()
        .flatten()
        .filter_map(|e| match e.kind {
            EventKind::Store { tx, .. } => Some(tx),
            _ => None,
        })
        .take(300)
        .collect();
    assert!(!txs.is_empty());
    let mut r = rng(0x7478);
    for i in 0..20_000 {
        let tx = &txs[i % txs.len()];
        let (ops, long) = tx.parts();
        let mut long: Vec<std::sync::Arc<[u8]>> = long.to_vec();
        let ops = match i % 5 {
            // Nothing like a transaction: a run of varint continuations.
            0 => vec![0x80; below(&mut r, 40)],
            1 => (0..below(&mut r, 60)).map(|_| r.next_u32() as u8).collect(),
            _ => mutate(&mut r, ops),
        };
        if i % 7 == 0 {
            long.pop();
        }
        if let Some(back) = StoreTx::from_parts(ops.into(), long.into()) {
            // What is accepted reads back as itself.
            assert_eq!(StoreTx::new(&back.to_transaction()), back);
        }
    }
}

#[test]
fn a_timer_past_56_bits_or_a_send_past_node_255_is_refused() {
    use super::{int, uint};
    // TimerSet at 0 on node 0: ClientRetry(tid), firing 5 µs later.
    let timer_set = |tid: i64| {
        let mut b = Vec::new();
        int(&mut b, 0);
        b.push(4);
        uint(&mut b, 0);
        b.push(12);
        int(&mut b, tid);
        int(&mut b, 5);
        b
    };
    let read = |b: &[u8]| {
        let mut out = Vec::new();
        Decoder::new()
            .decode(b, &mut 0, usize::MAX, &mut out)
            .map(|_| out)
    };
    assert_eq!(read(&timer_set((1 << 56) - 1)).map(|e| e.len()), Ok(1));
    assert!(read(&timer_set(1 << 56)).is_err());
    // A send from node 256: its ends are a byte each.
    let mut b = Vec::new();
    int(&mut b, 0);
    b.push(0);
    uint(&mut b, 0);
    uint(&mut b, 256);
    uint(&mut b, 1);
    assert!(read(&b).is_err());
}
