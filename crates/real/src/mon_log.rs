//! A monitor's state as its own log tells it, so the cluster is observed
//! without asking it anything.
//!
//! Every `mon_status` asked over the admin socket is an audit line
//! (Monitor::do_admin_command logs each command to the audit channel, at
//! debug level for read-only ones), and each audit line is a cluster-log
//! entry the leader commits (LogMonitor): a cluster polled every 100 ms
//! commits a log version about every second that it would not otherwise.
//! Pacific cannot keep the audit channel alone from the monitors
//! (`clog_to_monitors = audit=false` aborts in LogClient::_get_mon_log_message).
//! So the runner reads each monitor's log, which costs the monitor nothing.
//!
//! With `debug mon = 10` and `debug paxos = 10` (ceph-mon 16.2.15):
//! - every Monitor, Paxos, Elector and service line starts with
//!   `mon.NAME@RANK(STATE)`: the state and rank (Monitor::_prefix);
//! - Elector lines carry the election epoch, `.elector(E)`, and
//!   ElectionLogic's `electionLogic(E) bump_epoch to N` moves it;
//! - an election's end names epoch, leader and quorum (by rank):
//!   `win_election epoch 4 quorum 0,1,2` or `lose_election, epoch 4 leader
//!   is mon0 quorum is 0,1,2` (Monitor::win_election, lose_election);
//! - Monitor::bootstrap prints the monmap it runs with:
//!   `monmap e1: 3 mons at {a=v2:127.0.0.2:3300/0,...}`;
//! - every Paxos line carries `paxos(paxos STATE c FIRST..LAST)`;
//! - the leader's HealthMonitor logs each change of a check to the cluster
//!   log: `Health check failed: TEXT (CODE)`, `Health check cleared: CODE`.

use monscope_core::import::line::{self, Fact};
use monscope_core::mon::status::{MonState, MonStatus, PaxosState, PaxosStatus, StatusNames};
use monscope_core::mon::Rank;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// One fact a log line states that the runner acts on besides the status.
#[derive(Clone, Debug, PartialEq)]
pub enum LogFact {
    /// The paxos state and committed range as of this line.
    Paxos {
        state: PaxosState,
        first_committed: u64,
        last_committed: u64,
    },
    /// A full sync cleared its store (Monitor::sync_start: "clearing
    /// prefixes"): its paxos versions and config-key data are gone until the
    /// sync brings them back.
    StoreCleared,
    /// It started a sync (Monitor::sync_start: "sync_start ADDRS full" or
    /// "... recent"); a recent sync of a few versions can take a few ms.
    SyncStart,
    /// The leader's HealthMonitor raised (or updated) or cleared a check.
    Health { code: String, raised: bool },
}

/// What one line says: its time stamp (microseconds since the Unix epoch,
/// on the monitor's own clock), and what it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub wall_us: i64,
    /// State (None for `???`) and rank of the `mon.NAME@RANK(STATE)` prefix.
    who: Option<(Option<MonState>, Rank)>,
    /// The election epoch the line shows (after a `bump_epoch to N`, N).
    epoch: Option<u32>,
    /// An election's end: epoch, leader and quorum, by rank.
    elected: Option<(u32, Option<Rank>, Vec<Rank>)>,
    /// The monmap it runs with: epoch and members in rank order.
    monmap: Option<(u32, Vec<String>)>,
    pub facts: Vec<LogFact>,
}

pub use monscope_core::import::line::{parse_stamp, paxos_state};

