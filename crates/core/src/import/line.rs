//! One line of a ceph-mon log, as the daemon writes it:
//! `STAMP THREAD LEVEL TEXT`, e.g. (ceph-mon 16.2.15)
//! `2026-12-05T17:27:49.740+0000 7f2cc77fe6c0 10 mon.b@1(peon).paxos(paxos updating c 1..2) store_state [2..2]`.
//!
//! The prefixes read here, as ceph-mon 16.2.15 (Pacific) writes them on this
//! machine (tests/fixtures/logs). Checked in Ceph's current source too (the
//! stored ceph/ceph tree, which Quincy, Reef and Squid share for these):
//! Monitor.cc, Elector.cc and ElectionLogic.cc `_prefix`, and the send line
//! of Connection::send_message; the others below (Paxos.cc's prefix, the
//! receive line) are read as Pacific writes them (not found in the source
//! searched):
//! - Monitor.cc `_prefix`: `mon.NAME@RANK(STATE) eMONMAP_EPOCH ` (rank -1 and
//!   state `???` before the monitor knows its rank);
//! - Paxos.cc `_prefix`: `mon.NAME@RANK(STATE).paxos(paxos PSTATE c FIRST..LAST) `;
//! - Elector.cc `_prefix`: `mon.NAME@RANK(STATE).elector(EPOCH) `;
//! - ElectionLogic.cc `_prefix`: `paxos.RANK).electionLogic(EPOCH) `;
//! - PaxosService and the services: `mon.NAME@RANK(STATE).SERVICE...`;
//! - log/LogClient.cc LogChannel::do_log: `log_channel(CHANNEL) log [PRIO] : TEXT`;
//! - the messenger (debug_ms 1): send `-- MYADDRS --> PEERADDRS -- MSG -- PTR con CON`,
//!   receive `-- MYADDRS <== ENTITY PEERADDRS SEQ ==== MSG ==== SIZES (CRCS) PTR con CON`,
//!   AsyncConnection::read_bulk `-- MYADDRS >> PEERADDRS conn(...).read_bulk peer close file descriptor FD`.
//!
//! Pure: no I/O, so the page's worker and the CLI read logs with the same code.

use crate::mon::status::{MonState, PaxosState};
use crate::mon::Rank;

/// Who wrote a line, from its `mon.NAME@RANK(STATE)` prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct Who<'a> {
    pub name: &'a str,
    /// -1 before the monitor finds itself in the monmap.
    pub rank: i32,
    /// None for `???` (not yet known).
    pub state: Option<MonState>,
}

/// One fact a line states.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact<'a> {
    /// The paxos state and committed range as of this line.
    Paxos {
        state: PaxosState,
        first_committed: u64,
        last_committed: u64,
    },
    /// Monitor::win_election: `win_election epoch E quorum 0,1,2 ...`.
    Won { epoch: u32, quorum: Vec<Rank> },
    /// Monitor::lose_election: `lose_election, epoch E leader is monR quorum is 0,1,2 ...`.
    Lost {
        epoch: u32,
        leader: Rank,
        quorum: Vec<Rank>,
    },
    /// Monitor::start_election's cluster log line: `NAME calling monitor election`.
    CallingElection,
    /// Paxos::lease_timeout: `lease_timeout -- calling new election`.
    LeaseTimeout,
    /// Monitor::bootstrap: `bootstrap`.
    Bootstrap,
    /// Monitor::bootstrap and init print the monitor's monmap (MonMap::print_summary):
    /// `monmap e1: 3 mons at {a=v2:127.0.0.2:3300/0,b=...} removed_ranks: {}`;
    /// its members as (name, address), in the order printed (by name).
    Monmap {
        epoch: u32,
        mons: Vec<(&'a str, &'a str)>,
    },
    /// Monitor::sync_start: `sync_start ADDRS full|recent`.
    SyncStart { full: bool },
    /// Monitor::sync_start: `sync_start clearing prefixes [...]` (a full sync
    /// empties the store first).
    StoreCleared,
    /// Monitor::handle_command of a client's `config-key set KEY` (a
    /// `write` in the scenario language; the value is not logged).
    ConfigKeySet { key: &'a str },
    /// Monitor::sync_finish: `sync_finish lc N from ADDRS`.
    SyncFinish { last_committed: u64 },
    /// HealthMonitor's cluster log: `Health check failed: TEXT (CODE)`,
    /// `Health check update: TEXT (CODE)` (raised) or `Health check cleared:
    /// CODE (was: TEXT)`.
    Health {
        code: &'a str,
        raised: bool,
        text: &'a str,
    },
    /// Another line of the cluster log channel (`log [WRN] : ...`).
    ClusterLog { prio: &'a str, text: &'a str },
    /// A message sent (debug_ms 1).
    Send {
        from: &'a str,
        to: &'a str,
        msg: &'a str,
    },
    /// The connection to `peer` was closed by the other end
    /// (AsyncConnection::read_bulk: `peer close file descriptor`): the
    /// moment a killed peer's kernel closed its sockets, among others.
    PeerClose { peer: &'a str },
    /// A message received and dispatched (debug_ms 1).
    Receive {
        me: &'a str,
        from_entity: &'a str,
        from: &'a str,
        msg: &'a str,
    },
}

/// A line with a time stamp.
#[derive(Clone, Debug, PartialEq)]
pub struct Line<'a> {
    /// Microseconds since the Unix epoch on the writer's own clock.
    pub wall_us: i64,
    pub who: Option<Who<'a>>,
    /// The election epoch of an `.elector(E)` or `electionLogic(E)` line.
    pub election_epoch: Option<u32>,
    pub fact: Option<Fact<'a>>,
}

