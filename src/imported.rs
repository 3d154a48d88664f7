//! An imported history in the playground: the trace `monscope import --json`
//! writes (the Import page hands it over, see static/import.js), read with
//! `trace::json_read` into the events the views draw. The monitors' states,
//! commits and log lines become their events; each matched message becomes
//! a flight whose event is a log line naming it (the playground does not
//! rebuild the message itself: its fields are in the logs, not in the page).
//!
//! The reading runs in the Import page's module (src/import_worker.rs, in a
//! worker the playground starts for `#imported`, as for an export): it
//! answers the history [`encode`]d, which the page [`decode`]s with the
//! trace's binary decoder it links anyway. The page links no JSON reader:
//! its gzipped transfer is 3.5 kB smaller (docs/performance.md, "Transfer").

use monscope_core::mon::status::{MonState, MonStatus, PaxosState, PaxosStatus, StatusNames};
use monscope_core::time::Time;
use monscope_core::trace::binary::{self, Decoder, Encoder, Reader};
use monscope_core::trace::json_read::{parse, Json};
use monscope_core::trace::layout::Flight;
use monscope_core::trace::{Event, EventKind, MsgId, NodeId};
use std::sync::Arc;

/// Where the Import page leaves the trace (localStorage) and its inferred
/// scenario, and the fragment that tells the playground to open them.
pub const TRACE_KEY: &str = "monscope-imported-trace";
pub const SCENARIO_KEY: &str = "monscope-imported-scenario";
pub const HASH: &str = "#imported";

/// A read imported trace.
pub struct Imported {
    /// "imported from logs: FILES, FROM–TO".
    pub label: String,
    /// Monitors in rank order, then "client".
    pub nodes: Vec<String>,
    pub end: Time,
    pub trace: Vec<Event>,
    /// The flights the `send` lines start, in order (`Flight::ev` their event).
    pub sends: Vec<Flight>,
}

fn num(v: &Json, key: &str) -> u64 {
    v.get(key).and_then(Json::u64).unwrap_or(0)
}

fn strs(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::arr)
        .map(|a| a.iter().filter_map(|s| s.str().map(String::from)).collect())
        .unwrap_or_default()
}

/// `UpdatingPrevious` and the like (the JSON writes the variant's name).
fn paxos_state(name: &str) -> PaxosState {
    PaxosState::ALL
        .into_iter()
        .find(|s| s.name().replace('-', "").eq_ignore_ascii_case(name))
        .unwrap_or(PaxosState::Shutdown)
}

fn status(s: &Json) -> Option<MonStatus> {
    let state = MonState::from_name(&s.get("state")?.str()?.to_ascii_lowercase())?;
    let p = s.get("paxos")?;
    Some(MonStatus {
        paxos: PaxosStatus {
            state: paxos_state(p.get("state").and_then(Json::str).unwrap_or("")),
            first_committed: num(p, "first_committed"),
            last_committed: num(p, "last_committed"),
            lease_expire: num(p, "lease_expire"),
        },
        names: Arc::new(StatusNames {
            state,
            rank: num(s, "rank") as _,
            election_epoch: num(s, "election_epoch") as _,
            monmap_epoch: num(s, "monmap_epoch") as _,
            leader: s.get("leader").and_then(Json::str).map(Into::into),
            quorum: strs(s.get("quorum")).into(),
            health: strs(s.get("health")),
            scores: Box::default(),
            accepted_pn: num(p, "accepted_pn"),
            last_pn: num(p, "last_pn"),
        }),
    })
}

/// A name the views keep as `&'static str`: a message's protocol or op. The
/// set is small (Ceph's ops), each kept once.
fn interned(name: String) -> &'static str {
    thread_local! {
        static NAMES: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        if let Some(s) = n.iter().find(|s| **s == name) {
            return *s;
        }
        let s: &'static str = Box::leak(name.into_boxed_str());
        n.push(s);
        s
    })
}

/// `LeaseAck` → `LEASE_ACK`: the op as Ceph prints it (`Message::op_name`).
fn op_name(variant: &str) -> String {
    let mut out = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The protocol of a message variant (`Message::protocol`).
fn protocol(variant: &str) -> &'static str {
    match variant {
        "Probe" => "probe",
        "Election" => "election",
        "Ping" => "ping",
        "Paxos" => "paxos",
        "Sync" => "sync",
        "Timecheck" => "timecheck",
        _ => "client",
    }
}

