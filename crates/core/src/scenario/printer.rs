//! Printer for the scenario language: the canonical text of a statement.
//! `parse(print(s))` gives back the same statements.

use super::ast::*;
use super::units::format_percent;
use crate::mon::config::OptionValue;
use crate::time::format_duration;

/// The whole scenario, one statement per line, ending with a newline.
pub fn print(s: &Scenario) -> String {
    let mut out = String::new();
    for stmt in &s.stmts {
        out.push_str(&print_stmt(stmt));
        out.push('\n');
    }
    out
}

/// One statement, without a newline.
pub fn print_stmt(stmt: &Stmt) -> String {
    match &stmt.kind {
        StmtKind::Title(t) => format!("title {}", quote(t)),
        StmtKind::Describe(t) => format!("describe {}", quote(t)),
        StmtKind::Mons(names) => format!("mons {}", names.join(" ")),
        StmtKind::Strategy(s) => format!("strategy {}", s.name()),
        StmtKind::Disallow(names) => format!("disallow {}", names.join(" ")),
        StmtKind::Seed(n) => format!("seed {n}"),
        StmtKind::Latency(l) => format!("latency {}", latency(l)),
        StmtKind::Loss(p) => format!("loss {}", format_percent(*p)),
        StmtKind::Link(rule) => {
            let setting = match &rule.setting {
                LinkSetting::Latency(l) => format!("latency {}", latency(l)),
                LinkSetting::Loss(p) => format!("loss {}", format_percent(*p)),
            };
            format!("link {} {setting}", ends(&rule.a, &rule.b, rule.one_way))
        }
        StmtKind::Set { name, value } => format!("set {name} {}", option_value(value)),
        StmtKind::End(t) => format!("end {}", format_duration(*t)),
        StmtKind::At { at, action } => {
            format!("at {} {}", format_duration(*at), print_action(action))
        }
    }
}

/// An action as written after `at T `.
pub fn print_action(action: &Action) -> String {
    match action {
        Action::Start(Targets::All) => "start all".to_string(),
        Action::Start(Targets::Names(n)) => format!("start {}", n.join(" ")),
        Action::Kill(n) => format!("kill {}", n.join(" ")),
        Action::Revive(n) => format!("revive {}", n.join(" ")),
        Action::Wipe(n) => format!("wipe {}", n.join(" ")),
        Action::CallElection(n) => format!("call-election {n}"),
        Action::Skew(n, us) => {
            let sign = if *us < 0 { "-" } else { "" };
            format!("skew {n} {sign}{}", format_duration(us.unsigned_abs()))
        }
        Action::Add(n) => format!("add {n}"),
        Action::Remove(n) => format!("remove {n}"),
        Action::Cut { a, b, one_way } => format!("cut {}", ends(a, b, *one_way)),
        Action::Restore { a, b, one_way } => format!("restore {}", ends(a, b, *one_way)),
        Action::Partition(groups) => {
            let groups: Vec<String> = groups.iter().map(|g| g.join(" ")).collect();
            format!("partition {}", groups.join(" | "))
        }
        Action::Isolate(n) => format!("isolate {n}"),
        Action::Heal => "heal".to_string(),
        Action::Write { key, value, via } => write_statement(key, value, via),
        Action::Read { key, via } => format!("read {}{}", word(key), via_suffix(via)),
        Action::Note(t) => format!("note {}", quote(t)),
        Action::Expect(e) => format!("expect {}", print_expectation(e)),
    }
}

/// An expectation as written after `expect `.
pub fn print_expectation(e: &Expectation) -> String {
    match e {
        Expectation::Leader(Some(n)) => format!("leader {n}"),
        Expectation::Leader(None) => "leader none".to_string(),
        Expectation::Quorum(n) => format!("quorum {}", n.join(" ")),
        Expectation::QuorumAll => "quorum all".to_string(),
        Expectation::Monmap(n) => format!("monmap {}", n.join(" ")),
        Expectation::State(n, st) => format!("state {n} {}", st.name()),
        Expectation::Was(n, st) => format!("was {n} {}", st.name()),
        Expectation::Epoch(EpochExpect::Is(n)) => format!("epoch {n}"),
        Expectation::Epoch(EpochExpect::Even) => "epoch even".to_string(),
        Expectation::Epoch(EpochExpect::Odd) => "epoch odd".to_string(),
        Expectation::Agree => "agree".to_string(),
        Expectation::QuorumStable(d) => format!("quorum-stable for {}", format_duration(*d)),
        Expectation::Stable(d) => format!("stable for {}", format_duration(*d)),
        Expectation::Unstable(d) => format!("unstable for {}", format_duration(*d)),
        Expectation::Committed(k, v) => format!("committed {} {}", word(k), word(v)),
        Expectation::Missing(k) => format!("missing {}", word(k)),
        Expectation::Version(n, op, VersionRef::Count(v)) => {
            format!("version {n} {} {v}", op.symbol())
        }
        Expectation::Version(n, op, VersionRef::Of(m)) => {
            format!("version {n} {} {m}", op.symbol())
        }
        Expectation::Health(checks) if checks.is_empty() => "health ok".to_string(),
        Expectation::Health(checks) => format!("health {}", checks.join(" ")),
        Expectation::MaxLeaders(n) => format!("max-leaders {n}"),
        Expectation::Safe => "safe".to_string(),
    }
}

fn latency(l: &Latency) -> String {
    match l {
        Latency::Fixed(d) => format_duration(*d),
        Latency::Uniform(lo, hi) => format!("{}..{}", format_duration(*lo), format_duration(*hi)),
    }
}

fn ends(a: &str, b: &str, one_way: bool) -> String {
    if one_way {
        format!("{a} -> {b}")
    } else {
        format!("{a} {b}")
    }
}

fn via_suffix(via: &Option<String>) -> String {
    via.as_ref().map_or(String::new(), |n| format!(" via {n}"))
}

fn option_value(v: &OptionValue) -> String {
    match v {
        OptionValue::Duration(d) => format_duration(*d),
        // The shortest decimal that reads back as the same f64, never in
        // exponent form (as `format!("{f}")`, without the standard library's
        // float printer). The parser's floats always have one.
        OptionValue::Float(f) => {
            crate::fixed::shortest(*f).unwrap_or_else(|| crate::fixed::Fixed(*f, 19).to_string())
        }
        OptionValue::Count(n) => n.to_string(),
    }
}

/// `"..."` with `"` and `\` escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `write KEY VALUE [via NAME]`, written in place at its length when the
/// words are bare: the benchmark's every write is one, and `format!` and
/// the words' copies were 2% of its instructions (the page's simulation
/// worker prints the same statements).
fn write_statement(key: &str, value: &str, via: &Option<String>) -> String {
    let via_len = via.as_ref().map_or(0, |n| " via ".len() + n.len());
    let mut s = String::with_capacity("write  ".len() + key.len() + value.len() + via_len);
    s.push_str("write ");
    push_word(&mut s, key);
    s.push(' ');
    push_word(&mut s, value);
    if let Some(n) = via {
        s.push_str(" via ");
        s.push_str(n);
    }
    s
}

/// [`word`], onto `out`.
fn push_word(out: &mut String, s: &str) {
    match plain(s) {
        true => out.push_str(s),
        false => out.push_str(&quote(s)),
    }
}

/// Whether `s` reads back as the same single word, unquoted.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '#'))
}

/// A KEY or VALUE: bare when it reads back as the same single word.
fn word(s: &str) -> String {
    if plain(s) {
        s.to_string()
    } else {
        quote(s)
    }
}
