//! The Monitor (Monitor.cc): bootstrap and probing, election entry and exit,
//! the message gates in front of Paxos and the Elector, and client routing.
//! It owns its store while running; the simulator takes the store back when
//! the monitor is killed, and everything else is lost.

use super::clog::{Clog, Prio};
use super::config::Config;
use super::consensus::{Consensus, Origin, PaxosCtx, PaxosEffect};
use super::elector::{Elector, ElectorEffect, ElectorEnv};
use super::messages::{
    MForward, MMonGlobalID, MMonProbe, MRoute, MTimeCheck2, Message, ProbeOp, TimecheckOp,
};
use super::monmap::{MonMap, Strategy};
use super::monmap_service;
use super::out::{apply_tx, fmt_ranks, Out, Timer};
use super::session::Sessions;
use super::status::{MonState, MonStatus, StatusNames};
use super::store::{MonitorDBStore, Transaction};
use super::sync::{MonSync, SyncCtx, SyncEffect};
use super::timecheck::{TcEnv, Timecheck};
use super::{Addr, Epoch, Rank};
use crate::mon::vecset::VecSet;
use crate::time::Time;
use std::sync::Arc;

mod cluster_log;
use cluster_log::HealthToClog;

/// One input to a monitor.
#[derive(Clone, Debug)]
pub enum Input {
    /// The process starts (Monitor::preinit + init).
    Boot,
    /// The message is shared with the trace's copy (and with the other
    /// receivers of a broadcast): the monitor reads it, copying only what it keeps.
    Message {
        from: Addr,
        msg: Arc<Message>,
    },
    Timer(Timer),
    /// The `quorum_status`-style admin command that calls an election.
    CallElection,
}

/// What a status was last written from ([`Monitor::status_into_keyed`]):
/// whether one was written since the key was made (a new key, or one reset
/// by its holder, matches nothing), and for its names the monmap (held, so
/// its allocation cannot be reused by another), the leader and the quorum's
/// ranks.
#[derive(Clone, Debug, Default)]
pub struct NamesKey {
    written: bool,
    in_quorum: bool,
    leader: Rank,
    monmap: Option<Arc<MonMap>>,
    quorum: Vec<Rank>,
}

#[derive(Clone, Debug)]
pub struct Monitor {
    pub name: String,
    pub addr: Addr,
    cfg: Arc<Config>,
    monmap: Arc<MonMap>,
    store: MonitorDBStore,
    state: MonState,
    rank: Rank,
    has_ever_joined: bool,
    outside_quorum: VecSet<Rank>,
    /// Addresses that probed me from outside my monmap (handle_probe_probe's
    /// "adding peer ... to list of hints"); bootstrap probes them too. Kept
    /// in memory only, as Ceph's, and never forgotten while the process runs.
    extra_probe_peers: VecSet<Addr>,
    quorum: Vec<Rank>,
    leader: Rank,
    elector: Elector,
    consensus: Consensus,
    /// Client sessions and the requests this peon routed to the leader for
    /// them, resent to each new leader (finish_election).
    sessions: Sessions,
    /// When this monitor last left a quorum (_reset; cleared by
    /// finish_election): out of quorum for over 2 x mon_lease, tick drops
    /// every client session.
    exited_quorum: Option<Time>,
    /// Store synchronization, both as requester and as provider (§1.6).
    sync: MonSync,
    /// Timecheck state (§1.10): the leader's measurements, a peon's last report.
    timecheck: Timecheck,
    /// The process exited ("removed from monmap, suicide"); the simulator stops it.
    exited: bool,
    /// This monitor's clock at its last input (health reads it).
    clock: Time,
    /// The cluster log channel (LogClient): lines waiting for LogMonitor.
    clog: Clog,
    /// A new leader's health to clog, waiting for HealthMonitor.
    health_to_clog: HealthToClog,
    /// health_status_cache: the summary do_health_to_clog last logged.
    health_status_cache: Option<String>,
    /// The name this monitor's cluster log entries carry ("mon.a"), made
    /// once and shared by each entry its LogMonitor holds.
    clog_who: Arc<str>,
}

impl Monitor {
    /// Whether the client session `id` is open here (Monitor::tick trims
    /// idle ones and all of them once out of quorum too long, marking their
    /// connections down).
    pub fn has_session(&self, id: super::session::SessionId) -> bool {
        self.sessions.is_open(id)
    }

    /// A monitor process with its (possibly empty) store, before it boots.
    pub fn new(
        name: &str,
        addr: Addr,
        monmap: Arc<MonMap>,
        cfg: Arc<Config>,
        store: MonitorDBStore,
    ) -> Monitor {
        let persisted = store.get_u64("monitor", "election_epoch") as Epoch;
        // obtain_monmap: the sync backup if a sync was interrupted, else the
        // newest monmap this store committed (or adopted), if newer than the
        // one the process was started with.
        let stored =
            super::sync::backup_monmap(&store).or_else(|| monmap_service::latest_in_store(&store));
        let monmap = match stored {
            Some(m) if m.epoch > monmap.epoch => Arc::new(m),
            _ => monmap,
        };
        let rank = monmap.rank_of_addr(addr);
        let mut elector = Elector::new(persisted, &cfg);
        elector.load_tracker(
            rank,
            store.get("monitor", "connectivity_scores"),
            monmap.size(),
        );
        let consensus = Consensus::new(&store);
        let has_ever_joined = store.get_u64("monitor", "joined") != 0;
        Monitor {
            clog_who: ["mon.", name].concat().into(),
            name: name.to_string(),
            addr,
            cfg,
            monmap,
            store,
            state: MonState::Probing,
            rank,
            has_ever_joined,
            outside_quorum: VecSet::new(),
            extra_probe_peers: VecSet::new(),
            quorum: Vec::new(),
            leader: -1,
            elector,
            consensus,
            sessions: Sessions::default(),
            exited_quorum: None,
            sync: MonSync::default(),
            timecheck: Timecheck::default(),
            exited: false,
            clock: 0,
            clog: Clog::default(),
            health_to_clog: HealthToClog::Idle,
            health_status_cache: None,
        }
    }

