//! ElectionLogic (ElectionLogic.cc): reference §2.3 (state), §2.4 (core
//! operations), §2.5 (propose handling for CLASSIC and DISALLOW; CONNECTIVITY
//! is in `connectivity.rs`).
//! Where Ceph asserts, we log and take the safe path instead of panicking.

use super::owner::Owner;
use super::tracker::ConnectionTracker;
use super::ElectorEffect;
use crate::mon::monmap::Strategy;
use crate::mon::out::fmt_ranks;
use crate::mon::vecset::VecSet;
use crate::mon::{Epoch, Rank};

#[derive(Clone, Debug)]
pub struct ElectionLogic {
    /// Odd while electing, even when stable. 0 in memory until init() (§2.3).
    pub epoch: Epoch,
    /// Mirror of the store's monitor/election_epoch; the logic is its only
    /// writer, so read_persisted_epoch() can see writes not yet applied.
    pub persisted_epoch: Epoch,
    pub participating: bool,
    pub electing_me: bool,
    /// Ranks that acked me, me included.
    pub acked_me: VecSet<Rank>,
    /// The rank I deferred to; -1 if none.
    pub leader_acked: Rank,
    pub last_election_winner: Rank,
    pub last_voted_for: Rank,
    /// The live ConnectionTracker (Ceph's Elector::peer_tracker, which the
    /// logic reaches through a pointer).
    pub peer_tracker: ConnectionTracker,
    /// A copy of the live tracker frozen for the current election; None
    /// until the first clear_live_election_state.
    pub stable_peer_tracker: Option<ConnectionTracker>,
    /// The stable tracker of the candidate I deferred to (CONNECTIVITY).
    pub leader_peer_tracker: Option<ConnectionTracker>,
    /// mon_elector_ignore_propose_margin.
    pub ignore_propose_margin: f64,
}

impl ElectionLogic {
    pub fn new(persisted_epoch: Epoch) -> Self {
        ElectionLogic {
            epoch: 0,
            persisted_epoch,
            participating: true,
            electing_me: false,
            acked_me: VecSet::new(),
            leader_acked: -1,
            last_election_winner: -1,
            last_voted_for: -1,
            peer_tracker: ConnectionTracker::new(-1, 43_200.0, 10),
            stable_peer_tracker: None,
            leader_peer_tracker: None,
            ignore_propose_margin: 0.0005,
        }
    }

    pub(super) fn log(&self, o: &mut Owner, text: impl AsRef<str>) {
        o.out
            .log(format!("elector({}) {}", self.epoch, text.as_ref()));
    }

    /// persist_epoch: update the mirror and ask the Monitor to write it.
    fn persist_epoch(&mut self, o: &mut Owner, e: Epoch) {
        self.persisted_epoch = e;
        o.effect(ElectorEffect::PersistEpoch(e));
    }

    /// init(): 0 → 1 (not persisted); odd → +1 (persisted); even kept (§2.4).
    pub(super) fn init(&mut self, o: &mut Owner) {
        self.epoch = self.persisted_epoch;
        if self.epoch == 0 {
            self.epoch = 1;
            self.log(o, "init, first boot, initializing epoch at 1");
        } else if self.epoch % 2 == 1 {
            self.log(o, "init, last seen epoch is odd (mid-election), bumping");
            self.epoch += 1;
            self.persist_epoch(o, self.epoch);
        }
    }

    /// bump_epoch(e): persist, drop my candidacy (but keep leader_acked), and
    /// notify_bump_epoch → Monitor::join_election (§2.4).
    pub(super) fn bump_epoch(&mut self, o: &mut Owner, e: Epoch) {
        let e = if e < self.epoch {
            // Ceph: ceph_assert(epoch <= e). Never go backwards.
            self.log(
                o,
                format!("bump_epoch to {e} < {}: keeping my epoch", self.epoch),
            );
            self.epoch
        } else {
            e
        };
        self.log(o, format!("bump_epoch {} to {e}", self.epoch));
        self.epoch = e;
        self.peer_tracker.increase_epoch(e);
        self.persist_epoch(o, e);
        self.electing_me = false;
        self.acked_me.clear();
        o.effect(ElectorEffect::JoinElection);
    }

    fn clear_live_election_state(&mut self) {
        self.leader_acked = -1;
        self.electing_me = false;
        self.reset_stable_tracker();
        self.leader_peer_tracker = None;
    }