/// Parse one line; None for lines without a time stamp or saying nothing
/// the runner reads. The line itself is read by `monscope import`'s parser
/// (monscope_core::import::line), the one reader of ceph-mon logs.
pub fn parse_line(text: &str) -> Option<LogLine> {
    let l = line::parse(text)?;
    let who = l.who.as_ref().map(|w| (w.state, w.rank as Rank));
    // ElectionLogic::bump_epoch's line shows the epoch before it.
    let bumped = text
        .split_once(").electionLogic(")
        .and_then(|(_, rest)| rest.split_once(" bump_epoch to "))
        .and_then(|(_, n)| n.trim().parse().ok());
    let mut out = LogLine {
        wall_us: l.wall_us,
        who,
        epoch: bumped.or(l.election_epoch),
        elected: None,
        monmap: None,
        facts: Vec::new(),
    };
    match l.fact {
        Some(Fact::Paxos {
            state,
            first_committed,
            last_committed,
        }) => out.facts.push(LogFact::Paxos {
            state,
            first_committed,
            last_committed,
        }),
        Some(Fact::Won { epoch, quorum }) => {
            let me = who.map(|(_, r)| r);
            out.elected = Some((epoch, me, quorum));
        }
        Some(Fact::Lost {
            epoch,
            leader,
            quorum,
        }) => out.elected = Some((epoch, Some(leader), quorum)),
        Some(Fact::Monmap { epoch, mons }) => out.monmap = Some((epoch, rank_order(&mons))),
        Some(Fact::StoreCleared) => out.facts.push(LogFact::StoreCleared),
        Some(Fact::SyncStart { .. }) => out.facts.push(LogFact::SyncStart),
        Some(Fact::Health { code, raised, .. }) => out.facts.push(LogFact::Health {
            code: code.to_string(),
            raised,
        }),
        _ => {}
    }
    let says = out.who.is_some()
        || out.epoch.is_some()
        || out.elected.is_some()
        || out.monmap.is_some()
        || !out.facts.is_empty();
    says.then_some(out)
}

/// A monmap's members in rank order. The runner gives the monitors
/// addresses in the scenario's order and an added one the next address, and
/// monmaptool's legacy ranks follow address order, as Pacific's monmap keeps
/// them (MonMap::add appends to `ranks`, MonMap::remove erases from it), so
/// ranks are the members sorted by address.
fn rank_order(mons: &[(&str, &str)]) -> Vec<String> {
    let ip = |addr: &str| -> Option<Ipv4Addr> {
        let a = addr.trim_start_matches('[');
        let a = a.split_once(':').map_or(a, |(_, rest)| rest);
        a.split(':').next()?.parse().ok()
    };
    let mut v: Vec<(Option<Ipv4Addr>, &str)> = mons.iter().map(|(n, a)| (ip(a), *n)).collect();
    v.sort();
    v.into_iter().map(|(_, n)| n.to_string()).collect()
}

/// One monitor as its log has told it so far: what `mon_status` would say
/// (state, rank, election epoch, quorum, monmap epoch), the leader it follows
/// and its paxos state and range. A new process starts a new view on the
/// same store: it keeps the epochs and range until its log says otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct LogView {
    name: String,
    state: MonState,
    rank: Rank,
    election_epoch: u32,
    monmap_epoch: u32,
    members: Vec<String>,
    /// The elected leader and quorum (ranks), while leader or peon.
    leader: Option<Rank>,
    quorum: Vec<Rank>,
    pub paxos: (PaxosState, u64, u64),
}

impl LogView {
    pub fn new(name: &str, rank: Rank) -> LogView {
        LogView {
            name: name.to_string(),
            state: MonState::Down,
            rank,
            election_epoch: 0,
            monmap_epoch: 0,
            members: Vec::new(),
            leader: None,
            quorum: Vec::new(),
            paxos: (PaxosState::Shutdown, 0, 0),
        }
    }

    /// The process was (re)started on its store: probing until its log
    /// says more; its epochs and paxos range are the store's.
    pub fn started(&mut self) {
        self.state = MonState::Probing;
        self.leader = None;
        self.quorum.clear();
    }

    /// The store was made anew (wipe): nothing of the old one is left.
    pub fn wiped(&mut self) {
        *self = LogView::new(&self.name, self.rank);
    }