    /// The monitor's current monmap.
    pub fn monmap(&self) -> &Arc<MonMap> {
        &self.monmap
    }
    /// The process exited (removed from the monmap): the simulator stops it.
    pub fn exited(&self) -> bool {
        self.exited
    }
    /// Timecheck state, for inspectors and tests.
    pub fn timecheck(&self) -> &Timecheck {
        &self.timecheck
    }

    /// Stop the process: the store survives, nothing else does.
    pub fn into_store(self) -> MonitorDBStore {
        self.store
    }
    pub fn store(&self) -> &MonitorDBStore {
        &self.store
    }
    pub fn state(&self) -> MonState {
        self.state
    }
    pub fn rank(&self) -> Rank {
        self.rank
    }
    pub fn elector(&self) -> &Elector {
        &self.elector
    }
    pub fn consensus(&self) -> &Consensus {
        &self.consensus
    }
    pub fn sync_state(&self) -> &MonSync {
        &self.sync
    }
    pub fn outside_quorum(&self) -> Vec<Rank> {
        self.outside_quorum.iter().copied().collect()
    }

    pub fn status(&self) -> MonStatus {
        let mut s = MonStatus::down(self.rank);
        self.status_into(&mut s);
        s
    }

    /// [`status`](Self::status) written over `s`, reusing its buffers: the
    /// simulator asks after every input, and the status rarely changes.
    pub fn status_into(&self, s: &mut MonStatus) {
        let names = Arc::make_mut(&mut s.names);
        self.names_into(names);
        names.health = self.health();
        names.scores = self.scores();
        [names.accepted_pn, names.last_pn] = self.consensus.pns();
        names.state = self.state;
        names.rank = self.rank;
        names.election_epoch = self.elector.epoch();
        names.monmap_epoch = self.monmap.epoch;
        self.fields_into(s);
    }

    /// [`status_into`](Self::status_into) for a caller that writes the same
    /// `s` after every input (the simulator), and only then: `s` is left as
    /// it is and false returned when it still is this monitor's status
    /// (every field it reads compared in place, nothing built: about half
    /// the inputs change no status). Otherwise it is written, the leader's
    /// and quorum's names looked up again only when `key`, what they were
    /// written from last time, no longer matches (comparing them by name
    /// took five string comparisons an input).
    pub fn status_into_keyed(&self, s: &mut MonStatus, key: &mut NamesKey) -> bool {
        let in_quorum = matches!(self.state, MonState::Leader | MonState::Peon);
        let same = key.written
            && key.in_quorum == in_quorum
            && (!in_quorum
                || (key.leader == self.leader
                    && key
                        .monmap
                        .as_ref()
                        .is_some_and(|m| Arc::ptr_eq(m, &self.monmap))
                    && key.quorum == self.quorum));
        if same && self.fields_unchanged(s) {
            return false;
        }
        key.written = true;
        // The names are shared with the statuses recorded before: replaced
        // when one of them changed, never written in place.
        let health_same = self.health_unchanged(&s.health);
        let scores = self.scores();
        let [accepted_pn, last_pn] = self.consensus.pns();
        let election_epoch = self.elector.epoch();
        if !same
            || !health_same
            || *scores != *s.scores
            || accepted_pn != s.accepted_pn
            || last_pn != s.last_pn
            || s.state != self.state
            || s.election_epoch != election_epoch
            || s.rank != self.rank
            || s.monmap_epoch != self.monmap.epoch
        {
            let mut names = StatusNames {
                state: self.state,
                rank: self.rank,
                election_epoch,
                monmap_epoch: self.monmap.epoch,
                leader: s.leader.clone(),
                quorum: s.quorum.clone(),
                health: if health_same {
                    s.health.clone()
                } else {
                    self.health()
                },
                scores,
                accepted_pn,
                last_pn,
            };
            if !same {
                self.names_into(&mut names);
                key.in_quorum = in_quorum;
                key.leader = self.leader;
                key.monmap = Some(self.monmap.clone());
                key.quorum.clone_from(&self.quorum);
            }
            s.names = Arc::new(names);
        }
        self.fields_into(s);
        true
    }

    /// Whether `s`'s fields but the names are still what
    /// [`fields_into`](Self::fields_into) would write: the paxos ones first
    /// (they change most). Under the connectivity strategy the scores
    /// change with every ping, and are not compared: they are written.
    #[inline]
    fn fields_unchanged(&self, s: &MonStatus) -> bool {
        s.paxos == self.consensus.status()
            && [s.accepted_pn, s.last_pn] == self.consensus.pns()
            && s.state == self.state
            && s.election_epoch == self.elector.epoch()
            && s.rank == self.rank
            && s.monmap_epoch == self.monmap.epoch
            && self.monmap.strategy != Strategy::Connectivity
            && s.scores.is_empty()
            && self.health_unchanged(&s.health)
    }

    /// Whether `health` is still what [`health`](Self::health) would give.
    #[inline]
    fn health_unchanged(&self, health: &[String]) -> bool {
        if self.state == MonState::Leader {
            let committed = self.consensus.health.service.committed();
            health.len() == committed.len()
                && (committed.is_empty()
                    || health
                        .iter()
                        .map(String::as_str)
                        .eq(committed.keys().map(String::as_str)))
        } else {
            health.is_empty()
        }
    }

