//! Per-monitor records into one trace: monitors in rank order, clocks
//! corrected, each monitor's status folded from its records (a `Status`
//! event at each change), its commits, its notable lines as `Log` events,
//! and the matched messages as `Send`/`Deliver` pairs.

use super::arrows::{self, End};
use super::line::Fact;
use super::offsets;
use super::read::{FileRead, Item, Record};
use super::{Error, Import, MessageCounts, MonLog};
use crate::mon::messages::Message;
use crate::mon::monmap::{MonInfo, MonMap, Strategy};
use crate::mon::status::{MonState, MonStatus, PaxosState};
use crate::mon::Addr;
use crate::time::{format_secs, Time, SEC};
use crate::trace::{Event, EventKind, MsgId, NodeId, SmallNode};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A log that stops this long before the last one ends is taken as its
/// monitor going down then (a killed ceph-mon writes nothing more; at
/// debug_mon 10 a running one writes every few seconds: Monitor::tick every
/// mon_tick_interval 5 s, leases every 2 s).
const SILENT_DOWN: i64 = 6 * SEC as i64;
/// The same key set again within this long is the same write (a forward to
/// the leader, a client's retry after an election).
const WRITE_RETRIES: Time = 10 * SEC;

struct Mon<'a> {
    name: String,
    rank: i32,
    files: Vec<String>,
    records: Vec<Record<'a>>,
    lines: usize,
    understood: usize,
    first: i64,
    last: i64,
}