/// `2026-12-05 23:29:39.497 – 23:30:47.869 UTC` from the header's start
/// (`2026-12-05T23:29:39.497Z`) and the history's length.
fn wall_range(start: &str, len: Time) -> Option<String> {
    let (date, tod) = start.strip_suffix('Z')?.split_once('T')?;
    let ms = tod.split([':', '.']).map(str::parse::<u64>);
    let [h, m, s, ms] = <[_; 4]>::try_from(ms.collect::<Result<Vec<_>, _>>().ok()?).ok()?;
    // A stored header is untrusted: a time of day out of range is no time.
    if h > 23 || m > 59 || s > 60 || ms > 999 {
        return None;
    }
    let to = ((h * 60 + m) * 60 + s) * 1000 + ms + len / 1000;
    let days = to / 86_400_000;
    let to = to % 86_400_000;
    let later = if days > 0 {
        format!("+{days}d ")
    } else {
        String::new()
    };
    Some(format!(
        "{date} {tod} – {later}{:02}:{:02}:{:02}.{:03} UTC",
        to / 3_600_000,
        to / 60_000 % 60,
        to / 1000 % 60,
        to % 1000
    ))
}

/// Read `text` (`monscope import --json`). Lines of other kinds are skipped.
/// Run by the Import page's module (and natively by tests), not the page.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn read(text: &str) -> Result<Imported, String> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(parse)
        .filter(|h| h.get("type").and_then(Json::str) == Some("header"))
        .filter(|h| h.get("source").and_then(Json::str) == Some("imported from logs"))
        .ok_or("not a trace of imported logs (its first line is not their header)")?;
    let nodes = strs(header.get("nodes"));
    if nodes.len() < 2 {
        return Err("the imported trace names no monitors".into());
    }
    let end = num(&header, "end");
    let files: Vec<String> = strs(header.get("files"))
        .iter()
        .map(|f| f.rsplit('/').next().unwrap_or(f).to_string())
        .collect();
    let start = header.get("start").and_then(Json::str).unwrap_or("?");
    let label = format!(
        "imported from logs: {}, {} ({} s)",
        files.join(", "),
        wall_range(start, end).unwrap_or_else(|| start.to_string()),
        monscope_core::time::format_secs(end)
    );
    let mons = nodes.len() as NodeId - 1;
    let mut trace = Vec::new();
    let mut sends = Vec::new();
    // Line 1 is the header.
    for (n, v) in lines
        .enumerate()
        .filter_map(|(i, l)| Some((i + 2, parse(l)?)))
    {
        let at = num(&v, "at");
        let node = num(&v, "node") as NodeId;
        let kind = match v.get("type").and_then(Json::str) {
            Some("status") if node < mons => EventKind::Status {
                node,
                status: Arc::new(
                    v.get("status")
                        .and_then(status)
                        .ok_or(format!("line {n} is a status without a monitor state"))?,
                ),
            },
            Some("commit") if node < mons => EventKind::Commit {
                node,
                version: num(&v, "version"),
                value_hash: num(&v, "value_hash"),
            },
            Some("log") if node < mons => EventKind::Log {
                node,
                text: v
                    .get("text")
                    .and_then(Json::str)
                    .unwrap_or("")
                    .to_owned()
                    .into(),
            },
            Some("deliver") => EventKind::Deliver {
                id: num(&v, "id") as MsgId,
            },
            Some("send") => {
                let (from, to) = (num(&v, "from") as NodeId, num(&v, "to") as NodeId);
                let Some(Json::Obj(m)) = v.get("msg") else {
                    continue;
                };
                let Some((variant, body)) = m.first().filter(|_| from <= mons && to <= mons) else {
                    continue;
                };
                let op = body.get("op").and_then(Json::str).unwrap_or("");
                let op = interned(match (variant.as_str(), op) {
                    ("Probe", "Reply") => "PROBE_REPLY".into(),
                    ("Timecheck", _) => format!("TIMECHECK_{}", op_name(op)),
                    ("ClientReply", _) => "REPLY".into(),
                    (v @ ("Forward" | "Route" | "Close"), _) => op_name(v),
                    _ => op_name(op),
                });
                let arrive = num(&v, "arrive_at").max(at);
                let id = num(&v, "id") as MsgId;
                sends.push(Flight {
                    id,
                    ev: trace.len(),
                    from,
                    to,
                    sent: at,
                    arrive,
                    end: arrive,
                    dropped: None,
                    held: false,
                    protocol: protocol(variant),
                    op,
                });
                EventKind::Log {
                    node: from,
                    text: format!("sent {op} (#{id}) to {}", nodes[to as usize]).into(),
                }
            }
            _ => continue,
        };
        trace.push(Event { at, kind });
    }
    // The views find events by time: keep them in time order (they are).
    if trace.windows(2).any(|w| w[0].at > w[1].at) {
        return Err("the imported trace is not in time order".into());
    }
    Ok(Imported {
        label,
        nodes,
        end: end.max(trace.last().map_or(0, |e| e.at)),
        trace,
        sends,
    })
}

