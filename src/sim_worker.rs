//! The playground's simulation in a Web Worker (README, Performance, "The
//! page"): static/sim-worker.js instantiates the page's own wasm module and
//! glue (the page hands it its `WebAssembly.Module` and the glue's URL, so
//! nothing is fetched or compiled twice) and calls [`exports`] here: the
//! worker owns the `Sim`, runs it ahead of the playhead without a wall-clock
//! budget of the page's, and posts the events in batches
//! ([`monscope_core::trace::binary`]). The page decodes them in bounded
//! slices and folds them into its [`crate::playback::Model`] as it folds its
//! own simulator's (`Model::feed`).
//!
//! A batch: one byte (1: the run is over), the simulated time it reaches
//! (u64, little-endian), then the events in chunks of about CHUNK,
//! compressed ([`crate::packed::write_chunk`]: the page keeps them so).

use crate::packed::write_chunk;
use crate::playback::STEP;
use monscope_core::scenario::{self, ParseError};
use monscope_core::sim::{Budget, Sim};
use monscope_core::time::Time;
use monscope_core::trace::binary::Encoder;
use std::sync::Arc;

/// Events per chunk, at least: the page decodes a chunk whenever a view
/// reads one of its events.
const CHUNK: usize = 512;

/// A run being simulated in the worker.
pub struct Stepper {
    sim: Option<Sim>,
    end: Time,
    at: Option<Time>,
    encoder: Encoder,
}

impl Stepper {
    pub fn new(text: &str) -> Result<Stepper, ParseError> {
        let scenario = Arc::new(scenario::parse(text)?);
        Ok(Stepper {
            end: scenario.end,
            sim: Some(Sim::shared(scenario, Budget::DEFAULT)),
            at: None,
            encoder: Encoder::new(),
        })
    }

    /// Simulate on, STEP at a time (as the page's own simulator does), for
    /// `budget_ms` of wall time (at least one step); the batch of what was
    /// simulated.
    pub fn step(&mut self, budget_ms: f64) -> Vec<u8> {
        let started = crate::playback::wall_ms();
        let mut out = vec![0; 9];
        let (mut raw, mut events) = (Vec::new(), 0);
        while let Some(sim) = &mut self.sim {
            let t = match self.at {
                None => 0,
                Some(at) => ((at / STEP + 1) * STEP).min(self.end),
            };
            sim.run_until(t);
            let trace = sim.take_trace();
            self.encoder.encode(&trace, &mut raw);
            events += trace.len();
            if events >= CHUNK {
                write_chunk(&raw, &mut out);
                (raw, events) = (Vec::new(), 0);
            }
            self.at = Some(t);
            if t >= self.end || sim.overrun().is_some() {
                self.sim = None;
            }
            if crate::playback::wall_ms() - started >= budget_ms {
                break;
            }
        }
        if events > 0 {
            write_chunk(&raw, &mut out);
        }
        out[0] = self.sim.is_none() as u8;
        out[1..9].copy_from_slice(&self.at.unwrap_or(0).to_le_bytes());
        out
    }
}

/// A batch's head: whether the run is over, and how far it reaches.
pub fn head(batch: &[u8]) -> Option<(bool, Time)> {
    let upto = batch.get(1..9)?.try_into().ok()?;
    Some((batch[0] != 0, Time::from_le_bytes(upto)))
}

/// Where a batch's events start.
pub const EVENTS_AT: usize = 9;

#[cfg(target_arch = "wasm32")]
pub mod exports {
    use super::Stepper;
    use std::cell::RefCell;
    use wasm_bindgen::prelude::wasm_bindgen;

    thread_local! {
        static RUN: RefCell<Option<Stepper>> = const { RefCell::new(None) };
    }

    /// Start simulating `text` (replacing any run); why it cannot be, or "".
    #[wasm_bindgen]
    pub fn sim_start(text: &str) -> String {
        match Stepper::new(text) {
            Ok(s) => {
                RUN.with(|r| *r.borrow_mut() = Some(s));
                String::new()
            }
            Err(e) => e.to_string(),
        }
    }

    /// The next batch of the run (empty when there is none).
    #[wasm_bindgen]
    pub fn sim_step(budget_ms: f64) -> Vec<u8> {
        RUN.with(|r| r.borrow_mut().as_mut().map(|s| s.step(budget_ms)))
            .unwrap_or_default()
    }

    thread_local! {
        /// The painters' pixels, kept from one drawing to the next.
        static ARROWS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        static DOTS: RefCell<((usize, usize), crate::dots::Pixels)> = RefCell::default();
    }

    /// Three bytes a protocol, as the painters take their colours.
    fn rgb(colours: &[u8]) -> Vec<[u8; 3]> {
        colours
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect()
    }

    /// What the worker puts on its canvas: the rectangle that changed (left,
    /// top, right, bottom) and where the `w` × `h` RGBA pixels start in the
    /// memory; empty if nothing changed.
    fn changed(rect: Option<(usize, usize, usize, usize)>, px: &[u8]) -> Vec<u32> {
        rect.map_or_else(Vec::new, |(l, t, r, b)| {
            [l, t, r, b, px.as_ptr() as usize]
                .map(|v| v as u32)
                .to_vec()
        })
    }

    /// The timeline's arrows painted here, off the page's thread
    /// (`components::arrow_canvas`): `at` four numbers a line, `colours`
    /// three bytes a protocol, on a `w` × `h` canvas (all of it changes).
    #[wasm_bindgen]
    #[allow(clippy::too_many_arguments)]
    pub fn arrows_paint(
        at: &[f64],
        protos: &[u8],
        colours: &[u8],
        w: usize,
        h: usize,
        sx: f64,
        scale: f64,
    ) -> Vec<u32> {
        let lines: Vec<crate::arrows::Line> = at
            .chunks_exact(4)
            .zip(protos)
            .map(|(a, &p)| crate::arrows::Line {
                at: (a[0], a[1], a[2], a[3]),
                proto: p as usize,
            })
            .collect();
        ARROWS.with_borrow_mut(|px| {
            crate::arrows::paint(px, &lines, &rgb(colours), (w, h), sx, scale);
            changed(Some((0, 0, w, h)), px)
        })
    }

