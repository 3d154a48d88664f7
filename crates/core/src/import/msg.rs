//! A monitor-to-monitor message as Ceph prints it (`Message::print` of each
//! type, the text between ` -- ` or ` ==== ` in the messenger's debug_ms 1
//! lines), read back into the simulator's message, with the fields the text
//! carries; fields it does not carry stay empty. Formats as in Pacific
//! (checked on ceph-mon 16.2.15 logs) and, unchanged, Quincy, Reef and Squid:
//! - MMonPaxos: `paxos(OP lc L fc F pn P opn O)`;
//! - MMonElection: `election(FSID OP rel R eE)`;
//! - MMonProbe: `mon_probe(OP FSID name N [quorum R,R] leader L paxos( fc F lc L ) ...)`;
//! - MMonSync: `mon_sync(OP cookie C lc L ...)`;
//! - MMonPing: `mon_ping(ping|ping_reply stamp ...)`;
//! - MTimeCheck2: `time_check( OP e E r R ...)`.

use crate::mon::elector::ConnectionTracker;
use crate::mon::messages::*;
use crate::mon::monmap::{MonMap, Strategy};
use std::sync::Arc;

/// The message a printed one is, if it is one of the monitors' protocols
/// (probe, election, ping, paxos, sync, timecheck); `monmap` stands for the
/// monmap a probe or election carries (the text does not print it).
pub fn parse(text: &str, monmap: &Arc<MonMap>) -> Option<Message> {
    let (kind, rest) = text.split_once('(')?;
    let inner = &rest[..rest.rfind(')')?];
    let words: Vec<&str> = inner.split_whitespace().collect();
    let after = |key: &str| -> Option<&str> {
        let i = words.iter().position(|w| *w == key)?;
        words.get(i + 1).copied()
    };
    let num = |key: &str| -> u64 { after(key).and_then(|v| v.parse().ok()).unwrap_or(0) };
    Some(match kind {
        "paxos" => {
            let op = match *words.first()? {
                "collect" => PaxosOp::Collect,
                "last" => PaxosOp::Last,
                "begin" => PaxosOp::Begin,
                "accept" => PaxosOp::Accept,
                "commit" => PaxosOp::Commit,
                "lease" => PaxosOp::Lease,
                "lease_ack" => PaxosOp::LeaseAck,
                _ => return None,
            };
            let mut m = MMonPaxos::new(op, 0);
            m.last_committed = num("lc");
            m.first_committed = num("fc");
            m.pn = num("pn");
            m.set_uncommitted_pn(num("opn"));
            Message::Paxos(m)
        }
        "election" => {
            let op = match *words.get(1)? {
                "propose" => ElectionOp::Propose,
                "ack" => ElectionOp::Ack,
                "nak" => ElectionOp::Nak,
                "victory" => ElectionOp::Victory,
                _ => return None,
            };
            let epoch = words
                .iter()
                .rev()
                .find_map(|w| w.strip_prefix('e')?.parse().ok())
                .unwrap_or(0);
            Message::Election(Box::new(MMonElection {
                op,
                epoch,
                monmap: monmap.clone(),
                quorum: Vec::new(),
                strategy: Strategy::Classic,
                scoring: None,
                sharing: None,
            }))
        }
        "mon_probe" => {
            let op = match *words.first()? {
                "probe" => ProbeOp::Probe,
                "reply" => ProbeOp::Reply,
                "missing_features" => ProbeOp::MissingFeatures,
                _ => return None,
            };
            Message::Probe(Box::new(MMonProbe {
                op,
                name: after("name").unwrap_or("").to_string(),
                quorum: after("quorum")
                    .map(|q| q.split(',').filter_map(|r| r.parse().ok()).collect())
                    .unwrap_or_default(),
                leader: after("leader").and_then(|l| l.parse().ok()).unwrap_or(-1),
                monmap: monmap.clone(),
                paxos_first_version: num("fc"),
                paxos_last_version: num("lc"),
                // MMonProbe::print writes " new" for a monitor that never joined.
                has_ever_joined: !words.contains(&"new"),
            }))
        }
        "mon_sync" => {
            let op = match *words.first()? {
                "get_cookie_full" => SyncOp::GetCookieFull,
                "get_cookie_recent" => SyncOp::GetCookieRecent,
                "cookie" => SyncOp::Cookie,
                "get_chunk" => SyncOp::GetChunk,
                "chunk" => SyncOp::Chunk,
                "last_chunk" => SyncOp::LastChunk,
                "no_cookie" => SyncOp::NoCookie,
                _ => return None,
            };
            let mut m = MMonSync::new(op, num("cookie"));
            m.last_committed = num("lc");
            Message::Sync(m.into())
        }
        "mon_ping" => {
            let op = match *words.first()? {
                "ping" => PingOp::Ping,
                "ping_reply" => PingOp::PingReply,
                _ => return None,
            };
            Message::Ping(MMonPing {
                op,
                stamp: 0,
                tracker: Arc::new(ConnectionTracker::new(-1, 0.0, 0)),
            })
        }
        "time_check" | "time_check2" => {
            let op = match *words.first()? {
                "ping" => TimecheckOp::Ping,
                "pong" => TimecheckOp::Pong,
                "report" => TimecheckOp::Report,
                _ => return None,
            };
            Message::Timecheck(Box::new(MTimeCheck2 {
                op,
                epoch: num("e") as u32,
                round: num("r"),
                timestamp: 0,
                skews: Default::default(),
                latencies: Default::default(),
            }))
        }
        _ => return None,
    })
}