    /// The leader's and the quorum's names, while in quorum.
    fn names_into(&self, s: &mut StatusNames) {
        let in_quorum = matches!(self.state, MonState::Leader | MonState::Peon);
        match self.monmap.name_of(self.leader).filter(|_| in_quorum) {
            Some(name) => match &mut s.leader {
                Some(l) if &**l == name => {}
                l => *l = Some(name.into()),
            },
            None => s.leader = None,
        }
        let quorum: &[Rank] = if in_quorum { &self.quorum } else { &[] };
        let names = quorum.iter().filter_map(|r| self.monmap.name_of(*r));
        if !names.clone().eq(s.quorum.iter().map(String::as_str)) {
            s.quorum = names.map(str::to_string).collect();
        }
    }

    /// Every field of the status but the names (and the state, epochs,
    /// health and scores beside them: [`Self::status_into_keyed`] writes
    /// those as new names).
    fn fields_into(&self, s: &mut MonStatus) {
        s.paxos = self.consensus.status();
    }

    /// Connection scores by monitor name, as this monitor's tracker has them;
    /// only under the connectivity strategy, where they decide elections.
    fn scores(&self) -> Box<[(String, f64)]> {
        if self.monmap.strategy != Strategy::Connectivity {
            return Box::default();
        }
        self.elector
            .scores(&self.monmap)
            .into_iter()
            .filter_map(|(r, s)| self.monmap.name_of(r).map(|n| (n.to_string(), s)))
            .collect()
    }

    /// The leader's health checks. MON_DOWN: a monmap member is out of
    /// quorum, once the monmap is mon_down_mkfs_grace old by the leader's
    /// clock (Pacific's HealthMonitor::check_for_mon_down: `now >
    /// monmap.created + mon_down_mkfs_grace`; monmaptool created it a
    /// second before the scenario's 0 s, and a monmap update keeps
    /// `created`; see `leader_checks`). MON_CLOCK_SKEW:
    /// timecheck measured a quorum member's clock off by more than
    /// mon_clock_drift_allowed.
    fn health(&self) -> Vec<String> {
        if self.state != MonState::Leader {
            return Vec::new();
        }
        self.consensus
            .health
            .service
            .committed_codes()
            .map(str::to_string)
            .collect()
    }

    /// Feed one input; everything the monitor wants done lands in `out`.
    pub fn handle(&mut self, now: Time, input: Input, out: &mut Out) {
        if self.exited {
            return;
        }
        self.clock = now;
        match input {
            Input::Boot => self.init(now, out),
            Input::Message { from, msg } => self.dispatch(now, from, &msg, out),
            Input::Timer(t) => self.on_timer(now, t, out),
            Input::CallElection => {
                if matches!(self.state, MonState::Probing | MonState::Synchronizing) {
                    out.log(&"call-election ignored: not in an electable state");
                } else {
                    self.start_election(now, out);
                }
            }
        }
        if !self.exited {
            self.after_input(now, out);
        }
    }

    /// Monitor::init: arm the tick, then bootstrap.
    fn init(&mut self, now: Time, out: &mut Out) {
        out.log(format!(
            "mon.{} starting, rank {}, election epoch {} on disk, last_committed {}",
            self.name,
            self.rank,
            self.store.get_u64("monitor", "election_epoch"),
            self.consensus.last_committed()
        ));
        // Monitor::preinit: a monitor that has joined a quorum and is not in
        // its monmap any more was removed: it refuses to start.
        if self.has_ever_joined && self.monmap.rank_of_name(&self.name) < 0 {
            out.log(&"not in monmap and have been in a quorum before; must have been removed");
            out.log(&"commit suicide!");
            self.suicide(now, out);
            return;
        }
        if self.sync.on_startup(&mut self.store, out) {
            self.consensus = Consensus::new(&self.store);
        }
        out.set_timer(Timer::Tick, self.cfg.mon_tick_interval);
        self.bootstrap(now, out);
    }

    /// Monitor::bootstrap (§1.3).
    fn bootstrap(&mut self, now: Time, out: &mut Out) {
        out.log(&"bootstrap");
        self.sync.reset_requester(out);
        out.cancel_timer(Timer::ProbeTimeout);
        // §1.3 step 5: my rank from my address in the monmap.
        let new_rank = self.monmap.rank_of_addr(self.addr);
        if self.rank >= 0 && new_rank < 0 {
            if self.has_ever_joined {
                out.log(format!(
                    "not in monmap e{} and have been in a quorum before; must have been removed",
                    self.monmap.epoch
                ));
                out.log(&"removed from monmap, suicide");
                self.suicide(now, out);
                return;
            }
            out.log(&"not in monmap and have never joined: clearing the elector's peer state");
            self.elector.notify_clear_peer_state(self.rank);
        }
        if new_rank != self.rank {
            out.log(format!(
                "monmap e{}: my rank is now {new_rank} (was {})",
                self.monmap.epoch, self.rank
            ));
            self.rank = new_rank;
            let effects = self.elector.notify_rank_changed(new_rank);
            self.apply_elector(now, effects, out);
            // "reset all connections, or else our peers will think we are
            // someone else": replies to probes sent under the old rank are
            // lost with them. This is what keeps a never-joined monitor that
            // flips between two monmaps from answering old rounds (issue 13,
            // bug 2): one bootstrap per round trip, not a storm.
            out.log(&"mark_down_all: every connection reset");
            out.mark_down_all();
        }
        self.state = MonState::Probing;
        self.reset(now, out);
        if self.monmap.size() == 1 && self.rank == 0 {
            self.win_standalone_election(now, out);
            return;
        }
        out.set_timer(Timer::ProbeTimeout, self.cfg.mon_probe_timeout);
        if self.rank >= 0 {
            self.outside_quorum.insert(self.rank);
        }
        let probe = self.probe_message(ProbeOp::Probe);
        for r in self.monmap.ranks().filter(|r| *r != self.rank) {
            if let Some(addr) = self.monmap.addr_of(r) {
                out.send(addr, Message::Probe(probe.clone().into()));
            }
        }
        for &addr in self.extra_probe_peers.iter().filter(|a| **a != self.addr) {
            out.send(addr, Message::Probe(probe.clone().into()));
        }
    }