/// `imp` for the page: the label, the nodes, the end, the flights, then
/// the events in the trace's binary encoding.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn encode(imp: &Imported) -> Vec<u8> {
    let mut b = Vec::new();
    binary::string(&mut b, &imp.label);
    binary::uint(&mut b, imp.nodes.len() as u64);
    for n in &imp.nodes {
        binary::string(&mut b, n);
    }
    binary::uint(&mut b, imp.end);
    binary::uint(&mut b, imp.sends.len() as u64);
    for f in &imp.sends {
        for v in [
            f.id as u64,
            f.ev as u64,
            f.from as u64,
            f.to as u64,
            f.sent,
            f.arrive,
        ] {
            binary::uint(&mut b, v);
        }
        binary::string(&mut b, f.protocol);
        binary::string(&mut b, f.op);
    }
    Encoder::new().encode(&imp.trace, &mut b);
    b
}

/// What [`encode`] wrote, or None if it is not that.
pub fn decode(b: &[u8]) -> Option<Imported> {
    let mut r = Reader::new(b);
    let label = r.string()?;
    let nodes = (0..r.uint()?)
        .map(|_| r.string())
        .collect::<Option<Vec<_>>>()?;
    let end = r.uint()?;
    let n = r.uint()? as usize;
    let mut sends = Vec::with_capacity(n.min(b.len()));
    for _ in 0..n {
        let [id, ev, from, to, sent, arrive] = [(); 6].map(|_| r.uint());
        let (protocol, op) = (r.string()?, r.string()?);
        sends.push(Flight {
            id: MsgId::try_from(id?).ok()?,
            ev: ev? as usize,
            from: from? as NodeId,
            to: to? as NodeId,
            sent: sent?,
            arrive: arrive?,
            end: arrive?,
            dropped: None,
            held: false,
            protocol: interned(protocol),
            op: interned(op),
        });
    }
    let mut trace = Vec::new();
    Decoder::new()
        .decode(b, &mut r.at, usize::MAX, &mut trace)
        .ok()?;
    let fits = sends
        .iter()
        .all(|f| f.ev < trace.len() && (f.from.max(f.to) as usize) < nodes.len());
    (nodes.len() >= 2 && fits).then_some(Imported {
        label,
        nodes,
        end,
        trace,
        sends,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_label_spans_the_logs_wall_time() {
        assert_eq!(
            wall_range("2026-12-05T23:29:39.497Z", 68_372_000).unwrap(),
            "2026-12-05 23:29:39.497 – 23:30:47.869 UTC"
        );
        assert_eq!(
            wall_range("2026-12-05T23:59:59.000Z", 2_000_000).unwrap(),
            "2026-12-05 23:59:59.000 – +1d 00:00:01.000 UTC"
        );
        assert_eq!(wall_range("?", 1), None);
        // A damaged stored header: no range, not an overflow.
        let huge = "2026-12-05T99999999999999999:00:00.000Z";
        assert_eq!(wall_range(huge, 1), None);
        assert!(wall_range("2026-12-05T23:59:59.999Z", u64::MAX).is_some());
    }

    #[test]
    fn paxos_states_are_read_by_their_variant_names() {
        assert_eq!(
            paxos_state("UpdatingPrevious"),
            PaxosState::UpdatingPrevious
        );
        assert_eq!(paxos_state("Active"), PaxosState::Active);
        assert_eq!(paxos_state("Nonsense"), PaxosState::Shutdown);
    }

    #[test]
    fn op_names_are_cephs() {
        assert_eq!(op_name("LeaseAck"), "LEASE_ACK");
        assert_eq!(op_name("Probe"), "PROBE");
    }

    #[test]
    fn what_the_page_is_handed_that_is_not_a_history_is_refused() {
        let imp = Imported {
            label: "imported from logs: a.log".into(),
            nodes: vec!["a".into(), "b".into(), "client".into()],
            end: 5,
            trace: vec![Event {
                at: 1,
                kind: EventKind::Deliver { id: 3 },
            }],
            sends: Vec::new(),
        };
        let b = encode(&imp);
        let back = decode(&b).unwrap();
        assert_eq!(
            (back.label, back.nodes, back.end),
            (imp.label, imp.nodes, imp.end)
        );
        assert_eq!(back.trace.len(), 1);
        // Cut short: refused, but where the events start (a history of none).
        for cut in 0..b.len() - 1 {
            assert!(
                decode(&b[..cut]).is_none_or(|d| d.trace.is_empty()),
                "{cut}"
            );
        }
        assert!(decode(&b[..3]).is_none());
        assert!(decode(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").is_none());
    }

    /// The failover fixture's logs (tests/fixtures/logs, real ceph-mon
    /// 16.2.15) imported, and the history `monscope import --json` writes for
    /// them, as the Import page stores it.
    pub(crate) fn failover_fixture() -> (monscope_core::import::Import, String) {
        use monscope_core::import::{import, report::header, LogFile};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logs/failover");
        let logs: Vec<(String, Vec<u8>)> = ["a", "b", "c"]
            .iter()
            .map(|m| {
                let name = format!("mon.{m}.log");
                let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
                (name, bytes)
            })
            .collect();
        let files: Vec<LogFile> = logs
            .iter()
            .map(|(name, bytes)| LogFile { name, bytes })
            .collect();
        let imp = import(&files).unwrap();
        let mut text = header(&imp) + "\n";
        for ev in &imp.trace {
            text += &monscope_core::trace::json::json_line(ev);
            text.push('\n');
        }
        (imp, text)
    }

    #[test]
    fn a_damaged_stored_history_is_an_error_or_a_history_never_a_panic() {
        let (_, text) = failover_fixture();
        let lines: Vec<&str> = text.lines().collect();
        let good = read(&text).unwrap();
        assert!(good.trace.len() > 100 && !good.sends.is_empty());
        let mut rng = monscope_core::sim::rng::Pcg32::new(0x1234_5678);
        let mut next = || rng.next_u32() as usize;
        for i in 0..100 {
            // Lines dropped, repeated or cut, characters changed.
            let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            for _ in 0..=next() % 4 {
                let k = next() % l.len();
                match (i + next()) % 5 {
                    0 => {
                        l.remove(k);
                    }
                    1 => l.insert(k, l[next() % l.len()].clone()),
                    2 => {
                        let cut = l[k].char_indices().nth(next() % 40).map_or(0, |c| c.0);
                        l[k].truncate(cut);
                    }
                    3 => {
                        let digits: String = l[k]
                            .chars()
                            .map(|c| match c {
                                '0'..='9' => '9',
                                c => c,
                            })
                            .collect();
                        l[k] = digits;
                    }
                    _ => l[k] = l[k].replace(['"', ':'], "\u{1}"),
                }
            }
            match read(&(l.join("\n") + "\n")) {
                // What is read is a history the page can be handed.
                Ok(imp) => {
                    let back = decode(&encode(&imp)).unwrap();
                    assert_eq!(back.trace.len(), imp.trace.len());
                }
                Err(e) => assert!(
                    e.starts_with("not a trace")
                        || e.starts_with("the imported trace")
                        || e.starts_with("line "),
                    "{e}"
                ),
            }
        }
        // Bytes handed over damaged: refused or read, never a panic.
        let b = encode(&good);
        for i in 0..3_000 {
            let mut bad = b.clone();
            let k = next() % bad.len();
            match i % 3 {
                0 => bad[k] ^= 1 << (next() % 8),
                1 => bad[k % 64] = next() as u8,
                _ => bad.truncate(k),
            }
            let _ = decode(&bad);
        }
    }

    #[test]
    fn what_is_not_an_imported_trace_is_a_clear_error() {
        for bad in [
            "",
            "garbage",
            "{\"type\":\"header\",\"nodes\":[\"a\",\"client\"]}\n",
        ] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
    }
}
