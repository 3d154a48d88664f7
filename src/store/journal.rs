//! The browser's disk image of a run: every monitor's store at the persisted
//! playhead, and the journal of store transactions not yet written to
//! IndexedDB. Pure, so it is tested natively; `persist.rs` drains it.

use crate::playback::Model;
use monscope_core::mon::store::{KeyValueDB, MonitorDBStore, Transaction};
use monscope_core::sim::Sim;
use monscope_core::time::Time;
use monscope_core::trace::{Event, EventKind, NodeId};
use std::rc::Rc;

/// Monitors a journal on disk may name (db.rs reads at most 64; a
/// scenario has at most 15).
const MAX_NODES: usize = 65;

/// One journaled store transaction: the `seq`-th of the journal, of `node`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub node: NodeId,
    /// [`Transaction::encode`]d.
    pub tx: Vec<u8>,
}

/// What one IndexedDB transaction writes: optionally clear the old journal,
/// then these records in order, then the journal's position.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub reset: bool,
    pub records: Vec<Record>,
    pub text: Rc<String>,
    pub t: Time,
    pub next_seq: u64,
}

/// Transactions waiting for the disk past which the journal restarts from
/// the stores instead: a seek an hour forward was 370,000 transactions put
/// to IndexedDB in one task (20 s in the page, 9 s of it in `put`).
const COMPACT_PAST: usize = 2_000;

/// Trace events the stores are brought forward by in one call of
/// [`Journal::follow`]: the page's flushes then catch up on a long seek
/// forward a slice at a time (an hour's 4.8 M events were one task of
/// 17 s in the page), each a few milliseconds, so that a seek or a frame
/// never waits long behind one (docs/performance.md, "The page"). About
/// a block of the trace (src/packed.rs): 2,000 took 8–10 ms under load, and
/// persist.rs runs steps for at most SLICE_MS before the next frame.
const FOLLOW_STEP: usize = 500;

/// The stores at (`text`, `t`), and what of them is not yet on disk.
#[derive(Default)]
pub struct Journal {
    /// The run's text, shared with its model (compared at every flush:
    /// the hour's is a megabyte).
    pub text: Rc<String>,
    pub t: Time,
    /// Trace events of the run at `t` that the stores include.
    events: usize,
    pub stores: Vec<MonitorDBStore>,
    next_seq: u64,
    pending: Vec<Record>,
    /// The disk's journal must be cleared before `pending` is written.
    reset: bool,
    /// The journal matches a run (false until the first follow or restore).
    started: bool,
    /// The last follow stopped short of its time: follow again.
    behind: bool,
    /// Catching up on a long step, past COMPACT_PAST transactions: the
    /// stores move on without journaling each, and the journal restarts
    /// from them once caught up (the disk keeps the stores at the step's
    /// start until then).
    rebuild: bool,
}

/// A monitor's store as the browser keeps it: reads from memory, and every
/// transaction also goes, in order, into the journal for IndexedDB.
pub struct JournaledStore<'j> {
    journal: &'j mut Journal,
    node: NodeId,
}

impl KeyValueDB for JournaledStore<'_> {
    fn apply(&mut self, tx: &Transaction) {
        let j = &mut *self.journal;
        j.mon_store(self.node).apply(tx);
        j.pending.push(Record {
            seq: j.next_seq,
            node: self.node,
            tx: tx.encode(),
        });
        j.next_seq += 1;
    }
    fn get(&self, prefix: &str, key: &str) -> Option<&[u8]> {
        self.journal
            .stores
            .get(self.node as usize)?
            .get(prefix, key)
    }
}

impl Journal {
    /// Whether the stores are of the run of `text`.
    pub fn is_text(&self, text: &Rc<String>) -> bool {
        Rc::ptr_eq(&self.text, text) || self.text == *text
    }