    fn probe_message(&self, op: ProbeOp) -> MMonProbe {
        let in_quorum = matches!(self.state, MonState::Leader | MonState::Peon);
        MMonProbe {
            op,
            name: self.name.clone(),
            quorum: if in_quorum {
                self.quorum.clone()
            } else {
                Vec::new()
            },
            leader: if in_quorum { self.leader } else { -1 },
            monmap: self.monmap.clone(),
            // A bootstrap probe carries 0; replies carry the real range (§1.5).
            paxos_first_version: if op == ProbeOp::Probe {
                0
            } else {
                self.consensus.first_committed()
            },
            paxos_last_version: if op == ProbeOp::Probe {
                0
            } else {
                self.consensus.last_committed()
            },
            has_ever_joined: self.has_ever_joined,
        }
    }

    /// The process exits: state down, nothing armed; the simulator stops it.
    fn suicide(&mut self, now: Time, out: &mut Out) {
        self.reset(now, out);
        self.elector.cancel_timer(out);
        out.cancel_timer(Timer::Tick);
        self.state = MonState::Down;
        self.exited = true;
    }

    /// Adopt a newer monmap seen in a probe reply or an election message.
    /// Take a newer monmap, then Monitor::notify_new_monmap: with
    /// `remove_ranks`, tell the elector of each rank the new map no longer
    /// has (highest first), so its connection reports and pinging follow the
    /// renumbering.
    fn adopt_monmap(&mut self, now: Time, m: Arc<MonMap>, remove_ranks: bool, out: &mut Out) {
        out.log(format!(
            "adopting monmap e{} (mine was e{}): {} monitors",
            m.epoch,
            self.monmap.epoch,
            m.size()
        ));
        let old = std::mem::replace(&mut self.monmap, m);
        if !remove_ranks {
            return;
        }
        // Ceph's monmap carries removed_ranks; the same ranks, by name.
        let removed: Vec<Rank> = old
            .ranks()
            .filter(|&r| {
                old.name_of(r)
                    .is_some_and(|n| self.monmap.rank_of_name(n) < 0)
            })
            .collect();
        for &gone in removed.iter().rev() {
            if gone == self.rank {
                // My own rank: bootstrap will find me gone.
                continue;
            }
            let new_rank = self.monmap.rank_of_addr(self.addr);
            if new_rank < 0 {
                continue;
            }
            out.log(format!(
                "elector: rank {gone} removed, mine is now {new_rank}"
            ));
            let effects = self.with_elector(now, out, |e, env, o| {
                e.notify_rank_removed(env, gone, new_rank, o)
            });
            self.apply_elector(now, effects, out);
        }
    }

    /// Monitor::_reset (§1.4).
    fn reset(&mut self, now: Time, out: &mut Out) {
        out.cancel_timer(Timer::ProbeTimeout);
        self.timecheck.cleanup(out);
        if !self.quorum.is_empty() {
            self.exited_quorum = Some(now);
        }
        self.health_events_stop(out);
        self.quorum.clear();
        self.outside_quorum.clear();
        self.leader = -1;
        let effects = self.with_paxos(now, out, |c, ctx| c.restart(ctx));
        self.apply_paxos(now, effects, out);
    }

    fn on_timer(&mut self, now: Time, t: Timer, out: &mut Out) {
        match t {
            Timer::ProbeTimeout => {
                out.log(&"probe timeout");
                self.bootstrap(now, out);
            }
            Timer::ElectionExpire => {
                let effects = self.with_elector(now, out, |e, env, o| e.on_expire(env, o));
                self.apply_elector(now, effects, out);
            }
            Timer::SyncTimeout => {
                let effects = self.with_sync(now, out, |s, ctx| s.timeout(ctx));
                self.apply_sync(now, effects, out);
            }
            Timer::Tick => {
                out.set_timer(Timer::Tick, self.cfg.mon_tick_interval);
                let out_for_too_long = self
                    .exited_quorum
                    .is_some_and(|t| now > t.saturating_add(2 * self.cfg.mon_lease));
                let in_quorum = matches!(self.state, MonState::Leader | MonState::Peon);
                let zap_before = (!in_quorum).then(|| now.saturating_sub(self.cfg.mon_lease));
                self.sessions.trim(now, out_for_too_long, zap_before, out);
                self.sync.trim_providers(now, out);
                let effects = self.with_paxos(now, out, |c, ctx| c.tick(ctx));
                self.apply_paxos(now, effects, out);
                self.auth_tick_peon(out);
                self.health_tick(now, out);
            }
            Timer::HealthToClogTick | Timer::HealthToClogInterval => {
                self.on_health_timer(now, t, out)
            }
            Timer::ClientRetry(_) | Timer::ClientKeepalive(_) => {}
            Timer::PingCheck(peer) => {
                let fx = self.with_elector(now, out, |e, env, o| e.on_ping_check(env, peer, o));
                self.apply_elector(now, fx, out);
            }
            Timer::DeadPing(peer) => {
                let fx = self.with_elector(now, out, |e, env, o| e.on_dead_ping(env, peer, o));
                self.apply_elector(now, fx, out);
            }
            Timer::Timecheck => {
                if self.state == MonState::Leader {
                    let cfg = self.cfg.clone();
                    let mut tc = std::mem::take(&mut self.timecheck);
                    tc.on_timer(&self.tc_env(now, &cfg), out);
                    self.timecheck = tc;
                }
            }
            paxos_timer => {
                let effects = self.with_paxos(now, out, |c, ctx| c.handle_timer(ctx, paxos_timer));
                self.apply_paxos(now, effects, out);
            }
        }
    }

