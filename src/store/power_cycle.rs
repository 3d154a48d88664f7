//! Power cycle: every running monitor loses power and comes back from its
//! store. Recorded as two scenario lines, `at T kill ...` and `at T' revive
//! ...`, so the run stays reproducible and shareable.

use crate::edit;
use crate::playback::Model;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::NodeId;

/// How long the power stays off: a second, and at least until every message
/// in the air at `t` has arrived (and been lost), so none reaches the new
/// processes.
fn off_until(model: &Model, t: Time) -> Time {
    let last_arrival = model
        .in_flight(t, 0)
        .iter()
        .map(|f| f.arrive)
        .max()
        .unwrap_or(t);
    edit::at_time((t + SEC).max(last_arrival + 1000))
}

/// The scenario text with the power cycle of every monitor running at `t`
/// inserted, or why it cannot be.
pub fn insert(model: &Model, text: &str, t: Time) -> Result<String, String> {
    let sim = model.sim_at(t);
    let running: Vec<&str> = (0..model.mon_count())
        .filter(|&n| sim.monitor(n as NodeId).is_some())
        .map(|n| model.names[n].as_str())
        .collect();
    if running.is_empty() {
        return Err("power cycle: no monitor is running at this time".into());
    }
    let names = running.join(" ");
    let text = edit::insert_at(text, t, &format!("kill {names}"))?;
    edit::insert_at(&text, off_until(model, t), &format!("revive {names}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library;

    #[test]
    fn monitors_come_back_with_their_epochs_and_versions() {
        let text = library::get("client-writes").unwrap();
        let model = Model::build(text).unwrap();
        let t = 25 * SEC;
        let new = insert(&model, text, t).unwrap();
        assert!(new.contains("at 25s kill a b c"), "{new}");
        assert!(new.contains("at 26s revive a b c"), "{new}");
        let after = Model::build(&new).unwrap();
        let before = model.sim_at(t);
        let off = after.sim_at(t + SEC / 2);
        for n in 0..3 {
            assert!(off.monitor(n).is_none());
            // What is on disk is what the monitors had.
            assert_eq!(off.store(n), before.store(n));
        }
        // Back: a quorum again, with an election epoch above the old one and
        // the same committed versions.
        let back = after.sim_at(t + 20 * SEC);
        let st = back.state();
        assert!(st.leader().is_some());
        for n in 0..3 {
            let (b, a) = (before.state().status(n), st.status(n));
            assert!(a.election_epoch > b.election_epoch);
            assert!(a.paxos.last_committed >= b.paxos.last_committed);
        }
    }
}
