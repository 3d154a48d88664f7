//! A trace file's monitor states as bands over time: what the page draws on
//! each monitor's lane when a `monscope real --json` trace (a header line,
//! then one event per line) is opened next to the simulated run of the same
//! scenario. Only the header and the `status` events are read.

use super::json_read::{parse, Json};
use crate::mon::status::MonState;
use crate::time::Time;

/// The longest trace file the page opens (a 10-minute real run of seven
/// monitors is about 20 MB).
pub const MAX_BYTES: usize = 64 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub from: Time,
    pub to: Time,
    pub state: MonState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateBands {
    /// Who produced the trace (the header's `source`: "real ceph-mon 16.2.15").
    pub source: String,
    /// The run's length.
    pub end: Time,
    /// Each monitor's name and states, in time order, covering when it ran
    /// or was down (nothing before its first status).
    pub mons: Vec<(String, Vec<Band>)>,
}

impl StateBands {
    /// `name`'s bands, if the trace has that monitor.
    pub fn of(&self, name: &str) -> Option<&[Band]> {
        self.mons
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }
}

/// What the reader needs of one line of JSON. The page implements it on the
/// browser's own `JSON.parse`, so that its wasm links no JSON parser; the CLI
/// and the tests on [`super::json_read`].
pub trait TraceLine: Sized {
    fn parse(line: &str) -> Option<Self>;
    /// The string at this path of keys.
    fn str_at(&self, path: &[&str]) -> Option<String>;
    /// The whole number at this path of keys.
    fn u64_at(&self, path: &[&str]) -> Option<u64>;
    /// The strings of the array at `key`.
    fn strs_at(&self, key: &str) -> Option<Vec<String>>;
}

impl TraceLine for Json {
    fn parse(line: &str) -> Option<Json> {
        parse(line)
    }
    fn str_at(&self, path: &[&str]) -> Option<String> {
        json_at(self, path)?.str().map(str::to_string)
    }
    fn u64_at(&self, path: &[&str]) -> Option<u64> {
        json_at(self, path)?.u64()
    }
    fn strs_at(&self, key: &str) -> Option<Vec<String>> {
        self.get(key)?
            .arr()?
            .iter()
            .map(|v| v.str().map(str::to_string))
            .collect()
    }
}

fn json_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// Read a trace file. Every way it can be wrong is an error naming the line.
pub fn read_state_bands(text: &str) -> Result<StateBands, String> {
    read_state_bands_with::<Json>(text)
}