    /// reset_stable_tracker: freeze a copy of the live tracker.
    pub(super) fn reset_stable_tracker(&mut self) {
        self.stable_peer_tracker = Some(self.peer_tracker.clone());
    }

    /// start(): propose myself. From an even epoch +1, from an odd one +2.
    pub(super) fn start(&mut self, o: &mut Owner) {
        if !self.participating {
            self.log(o, "not starting new election -- not participating");
            return;
        }
        self.acked_me.clear();
        self.init(o);
        if self.epoch.is_multiple_of(2) {
            self.bump_epoch(o, self.epoch + 1);
        } // else validate_store(): nothing to check in memory.
        self.acked_me.insert(o.my_rank());
        self.clear_live_election_state();
        self.reset_stable_tracker();
        self.electing_me = true;
        self.log(o, "calling new monitor election: proposing myself");
        let sharing = if o.strategy() == Strategy::Connectivity {
            self.stable_peer_tracker.as_ref()
        } else {
            None
        };
        o.propose_to_peers(self.epoch, &self.peer_tracker, sharing);
        o.start_timer();
    }

    /// defer(who): give up my candidacy and ACK `who`.
    pub(super) fn defer(&mut self, o: &mut Owner, who: Rank) {
        let bad = if o.strategy() == Strategy::Classic {
            who >= o.my_rank()
        } else {
            o.is_disallowed(who)
        };
        if bad {
            // Ceph asserts here; the handlers never get here.
            self.log(o, format!("refusing to defer to {who}"));
            return;
        }
        self.log(o, format!("defer to {who}"));
        if self.electing_me {
            self.acked_me.clear();
            self.electing_me = false;
        }
        self.leader_acked = who;
        o.defer_to(self.epoch, who, &self.peer_tracker);
    }

    /// end_election_period(): the expiry timer fired.
    pub(super) fn end_election_period(&mut self, o: &mut Owner) {
        if self.electing_me && self.acked_me.len() > o.paxos_size() / 2 {
            self.log(o, "election period ended with a majority");
            self.declare_victory(o);
        } else if o.ever_participated() {
            self.log(o, "election period ended without a leader; restarting");
            self.start(o);
        } else {
            self.log(o, "election period ended; never joined, bootstrapping");
            o.effect(ElectorEffect::Bootstrap);
        }
    }

    /// declare_victory(): quorum = acked_me; bump to even; message_victory.
    pub(super) fn declare_victory(&mut self, o: &mut Owner) {
        let me = o.my_rank();
        self.last_election_winner = me;
        self.last_voted_for = me;
        self.clear_live_election_state();
        let quorum: Vec<Rank> = std::mem::take(&mut self.acked_me).into_iter().collect();
        self.log(o, format!("I win! quorum {}", fmt_ranks(&quorum)));
        let next = if self.epoch % 2 == 1 {
            self.epoch + 1
        } else {
            // Ceph asserts the epoch is odd; keep victory epochs even.
            self.log(o, "declare_victory at an even epoch");
            self.epoch + 2
        };
        self.bump_epoch(o, next);
        o.message_victory(self.epoch, quorum, &self.peer_tracker);
    }

    /// receive_propose(from, e): dispatch by strategy (§2.5).
    pub(super) fn receive_propose(
        &mut self,
        o: &mut Owner,
        from: Rank,
        e: Epoch,
        ct: Option<&ConnectionTracker>,
    ) {
        if from == o.my_rank() {
            self.log(o, "got a propose from my own rank, dropping");
            return;
        }
        match o.strategy() {
            Strategy::Classic => self.propose_classic_handler(o, from, e),
            Strategy::Disallow => self.propose_disallow_handler(o, from, e),
            Strategy::Connectivity => self.propose_connectivity_handler(o, from, e, ct),
        }
    }

    /// The classic epoch prefix. Returns true when the proposal is consumed.
    pub(super) fn propose_classic_prefix(&mut self, o: &mut Owner, from: Rank, e: Epoch) -> bool {
        if e > self.epoch {
            self.bump_epoch(o, e);
            false
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
            true
        } else {
            false
        }
    }

