//! `mon_status` (admin socket), asked only while a cluster is prepared
//! before the scenario's time 0 (the election strategy's set-up): during the
//! run the monitors are observed through their logs ([`crate::mon_log`]),
//! since each question is an audit line the cluster commits.
//!
//! Ceph's Monitor::_mon_status gives the state, rank, election epoch, the
//! quorum as ranks and the monmap (epoch, members in rank order, election
//! strategy, disallowed leaders).

use monscope_core::mon::status::MonState;
use monscope_core::mon::Rank;
use serde_json::Value;

/// What one `mon_status` answer says.
#[derive(Clone, Debug, PartialEq)]
pub struct MonStatusJson {
    pub name: String,
    pub state: MonState,
    /// -1 while the monitor is not in its monmap.
    pub rank: Rank,
    pub election_epoch: u32,
    /// Quorum members by name, in rank order (empty outside a quorum).
    pub quorum: Vec<String>,
    pub monmap_epoch: u32,
    /// The monmap's members in rank order.
    pub members: Vec<String>,
    /// monmap.election_strategy: 1 classic, 2 disallow, 3 connectivity.
    pub election_strategy: u64,
    /// monmap.disallowed_leaders, by name.
    pub disallowed_leaders: Vec<String>,
}

impl MonStatusJson {
    pub fn name_of(&self, rank: Rank) -> Option<&str> {
        usize::try_from(rank)
            .ok()
            .and_then(|r| self.members.get(r))
            .map(String::as_str)
    }
}

/// Ceph's state names (Monitor::get_state_name); "shutdown" is Down.
pub fn state_of(name: &str) -> Option<MonState> {
    Some(match name {
        "probing" => MonState::Probing,
        "synchronizing" => MonState::Synchronizing,
        "electing" => MonState::Electing,
        "leader" => MonState::Leader,
        "peon" => MonState::Peon,
        "shutdown" => MonState::Down,
        _ => return None,
    })
}

pub fn parse(text: &str) -> Result<MonStatusJson, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("mon_status: {e}"))?;
    let field = |k: &str| v.get(k).ok_or_else(|| format!("mon_status has no \"{k}\""));
    let state_name = field("state")?.as_str().unwrap_or("");
    let state =
        state_of(state_name).ok_or_else(|| format!("mon_status: unknown state {state_name:?}"))?;
    let monmap = field("monmap")?;
    let mut mons: Vec<(i64, String)> = monmap
        .get("mons")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some((
                        m.get("rank")?.as_i64()?,
                        m.get("name")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    mons.sort();
    let members: Vec<String> = mons.into_iter().map(|(_, n)| n).collect();
    let quorum_ranks: Vec<i64> = field("quorum")?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let mut quorum_ranks = quorum_ranks;
    quorum_ranks.sort_unstable();
    let quorum = quorum_ranks
        .iter()
        .filter_map(|&r| {
            usize::try_from(r)
                .ok()
                .and_then(|r| members.get(r))
                .cloned()
        })
        .collect();
    // Pacific prints the key with a typo: "disallowed_leaders: " (MonMap::dump).
    let disallowed = monmap
        .get("disallowed_leaders: ")
        .or_else(|| monmap.get("disallowed_leaders"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(MonStatusJson {
        name: field("name")?.as_str().unwrap_or("").to_string(),
        state,
        rank: field("rank")?.as_i64().unwrap_or(-1) as Rank,
        election_epoch: field("election_epoch")?.as_u64().unwrap_or(0) as u32,
        quorum,
        monmap_epoch: monmap.get("epoch").and_then(Value::as_u64).unwrap_or(0) as u32,
        members,
        election_strategy: monmap
            .get("election_strategy")
            .and_then(Value::as_u64)
            .unwrap_or(1),
        disallowed_leaders: disallowed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from ceph-mon 16.2.15 on this machine (three monitors a b c).
    const LEADER: &str = include_str!("../tests/data/mon_status_leader.json");
    const PEON: &str = include_str!("../tests/data/mon_status_peon.json");
    const ELECTING: &str = include_str!("../tests/data/mon_status_electing.json");

    #[test]
    fn a_leaders_mon_status_gives_its_quorum_by_name_and_the_monmap_epoch() {
        let s = parse(LEADER).unwrap();
        assert_eq!(s.name, "a");
        assert_eq!(s.state, MonState::Leader);
        assert_eq!(s.rank, 0);
        assert_eq!(s.election_epoch, 4);
        assert_eq!(*s.quorum, ["a", "b", "c"]);
        assert_eq!(s.monmap_epoch, 1);
        assert_eq!(s.members, ["a", "b", "c"]);
        assert_eq!(s.election_strategy, 1);
        assert!(s.disallowed_leaders.is_empty());
    }

    #[test]
    fn a_peons_rank_is_its_monmap_rank() {
        let s = parse(PEON).unwrap();
        assert_eq!((s.name.as_str(), s.state, s.rank), ("b", MonState::Peon, 1));
        assert_eq!(s.name_of(2), Some("c"));
        assert_eq!(s.name_of(-1), None);
    }

    #[test]
    fn an_electing_monitor_has_an_odd_epoch_and_no_quorum() {
        let s = parse(ELECTING).unwrap();
        assert_eq!(s.state, MonState::Electing);
        assert_eq!(s.election_epoch % 2, 1);
        assert!(s.quorum.is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"state":"dancing"}"#).is_err());
    }
}