    /// Monitor `node`'s store in memory (made if it has none yet).
    fn mon_store(&mut self, node: NodeId) -> &mut MonitorDBStore {
        let i = node as usize;
        if self.stores.len() <= i {
            self.stores.resize_with(i + 1, MonitorDBStore::new);
        }
        &mut self.stores[i]
    }

    pub fn store(&mut self, node: NodeId) -> JournaledStore<'_> {
        JournaledStore {
            journal: self,
            node,
        }
    }

    /// Rebuild the stores from a journal read back from disk (records in
    /// `seq` order). A record that does not decode is an error naming it.
    pub fn from_disk(text: &str, t: Time, records: &[Record]) -> Result<Journal, String> {
        let mut j = Journal {
            text: Rc::new(text.to_string()),
            t,
            ..Journal::default()
        };
        for r in records {
            // A monitor number past any scenario's would have the stores
            // grow to it (db.rs refuses them too).
            if r.node as usize >= MAX_NODES {
                return Err(format!("journal record {}: no mon {}", r.seq, r.node));
            }
            let tx = Transaction::decode(&r.tx)
                .map_err(|e| format!("journal record {} of mon {}: {e}", r.seq, r.node))?;
            j.mon_store(r.node).apply(&tx);
            j.next_seq = r.seq.saturating_add(1);
        }
        Ok(j)
    }

    /// Compare the stores read from disk with the replayed run at `t`: one
    /// line per monitor whose store differs. Adopts the run if they agree
    /// (later transactions are appended), else the next batch rewrites it.
    pub fn check_against(&mut self, model: &Model, sim: &Sim) -> Vec<String> {
        let mut report = Vec::new();
        let n = model.mon_count();
        for node in 0..n.max(self.stores.len()) {
            let empty = MonitorDBStore::new();
            let on_disk = self.stores.get(node).unwrap_or(&empty);
            let replayed = sim.store(node as NodeId).unwrap_or(&empty);
            let diff = on_disk.diff(replayed, 3);
            if !diff.is_empty() {
                let name = model.names.get(node).map_or("?", String::as_str);
                report.push(format!(
                    "mon.{name}: the stored store differs from the replayed one (stored vs replayed): {}",
                    diff.join("; ")
                ));
            }
        }
        if report.is_empty() && self.is_text(&model.text) {
            self.events = model.events_upto(self.t);
            self.started = true;
        }
        report
    }

    /// Bring the stores to `model` at `t`. Playing forward appends the run's
    /// store transactions since the last point, in trace order; anything else
    /// (a new text, a seek backwards) compacts: the journal restarts with one
    /// transaction per monitor that rebuilds its store at `t` (from `sim_at`,
    /// called only then and only if the page's simulator has run to `t`;
    /// else from the start, caught up from the trace).
    pub fn follow(&mut self, model: &Model, t: Time, sim_at: impl FnOnce() -> Sim) {
        let t = t.min(model.ready);
        if self.started && self.is_text(&model.text) && t >= self.t {
            let upto = model.events_upto(t);
            let from = self.events.min(upto);
            // At most FOLLOW_STEP events, ending before a moment: the
            // stores are then those just before it. Events are in time
            // order: those before the cut are a prefix of the step.
            let trace = model.trace();
            let cut = match from + FOLLOW_STEP < upto {
                true => trace.time_of(from + FOLLOW_STEP),
                false => None,
            };
            // The events up to `end` before `before`; where they end.
            let mut scan = |end, before| {
                let mut to = from;
                trace.each(from, end, |i, ev| {
                    if ev.at < before {
                        self.apply_event(ev);
                        to = i + 1;
                    }
                });
                to
            };
            let (mut to, mut at) = match cut {
                Some(cut) => (scan(from + FOLLOW_STEP, cut), cut - 1),
                None => (from, t),
            };
            // No cut, or every event of the step at the cut's moment.
            if to == from {
                scan(upto, Time::MAX);
                (to, at) = (upto, t);
            }
            drop(trace);
            self.events = to;
            self.t = at;
            self.behind = to < upto;
            // A step of many slices: nothing is written until it is caught
            // up (the hour's seek forward wrote hundreds of records to
            // IndexedDB a slice, its longest part); past COMPACT_PAST
            // transactions the stores move on without journaling each, and
            // the journal restarts from them once caught up.
            self.rebuild |= self.pending.len() > COMPACT_PAST;
            if !self.behind && std::mem::take(&mut self.rebuild) {
                let stores = std::mem::take(&mut self.stores);
                let mons = model.mon_count().max(stores.len());
                self.restart(mons, |node| stores.get(node as usize));
            }
            return;
        }
        // The page's own simulator has not run to `t` (the worker simulated
        // the run): from the run's start, then the trace's transactions in
        // slices, as a long step forward (running it there was one task of
        // seconds for a seek back late in the hour).
        let from_start = t > 0 && !model.simulated_to(t);
        let at = if from_start { 0 } else { t };
        let sim = if from_start {
            model.sim_at(0)
        } else {
            sim_at()
        };
        self.text = model.text.clone();
        self.t = at;
        self.events = model.events_upto(at);
        self.started = true;
        self.behind = from_start;
        self.rebuild = from_start;
        self.restart(model.mon_count(), |node| sim.store(node));
    }

    /// Restart the journal (the disk's is cleared first) with one
    /// transaction per monitor that rebuilds its store from `store`.
    fn restart<'s>(&mut self, mons: usize, store: impl Fn(NodeId) -> Option<&'s MonitorDBStore>) {
        self.stores.clear();
        self.pending.clear();
        self.next_seq = 0;
        self.reset = true;
        self.stores.resize_with(mons, MonitorDBStore::new);
        for node in 0..mons as NodeId {
            let tx = store(node).map(|s| s.to_transaction()).unwrap_or_default();
            if !tx.is_empty() {
                self.store(node).apply(&tx);
            }
        }
    }

    /// Apply `ev`'s store transaction, if it is one (journaled unless the
    /// stores are being rebuilt).
    fn apply_event(&mut self, ev: &Event) {
        if let EventKind::Store { node, tx } = &ev.kind {
            match self.rebuild {
                true => self.mon_store(*node).apply(&tx.to_transaction()),
                false => self.store(*node).apply(&tx.to_transaction()),
            }
        }
    }

    /// Whether the last follow stopped short of its time.
    pub fn behind(&self) -> bool {
        self.behind
    }

    /// Whether everything is on disk (nothing pending).
    pub fn flushed(&self) -> bool {
        self.pending.is_empty() && !self.reset
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// How many records the journal on disk holds once the pending ones are written.
    pub fn records(&self) -> u64 {
        self.next_seq
    }

    /// The transactions not yet on disk, as one batch; None if there are
    /// none, or while a long step is caught up.
    pub fn take_batch(&mut self) -> Option<Batch> {
        if !self.started || self.flushed() || self.behind || self.rebuild {
            return None;
        }
        Some(Batch {
            reset: std::mem::take(&mut self.reset),
            records: std::mem::take(&mut self.pending),
            text: self.text.clone(),
            t: self.t,
            next_seq: self.next_seq,
        })
    }

    /// A batch failed: it must be written again (with its reset, if any).
    pub fn put_back(&mut self, mut batch: Batch) {
        batch.records.append(&mut self.pending);
        self.pending = batch.records;
        self.reset |= batch.reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library;
    use monscope_core::time::SEC;

    fn disk_after(j: &mut Journal, disk: &mut Vec<Record>) {
        if let Some(b) = j.take_batch() {
            if b.reset {
                disk.clear();
            }
            disk.extend(b.records);
        }
    }

    #[test]
    fn the_journal_replays_to_the_stores_at_the_playhead() {
        let model = Model::build(library::get("client-writes").unwrap()).unwrap();
        let mut j = Journal::default();
        let mut disk = Vec::new();
        // Play forward in steps, seek back once, play on.
        let times = [0, 3 * SEC, 9 * SEC, 20 * SEC, 7 * SEC, 25 * SEC, model.end];
        let mut appended = false;
        for &t in &times {
            let before = (disk.len(), disk.last().map(|r: &Record| r.seq));
            j.follow(&model, t, || model.sim_at(t));
            // As the page does: follow again while a long step is caught up.
            while j.behind() {
                disk_after(&mut j, &mut disk);
                j.follow(&model, t, || model.sim_at(t));
            }
            disk_after(&mut j, &mut disk);
            appended |= before.1.is_some()
                && disk.len() > before.0
                && disk.get(before.0 - 1).map(|r| r.seq) == before.1;
            let back = Journal::from_disk(&model.text, t, &disk).unwrap();
            let mut back = back;
            let report = back.check_against(&model, &model.sim_at(t));
            assert!(report.is_empty(), "at {t}: {report:?}");
        }
        assert!(j.flushed());
        // Playing forward appended transactions one by one, in order (a
        // step longer than FOLLOW_STEP events restarts the journal instead).
        assert!(disk.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
        assert!(appended);
    }

    #[test]
    fn a_long_seek_forward_catches_up_in_slices_of_the_trace() {
        let mut text = String::from("mons a b c\nseed 1\n");
        for i in 0..1_000 {
            text += &format!("at {}ms write k{} v{i}\n", 5_000 + i * 50, i % 10);
        }
        let model = Model::build(&(text + "end 60s\n")).unwrap();
        assert!(model.trace().len() > 2 * FOLLOW_STEP);
        let mut j = Journal::default();
        let mut disk = Vec::new();
        j.follow(&model, 0, || model.sim_at(0));
        disk_after(&mut j, &mut disk);
        // Playing a little (a few slices): the transactions, appended.
        loop {
            j.follow(&model, 6 * SEC, || {
                unreachable!("a step forward replays no simulator")
            });
            if !j.behind() {
                break;
            }
        }
        let step = j.take_batch().unwrap();
        assert!(!step.reset && !step.records.is_empty() && step.records.len() <= COMPACT_PAST);
        disk.extend(step.records);
        // A jump to the end: a slice at a time, each ending between two
        // moments. Nothing is written meanwhile (the disk holds the stores
        // where the jump began), then the journal restarts from the stores
        // at the end: one record per monitor.
        let (t0, on_disk) = (j.t, disk.clone());
        let mut slices = 0;
        loop {
            j.follow(&model, model.end, || {
                unreachable!("the stores come from the trace")
            });
            slices += 1;
            if !j.behind() {
                break;
            }
            assert!(j.t < model.end && j.take_batch().is_none());
            let mut back = Journal::from_disk(&model.text, t0, &on_disk).unwrap();
            assert!(back.check_against(&model, &model.sim_at(t0)).is_empty());
        }
        assert!(slices > 1 && j.t == model.end, "{slices} slices to {}", j.t);
        // More than COMPACT_PAST transactions: one record per monitor.
        let batch = j.take_batch().unwrap();
        assert!(batch.reset && batch.records.len() == model.mon_count());
        let mut back = Journal::from_disk(&model.text, j.t, &batch.records).unwrap();
        let report = back.check_against(&model, &model.sim_at(j.t));
        assert!(report.is_empty(), "at {}: {report:?}", j.t);
    }

    #[test]
    fn a_seek_back_in_a_run_the_page_did_not_simulate_starts_over_from_the_trace() {
        // As a worker's run: the trace is there, the page's simulator is not.
        let text = library::get("client-writes").unwrap();
        let scenario = monscope_core::scenario::parse(text).unwrap();
        let trace = monscope_core::sim::run::run_until(&scenario, u64::MAX)
            .trace
            .to_vec();
        let model = Model::start(text).unwrap().feed(trace, None, None, true);
        let t = 20 * SEC;
        assert!(model.done() && !model.simulated_to(t));
        let mut j = Journal::default();
        let mut slices = 0;
        loop {
            j.follow(&model, t, || {
                unreachable!("the page's simulator runs to 0 only")
            });
            if !j.behind() {
                break;
            }
            assert!(
                j.take_batch().is_none(),
                "nothing is written until caught up"
            );
            slices += 1;
        }
        assert!(slices >= 1 && j.t == t && !model.simulated_to(t));
        let batch = j.take_batch().unwrap();
        assert!(batch.reset && batch.records.len() == model.mon_count());
        let mut back = Journal::from_disk(&model.text, t, &batch.records).unwrap();
        let report = back.check_against(&model, &model.sim_at(t));
        assert!(report.is_empty(), "{report:?}");
    }

    #[test]
    fn a_store_that_differs_from_the_replay_is_reported() {
        let model = Model::build(library::get("client-writes").unwrap()).unwrap();
        let t = 20 * SEC;
        let mut j = Journal::default();
        j.follow(&model, t, || model.sim_at(t));
        let mut disk = j.take_batch().unwrap().records;
        let mut tx = Transaction::new();
        tx.put_u64("paxos", "last_committed", 999);
        disk.push(Record {
            seq: 99,
            node: 1,
            tx: tx.encode(),
        });
        let mut back = Journal::from_disk(&model.text, t, &disk).unwrap();
        let report = back.check_against(&model, &model.sim_at(t));
        assert_eq!(report.len(), 1);
        assert!(report[0].starts_with("mon.b:") && report[0].contains("paxos/last_committed"));
        disk[0].tx = vec![7, 7];
        let err = Journal::from_disk(&model.text, t, &disk).err().unwrap();
        assert!(err.contains("journal record 0"), "{err}");
    }

    #[test]
    fn corrupted_journal_records_are_an_error_naming_the_record_never_a_panic() {
        let model = Model::build(library::get("client-writes").unwrap()).unwrap();
        let t = 20 * SEC;
        let mut j = Journal::default();
        j.follow(&model, t, || model.sim_at(t));
        let disk = j.take_batch().unwrap().records;
        let mut rng = monscope_core::sim::rng::Pcg32::new(0x0bad_5eed);
        let mut next = || rng.next_u32() as usize;
        let (mut refused, mut read) = (0, 0);
        for i in 0..3_000 {
            let mut bad = disk.clone();
            let r = next() % bad.len();
            let tx = &mut bad[r].tx;
            let k = next() % tx.len().max(1);
            match i % 5 {
                0 => tx[k] ^= 1 << (next() % 8),
                1 => tx.truncate(k),
                // A length or count of gigabytes.
                2 => tx[k..].iter_mut().take(4).for_each(|b| *b = 0xff),
                3 => tx.push(next() as u8),
                _ => tx.splice(k..k, [0x80, 0xc3, 0x28]).for_each(drop),
            }
            match Journal::from_disk(&model.text, t, &bad) {
                Ok(mut back) => {
                    // Read, but not the run's stores: reported, never adopted.
                    let _ = back.check_against(&model, &model.sim_at(t));
                    read += 1;
                }
                Err(e) => {
                    assert!(
                        e.starts_with(&format!("journal record {}", bad[r].seq)),
                        "{e}"
                    );
                    refused += 1;
                }
            }
        }
        assert!(refused > 1_000, "{refused} refused, {read} read");
        // Numbers past any run's: refused, not stores allocated up to them.
        let mut far = disk.clone();
        far[0].node = NodeId::MAX;
        let err = Journal::from_disk(&model.text, t, &far).err().unwrap();
        assert!(err.contains("no mon 4294967295"), "{err}");
        let mut last = disk.clone();
        last.last_mut().unwrap().seq = u64::MAX;
        assert_eq!(
            Journal::from_disk(&model.text, t, &last).unwrap().records(),
            u64::MAX
        );
    }
}