    /// "I would win over them": ignore if I acked someone, else make sure I run.
    fn i_would_win(&mut self, o: &mut Owner, from: Rank, from_dis: bool) {
        if self.leader_acked >= 0 {
            if !(self.leader_acked < from || from_dis) {
                self.log(
                    o,
                    format!("acked {}, which does not beat {from}", self.leader_acked),
                );
            }
            self.log(o, format!("no, we already acked {}", self.leader_acked));
        } else if !self.electing_me {
            o.effect(ElectorEffect::StartElection);
        }
    }

    fn propose_classic_handler(&mut self, o: &mut Owner, from: Rank, e: Epoch) {
        if self.propose_classic_prefix(o, from, e) {
            return;
        }
        if o.my_rank() < from {
            self.i_would_win(o, from, false);
        } else if self.leader_acked < 0 || self.leader_acked > from || self.leader_acked == from {
            self.defer(o, from);
        } else {
            self.log(o, format!("no, we already acked {}", self.leader_acked));
        }
    }

    fn propose_disallow_handler(&mut self, o: &mut Owner, from: Rank, e: Epoch) {
        if self.propose_classic_prefix(o, from, e) {
            return;
        }
        let me = o.my_rank();
        let me_dis = o.is_disallowed(me);
        let from_dis = o.is_disallowed(from);
        let my_win = !me_dis && (me < from || from_dis);
        let their_win = !from_dis
            && (me > from || me_dis)
            && (self.leader_acked < 0 || self.leader_acked >= from);
        if my_win {
            self.i_would_win(o, from, from_dis);
        } else if their_win {
            self.defer(o, from);
        } else {
            self.log(o, format!("no, we already acked {}", self.leader_acked));
        }
    }

    /// receive_ack(from, e) (§2.4).
    pub(super) fn receive_ack(&mut self, o: &mut Owner, from: Rank, e: Epoch) {
        if e.is_multiple_of(2) {
            self.log(o, format!("ack from {from} at even epoch {e}, ignoring"));
            return;
        }
        if e > self.epoch {
            self.log(
                o,
                format!("ack at newer epoch {e}, i must have rebooted; restarting"),
            );
            self.bump_epoch(o, e);
            self.start(o);
            return;
        }
        if self.electing_me {
            self.acked_me.insert(from);
            if self.acked_me.len() == o.paxos_size() {
                self.declare_victory(o);
            }
        } else if self.leader_acked < 0 {
            self.log(
                o,
                format!("ack from {from} while neither electing nor deferring"),
            );
        }
    }

    /// victory_makes_sense(from): CLASSIC from < me; DISALLOW also if I am
    /// disallowed; CONNECTIVITY score(from) ≥ score(me).
    fn victory_makes_sense(&self, o: &Owner, from: Rank) -> bool {
        match o.strategy() {
            Strategy::Classic => from < o.my_rank(),
            Strategy::Disallow => from < o.my_rank() || o.is_disallowed(o.my_rank()),
            Strategy::Connectivity => {
                self.connectivity_election_score(o, from)
                    >= self.connectivity_election_score(o, o.my_rank())
            }
        }
    }

    /// receive_victory_claim(from, e): true if I accept `from` as leader.
    pub(super) fn receive_victory_claim(&mut self, o: &mut Owner, from: Rank, e: Epoch) -> bool {
        let ok = self.victory_makes_sense(o, from);
        self.last_election_winner = from;
        self.last_voted_for = self.leader_acked;
        self.clear_live_election_state();
        if !ok {
            // Ceph asserts CONNECTIVITY here; for us: restart the election.
            self.log(o, format!("victory of {from} makes no sense; restarting"));
            self.bump_epoch(o, e);
            self.start(o);
            return false;
        }
        if e != self.epoch + 1 {
            self.log(
                o,
                format!("victory at funny epoch {e}, i must have rebooted; restarting"),
            );
            self.bump_epoch(o, e);
            self.start(o);
            return false;
        }
        self.bump_epoch(o, e);
        self.log(o, format!("accepting victory of {from}"));
        true
    }

    /// declare_standalone_victory(): init() then bump_epoch(epoch+1).
    pub(super) fn declare_standalone_victory(&mut self, o: &mut Owner) {
        if o.paxos_size() != 1 || o.my_rank() != 0 {
            self.log(o, "standalone victory outside a one-monitor monmap");
        }
        self.init(o);
        self.bump_epoch(o, self.epoch + 1);
    }
}