    /// Fold one line in.
    pub fn apply(&mut self, l: &LogLine) {
        if let Some((state, rank)) = l.who {
            self.rank = rank;
            if let Some(s) = state {
                self.set_state(s);
            }
        }
        if let Some(e) = l.epoch {
            self.election_epoch = self.election_epoch.max(e);
        }
        if let Some((epoch, members)) = &l.monmap {
            self.monmap_epoch = *epoch;
            self.members.clone_from(members);
        }
        if let Some((epoch, leader, quorum)) = &l.elected {
            self.election_epoch = self.election_epoch.max(*epoch);
            // win_election is logged while the prefix still says electing.
            self.state = if *leader == Some(self.rank) {
                MonState::Leader
            } else {
                MonState::Peon
            };
            self.leader = *leader;
            self.quorum.clone_from(quorum);
        }
        for f in &l.facts {
            if let LogFact::Paxos {
                state,
                first_committed,
                last_committed,
            } = f
            {
                self.paxos = (*state, *first_committed, *last_committed);
            }
        }
    }

    /// Monitor::sync_start: it synchronizes from here (its prefix says so
    /// from the next line).
    pub fn synchronizing(&mut self) {
        self.set_state(MonState::Synchronizing);
    }

    fn set_state(&mut self, s: MonState) {
        if !matches!(s, MonState::Leader | MonState::Peon) {
            self.leader = None;
            self.quorum.clear();
        }
        self.state = s;
    }

    pub fn state(&self) -> MonState {
        self.state
    }

    pub fn election_epoch(&self) -> u32 {
        self.election_epoch
    }

    fn name_of(&self, rank: Rank) -> Option<&str> {
        usize::try_from(rank)
            .ok()
            .and_then(|r| self.members.get(r))
            .map(String::as_str)
    }

