//! The CONNECTIVITY strategy (ElectionLogic.cc, reference §2.5): candidates
//! are ranked by their total connection score, taken from the tracker frozen
//! for the election (the stable tracker), with ties going to the lower rank
//! and disallowed leaders scoring −1.

use super::owner::Owner;
use super::tracker::ConnectionTracker;
use super::ElectorEffect;
use crate::fixed::Fixed;
use crate::mon::{Epoch, Rank};

/// "a beats b" in Ceph's terms: a strictly better score, or the same score
/// and a lower rank.
fn beats(a: Rank, a_score: f64, b: Rank, b_score: f64) -> bool {
    (a < b && a_score >= b_score) || a_score > b_score
}

impl super::ElectionLogic {
    /// connectivity_election_score(rank): −1 for a disallowed leader, else the
    /// rank's total score in the stable tracker (the live one if none yet).
    pub(super) fn connectivity_election_score(&self, o: &Owner, rank: Rank) -> f64 {
        if o.is_disallowed(rank) {
            return -1.0;
        }
        let t = self
            .stable_peer_tracker
            .as_ref()
            .unwrap_or(&self.peer_tracker);
        t.total_score(rank).0
    }

    /// connectivity_bump_epoch_in_election(e): bump, re-freeze the scores,
    /// and forget the candidate I acked if I now outscore them.
    fn connectivity_bump_epoch_in_election(&mut self, o: &mut Owner, e: Epoch) {
        self.bump_epoch(o, e);
        self.reset_stable_tracker();
        let my = self.connectivity_election_score(o, o.my_rank());
        let ls = self.connectivity_election_score(o, self.leader_acked);
        if my > ls {
            self.leader_acked = -1;
            self.leader_peer_tracker = None;
        }
    }

    /// propose_connectivity_handler(from, e, ct) (§2.5).
    pub(super) fn propose_connectivity_handler(
        &mut self,
        o: &mut Owner,
        from: Rank,
        e: Epoch,
        ct: Option<&ConnectionTracker>,
    ) {
        let me = o.my_rank();
        // Step 0 (the 2024 stretch tiebreaker guard) needs stretch mode's
        // marked-down monitors, which monscope does not model.

        // 1. Flap damping: between elections, a monitor that did not win the
        // last one ignores an out-of-quorum proposer unless its vote would
        // change by at least ignore_propose_margin.
        if self.epoch.is_multiple_of(2)
            && self.last_election_winner != me
            && !o.is_current_member(from)
        {
            let mut best_scorer: Rank = 0;
            let mut best_score = 0.0;
            let mut last_voted_for_score = 0.0;
            for i in o.env.monmap.ranks() {
                let score = self.connectivity_election_score(o, i);
                if score > best_score {
                    best_scorer = i;
                    best_score = score;
                }
                if self.last_voted_for >= 0 && i == self.last_voted_for {
                    last_voted_for_score = score;
                }
            }
            if best_scorer == self.last_voted_for
                || best_score - last_voted_for_score < self.ignore_propose_margin
            {
                self.log(
                    o,
                    format!(
                        "ignoring propose from out-of-quorum {from}: my vote would stay with {} \
                         (best {best_scorer} at {best_score}, voted-for at {last_voted_for_score})",
                        self.last_voted_for,
                        best_score = Fixed(best_score, 3),
                        last_voted_for_score = Fixed(last_voted_for_score, 3)
                    ),
                );
                return;
            }
        }

        // 2. Epochs.
        if e > self.epoch {
            self.connectivity_bump_epoch_in_election(o, e);
        } else if e < self.epoch {
            if self.epoch.is_multiple_of(2) && !o.is_current_member(from) {
                self.log(
                    o,
                    format!("got propose from old epoch, {from} must have just started"),
                );
                o.effect(ElectorEffect::StartElection);
            } else {
                self.log(o, format!("ignoring old propose from {from}"));
            }
            return;
        }

        // 3. Compare scores.
        let my = self.connectivity_election_score(o, me);
        let fr = self.connectivity_election_score(o, from);
        let la = self.leader_acked;
        let ls = if la >= 0 {
            self.connectivity_election_score(o, la)
        } else {
            -1.0
        };
        let my_win = my >= 0.0 && beats(me, my, from, fr);
        let their_win =
            fr >= 0.0 && beats(from, fr, me, my) && ((from <= la && fr >= ls) || fr > ls);
        self.log(
            o,
            format!(
                "propose from {from} score {fr}; my score {my}; acked {la} score {ls}",
                fr = Fixed(fr, 3),
                my = Fixed(my, 3),
                ls = Fixed(ls, 3)
            ),
        );

        if my_win {
            if la >= 0 {
                if ls < fr {
                    // Ceph asserts leader_score >= from_score.
                    self.log(o, format!("acked {la} scores below {from}"));
                }
                self.log(o, format!("no, we already acked {la}"));
            } else if !self.electing_me {
                self.log(o, "wait, i should win! triggering new election");
                o.effect(ElectorEffect::StartElection);
            }
            return;
        }
        if !(their_win || from == la) {
            self.log(
                o,
                format!(
                    "no, we already acked {la} with score >= {fr}",
                    fr = Fixed(fr, 3)
                ),
            );
            return;
        }
        if la >= 0 && from != la {
            // Transitivity: defer to `from` only if the candidate I acked
            // would defer to them too, by the scores it proposed with.
            let leader_says = self.leader_peer_tracker.as_ref().map(|lt| {
                let lf = lt.total_score(from).0;
                let ll = lt.total_score(la).0;
                beats(from, lf, la, ll)
            });
            if leader_says == Some(true) {
                self.log(o, format!("deferring to {from}; {la} would too"));
                self.defer(o, from);
                self.leader_peer_tracker = ct.cloned();
            } else {
                if leader_says.is_none() {
                    // Ceph dereferences a null leader_peer_tracker here.
                    self.log(o, format!("no scores from {la} to check transitivity"));
                }
                let cl = self.peer_tracker.total_score(la).0;
                let cf = self.peer_tracker.total_score(from).0;
                if beats(from, cf, la, cl) {
                    self.log(
                        o,
                        format!(
                            "Bumping epoch and starting new election; acked {la} should defer \
                             to {from} but there is score disagreement!"
                        ),
                    );
                    self.bump_epoch(o, self.epoch + 1);
                    self.start(o);
                } else {
                    self.log(
                        o,
                        format!(
                            "no, we already acked {la} and it won't defer to {from} despite \
                             better round scores"
                        ),
                    );
                }
            }
        } else {
            self.defer(o, from);
            self.leader_peer_tracker = ct.cloned();
        }
    }
}