/// [`read_state_bands`] with the JSON lines read by `L`.
pub fn read_state_bands_with<L: TraceLine>(text: &str) -> Result<StateBands, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("the file is larger than {} MiB", MAX_BYTES >> 20));
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("the file is empty")?;
    let header = L::parse(first).ok_or("line 1 is not JSON: not a monscope trace file")?;
    let field = |k: &str| header.str_at(&[k]);
    if field("type").as_deref() != Some("header")
        || field("format").as_deref() != Some("monscope-trace-v1")
    {
        return Err(
            "line 1 is not a monscope-trace-v1 header: open the output of `monscope real FILE --json`"
                .into(),
        );
    }
    let source = field("source").ok_or("the header has no source")?;
    let nodes = header
        .strs_at("nodes")
        .ok_or("the header has no nodes, or they are not names")?;
    let end = header
        .u64_at(&["end"])
        .ok_or("the header has no end time")?;
    // The last node is the client.
    let mons = nodes.len().saturating_sub(1);
    let mut changes: Vec<Vec<(Time, MonState)>> = vec![Vec::new(); mons];
    for (i, line) in lines {
        let ev = L::parse(line).ok_or_else(|| format!("line {} is not JSON", i + 1))?;
        if ev.str_at(&["type"]).as_deref() != Some("status") {
            continue;
        }
        let bad = || format!("line {}: a status event without at, node or state", i + 1);
        let at = ev.u64_at(&["at"]).ok_or_else(bad)?;
        let node = ev.u64_at(&["node"]).ok_or_else(bad)? as usize;
        let state = ev
            .str_at(&["status", "state"])
            .and_then(|s| MonState::from_name(&s.to_ascii_lowercase()))
            .ok_or_else(bad)?;
        let c = changes
            .get_mut(node)
            .ok_or_else(|| format!("line {}: node {node} is not a monitor", i + 1))?;
        if c.last().is_none_or(|l| l.1 != state) {
            c.push((at, state));
        }
    }
    if changes.iter().all(|c| c.is_empty()) {
        return Err("the trace has no monitor status: nothing to draw".into());
    }
    let mons = nodes
        .into_iter()
        .zip(changes)
        .map(|(name, c)| {
            let bands = c
                .iter()
                .enumerate()
                .map(|(k, &(from, state))| Band {
                    from,
                    to: c.get(k + 1).map_or(end.max(from), |n| n.0),
                    state,
                })
                .collect();
            (name, bands)
        })
        .collect();
    Ok(StateBands { source, end, mons })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"{"type":"header","format":"monscope-trace-v1","source":"real ceph-mon 16.2.15","scenario":"f.mon","nodes":["a","b","client"],"end":30000000,"skipped":[],"noise":[]}"#;

    fn status(at: u64, node: u32, state: &str) -> String {
        format!(
            r#"{{"at":{at},"type":"status","node":{node},"status":{{"state":"{state}","rank":0}}}}"#
        )
    }

    #[test]
    fn a_real_trace_gives_each_monitor_its_states_until_the_end() {
        let text = [
            HEAD.to_string(),
            status(100, 0, "Probing"),
            status(100, 1, "Probing"),
            r#"{"at":150,"type":"action","line":0,"text":"start all"}"#.into(),
            status(5_000_000, 0, "Leader"),
            status(5_000_000, 1, "Peon"),
            // The same state again is no new band.
            status(6_000_000, 1, "Peon"),
            status(20_000_000, 1, "Down"),
        ]
        .join("\n");
        let b = read_state_bands(&text).unwrap();
        assert_eq!(b.source, "real ceph-mon 16.2.15");
        let a = b.of("a").unwrap();
        assert_eq!(
            a,
            [
                Band {
                    from: 100,
                    to: 5_000_000,
                    state: MonState::Probing
                },
                Band {
                    from: 5_000_000,
                    to: 30_000_000,
                    state: MonState::Leader
                }
            ]
        );
        let states: Vec<MonState> = b.of("b").unwrap().iter().map(|x| x.state).collect();
        assert_eq!(states, [MonState::Probing, MonState::Peon, MonState::Down]);
        assert!(b.of("client").is_none());
    }

    /// `monscope real tests/e2e/fixtures/real-leader-killed.mon --json` on
    /// ceph-mon 16.2.15: a leads, is killed at 15 s, b leads after the
    /// peons' lease timeout and one election.
    #[test]
    fn a_trace_of_the_real_daemon_shows_the_leader_killed_and_b_taking_over() {
        let text = include_str!("../../../../tests/e2e/fixtures/real-leader-killed.jsonl");
        let b = read_state_bands(text).unwrap();
        assert!(b.source.starts_with("real ceph-mon 16.2."), "{}", b.source);
        let last = |m: &str| b.of(m).unwrap().last().unwrap().clone();
        assert_eq!(last("a").state, MonState::Down);
        assert!(last("a").from >= 15_000_000);
        assert_eq!(last("b").state, MonState::Leader);
        assert_eq!(last("c").state, MonState::Peon);
        assert!(b
            .of("a")
            .unwrap()
            .iter()
            .any(|x| x.state == MonState::Leader && x.to <= last("a").from));
    }

    #[test]
    fn what_is_not_a_real_trace_is_a_clear_error() {
        let cases = [
            ("", "empty"),
            ("mons a b c\n", "not JSON"),
            (r#"{"at":1,"type":"note","text":"x"}"#, "header"),
            (HEAD, "no monitor status"),
        ];
        for (text, says) in cases {
            let e = read_state_bands(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
        let bad_node = format!("{HEAD}\n{}", status(1, 7, "Leader"));
        assert!(read_state_bands(&bad_node)
            .unwrap_err()
            .contains("line 2: node 7 is not a monitor"));
        let bad_state = format!("{HEAD}\n{}", status(1, 0, "Dancing"));
        assert!(read_state_bands(&bad_state).unwrap_err().contains("line 2"));
        let torn = format!("{HEAD}\n{}\n{{\"at\":", status(1, 0, "Leader"));
        assert!(read_state_bands(&torn)
            .unwrap_err()
            .contains("line 3 is not JSON"));
    }
}