    fn dispatch(&mut self, now: Time, from: Addr, msg: &Message, out: &mut Out) {
        match msg {
            Message::Probe(m) => self.handle_probe(now, from, (**m).clone(), out),
            Message::Election(m) => {
                // §1.8: election messages are handled only outside probing and sync.
                if matches!(self.state, MonState::Probing | MonState::Synchronizing) {
                    return;
                }
                // §2.2: a member's message with a newer monmap: adopt and
                // persist it, cancel the election timer, bootstrap.
                if self.monmap.contains_addr(from) && m.monmap.epoch > self.monmap.epoch {
                    out.log(format!(
                        "election message from mon.{} carries newer monmap e{}",
                        self.monmap.rank_of_addr(from),
                        m.monmap.epoch
                    ));
                    let mut tx = Transaction::new();
                    monmap_service::persist_monmap(&mut tx, &m.monmap);
                    apply_tx(&mut self.store, out, tx);
                    self.elector.cancel_timer(out);
                    self.adopt_monmap(now, m.monmap.clone(), true, out);
                    self.bootstrap(now, out);
                    return;
                }
                let effects = self.with_elector(now, out, |e, env, o| e.dispatch(env, from, m, o));
                self.apply_elector(now, effects, out);
            }
            Message::Sync(m) => {
                let effects = self.with_sync(now, out, |s, ctx| s.handle(ctx, from, m));
                self.apply_sync(now, effects, out);
            }
            Message::Ping(m) => {
                // Pings reach the elector in every state (Monitor::dispatch_op).
                let fx = self.with_elector(now, out, |e, env, o| e.dispatch_ping(env, from, m, o));
                self.apply_elector(now, fx, out);
            }
            Message::Paxos(m) => {
                // §1.8 gates in front of Paxos.
                if self.state == MonState::Synchronizing {
                    out.log(format!("ignore paxos {} (synchronizing)", m.op.name()));
                    return;
                }
                let epoch = self.elector.epoch();
                if m.epoch > epoch {
                    out.log(format!(
                        "paxos {} from a newer election epoch {} > {}: bootstrap",
                        m.op.name(),
                        m.epoch,
                        epoch
                    ));
                    self.bootstrap(now, out);
                    return;
                }
                if m.epoch != epoch || !matches!(self.state, MonState::Leader | MonState::Peon) {
                    return;
                }
                let from_rank = self.monmap.rank_of_addr(from);
                if from_rank < 0 {
                    return;
                }
                let effects = self.with_paxos(now, out, |c, ctx| c.handle_paxos(ctx, from_rank, m));
                self.apply_paxos(now, effects, out);
            }
            Message::Client(req) => {
                let timeout = self.cfg.mon_session_timeout;
                self.sessions.touch((from, req.session), now, timeout);
                let effects = self.with_paxos(now, out, |c, ctx| {
                    c.handle_client(ctx, Origin::Client(from), req.clone())
                });
                self.apply_paxos(now, effects, out);
            }
            Message::Forward(f) => {
                // Only the leader serves forwarded requests; anyone else drops
                // them (forward_request_leader does not forward twice) and the
                // peon resends them after the next election.
                if self.state != MonState::Leader {
                    return;
                }
                let origin = Origin::Forwarded {
                    peon: from,
                    client: f.client,
                };
                let effects = self.with_paxos(now, out, |c, ctx| {
                    c.handle_client(ctx, origin, f.req.clone())
                });
                self.apply_paxos(now, effects, out);
            }
            // handle_route: only a request still routed for an open session
            // is answered ("don't have routed request tid" otherwise).
            Message::Route(r) => {
                if self.sessions.routed_answered(r.client, r.reply.tid) {
                    out.send(r.client, Message::ClientReply(r.reply.clone()));
                } else {
                    out.log(format!("don't have routed request tid {}", r.reply.tid));
                }
            }
            // ms_handle_reset: the client's connection closed.
            Message::Close(c) => self.sessions.remove((from, c.session), out),
            Message::ClientReply(_) => {}
            Message::Timecheck(m) => self.handle_timecheck(now, from, (**m).clone(), out),
            // PaxosService::dispatch of MMonGlobalID, as a Paxos message is
            // gated: only a quorum member takes it.
            Message::GlobalId(_) => {
                if !matches!(self.state, MonState::Leader | MonState::Peon) {
                    return;
                }
                let effects = self.with_paxos(now, out, |c, ctx| c.handle_global_id(ctx));
                self.apply_paxos(now, effects, out);
            }
            Message::Log(m) => self.handle_forwarded_log(now, from, m, out),
        }
    }

    /// AuthMonitor::tick on a peon: if it wants more global ids, ask the
    /// leader ("requesting more ids from leader"). Every tick asks again
    /// until the leader's increase is committed here.
    fn auth_tick_peon(&mut self, out: &mut Out) {
        if self.state != MonState::Peon {
            return;
        }
        let (Some(old_max_id), Some(leader)) = (
            self.consensus.auth_wants_global_ids(),
            self.monmap.addr_of(self.leader),
        ) else {
            return;
        };
        out.log(&"auth: tick requesting more ids from leader");
        out.send(leader, Message::GlobalId(MMonGlobalID { old_max_id }));
    }

