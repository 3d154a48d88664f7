//! What a monitor's log says that `mon_status` does not: its paxos state and
//! first/last committed versions, and whom a peon follows.
//!
//! With `debug paxos = 10`, every Paxos line carries the paxos state and the
//! committed range, e.g. (ceph-mon 16.2.15)
//! `2026-12-05T17:27:49.740+0000 7f2c.. 10 mon.b@1(peon).paxos(paxos updating c 1..2) handle_commit on 2`
//! (Paxos::_prefix), and with `debug mon = 10` an election's end names the
//! leader: `lose_election, epoch 4 leader is mon0 quorum is 0,1,2` or
//! `win_election epoch 4 quorum 0,1,2` (Monitor::lose_election, win_election).

use monscope_core::import::line::{self, Fact};
use monscope_core::mon::status::PaxosState;
use monscope_core::mon::Rank;

/// One fact a log line states.
#[derive(Clone, Debug, PartialEq)]
pub enum LogFact {
    /// The paxos state and committed range as of this line.
    Paxos {
        state: PaxosState,
        first_committed: u64,
        last_committed: u64,
    },
    /// This monitor lost an election: `leader` leads.
    Follows { epoch: u32, leader: Rank },
    /// This monitor won an election.
    Won { epoch: u32 },
    /// A full sync cleared its store (Monitor::sync_start: "clearing
    /// prefixes"): its paxos versions and config-key data are gone until the
    /// sync brings them back.
    StoreCleared,
    /// It started a sync (Monitor::sync_start: "sync_start ADDRS full" or
    /// "... recent"); a recent sync of a few versions can end between two
    /// polls of mon_status.
    SyncStart,
}

/// A parsed line: its time stamp (microseconds since the Unix epoch, on the
/// monitor's own clock) and what it says.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub wall_us: i64,
    pub facts: Vec<LogFact>,
}

pub use monscope_core::import::line::{parse_stamp, paxos_state};

/// Parse one line; None for lines without a time stamp or without a fact.
/// The line itself is read by `monscope import`'s parser
/// (monscope_core::import::line), the one reader of ceph-mon logs.
pub fn parse_line(line: &str) -> Option<LogLine> {
    let l = line::parse(line)?;
    let fact = match l.fact? {
        Fact::Paxos {
            state,
            first_committed,
            last_committed,
        } => LogFact::Paxos {
            state,
            first_committed,
            last_committed,
        },
        Fact::Lost { epoch, leader, .. } => LogFact::Follows { epoch, leader },
        Fact::Won { epoch, .. } => LogFact::Won { epoch },
        Fact::StoreCleared => LogFact::StoreCleared,
        Fact::SyncStart { .. } => LogFact::SyncStart,
        _ => return None,
    };
    Some(LogLine {
        wall_us: l.wall_us,
        facts: vec![fact],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines from ceph-mon 16.2.15 logs on this machine.
    const COMMIT: &str = "2026-12-05T17:27:49.740+0000 7f2cc77fe6c0 10 mon.b@1(peon).paxos(paxos updating c 1..2) store_state [2..2]";
    const LOSE: &str = "2026-12-05T17:27:49.732+0000 7f2cc77fe6c0 10 mon.b@1(peon) e1 lose_election, epoch 4 leader is mon0 quorum is 0,1,2 features are 4540138314316775423 mon_features are mon_feature_t([kraken,luminous]) min_mon_release pacific";
    const WIN: &str = "2026-12-05T17:27:49.732+0000 7f1c617fa6c0 10 mon.a@0(electing) e1 win_election epoch 4 quorum 0,1,2 features 4540138314316775423";
    const PREV: &str = "2026-12-05T17:27:49.720+0000 7f1c617fa6c0 10 mon.a@0(leader).paxos(paxos writing-previous c 10..25)  sending commit to mon.1";

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
        let p = parse_line(PREV).unwrap();
        assert!(matches!(
            p.facts[0],
            LogFact::Paxos {
                state: PaxosState::WritingPrevious,
                first_committed: 10,
                last_committed: 25
            }
        ));
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
    fn lose_election_names_the_leader_by_rank() {
        let l = parse_line(LOSE).unwrap();
        assert_eq!(
            l.facts,
            [LogFact::Follows {
                epoch: 4,
                leader: 0
            }]
        );
        assert_eq!(parse_line(WIN).unwrap().facts, [LogFact::Won { epoch: 4 }]);
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
    }

    #[test]
    fn other_lines_and_garbage_say_nothing() {
        assert_eq!(parse_line("Cumulative writes: 1 writes, 4 keys"), None);
        assert_eq!(parse_line(""), None);
        assert_eq!(
            parse_line("2026-12-05T17:27:49.740+0000 7f 10 mon.a@0(leader) e1 tick"),
            None
        );
        assert_eq!(
            parse_line("2026-12-05T17:27:49.740+0000 x .paxos(paxos dancing c 1..2)"),
            None
        );
    }
}