pub fn build(reads: Vec<FileRead>) -> Result<Import, Error> {
    let mut problems = Vec::new();
    let mut unknown = 0;
    let mut unknown_samples = Vec::new();
    let mut by_name: BTreeMap<String, Mon> = BTreeMap::new();
    for r in reads {
        problems.extend(r.problems);
        unknown += r.unknown;
        unknown_samples.extend(r.unknown_samples);
        let (Some(name), Some(first), Some(last)) = (r.monitor, r.first_wall_us, r.last_wall_us)
        else {
            continue;
        };
        let m = by_name.entry(name.clone()).or_insert_with(|| Mon {
            name,
            rank: -1,
            files: Vec::new(),
            records: Vec::new(),
            lines: 0,
            understood: 0,
            first,
            last,
        });
        m.rank = r.rank.unwrap_or(m.rank).max(m.rank);
        m.files.push(r.file);
        m.records.extend(r.records);
        m.lines += r.lines;
        m.understood += r.understood;
        m.first = m.first.min(first);
        m.last = m.last.max(last);
    }
    if by_name.is_empty() {
        return Err(Error::NoMonitorLog(problems));
    }
    let mut mons: Vec<Mon> = by_name.into_values().collect();
    // Rank order (a monitor without a rank last), as the simulator's nodes.
    mons.sort_by(|a, b| (a.rank < 0, a.rank, &a.name).cmp(&(b.rank < 0, b.rank, &b.name)));
    for m in &mut mons {
        // Several files of one monitor (rotated logs) in time order.
        m.records.sort_by_key(|r| r.wall_us);
    }
    let names: Vec<String> = mons.iter().map(|m| m.name.clone()).collect();
    let rank_name = |rank: i32| -> Option<String> {
        mons.iter().find(|m| m.rank == rank).map(|m| m.name.clone())
    };

    // Each monitor's own addresses, from its messenger lines.
    let mut addr_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in mons.iter().enumerate() {
        for r in &m.records {
            if let Item::Fact(Fact::Send { from: a, .. } | Fact::Receive { me: a, .. }) = &r.item {
                for k in addr_keys(a) {
                    addr_of.entry(k).or_insert(i);
                }
            }
        }
    }
    let who = |addrs: &str| addr_keys(addrs).find_map(|k| addr_of.get(k).copied());
    let mut sends: Vec<End> = Vec::new();
    let mut recvs: Vec<End> = Vec::new();
    for (i, m) in mons.iter().enumerate() {
        for r in &m.records {
            match &r.item {
                Item::Fact(Fact::Send { to, msg, .. }) => {
                    if let Some(j) = who(to).filter(|j| *j != i) {
                        sends.push((i, j, r.wall_us, msg));
                    }
                }
                Item::Fact(Fact::Receive { from, msg, .. }) => {
                    if let Some(j) = who(from).filter(|j| *j != i) {
                        recvs.push((j, i, r.wall_us, msg));
                    }
                }
                _ => {}
            }
        }
    }
    let monmap = Arc::new(MonMap {
        epoch: 0,
        mons: names
            .iter()
            .enumerate()
            .map(|(i, n)| MonInfo {
                name: n.clone(),
                addr: Addr(i as u32),
            })
            .collect(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    });
    // Only the monitors' own protocols become arrows.
    let mut parsed: BTreeMap<&str, Option<Arc<Message>>> = BTreeMap::new();
    for e in sends.iter().chain(&recvs) {
        parsed
            .entry(e.3)
            .or_insert_with(|| super::msg::parse(e.3, &monmap).map(Arc::new));
    }
    let is_protocol = |e: &End| matches!(parsed.get(e.3), Some(Some(_)));
    let other = recvs.iter().filter(|e| !is_protocol(e)).count();
    sends.retain(is_protocol);
    recvs.retain(is_protocol);

    let bounds = offsets::bounds(arrows::sure_pairs(&sends, &recvs).into_iter());
    let offs = offsets::estimate(mons.len(), &bounds);
    let off: Vec<i64> = offs.iter().map(|o| o.us).collect();
    let matched = arrows::match_all(&sends, &recvs, &off);

    let t0 = mons
        .iter()
        .zip(&off)
        .map(|(m, o)| m.first - o)
        .min()
        .unwrap_or(0);
    let at = |i: usize, wall: i64| -> Time { (wall - off[i] - t0).max(0) as Time };
    // When peers saw each monitor's connections closed, corrected.
    let mut closed: Vec<Vec<Time>> = vec![Vec::new(); mons.len()];
    for (i, m) in mons.iter().enumerate() {
        for r in &m.records {
            if let Item::Fact(Fact::PeerClose { peer }) = &r.item {
                if let Some(j) = who(peer).filter(|j| *j != i) {
                    closed[j].push(at(i, r.wall_us));
                }
            }
        }
    }
    for c in &mut closed {
        c.sort_unstable();
    }
    let last_end = mons
        .iter()
        .enumerate()
        .map(|(i, m)| at(i, m.last))
        .max()
        .unwrap_or(0);

    let mut events: Vec<Event> = Vec::new();
    let mut inferred = Vec::new();
    for (i, m) in mons.iter().enumerate() {
        let down_at = |last: Time, until: Time| -> Time {
            // A killed process's sockets close as it dies: the first close
            // its peers saw after its last line, else that line.
            closed[i]
                .iter()
                .copied()
                .find(|&c| c >= last && c < until)
                .unwrap_or(last)
        };
        fold_mon(
            i,
            m,
            &rank_name,
            &|w| at(i, w),
            &down_at,
            &mut events,
            &mut inferred,
        );
        if at(i, m.last) + (SILENT_DOWN as Time) < last_end {
            let t = down_at(at(i, m.last), last_end);
            push_status(&mut events, i, t, MonStatus::down(m.rank));
            inferred.push(format!(
                "{} taken as down at {}s: its log stops there (or its peers' connections to it close), {}s before the last log ends",
                m.name,
                format_secs(t),
                format_secs(last_end - t)
            ));
        }
    }
    // A write is seen on the monitor the client reached, then on the leader
    // it forwards to, and again on each retry: one write per key and burst.
    let mut seen: Vec<(Time, &str)> = Vec::new();
    for (i, m) in mons.iter().enumerate() {
        for r in &m.records {
            if let Item::Fact(Fact::ConfigKeySet { key }) = &r.item {
                seen.push((at(i, r.wall_us), key));
            }
        }
    }
    seen.sort();
    let mut writes: Vec<(Time, String)> = Vec::new();
    for (t, key) in seen {
        let repeat = writes
            .iter()
            .rev()
            .find(|(_, k)| k == key)
            .is_some_and(|(t0, _)| t < t0 + WRITE_RETRIES);
        if !repeat {
            writes.push((t, key.to_string()));
        }
    }
    let mut delivers = Vec::new();
    for (id, a) in matched.arrows.iter().enumerate() {
        let Some(Some(msg)) = parsed.get(a.text) else {
            continue;
        };
        // A send keeps its ends in a byte: a cluster's monitors are far
        // fewer, and an arrow of a node past 255 is left out.
        let (Ok(from), Ok(to)) = (SmallNode::try_from(a.from), SmallNode::try_from(a.to)) else {
            continue;
        };
        let (sent, arrive) = (at(a.from, a.send_wall), at(a.to, a.recv_wall));
        events.push(Event {
            at: sent,
            kind: EventKind::Send {
                id: id as MsgId,
                from,
                to,
                arrive_at: arrive,
                msg: msg.clone(),
            },
        });
        delivers.push(Event {
            at: arrive,
            kind: EventKind::Deliver { id: id as MsgId },
        });
    }
    events.extend(delivers);
    // Stable: a Send precedes its Deliver at the same time.
    events.sort_by_key(|e| e.at);

    Ok(Import {
        nodes: names,
        end: last_end,
        start_wall_us: t0,
        mons: mons
            .iter()
            .enumerate()
            .map(|(i, m)| MonLog {
                name: m.name.clone(),
                files: m.files.clone(),
                lines: m.lines,
                understood: m.understood,
                offset_us: off[i],
                offset_bounds: offs[i].bounds,
                first: at(i, m.first),
                last: at(i, m.last),
            })
            .collect(),
        messages: MessageCounts {
            matched: matched.arrows.len(),
            unreceived: matched.unreceived,
            unsent: matched.unsent,
            other,
        },
        writes,
        lost: matched
            .lost
            .iter()
            .map(|&(f, t, w)| (f as NodeId, t as NodeId, at(f, w)))
            .collect(),
        trace: events,
        unknown,
        unknown_samples,
        problems,
        inferred,
    })
}

/// The `IP:PORT` parts of a printed address vector
/// (`[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]` or `v2:127.0.0.2:3300/0`).
fn addr_keys(s: &str) -> impl Iterator<Item = &str> {
    s.trim_matches(['[', ']'])
        .split(',')
        .map(|a| {
            let a = a.split_once(':').map_or(a, |(_, rest)| rest);
            a.split_once('/').map_or(a, |(ip, _)| ip)
        })
        .filter(|a| !a.is_empty() && !a.starts_with("0.0.0.0"))
}

fn push_status(events: &mut Vec<Event>, node: usize, at: Time, status: MonStatus) {
    events.push(Event {
        at,
        kind: EventKind::Status {
            node: node as NodeId,
            status: Arc::new(status),
        },
    });
}

fn push_log(events: &mut Vec<Event>, node: usize, at: Time, text: String) {
    events.push(Event {
        at,
        kind: EventKind::Log {
            node: node as NodeId,
            text: text.into(),
        },
    });
}

/// One monitor's records into its status changes, commits and log events.
fn fold_mon(
    i: usize,
    m: &Mon,
    rank_name: &dyn Fn(i32) -> Option<String>,
    at: &dyn Fn(i64) -> Time,
    down_at: &dyn Fn(Time, Time) -> Time,
    events: &mut Vec<Event>,
    inferred: &mut Vec<String>,
) {
    let mut cur = MonStatus::down(m.rank);
    cur.paxos.state = PaxosState::Recovering;
    let mut shown: Option<MonStatus> = None;
    // The last committed version read so far (None: not known, e.g. after
    // a restart or a store cleared by a full sync).
    let mut lc: Option<u64> = None;
    // A rank whose monitor gave no log keeps Ceph's entity name, `mon.R`.
    let name_of = |r: i32| rank_name(r).unwrap_or_else(|| format!("mon.{r}"));
    let names = |q: &[i32]| -> Vec<String> { q.iter().map(|r| name_of(*r)).collect() };
    for r in &m.records {
        let t = at(r.wall_us);
        match &r.item {
            Item::State(s) => {
                cur.state = *s;
                if !matches!(s, MonState::Leader | MonState::Peon) {
                    cur.leader = None;
                    cur.quorum = Arc::new([]);
                    cur.health.clear();
                }
            }
            Item::Epoch(e) => cur.election_epoch = *e,
            Item::Started { prev_wall_us } => {
                if let Some(p) = prev_wall_us {
                    let down_at = down_at(at(*p), t);
                    let mut d = MonStatus::down(m.rank);
                    d.election_epoch = cur.election_epoch;
                    d.paxos.first_committed = cur.paxos.first_committed;
                    d.paxos.last_committed = cur.paxos.last_committed;
                    push_status(events, i, down_at, d.clone());
                    shown = Some(d);
                    inferred.push(format!(
                        "{} taken as down from {}s (its last line before it starts again at {}s, or its peers' connections to it closing)",
                        m.name,
                        format_secs(down_at),
                        format_secs(t)
                    ));
                }
                push_log(events, i, t, "ceph-mon started".to_string());
                lc = None;
                cur.state = MonState::Probing;
                cur.leader = None;
                cur.quorum = Arc::new([]);
            }
            Item::Fact(f) => match f {
                Fact::Paxos {
                    state,
                    first_committed,
                    last_committed,
                } => {
                    cur.paxos.state = *state;
                    cur.paxos.first_committed = *first_committed;
                    cur.paxos.last_committed = *last_committed;
                    if let Some(prev) = lc {
                        for v in prev + 1..=*last_committed {
                            events.push(Event {
                                at: t,
                                kind: EventKind::Commit {
                                    node: i as NodeId,
                                    version: v,
                                    value_hash: 0,
                                },
                            });
                        }
                    }
                    lc = Some(lc.unwrap_or(0).max(*last_committed));
                }
                Fact::Won { epoch, quorum } => {
                    cur.state = MonState::Leader;
                    cur.election_epoch = *epoch;
                    cur.leader = Some(m.name.as_str().into());
                    cur.quorum = names(quorum).into();
                }
                Fact::Lost {
                    epoch,
                    leader,
                    quorum,
                } => {
                    cur.state = MonState::Peon;
                    cur.election_epoch = *epoch;
                    cur.leader = Some(name_of(*leader).into());
                    cur.quorum = names(quorum).into();
                }
                Fact::Health { code, raised, text } => {
                    cur.health.retain(|c| c != code);
                    if *raised {
                        cur.health.push(code.to_string());
                        cur.health.sort();
                        push_log(events, i, t, format!("health: {code} {text}"));
                    } else {
                        push_log(events, i, t, format!("health cleared: {code}"));
                    }
                }
                Fact::StoreCleared => {
                    lc = None;
                    cur.paxos.first_committed = 0;
                    cur.paxos.last_committed = 0;
                    push_log(events, i, t, "sync: store cleared for a full sync".into());
                }
                Fact::CallingElection => push_log(events, i, t, "calling monitor election".into()),
                Fact::LeaseTimeout => push_log(
                    events,
                    i,
                    t,
                    "lease timeout: calling a new election (Paxos::lease_timeout)".into(),
                ),
                Fact::Bootstrap => push_log(events, i, t, "bootstrap".into()),
                Fact::SyncStart { full } => push_log(
                    events,
                    i,
                    t,
                    format!("sync_start ({})", if *full { "full" } else { "recent" }),
                ),
                Fact::SyncFinish { last_committed } => {
                    push_log(events, i, t, format!("sync_finish at v{last_committed}"))
                }
                Fact::ClusterLog { prio, text } => {
                    push_log(events, i, t, format!("cluster log [{prio}] {text}"))
                }
                Fact::ConfigKeySet { key } => {
                    push_log(events, i, t, format!("client: config-key set {key}"))
                }
                Fact::Send { .. }
                | Fact::Receive { .. }
                | Fact::PeerClose { .. }
                | Fact::Monmap { .. } => {}
            },
        }
        if shown.as_ref() != Some(&cur) {
            push_status(events, i, t, cur.clone());
            shown = Some(cur.clone());
        }
    }
}
