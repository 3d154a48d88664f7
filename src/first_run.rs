//! The first built-in scenario's run, every way the page makes and reads it
//! before its lazy module is in (src/lazy.rs): the page's own simulator in
//! slices with its snapshots, the worker's run and its batches read back,
//! seeks and the playhead's cursor, the ring's statuses and cut links, the
//! event log's lines, the stored stores written, read back and checked. The
//! build runs it once, instrumented, to learn which of the core's functions
//! the first scenario never reaches (tests/e2e/split-lazy.mjs, `rarePaths`):
//! those move to the lazy module, and every run of another text waits for it
//! (state.rs, `Msg::LazyIn`). Shipped in the lazy module itself (a root of
//! the split), called by nothing but the build.

use crate::packed::read_chunk;
use crate::playback::{Cursor, Model};
use crate::sim_worker::{head, Stepper, EVENTS_AT};
use crate::store::journal::{Journal, Record};
use monscope_core::trace::binary::Decoder;
use monscope_core::trace::format::{describe, note_plain};
use monscope_core::trace::EventKind;
use std::rc::Rc;

/// Run `text` every way; a number made of what was read, so that nothing
/// is optimised away.
pub fn exercise(text: &str) -> u64 {
    let mut seen = 0u64;
    // The page's own simulator, a slice at a time.
    let mut own = Model::start(text)
        .expect("the first built-in parses")
        .advance(0.0);
    while !own.done() {
        own = own.advance(1.0);
    }
    // The worker's run, read back a chunk at a time (sim_feed.rs).
    let mut worker = Stepper::new(text).expect("the first built-in parses");
    let mut decoder = Decoder::new();
    let mut fed = Model::start(text)
        .expect("the first built-in parses")
        .advance(0.0);
    loop {
        let batch: Rc<[u8]> = worker.step(2.0).into();
        let (done, upto) = head(&batch).expect("a batch has its head");
        let mut at = EVENTS_AT;
        while at < batch.len() {
            let (events, source) = read_chunk(&batch, &mut at, &mut decoder).expect("a chunk");
            fed = fed.feed(events, Some(source), None, false);
        }
        fed = fed.feed(Vec::new(), None, Some(upto), done);
        if done {
            break;
        }
    }
    // Seeks, the playhead's cursor playing forward, the ring at the playhead.
    let mut cursor = Cursor::new();
    let end = own.end;
    for model in [&own, &fed] {
        for k in 0..=64 {
            let t = end / 64 * k;
            let sim = model.sim_at(t);
            seen += sim.cuts().len() as u64 + sim.now();
            for n in 0..model.mon_count() as u32 {
                seen += model
                    .status_at(n, t)
                    .map_or(0, |s| s.names.election_epoch as u64);
                seen += sim.state().status(n).names.election_epoch as u64;
            }
        }
        let mut t = 0;
        while t < end {
            seen += cursor.at(model, t).cuts().len() as u64;
            t += end / 500 + 1;
        }
    }
    // The event log's and the narration's lines.
    for ev in own.trace().iter() {
        seen += describe(&ev, &own.names).len() as u64;
        if let EventKind::Note { text } = &ev.kind {
            seen += note_plain(text).len() as u64;
        }
    }
    // The stores journaled as the playhead moves, read back and checked
    // (store/persist.rs).
    let mut journal = Journal::default();
    let mut disk: Vec<Record> = Vec::new();
    for t in [0, end / 7, end / 3, end / 5, end / 2, end] {
        journal.follow(&own, t, || own.sim_at(t));
        loop {
            if let Some(b) = journal.take_batch() {
                if b.reset {
                    disk.clear();
                }
                disk.extend(b.records);
            }
            if !journal.behind() {
                break;
            }
            journal.follow(&own, t, || own.sim_at(t));
        }
        if let Ok(mut back) = Journal::from_disk(&own.text, t, &disk) {
            seen += back.check_against(&own, &own.sim_at(t)).len() as u64;
        }
    }
    seen
}

/// The build's coverage run (tests/e2e/split-lazy.mjs).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn first_run() -> f64 {
    exercise(crate::builtins::FIRST.1) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_built_in_runs_every_way() {
        assert!(super::exercise(crate::builtins::FIRST.1) > 0);
    }
}
