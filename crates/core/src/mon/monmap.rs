//! The MonMap: which monitors exist, their ranks and addresses, and the
//! election strategy. Rank = position in `mons`.

use super::{Addr, Rank};
use serde::Serialize;

/// Election strategy (monmap.strategy): CLASSIC = 1, DISALLOW = 2, CONNECTIVITY = 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Strategy {
    Classic = 1,
    Disallow = 2,
    Connectivity = 3,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Classic => "classic",
            Strategy::Disallow => "disallow",
            Strategy::Connectivity => "connectivity",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonInfo {
    pub name: String,
    pub addr: Addr,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonMap {
    pub epoch: u32,
    pub mons: Vec<MonInfo>,
    pub strategy: Strategy,
    /// Names of monitors that may not lead (monmap.disallowed_leaders).
    pub disallowed_leaders: Vec<String>,
}

impl MonMap {
    pub fn size(&self) -> usize {
        self.mons.len()
    }
    pub fn rank_of_name(&self, name: &str) -> Rank {
        self.mons
            .iter()
            .position(|m| m.name == name)
            .map_or(-1, |r| r as Rank)
    }
    pub fn rank_of_addr(&self, addr: Addr) -> Rank {
        self.mons
            .iter()
            .position(|m| m.addr == addr)
            .map_or(-1, |r| r as Rank)
    }
    pub fn addr_of(&self, rank: Rank) -> Option<Addr> {
        self.get(rank).map(|m| m.addr)
    }
    pub fn name_of(&self, rank: Rank) -> Option<&str> {
        self.get(rank).map(|m| m.name.as_str())
    }
    pub fn get(&self, rank: Rank) -> Option<&MonInfo> {
        usize::try_from(rank).ok().and_then(|r| self.mons.get(r))
    }
    pub fn contains_addr(&self, addr: Addr) -> bool {
        self.rank_of_addr(addr) >= 0
    }
    /// Ranks of the disallowed leaders that are in this map (§2.8).
    pub fn disallowed_ranks(&self) -> Vec<Rank> {
        let mut v: Vec<Rank> = self
            .disallowed_leaders
            .iter()
            .map(|n| self.rank_of_name(n))
            .filter(|r| *r >= 0)
            .collect();
        crate::mon::vecset::sort_small(&mut v);
        v
    }
    pub fn ranks(&self) -> impl Iterator<Item = Rank> {
        0..self.mons.len() as Rank
    }
}