impl Line<'_> {
    /// Whether the line says anything this reader understands.
    pub fn understood(&self) -> bool {
        self.who.is_some() || self.fact.is_some() || self.election_epoch.is_some()
    }
}

/// Parse one line; None when it has no time stamp (a continuation of a
/// multi-line entry, or not a Ceph log line at all).
pub fn parse(line: &str) -> Option<Line<'_>> {
    let (wall_us, mut rest) = split_stamp(line)?;
    // THREAD LEVEL TEXT; the level is right-aligned in two columns. The
    // level is the first small number within the next three words, so a
    // thread name beside the id would not hide it.
    let mut text = None;
    for _ in 0..3 {
        let t = rest.trim_start();
        let (word, after) = t.split_once(' ').unwrap_or((t, ""));
        if word.len() <= 2 && word.parse::<u8>().is_ok() {
            text = Some(after);
            break;
        }
        rest = after;
    }
    let text = text?;
    let text = text.trim_end_matches(['\r', '\n']);
    let who = who(text);
    let election_epoch = election_epoch(text);
    let fact = fact(text, who.as_ref());
    Some(Line {
        wall_us,
        who,
        election_epoch,
        fact,
    })
}

/// `mon.NAME@RANK(STATE)` at the start of the text.
fn who(text: &str) -> Option<Who<'_>> {
    let rest = text.strip_prefix("mon.")?;
    let (name, rest) = rest.split_once('@')?;
    let (rank, rest) = rest.split_once('(')?;
    let (state, _) = rest.split_once(')')?;
    Some(Who {
        name,
        rank: rank.parse().ok()?,
        state: mon_state(state),
    })
}

/// Monitor::get_state_name: monscope's state names, and "shutdown" for a
/// monitor stopping (down; "down" itself is never printed, `???` is unknown).
pub fn mon_state(name: &str) -> Option<MonState> {
    match name {
        "shutdown" => Some(MonState::Down),
        "down" => None,
        n => MonState::from_name(n),
    }
}

/// Ceph's paxos state names (Paxos::get_statename).
pub fn paxos_state(name: &str) -> Option<PaxosState> {
    Some(match name {
        "recovering" => PaxosState::Recovering,
        "active" => PaxosState::Active,
        "updating" => PaxosState::Updating,
        "updating-previous" => PaxosState::UpdatingPrevious,
        "writing" => PaxosState::Writing,
        "writing-previous" => PaxosState::WritingPrevious,
        "refresh" => PaxosState::Refresh,
        "shutdown" => PaxosState::Shutdown,
        _ => return None,
    })
}