    /// The trace's status: the leader shows the cluster's `health` (the
    /// checks its HealthMonitor last logged); accepted_pn, last_pn and
    /// lease_expire are not observable: 0.
    pub fn status(&self, health: &[String]) -> MonStatus {
        let in_quorum = matches!(self.state, MonState::Leader | MonState::Peon);
        let names = |ranks: &[Rank]| -> Arc<[String]> {
            ranks
                .iter()
                .filter_map(|r| self.name_of(*r))
                .map(str::to_string)
                .collect()
        };
        let mut quorum = self.quorum.clone();
        quorum.sort_unstable();
        let names = StatusNames {
            state: self.state,
            rank: self.rank,
            election_epoch: self.election_epoch,
            monmap_epoch: self.monmap_epoch,
            leader: if in_quorum {
                self.leader.and_then(|r| self.name_of(r)).map(Into::into)
            } else {
                None
            },
            quorum: if in_quorum {
                names(&quorum)
            } else {
                Arc::new([])
            },
            health: if self.state == MonState::Leader {
                health.to_vec()
            } else {
                Vec::new()
            },
            scores: Box::default(),
            accepted_pn: 0,
            last_pn: 0,
        };
        MonStatus {
            paxos: PaxosStatus {
                state: self.paxos.0,
                first_committed: self.paxos.1,
                last_committed: self.paxos.2,
                lease_expire: 0,
            },
            names: Arc::new(names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines from ceph-mon 16.2.15 logs on this machine (mon.b of a fresh
    // three-monitor cluster, then the paxos and health lines of others).
    const B_START: &[&str] = &[
        "2026-12-06T06:28:16.818+0000 7f1ae549c640 10 mon.b@-1(probing) e0 monmap e0: 3 mons at {a=v2:127.0.0.2:3300/0,b=v2:127.0.0.3:3300/0,c=v2:127.0.0.4:3300/0} removed_ranks: {}",
        "2026-12-06T06:28:16.818+0000 7f1ab57fa6c0 10 mon.b@1(probing) e0 start_election",
        "2026-12-06T06:28:16.818+0000 7f1ab57fa6c0  1 paxos.1).electionLogic(0) init, first boot, initializing epoch at 1 ",
        "2026-12-06T06:28:16.822+0000 7f1ab57fa6c0  5 mon.b@1(electing).elector(1) handle_propose from mon.2",
        "2026-12-06T06:28:16.846+0000 7f1ab57fa6c0 10 paxos.1).electionLogic(1) bump_epoch to 2",
        "2026-12-06T06:28:16.846+0000 7f1ab57fa6c0 10 mon.b@1(peon) e0 lose_election, epoch 2 leader is mon0 quorum is 0,1,2 features are 4540138314316775423 mon_features are mon_feature_t([kraken,luminous,mimic,osdmap-prune,nautilus,octopus,pacific,elector-pinging]) min_mon_release pacific",
    ];
    const COMMIT: &str = "2026-12-05T17:27:49.740+0000 7f2cc77fe6c0 10 mon.b@1(peon).paxos(paxos updating c 1..2) store_state [2..2]";
    const WIN: &str = "2026-12-05T17:27:49.732+0000 7f1c617fa6c0 10 mon.a@0(electing) e1 win_election epoch 4 quorum 0,1,2 features 4540138314316775423";
    const BOOT_E1: &str = "2026-12-06T06:28:16.874+0000 7f1ab57fa6c0 10 mon.b@1(probing) e1 monmap e1: 3 mons at {a=v2:127.0.0.2:3300/0,b=v2:127.0.0.3:3300/0,c=v2:127.0.0.4:3300/0} removed_ranks: {}";

    fn fold(view: &mut LogView, lines: &[&str]) {
        for l in lines {
            if let Some(l) = parse_line(l) {
                view.apply(&l);
            }
        }
    }

    #[test]
    fn lose_election_makes_a_peon_of_the_leader_it_names_in_its_monmap() {
        let mut b = LogView::new("b", 1);
        b.started();
        fold(&mut b, &B_START[..4]);
        let s = b.status(&[]);
        assert_eq!(
            (s.state, s.rank, s.election_epoch),
            (MonState::Electing, 1, 1)
        );
        assert_eq!(s.monmap_epoch, 0);
        assert!(s.leader.is_none() && s.quorum.is_empty());
        fold(&mut b, &B_START[4..]);
        let s = b.status(&["MON_DOWN".into()]);
        assert_eq!((s.state, s.election_epoch), (MonState::Peon, 2));
        assert_eq!(s.leader.as_deref(), Some("a"));
        assert_eq!(*s.quorum, ["a", "b", "c"]);
        // Only a leader shows the cluster's health.
        assert!(s.health.is_empty());
        // The monmap commit's bootstrap: probing again, under monmap e1.
        fold(&mut b, &[BOOT_E1]);
        let s = b.status(&[]);
        assert_eq!((s.state, s.monmap_epoch), (MonState::Probing, 1));
        assert!(s.leader.is_none() && s.quorum.is_empty());
    }

    #[test]
    fn a_line_stamped_to_the_microsecond_reads_as_one_to_the_millisecond() {
        // log_coarse_timestamps = false, as the runner's ceph.conf sets it.
        let fine = WIN.replace("49.732+0000", "49.732615+0000");
        let (coarse, fine) = (parse_line(WIN).unwrap(), parse_line(&fine).unwrap());
        assert_eq!(fine.wall_us, coarse.wall_us + 615);
        assert_eq!(fine.elected, coarse.elected);
        assert_eq!(fine.who, coarse.who);
    }

    #[test]
    fn win_election_logged_while_electing_makes_the_leader() {
        let mut a = LogView::new("a", 0);
        a.started();
        fold(&mut a, &[&B_START[0].replace("mon.b@-1", "mon.a@-1"), WIN]);
        let s = a.status(&["MON_DOWN".into()]);
        assert_eq!((s.state, s.election_epoch), (MonState::Leader, 4));
        assert_eq!(s.leader.as_deref(), Some("a"));
        assert_eq!(*s.quorum, ["a", "b", "c"]);
        assert_eq!(s.health, ["MON_DOWN"]);
    }

    #[test]
    fn a_paxos_line_gives_the_paxos_state_and_committed_range() {
        let l = parse_line(COMMIT).unwrap();
        assert_eq!(
            l.facts,
            [LogFact::Paxos {
                state: PaxosState::Updating,
                first_committed: 1,
                last_committed: 2
            }]
        );
        let mut b = LogView::new("b", 1);
        b.apply(&l);
        assert_eq!(b.status(&[]).paxos.last_committed, 2);
    }

    #[test]
    fn ranks_follow_addresses_not_names() {
        let line = "2026-12-06T06:28:16.874+0000 7f 10 mon.z@1(probing) e2 monmap e2: 3 mons at {a=v2:127.0.0.4:3300/0,y=[v2:127.0.0.2:3300/0,v1:127.0.0.2:6789/0],z=v2:127.0.0.3:3300/0} removed_ranks: {}";
        let l = parse_line(line).unwrap();
        assert_eq!(
            l.monmap,
            Some((2, vec!["y".to_string(), "z".to_string(), "a".to_string()]))
        );
    }

    #[test]
    fn health_lines_raise_and_clear_checks() {
        let failed = "2026-12-06T06:30:17.001+0000 7f 0 log_channel(cluster) log [WRN] : Health check failed: 1/3 mons down, quorum a,b (MON_DOWN)";
        let cleared = "2026-12-06T06:31:17.001+0000 7f 0 log_channel(cluster) log [INF] : Health check cleared: MON_DOWN (was: 1/3 mons down, quorum a,b)";
        assert_eq!(
            parse_line(failed).unwrap().facts,
            [LogFact::Health {
                code: "MON_DOWN".into(),
                raised: true
            }]
        );
        assert_eq!(
            parse_line(cleared).unwrap().facts,
            [LogFact::Health {
                code: "MON_DOWN".into(),
                raised: false
            }]
        );
    }

    #[test]
    fn a_full_sync_clearing_the_store_is_a_fact() {
        let line = "2026-12-05T20:01:10.254+0000 7f2cc77fe6c0 10 mon.c@2(synchronizing) e1 sync_start clearing prefixes [config-key,kv,logm,mgr,mgr_command_descs,mgr_metadata,mgrstat,mon_config_key,monitor,monmap,osd_metadata,osd_pg_creating,osdmap,paxos]";
        let l = parse_line(line).unwrap();
        assert_eq!(l.facts, vec![LogFact::StoreCleared]);
        let start = "2026-12-05T20:01:10.250+0000 7f2cc77fe6c0 10 mon.c@2(probing) e1 sync_start [v2:127.0.0.2:3300/0] recent";
        assert_eq!(parse_line(start).unwrap().facts, vec![LogFact::SyncStart]);
    }

    #[test]
    fn time_stamps_are_utc_microseconds() {
        // date -u -d 2026-12-05T17:27:49.740Z +%s = 1796491669
        assert_eq!(
            parse_stamp("2026-12-05T17:27:49.740+0000"),
            Some(1_796_491_669_740_000)
        );
        assert_eq!(
            parse_stamp("2026-12-05T18:27:49.740+0100"),
            Some(1_796_491_669_740_000)
        );
        assert_eq!(parse_stamp("1970-01-01T00:00:00.000+0000"), Some(0));
        // log_coarse_timestamps = false: microseconds.
        assert_eq!(
            parse_stamp("2026-12-05T17:27:49.740615+0000"),
            parse_stamp("2026-12-05T17:27:49.740+0000").map(|t| t + 615)
        );
    }

    #[test]
    fn other_lines_and_garbage_say_nothing() {
        assert_eq!(parse_line("Cumulative writes: 1 writes, 4 keys"), None);
        assert_eq!(parse_line(""), None);
        assert_eq!(
            parse_line("2026-12-05T17:27:49.740+0000 x .paxos(paxos dancing c 1..2)"),
            None
        );
    }
}
