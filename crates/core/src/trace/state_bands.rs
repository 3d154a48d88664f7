//! A trace file's monitor states as bands over time: what the page draws on
//! each monitor's lane when a `monscope real --json` trace (a header line,
//! then one event per line) is opened next to the simulated run of the same
//! scenario. Only the header and the `status` events are read.

use crate::mon::status::MonState;
use crate::time::Time;
use serde_json::Value;

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

/// Read a trace file. Every way it can be wrong is an error naming the line.
pub fn read_state_bands(text: &str) -> Result<StateBands, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("the file is larger than {} MiB", MAX_BYTES >> 20));
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("the file is empty")?;
    let header: Value = serde_json::from_str(first)
        .map_err(|e| format!("line 1 is not JSON ({e}): not a monscope trace file"))?;
    if header["type"] != "header" || header["format"] != "monscope-trace-v1" {
        return Err(
            "line 1 is not a monscope-trace-v1 header: open the output of `monscope real FILE --json`"
                .into(),
        );
    }
    let source = header["source"]
        .as_str()
        .ok_or("the header has no source")?
        .to_string();
    let nodes: Vec<String> = header["nodes"]
        .as_array()
        .ok_or("the header has no nodes")?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or("the header's nodes are not names")?;
    let end = header["end"].as_u64().ok_or("the header has no end time")?;
    // The last node is the client.
    let mons = nodes.len().saturating_sub(1);
    let mut changes: Vec<Vec<(Time, MonState)>> = vec![Vec::new(); mons];
    for (i, line) in lines {
        let ev: Value =
            serde_json::from_str(line).map_err(|e| format!("line {} is not JSON: {e}", i + 1))?;
        if ev["type"] != "status" {
            continue;
        }
        let bad = || format!("line {}: a status event without at, node or state", i + 1);
        let at = ev["at"].as_u64().ok_or_else(bad)?;
        let node = ev["node"].as_u64().ok_or_else(bad)? as usize;
        let state = ev["status"]["state"]
            .as_str()
            .and_then(|s| MonState::from_name(&s.to_lowercase()))
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