fn election_epoch(text: &str) -> Option<u32> {
    let at = text
        .find(").elector(")
        .map(|i| i + ").elector(".len())
        .or_else(|| {
            text.find(").electionLogic(")
                .map(|i| i + ").electionLogic(".len())
        })?;
    let rest = &text[at..];
    rest[..rest.find(')')?].parse().ok()
}

/// What follows the `mon.NAME@RANK(STATE) eN ` prefix of a Monitor line.
fn monitor_body<'a>(text: &'a str, who: Option<&Who>) -> Option<&'a str> {
    who?;
    let close = text.find(')')?;
    let rest = text[close..].strip_prefix(") e")?;
    let (epoch, body) = rest.split_once(' ')?;
    epoch.parse::<u32>().ok()?;
    Some(body)
}

fn fact<'a>(text: &'a str, who: Option<&Who>) -> Option<Fact<'a>> {
    if let Some(f) = paxos_fact(text) {
        // A Paxos line may also say it times out its lease.
        if text.contains(" lease_timeout -- calling new election") {
            return Some(Fact::LeaseTimeout);
        }
        return Some(f);
    }
    if let Some(body) = monitor_body(text, who) {
        return monitor_fact(body);
    }
    if let Some(rest) = text.strip_prefix("-- ") {
        return messenger_fact(rest);
    }
    if let Some(rest) = text.strip_prefix("log_channel(cluster) log [") {
        let (prio, msg) = rest.split_once("] : ")?;
        return Some(cluster_fact(prio, msg));
    }
    None
}

fn monitor_fact(body: &str) -> Option<Fact<'_>> {
    if let Some(rest) = body.strip_prefix("win_election epoch ") {
        let mut w = rest.split_whitespace();
        let epoch = w.next()?.parse().ok()?;
        let quorum = if w.next() == Some("quorum") {
            ranks(w.next()?)
        } else {
            Vec::new()
        };
        return Some(Fact::Won { epoch, quorum });
    }
    if let Some(rest) = body.strip_prefix("lose_election, epoch ") {
        let epoch = rest.split_whitespace().next()?.parse().ok()?;
        let (_, after) = rest.split_once("leader is mon")?;
        let mut w = after.split_whitespace();
        let leader = w.next()?.parse().ok()?;
        let quorum = match (w.next(), w.next()) {
            (Some("quorum"), Some("is")) => ranks(w.next()?),
            _ => Vec::new(),
        };
        return Some(Fact::Lost {
            epoch,
            leader,
            quorum,
        });
    }
    if let Some(rest) =
        body.strip_prefix("handle_command mon_command([{prefix=config-key set, key=")
    {
        let key = &rest[..rest.find(['}', ','])?];
        return Some(Fact::ConfigKeySet { key });
    }
    if body == "bootstrap" {
        return Some(Fact::Bootstrap);
    }
    if let Some(rest) = body.strip_prefix("monmap e") {
        let (epoch, rest) = rest.split_once(": ")?;
        let (_, rest) = rest.split_once(" mons at {")?;
        return Some(Fact::Monmap {
            epoch: epoch.parse().ok()?,
            mons: monmap_members(rest),
        });
    }
    if body.starts_with("sync_start clearing prefixes") {
        return Some(Fact::StoreCleared);
    }
    if let Some(rest) = body.strip_prefix("sync_start ") {
        let end = rest.trim_end();
        if end.ends_with(" full") {
            return Some(Fact::SyncStart { full: true });
        }
        if end.ends_with(" recent") {
            return Some(Fact::SyncStart { full: false });
        }
    }
    if let Some(rest) = body.strip_prefix("sync_finish lc ") {
        let lc = rest.split_whitespace().next()?.parse().ok()?;
        return Some(Fact::SyncFinish { last_committed: lc });
    }
    None
}

/// `a=v2:IP:PORT/0,b=[v2:IP:PORT/0,v1:IP:PORT/0]}...` as (name, address)
/// pairs, up to the closing brace (an address vector has commas inside brackets).
fn monmap_members(list: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' | '}' if depth == 0 => {
                if let Some((name, addr)) = list[start..i].split_once('=') {
                    out.push((name, addr));
                }
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            _ => {}
        }
    }
    out
}

/// `0,1,2` as ranks.
fn ranks(list: &str) -> Vec<Rank> {
    list.split(',').filter_map(|r| r.parse().ok()).collect()
}