    fn tc_env<'a>(&'a self, now: Time, cfg: &'a Config) -> TcEnv<'a> {
        TcEnv {
            now,
            cfg,
            my_rank: self.rank,
            quorum: &self.quorum,
            epoch: self.elector.epoch(),
            monmap: &self.monmap,
        }
    }

    /// handle_timecheck (§1.8): the leader takes PONGs, a peon PINGs and REPORTs.
    fn handle_timecheck(&mut self, now: Time, from: Addr, m: MTimeCheck2, out: &mut Out) {
        let from_rank = self.monmap.rank_of_addr(from);
        let cfg = self.cfg.clone();
        match (self.state, m.op) {
            (MonState::Leader, TimecheckOp::Pong) if from_rank >= 0 => {
                let mut tc = std::mem::take(&mut self.timecheck);
                tc.handle_pong(&self.tc_env(now, &cfg), from_rank, &m, out);
                self.timecheck = tc;
            }
            (MonState::Peon, TimecheckOp::Ping | TimecheckOp::Report) => {
                let mut tc = std::mem::take(&mut self.timecheck);
                let reply = tc.handle_peon(&self.tc_env(now, &cfg), &m, out);
                self.timecheck = tc;
                if let Some(reply) = reply {
                    out.send(from, reply);
                }
            }
            _ => out.log(format!(
                "timecheck {} unexpected in state {}, dropped",
                Message::Timecheck(Box::new(m)).op_name(),
                self.state.name()
            )),
        }
    }

    /// handle_probe_probe and handle_probe_reply (§1.5).
    fn handle_probe(&mut self, now: Time, from: Addr, m: MMonProbe, out: &mut Out) {
        match m.op {
            ProbeOp::Probe => {
                // handle_probe_probe answers every probe, from outside the
                // monmap too: that is how a removed monitor learns the new
                // monmap (ceph-mon 16.2.15 did, 5-6 s after the heal).
                let reply = self.probe_message(ProbeOp::Reply);
                out.send(from, Message::Probe(reply.into()));
                let peer = self.monmap.rank_of_addr(from);
                if peer >= 0 {
                    let fx =
                        self.with_elector(now, out, |e, env, o| e.begin_peer_ping(env, peer, o));
                    self.apply_elector(now, fx, out);
                } else if self.extra_probe_peers.insert(from) {
                    out.log(format!("adding peer mon.{} to list of hints", m.name));
                }
            }
            ProbeOp::Reply => self.handle_probe_reply(now, from, m, out),
            ProbeOp::MissingFeatures => {}
        }
    }

    fn handle_probe_reply(&mut self, now: Time, from: Addr, m: MMonProbe, out: &mut Out) {
        if !matches!(self.state, MonState::Probing | MonState::Electing) {
            return;
        }
        // §1.5 step 2: a joined peer's different monmap, newer than mine (or
        // any, if I never joined): adopt it and bootstrap.
        if *m.monmap != *self.monmap
            && m.has_ever_joined
            && (m.monmap.epoch > self.monmap.epoch || !self.has_ever_joined)
        {
            out.log(format!(
                "mon.{} has a newer/committed monmap e{} (mine e{})",
                m.name, m.monmap.epoch, self.monmap.epoch
            ));
            // One epoch on, from a monitor that joined before: the removed
            // ranks are known. Otherwise the reports cannot be renumbered
            // and start over.
            let renumber = m.monmap.epoch == self.monmap.epoch + 1 && self.has_ever_joined;
            self.adopt_monmap(now, m.monmap.clone(), renumber, out);
            if !renumber {
                self.elector.notify_clear_peer_state(self.rank);
            }
            self.bootstrap(now, out);
            return;
        }
        // While electing, replies only teach names and addresses, which
        // monitors added by `mon add` already have.
        if self.state != MonState::Probing {
            return;
        }
        // §1.5 step 5: is the peer so far ahead that I must sync from it?
        let (first, last) = (m.paxos_first_version, m.paxos_last_version);
        let full = self.with_sync(now, out, |s, ctx| s.needs_sync(ctx, &m.name, first, last));
        if let Some(full) = full {
            out.cancel_timer(Timer::ProbeTimeout);
            let effects = self.with_sync(now, out, |s, ctx| s.start(ctx, from, full));
            self.apply_sync(now, effects, out);
            return;
        }
        if !m.quorum.is_empty() {
            if self.rank < 0 {
                out.log(format!(
                    "mon.{} reports quorum {}, but I am not in monmap e{}: waiting to be added (MMonJoin is not modelled)",
                    m.name,
                    fmt_ranks(&m.quorum),
                    self.monmap.epoch
                ));
            }
            if self.rank >= 0 {
                out.log(format!(
                    "mon.{} reports quorum {} led by {}: calling an election to join",
                    m.name,
                    fmt_ranks(&m.quorum),
                    m.leader
                ));
                self.start_election(now, out);
            }
            return;
        }
        let peer = self.monmap.rank_of_name(&m.name);
        if peer < 0 {
            out.log(format!(
                "mostly ignoring mon.{}, not part of monmap",
                m.name
            ));
            return;
        }
        self.outside_quorum.insert(peer);
        let need = self.monmap.size() / 2 + 1;
        if self.outside_quorum.len() >= need && self.outside_quorum.contains(&self.rank) {
            let oq: Vec<Rank> = self.outside_quorum.iter().copied().collect();
            out.log(format!(
                "outside_quorum {} has {} of the {} needed: calling an election",
                fmt_ranks(&oq),
                oq.len(),
                need
            ));
            self.start_election(now, out);
        }
    }