    /// The ring's moving dots painted here (`components::message_canvas`):
    /// `xy` their centres in the ring's viewBox, `place` where that is on
    /// the canvas (`message_canvas::placing`), `scale` its pixels a viewBox
    /// unit; only what changed since the last paint is put.
    #[wasm_bindgen]
    #[allow(clippy::too_many_arguments)]
    pub fn dots_paint(
        xy: &[f64],
        protos: &[u8],
        colours: &[u8],
        w: usize,
        h: usize,
        place: &[f64],
        scale: f64,
    ) -> Vec<u32> {
        let marks: Vec<crate::dots::Mark> = xy
            .chunks_exact(2)
            .zip(protos)
            .map(|(p, &proto)| crate::dots::Mark {
                x: p[0],
                y: p[1],
                proto: proto as usize,
                ev: 0,
            })
            .collect();
        DOTS.with_borrow_mut(|(size, p)| {
            // A canvas sized anew is cleared: paint all of it.
            if *size != (w, h) {
                (*size, *p) = ((w, h), Default::default());
            }
            let place = [0, 1, 2, 3].map(|k| place.get(k).copied().unwrap_or(1.0));
            let at = crate::components::message_canvas::placing(place);
            let rect = p.paint(&marks, &rgb(colours), w, h, at, scale);
            changed(rect, &p.buf)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packed::read_chunk;
    use crate::playback::Model;
    use monscope_core::scenario::library;
    use monscope_core::time::SEC;
    use monscope_core::trace::binary::Decoder;
    use std::rc::Rc;

    /// The page's side: each batch read a chunk at a time and fed as it is
    /// read, its head once it is all read.
    fn fed(mut model: Model, text: &str) -> Model {
        let mut worker = Stepper::new(text).unwrap();
        let mut decoder = Decoder::new();
        loop {
            // The slowest machine: one step a batch.
            let batch: Rc<[u8]> = worker.step(0.0).into();
            let (done, upto) = head(&batch).unwrap();
            let mut at = EVENTS_AT;
            while at < batch.len() {
                let (events, source) = read_chunk(&batch, &mut at, &mut decoder).unwrap();
                model = model.feed(events, Some(source), None, false);
            }
            model = model.feed(Vec::new(), None, Some(upto), done);
            if done {
                return model;
            }
        }
    }

    #[test]
    fn a_run_the_worker_simulated_shows_what_the_page_would_have() {
        for stem in ["leader-failover", "add-and-remove", "classic-broken-link"] {
            let text = library::get(stem).unwrap();
            let whole = Model::build(text).unwrap();
            // As the page does: its own first slice, then the worker's batches.
            let m = fed(Model::start(text).unwrap().advance(0.0), text);
            assert!(m.done(), "{stem}");
            assert!(m.trace().to_vec() == whole.trace().to_vec(), "{stem}");
            assert_eq!(m.flights().to_vec(), whole.flights().to_vec(), "{stem}");
            assert_eq!(*m.marks(), *whole.marks(), "{stem}");
            assert_eq!(*m.expects(), *whole.expects(), "{stem}");
            assert_eq!(
                (&m.presence, &m.stops, m.story(), m.max_flight),
                (
                    &whole.presence,
                    &whole.stops,
                    whole.story(),
                    whole.max_flight
                ),
                "{stem}"
            );
            // The views that read a simulator get the one at `t`: the page's
            // own, run on demand.
            for t in [0, 7 * SEC + 3, 31 * SEC, 70 * SEC + 500_000, m.end] {
                let straight = monscope_core::sim::run::run_until(&m.scenario, t);
                let sim = m.sim_at(t);
                assert_eq!(sim.now(), t.min(m.end));
                for n in 0..m.mon_count() as u32 {
                    assert_eq!(
                        sim.state().status(n),
                        straight.state.status(n),
                        "{stem} at {t}"
                    );
                }
                assert_eq!(sim.cuts(), straight_cuts(&m, t), "{stem} at {t}");
            }
        }
    }

    fn straight_cuts(m: &Model, t: Time) -> Vec<(u32, u32)> {
        let mut sim = Sim::shared(m.scenario.clone(), Budget::DEFAULT);
        sim.run_until(t);
        sim.cuts()
    }

    #[test]
    fn a_model_grows_while_the_worker_runs_and_the_playhead_reads_it() {
        let text = library::get("client-writes").unwrap();
        let mut worker = Stepper::new(text).unwrap();
        let mut decoder = Decoder::new();
        let mut model = Model::start(text).unwrap();
        let mut readies = Vec::new();
        while !model.done() {
            let batch: Rc<[u8]> = worker.step(0.0).into();
            let (done, upto) = head(&batch).unwrap();
            let mut events = Vec::new();
            let mut at = EVENTS_AT;
            while at < batch.len() {
                events.extend(read_chunk(&batch, &mut at, &mut decoder).unwrap().0);
            }
            model = model.feed(events, None, Some(upto), done);
            readies.push(model.ready);
            // What is shown is whole up to `ready`.
            let t = model.ready;
            assert_eq!(
                model.events_upto(t),
                monscope_core::sim::run::run_until(&model.scenario, t)
                    .trace
                    .len()
            );
        }
        assert!(readies.len() > 10 && readies.windows(2).all(|w| w[0] < w[1]));
    }
}