/// `paxos(paxos STATE c FIRST..LAST)`.
fn paxos_fact(text: &str) -> Option<Fact<'_>> {
    let at = text.find(".paxos(paxos ")?;
    let rest = &text[at + ".paxos(paxos ".len()..];
    let inner = &rest[..rest.find(')')?];
    let (state, range) = inner.split_once(" c ")?;
    let (first, last) = range.split_once("..")?;
    Some(Fact::Paxos {
        state: paxos_state(state.trim())?,
        first_committed: first.trim().parse().ok()?,
        last_committed: last.trim().parse().ok()?,
    })
}

/// `MYADDRS --> PEERADDRS -- MSG -- PTR con CON` or
/// `MYADDRS <== ENTITY PEERADDRS SEQ ==== MSG ==== ...`.
fn messenger_fact(rest: &str) -> Option<Fact<'_>> {
    let (me, rest) = rest.split_once(' ')?;
    if let Some(rest) = rest.strip_prefix(">> ") {
        return rest
            .contains(".read_bulk peer close file descriptor")
            .then(|| Fact::PeerClose {
                peer: rest.split(' ').next().unwrap_or(""),
            });
    }
    if let Some(rest) = rest.strip_prefix("--> ") {
        let (to, rest) = rest.split_once(" -- ")?;
        let msg = &rest[..rest.rfind(" -- ")?];
        return Some(Fact::Send { from: me, to, msg });
    }
    let rest = rest.strip_prefix("<== ")?;
    let (from_entity, rest) = rest.split_once(' ')?;
    let (from, rest) = rest.split_once(' ')?;
    let (_seq, rest) = rest.split_once(" ==== ")?;
    let msg = &rest[..rest.find(" ==== ")?];
    Some(Fact::Receive {
        me,
        from_entity,
        from,
        msg,
    })
}

/// A cluster log line (HealthMonitor, Monitor::start_election, ...).
fn cluster_fact<'a>(prio: &'a str, text: &'a str) -> Fact<'a> {
    let check = |rest: &'a str| -> Option<(&'a str, &'a str)> {
        let open = rest.rfind(" (")?;
        let code = rest[open + 2..].strip_suffix(')')?;
        Some((code, &rest[..open]))
    };
    if let Some(rest) = text
        .strip_prefix("Health check failed: ")
        .or_else(|| text.strip_prefix("Health check update: "))
    {
        if let Some((code, text)) = check(rest) {
            return Fact::Health {
                code,
                raised: true,
                text,
            };
        }
    }
    if let Some(rest) = text.strip_prefix("Health check cleared: ") {
        let (code, was) = rest.split_once(" (was: ").unwrap_or((rest, ""));
        return Fact::Health {
            code,
            raised: false,
            text: was.strip_suffix(')').unwrap_or(was),
        };
    }
    if text.ends_with(" calling monitor election") {
        return Fact::CallingElection;
    }
    Fact::ClusterLog { prio, text }
}

/// `2026-12-05T17:27:49.740+0000` as microseconds since the Unix epoch.
pub fn parse_stamp(s: &str) -> Option<i64> {
    split_stamp(s).and_then(|(us, rest)| rest.is_empty().then_some(us))
}

/// A line's leading time stamp as microseconds since the Unix epoch, and
/// the rest of the line. ceph-mon stamps to the millisecond from the coarse
/// clock by default (`2026-12-05T17:27:49.740+0000`, steps of 4 ms here),
/// and to the microsecond with `log_coarse_timestamps = false`
/// (`...49.740615+0000`), as the real runner sets it.
pub fn split_stamp(line: &str) -> Option<(i64, &str)> {
    let b = line.as_bytes();
    if b.len() < 28 || b[4] != b'-' || b[10] != b'T' || b[19] != b'.' {
        return None;
    }
    let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    let scale = match digits {
        3 => 1000,
        6 => 1,
        _ => return None,
    };
    let z = 20 + digits;
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = line.get(r)?;
        d.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| d.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec, frac) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..z)?);
    let sign = match b.get(z)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (num(z + 1..z + 3)?, num(z + 3..z + 5)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    Some((secs * 1_000_000 + frac * scale, line.get(z + 5..)?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