    /// Monitor::start_election (§1.7).
    fn start_election(&mut self, now: Time, out: &mut Out) {
        self.reset(now, out);
        self.state = MonState::Electing;
        out.log(&"calling monitor election");
        self.clog(
            now,
            Prio::Inf,
            format!("mon.{} calling monitor election", self.name),
        );
        let effects = self.with_elector(now, out, |e, env, o| e.call_election(env, o));
        self.apply_elector(now, effects, out);
    }

    /// Monitor::join_election: every epoch bump drops us into ELECTING.
    fn join_election(&mut self, now: Time, out: &mut Out) {
        self.reset(now, out);
        self.state = MonState::Electing;
    }

    fn win_standalone_election(&mut self, now: Time, out: &mut Out) {
        let effects = self.with_elector(now, out, |e, env, o| e.declare_standalone_victory(env, o));
        self.apply_elector(now, effects, out);
        if self.state != MonState::Leader {
            let epoch = self.elector.epoch();
            self.state = MonState::Electing;
            self.win_election(now, epoch, vec![self.rank], out);
        }
    }

    /// Monitor::win_election (§1.7).
    fn win_election(&mut self, now: Time, epoch: Epoch, quorum: Vec<Rank>, out: &mut Out) {
        self.state = MonState::Leader;
        self.leader = self.rank;
        self.quorum = quorum;
        crate::mon::vecset::sort_small(&mut self.quorum);
        self.outside_quorum.clear();
        out.log(format!(
            "won election, epoch {epoch}, quorum {}",
            fmt_ranks(&self.quorum)
        ));
        self.clog_won(now);
        let effects = self.with_paxos(now, out, |c, ctx| c.leader_init(ctx));
        self.apply_paxos(now, effects, out);
        if self.state == MonState::Leader {
            self.leader_started(now, out);
        }
        self.finish_election(now, out);
        if self.state == MonState::Leader && self.monmap.size() > 1 && self.monmap.epoch > 0 {
            let cfg = self.cfg.clone();
            let mut tc = std::mem::take(&mut self.timecheck);
            tc.start(&self.tc_env(now, &cfg), out);
            self.timecheck = tc;
        }
    }

    /// Monitor::lose_election (§1.7).
    fn lose_election(
        &mut self,
        now: Time,
        epoch: Epoch,
        quorum: Vec<Rank>,
        leader: Rank,
        out: &mut Out,
    ) {
        self.state = MonState::Peon;
        self.leader = leader;
        self.quorum = quorum;
        crate::mon::vecset::sort_small(&mut self.quorum);
        self.outside_quorum.clear();
        out.log(format!(
            "lost election, epoch {epoch}, leader {leader}, quorum {}",
            fmt_ranks(&self.quorum)
        ));
        let effects = self.with_paxos(now, out, |c, ctx| c.peon_init(ctx));
        self.apply_paxos(now, effects, out);
        self.finish_election(now, out);
    }

    /// finish_election: the quorum's features are now known, so pings held
    /// back before any quorum go out; resend routed requests to the new leader.
    fn finish_election(&mut self, now: Time, out: &mut Out) {
        self.timecheck.cleanup(out);
        self.exited_quorum = None;
        if matches!(self.state, MonState::Leader | MonState::Peon) {
            let fx = self.with_elector(now, out, |e, env, o| e.notify_quorum_formed(env, o));
            self.apply_elector(now, fx, out);
        }
        // resend_routed_requests: a new leader requeues what it routed for
        // itself (C_RetryMessage); a peon resends it to its leader.
        if self.state == MonState::Leader {
            for (client, req) in self.sessions.take_routed() {
                out.log(format!(
                    "resend_routed_requests: requeue for self tid {}",
                    req.tid
                ));
                let effects = self.with_paxos(now, out, |c, ctx| {
                    c.handle_client(ctx, Origin::Client(client), req)
                });
                self.apply_paxos(now, effects, out);
            }
            return;
        }
        if self.state != MonState::Peon {
            return;
        }
        let Some(leader) = self.monmap.addr_of(self.leader) else {
            return;
        };
        for (client, req) in self.sessions.routed() {
            out.send(
                leader,
                Message::Forward(MForward {
                    client,
                    req: req.clone(),
                }),
            );
        }
    }

    /// As [`Self::apply_paxos`]: nothing to do returns here.
    #[inline]
    fn apply_elector(&mut self, now: Time, effects: Vec<ElectorEffect>, out: &mut Out) {
        if !effects.is_empty() {
            self.apply_elector_effects(now, effects, out);
        }
    }

    #[inline(never)]
    fn apply_elector_effects(&mut self, now: Time, effects: Vec<ElectorEffect>, out: &mut Out) {
        for e in effects {
            if self.exited {
                break;
            }
            match e {
                ElectorEffect::PersistEpoch(epoch) => {
                    let mut tx = Transaction::new();
                    tx.put_u64("monitor", "election_epoch", epoch as u64);
                    tx.put(
                        "monitor",
                        "connectivity_scores",
                        self.elector.encoded_tracker(),
                    );
                    apply_tx(&mut self.store, out, tx);
                }
                ElectorEffect::PersistScores => {
                    let mut tx = Transaction::new();
                    tx.put(
                        "monitor",
                        "connectivity_scores",
                        self.elector.encoded_tracker(),
                    );
                    apply_tx(&mut self.store, out, tx);
                }
                ElectorEffect::JoinElection => self.join_election(now, out),
                ElectorEffect::StartElection => self.start_election(now, out),
                ElectorEffect::Bootstrap => self.bootstrap(now, out),
                ElectorEffect::Win { epoch, quorum } => self.win_election(now, epoch, quorum, out),
                ElectorEffect::Lose {
                    epoch,
                    quorum,
                    leader,
                } => self.lose_election(now, epoch, quorum, leader, out),
            }
        }
    }

