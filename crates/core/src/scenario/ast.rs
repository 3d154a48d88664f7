//! The scenario language's syntax tree (shared/spec/scenario-language.md).
//! `stmts` keeps every statement as written, in file order, so printing and
//! re-parsing is the identity; the other fields of [`Scenario`] are the
//! resolved header values the simulator uses.

use crate::mon::config::{Config, OptionValue};
use crate::mon::monmap::Strategy;
use crate::mon::status::MonState;
use crate::time::{Duration, Time};

/// A position in the scenario text, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// One-way latency: fixed, or uniform in [lo, hi].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Fixed(Duration),
    Uniform(Duration, Duration),
}

/// A probability in parts per billion (100% = 1_000_000_000), so `0.5%` is exact.
pub type Ppb = u32;
pub const PPB_100_PERCENT: Ppb = 1_000_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum LinkSetting {
    Latency(Latency),
    Loss(Ppb),
}

/// `link A B ...` (both ways) or `link A -> B ...` (one way).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkRule {
    pub a: String,
    pub b: String,
    pub one_way: bool,
    pub setting: LinkSetting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// What `version NAME OP ...` compares NAME's last_committed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionRef {
    /// A paxos version.
    Count(u64),
    /// Another monitor's last_committed at the same time: a lagging monitor
    /// has caught up whatever the start-up committed (`version c = a`).
    Of(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochExpect {
    Is(u32),
    Even,
    Odd,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// `leader NAME` / `leader none`
    Leader(Option<String>),
    Quorum(Vec<String>),
    /// `quorum all`: the quorum is every member of the newest committed
    /// monmap (an extension of the spec; `all` is reserved, as in `start all`).
    QuorumAll,
    /// `monmap NAME...`: the newest committed monmap has exactly these members.
    Monmap(Vec<String>),
    State(String, MonState),
    Was(String, MonState),
    Epoch(EpochExpect),
    Agree,
    /// `quorum-stable [for D]` (D defaults to 30s).
    QuorumStable(Duration),
    Stable(Duration),
    Unstable(Duration),
    Committed(String, String),
    Missing(String),
    /// `version NAME OP N`, or `version NAME OP OTHER` (an extension of the
    /// spec: OTHER's last_committed at the same time).
    Version(String, CmpOp, VersionRef),
    /// `health ok` is an empty list.
    Health(Vec<String>),
    MaxLeaders(u32),
    Safe,
}

/// `start NAME...` or `start all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targets {
    All,
    Names(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Start(Targets),
    Kill(Vec<String>),
    Revive(Vec<String>),
    Wipe(Vec<String>),
    CallElection(String),
    /// Clock offset in microseconds (may be negative).
    Skew(String, i64),
    Add(String),
    Remove(String),
    Cut {
        a: String,
        b: String,
        one_way: bool,
    },
    Restore {
        a: String,
        b: String,
        one_way: bool,
    },
    Partition(Vec<Vec<String>>),
    Isolate(String),
    Heal,
    Write {
        key: String,
        value: String,
        via: Option<String>,
    },
    Read {
        key: String,
        via: Option<String>,
    },
    Note(String),
    Expect(Expectation),
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Title(String),
    Describe(String),
    Mons(Vec<String>),
    Strategy(Strategy),
    Disallow(Vec<String>),
    Seed(u64),
    Latency(Latency),
    Loss(Ppb),
    Link(LinkRule),
    Set { name: String, value: OptionValue },
    End(Time),
    At { at: Time, action: Action },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub pos: Pos,
    pub kind: StmtKind,
}

/// A timed statement, resolved: when, where it was written, what.
#[derive(Clone, Debug, PartialEq)]
pub struct Timed {
    pub at: Time,
    pub pos: Pos,
    pub action: Action,
}

/// A parsed and validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Every statement as written, in file order (comments and blank lines are not kept).
    pub stmts: Vec<Stmt>,
    pub title: Option<String>,
    pub describe: Vec<String>,
    pub mons: Vec<String>,
    pub strategy: Strategy,
    pub disallow: Vec<String>,
    pub seed: u64,
    pub latency: Latency,
    pub loss: Ppb,
    pub links: Vec<LinkRule>,
    /// Ceph's defaults with every `set` applied in file order.
    pub config: Config,
    /// When the run stops: `end`, else the last timed statement + 30s.
    pub end: Time,
    /// Timed statements in file order (which is time order; the parser checks).
    pub timed: Vec<Timed>,
    /// Whether the scenario has any `start`; if not, every monitor starts at 0s.
    pub has_start: bool,
}