    /// Most calls into Paxos and the services have nothing for the Monitor
    /// to do: those return here, without the loop's entry and exit (about
    /// 35 instructions, a call for nearly every input).
    #[inline]
    fn apply_paxos(&mut self, now: Time, effects: Vec<PaxosEffect>, out: &mut Out) {
        if !effects.is_empty() {
            self.apply_paxos_effects(now, effects, out);
        }
    }

    #[inline(never)]
    fn apply_paxos_effects(&mut self, now: Time, effects: Vec<PaxosEffect>, out: &mut Out) {
        for e in effects {
            if self.exited {
                break;
            }
            match e {
                PaxosEffect::NewMonmap(m) => self.adopt_monmap(now, m, true, out),
                // Fx::bootstrap logged the reason ("doing requested bootstrap").
                PaxosEffect::Bootstrap { .. } => self.bootstrap(now, out),
                PaxosEffect::Reply { origin, reply } => {
                    self.audit_finished(now, &reply);
                    match origin {
                        Origin::Client(client) => out.send(client, Message::ClientReply(reply)),
                        Origin::Forwarded { peon, client } => {
                            out.send(peon, Message::Route(Box::new(MRoute { client, reply })))
                        }
                    }
                }
                PaxosEffect::Forward { origin, req } => {
                    // A peon forwards its own clients' requests to the leader.
                    let Origin::Client(client) = origin else {
                        continue;
                    };
                    let leader = self.monmap.addr_of(self.leader);
                    match (self.state, leader) {
                        (MonState::Peon, Some(leader)) => {
                            self.sessions.route(client, req.clone());
                            out.send(leader, Message::Forward(MForward { client, req }));
                        }
                        _ => out.log(format!(
                            "request {} from a client dropped: no leader to forward to",
                            req.tid
                        )),
                    }
                }
                PaxosEffect::Clog { prio, msg } => self.clog(now, prio, msg),
                PaxosEffect::Active => {
                    // MonmapMonitor::on_active: the leader logs the monmap.
                    if self.state == MonState::Leader {
                        let line = self.monmap_line();
                        self.clog(now, Prio::Dbg, line);
                    }
                    if !self.has_ever_joined && self.consensus.last_committed() >= 1 {
                        out.log(&"noting that i was, once, part of an active quorum");
                        self.has_ever_joined = true;
                        let mut tx = Transaction::new();
                        tx.put_u64("monitor", "joined", 1);
                        apply_tx(&mut self.store, out, tx);
                    }
                }
            }
        }
    }

    fn apply_sync(&mut self, now: Time, effects: Vec<SyncEffect>, out: &mut Out) {
        for e in effects {
            match e {
                SyncEffect::Synchronizing => self.state = MonState::Synchronizing,
                SyncEffect::InitPaxos => self.consensus.paxos.reinit(&self.store),
                SyncEffect::InitPaxosAndServices => {
                    self.consensus.reinit(&self.store);
                    // MonmapMonitor::update_from_paxos: the synced store may
                    // hold a newer monmap; the bootstrap that follows uses it.
                    if let Some(m) = monmap_service::latest_in_store(&self.store) {
                        if m.epoch > self.monmap.epoch {
                            self.adopt_monmap(now, Arc::new(m), true, out);
                        }
                    }
                }
                SyncEffect::Bootstrap { reason } => {
                    out.log(format!("{reason}, bootstrap"));
                    self.bootstrap(now, out);
                }
            }
        }
    }

    /// Run `f` on the sync state with a context borrowed from this monitor.
    fn with_sync<R>(
        &mut self,
        now: Time,
        out: &mut Out,
        f: impl FnOnce(&mut MonSync, &mut SyncCtx) -> R,
    ) -> R {
        let mut ctx = SyncCtx {
            now,
            cfg: &self.cfg,
            store: &mut self.store,
            out,
            synchronizing: self.state == MonState::Synchronizing,
            election_epoch: self.elector.epoch(),
            paxos_fc: self.consensus.first_committed(),
            paxos_lc: self.consensus.last_committed(),
            monmap: &self.monmap,
        };
        f(&mut self.sync, &mut ctx)
    }

    /// Run `f` on the elector with the environment this monitor gives it.
    fn with_elector<R>(
        &mut self,
        now: Time,
        out: &mut Out,
        f: impl FnOnce(&mut Elector, &ElectorEnv, &mut Out) -> R,
    ) -> R {
        let env = ElectorEnv {
            now,
            my_rank: self.rank,
            monmap: &self.monmap,
            quorum: &self.quorum,
            ever_participated: self.has_ever_joined,
        };
        f(&mut self.elector, &env, out)
    }

    /// Run `f` on the consensus with a context borrowed from this monitor.
    fn with_paxos<R>(
        &mut self,
        now: Time,
        out: &mut Out,
        f: impl FnOnce(&mut Consensus, &mut PaxosCtx) -> R,
    ) -> R {
        let mut ctx = PaxosCtx {
            now,
            cfg: &self.cfg,
            store: &mut self.store,
            out,
            my_rank: self.rank,
            is_leader: self.state == MonState::Leader,
            is_peon: self.state == MonState::Peon,
            leader: self.leader,
            quorum: &self.quorum,
            election_epoch: self.elector.epoch(),
            monmap: &self.monmap,
            sessions: &self.sessions,
        };
        f(&mut self.consensus, &mut ctx)
    }
}
