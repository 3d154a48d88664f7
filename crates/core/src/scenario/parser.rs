//! Parser for the scenario language (shared/spec/scenario-language.md).
//! Each line is parsed on its own into a [`Stmt`] (this file); then the whole
//! scenario is validated and resolved ([`super::check`]).

use super::ast::*;
use super::lexer::{tokenize, Token};
use super::units::{
    decimal_f64, decimal_times, is_name, parse_count, parse_duration, parse_percent, DecimalError,
};
use crate::mon::config::{Config, OptionKind, OptionValue};
use crate::mon::monmap::Strategy;
use crate::mon::status::MonState;
use crate::time::SEC;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    pub fn at(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            line: pos.line,
            col: pos.col,
            message: message.into(),
        }
    }
}

/// Parse and validate a scenario.
pub fn parse(text: &str) -> Result<Scenario, ParseError> {
    let mut parser = Parser::default();
    loop {
        if let Some(done) = parser.step(text, usize::MAX) {
            return done;
        }
    }
}

/// A parse that goes a number of lines at a time: the page parses a long
/// text (a one-hour scenario has 36,000 lines) in slices between frames.
/// Its result is [`parse`]'s.
#[derive(Default)]
pub struct Parser {
    lines: Vec<Line>,
    /// Byte offset of the next line; past the end once the last is read.
    next: usize,
    line_no: u32,
}

impl Parser {
    /// Read up to `max` more lines of `text` (the same text at every
    /// step); the scenario, or the first error, once the text is read.
    pub fn step(&mut self, text: &str, max: usize) -> Option<Result<Scenario, ParseError>> {
        for _ in 0..max {
            let Some(rest) = text.get(self.next..) else {
                return Some(super::check::resolve(std::mem::take(&mut self.lines)));
            };
            let raw = match rest.find('\n') {
                Some(i) => &rest[..i],
                None => rest,
            };
            self.next += raw.len() + 1;
            self.line_no = self.line_no.saturating_add(1);
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let tokens = match tokenize(self.line_no, raw) {
                Ok(t) if t.is_empty() => continue,
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            match parse_line(&tokens) {
                Ok(line) => self.lines.push(line),
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}

/// A monitor name as written, for validation against `mons`.
#[derive(Clone, Debug)]
pub(super) struct NameRef {
    pub name: String,
    pub pos: Pos,
}

/// One parsed line plus the positions validation needs.
#[derive(Clone, Debug)]
pub(super) struct Line {
    pub stmt: Stmt,
    /// Every monitor name the statement refers to, in order (for `partition`,
    /// group after group). `add NAME` names a new monitor and is not listed.
    pub names: Vec<NameRef>,
    /// The time token of `at T`.
    pub time: Pos,
    /// The token that says what the statement does: the action or expectation
    /// keyword of a timed statement, else the first argument (or the keyword).
    pub key: Pos,
    /// The argument of `end`, or `latency`'s value, or the first argument
    /// of a timed action (the new name of `add`).
    pub arg: Pos,
}

const STATEMENTS: &str = "title describe mons strategy disallow seed latency loss link set end at";
const ACTIONS: &str = "start kill revive wipe call-election skew add remove cut restore partition isolate heal write read note expect";
const EXPECTATIONS: &str = "leader quorum monmap state was epoch agree quorum-stable stable unstable committed missing version health max-leaders safe";
const STATES: &str = "probing synchronizing electing leader peon down";
const HEALTH_CHECKS: &[&str] = &["MON_DOWN", "MON_CLOCK_SKEW"];

fn pos_of(t: &Token) -> Pos {
    Pos {
        line: t.line,
        col: t.col,
    }
}

/// A cursor over one line's tokens.
struct Cursor<'a> {
    toks: &'a [Token],
    i: usize,
    refs: Vec<NameRef>,
}

impl<'a> Cursor<'a> {
    /// Where a missing token would go: just past the last one.
    fn eol(&self) -> Pos {
        self.toks.last().map_or(Pos { line: 1, col: 1 }, |t| Pos {
            line: t.line,
            col: t.end,
        })
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }

    fn at_end(&self) -> bool {
        self.i >= self.toks.len()
    }

    /// The next token, which must exist; `what` says what was expected.
    fn next(&mut self, what: &str) -> Result<&'a Token, ParseError> {
        match self.toks.get(self.i) {
            Some(t) => {
                self.i += 1;
                Ok(t)
            }
            None => Err(ParseError::at(self.eol(), format!("expected {what}"))),
        }
    }

    /// The next token, which must be a bare word.
    fn word(&mut self, what: &str) -> Result<&'a Token, ParseError> {
        let t = self.next(what)?;
        if t.quoted {
            return Err(ParseError::at(
                pos_of(t),
                format!("expected {what}, found a string"),
            ));
        }
        Ok(t)
    }

    fn keyword(&mut self, what: &str, options: &[&str]) -> Result<&'a Token, ParseError> {
        let t = self.word(what)?;
        if options.contains(&t.text.as_str()) {
            Ok(t)
        } else {
            Err(found(t, what))
        }
    }

    /// The next token, a bare word of `list` (words separated by spaces);
    /// the error says "expected {kind} ({list})". The message is made only
    /// for an error: a long scenario's parse is on the page's main thread.
    fn keyword_in(&mut self, kind: &str, list: &str) -> Result<&'a Token, ParseError> {
        match self.peek() {
            Some(t) if !t.quoted && listed(list, &t.text) => {
                self.i += 1;
                Ok(t)
            }
            _ => self.keyword(&format!("{kind} ({list})"), &split_words(list)),
        }
    }

    fn string(&mut self, what: &str) -> Result<String, ParseError> {
        let t = self.next(what)?;
        if !t.quoted {
            return Err(found(t, what));
        }
        Ok(t.text.clone())
    }

    /// A KEY or VALUE: a bare word or a string.
    fn text(&mut self, what: &str) -> Result<String, ParseError> {
        Ok(self.next(what)?.text.clone())
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let t = self.word("a monitor name")?;
        self.check_name(t)?;
        Ok(t.text.clone())
    }

    fn check_name(&mut self, t: &Token) -> Result<(), ParseError> {
        if !is_name(&t.text) {
            return Err(ParseError::at(
                pos_of(t),
                format!(
                    "expected a monitor name (a lower-case letter, then up to 15 of a-z 0-9 -), found \"{}\"",
                    t.text
                ),
            ));
        }
        self.refs.push(NameRef {
            name: t.text.clone(),
            pos: pos_of(t),
        });
        Ok(())
    }

    /// One or more names up to the end of the line.
    fn names(&mut self) -> Result<Vec<String>, ParseError> {
        let mut v = vec![self.name()?];
        while !self.at_end() {
            v.push(self.name()?);
        }
        Ok(v)
    }

    fn duration(&mut self, what: &str) -> Result<(u64, Pos), ParseError> {
        let t = self.word(what)?;
        let d = parse_duration(&t.text).map_err(|m| ParseError::at(pos_of(t), m))?;
        Ok((d, pos_of(t)))
    }

    fn count(&mut self, what: &str) -> Result<u64, ParseError> {
        let t = self.word(what)?;
        parse_count(&t.text, what).map_err(|m| ParseError::at(pos_of(t), m))
    }

    fn small_count(&mut self, what: &str) -> Result<u32, ParseError> {
        let t = self.peek();
        let n = self.count(what)?;
        u32::try_from(n)
            .map_err(|_| ParseError::at(t.map_or(self.eol(), pos_of), format!("{n} is too large")))
    }

    /// `A B` or `A -> B`.
    fn link_ends(&mut self) -> Result<(String, String, bool), ParseError> {
        let a = self.name()?;
        let one_way = self.peek().is_some_and(|t| !t.quoted && t.text == "->");
        if one_way {
            self.i += 1;
        }
        let b = self.name()?;
        Ok((a, b, one_way))
    }

    /// `[for D]`, defaulting to 30s.
    fn for_duration(&mut self) -> Result<u64, ParseError> {
        if self.at_end() {
            return Ok(30 * SEC);
        }
        self.keyword("\"for\" or the end of the line", &["for"])?;
        Ok(self.duration("a duration after \"for\"")?.0)
    }

    fn via(&mut self) -> Result<Option<String>, ParseError> {
        if self.at_end() {
            return Ok(None);
        }
        self.keyword("\"via\" or the end of the line", &["via"])?;
        Ok(Some(self.name()?))
    }

    fn finish(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(ParseError::at(
                pos_of(t),
                format!(
                    "unexpected {}: expected the end of the line",
                    describe_token(t)
                ),
            )),
        }
    }
}

fn describe_token(t: &Token) -> String {
    if t.quoted {
        "string".to_string()
    } else {
        format!("\"{}\"", t.text)
    }
}

fn found(t: &Token, what: &str) -> ParseError {
    ParseError::at(
        pos_of(t),
        format!("expected {what}, found {}", describe_token(t)),
    )
}

/// Whether `word` is one of `list`'s space-separated words.
fn listed(list: &str, word: &str) -> bool {
    list.as_bytes()
        .split(|&b| b == b' ')
        .any(|w| w == word.as_bytes())
}

fn split_words(list: &str) -> Vec<&str> {
    list.split(' ').collect()
}

fn parse_line(toks: &[Token]) -> Result<Line, ParseError> {
    let mut c = Cursor {
        toks,
        i: 0,
        refs: Vec::new(),
    };
    let kw = c.keyword_in("a statement", STATEMENTS)?;
    let pos = pos_of(kw);
    let mut time = pos;
    let mut key = c.peek().map_or(pos, pos_of);
    let mut arg = key;
    let kind = match kw.text.as_str() {
        "title" => StmtKind::Title(c.string("a quoted title, e.g. title \"Leader failure\"")?),
        "describe" => StmtKind::Describe(c.string("a quoted text, e.g. describe \"...\"")?),
        "mons" => {
            // An empty list is reported by validation, which knows the limits.
            let mut v = Vec::new();
            while !c.at_end() {
                v.push(c.name()?);
            }
            StmtKind::Mons(v)
        }
        "strategy" => {
            let t = c.keyword(
                "a strategy (classic disallow connectivity)",
                &["classic", "disallow", "connectivity"],
            )?;
            StmtKind::Strategy(match t.text.as_str() {
                "classic" => Strategy::Classic,
                "disallow" => Strategy::Disallow,
                _ => Strategy::Connectivity,
            })
        }
        "disallow" => StmtKind::Disallow(c.names()?),
        "seed" => StmtKind::Seed(c.count("a seed")?),
        "latency" => StmtKind::Latency(latency(&mut c)?),
        "loss" => StmtKind::Loss(percent(&mut c)?),
        "link" => {
            let (a, b, one_way) = c.link_ends()?;
            let t = c.keyword("\"latency\" or \"loss\"", &["latency", "loss"])?;
            let setting = if t.text == "latency" {
                LinkSetting::Latency(latency(&mut c)?)
            } else {
                LinkSetting::Loss(percent(&mut c)?)
            };
            StmtKind::Link(LinkRule {
                a,
                b,
                one_way,
                setting,
            })
        }
        "set" => set(&mut c)?,
        "end" => {
            let (d, p) = c.duration("a duration")?;
            arg = p;
            StmtKind::End(d)
        }
        _ => {
            let (at, p) = c.duration("a time, e.g. at 30s")?;
            time = p;
            key = c.peek().map_or(c.eol(), pos_of);
            arg = c.toks.get(c.i + 1).map_or(key, pos_of);
            StmtKind::At {
                at,
                action: action(&mut c)?,
            }
        }
    };
    c.finish()?;
    Ok(Line {
        stmt: Stmt { pos, kind },
        names: c.refs,
        time,
        key,
        arg,
    })
}

fn latency(c: &mut Cursor) -> Result<Latency, ParseError> {
    let what = "a latency like 5ms or 2ms..10ms";
    let t = c.word(what)?;
    let p = pos_of(t);
    let Some((lo, hi)) = t.text.split_once("..") else {
        let d = parse_duration(&t.text).map_err(|m| ParseError::at(p, m))?;
        return Ok(Latency::Fixed(d));
    };
    let lo_d = parse_duration(lo).map_err(|m| ParseError::at(p, m))?;
    let hi_pos = Pos {
        line: p.line,
        col: p
            .col
            .saturating_add(lo.chars().count() as u32)
            .saturating_add(2),
    };
    let hi_d = parse_duration(hi).map_err(|m| ParseError::at(hi_pos, m))?;
    if lo_d > hi_d {
        return Err(ParseError::at(
            p,
            format!("latency range {lo}..{hi} is backwards: expected the smaller value first"),
        ));
    }
    Ok(Latency::Uniform(lo_d, hi_d))
}

fn percent(c: &mut Cursor) -> Result<Ppb, ParseError> {
    let t = c.word("a percentage like 1% or 0.5%")?;
    parse_percent(&t.text).map_err(|m| ParseError::at(pos_of(t), m))
}

/// `set OPTION VALUE`: the value is converted by the option's kind and checked
/// by [`Config::set`] so that errors point at the value.
fn set(c: &mut Cursor) -> Result<StmtKind, ParseError> {
    let t = c.word("an option name, e.g. set mon_lease 10s")?;
    let name = t.text.clone();
    let Some(kind) = Config::kind_of(&name) else {
        let message = match Config::default().set(&name, OptionValue::Count(0)) {
            Err(m) => m,
            Ok(()) => format!("unknown option \"{name}\""),
        };
        return Err(ParseError::at(pos_of(t), message));
    };
    let v = c.word(&format!("a value for {name}"))?;
    let p = pos_of(v);
    let value = match kind {
        OptionKind::Seconds => {
            let d = if v.text.bytes().last().is_some_and(|b| b.is_ascii_digit()) {
                decimal_times(&v.text, SEC).map_err(|e| {
                    let m = match e {
                        DecimalError::Syntax => format!(
                            "expected a duration for {name} (like 5s, 500ms, or a number of seconds), found \"{}\"",
                            v.text
                        ),
                        DecimalError::TooFine => {
                            format!("\"{}\" is not a whole number of microseconds", v.text)
                        }
                        DecimalError::TooLarge => format!("\"{}\" is too large", v.text),
                    };
                    ParseError::at(p, m)
                })?
            } else {
                parse_duration(&v.text).map_err(|m| ParseError::at(p, m))?
            };
            OptionValue::Duration(d)
        }
        OptionKind::Float => match decimal_f64(&v.text) {
            Some(f) => OptionValue::Float(f),
            _ => {
                return Err(ParseError::at(
                    p,
                    format!(
                        "expected a number for {name} (like 0.5), found \"{}\"",
                        v.text
                    ),
                ))
            }
        },
        OptionKind::Count => OptionValue::Count(
            parse_count(&v.text, &format!("a value for {name}"))
                .map_err(|m| ParseError::at(p, m))?,
        ),
    };
    Config::default()
        .set(&name, value)
        .map_err(|m| ParseError::at(p, m))?;
    Ok(StmtKind::Set { name, value })
}

fn action(c: &mut Cursor) -> Result<Action, ParseError> {
    let kw = c.keyword_in("an action", ACTIONS)?;
    Ok(match kw.text.as_str() {
        "start" => {
            if c.peek().is_some_and(|t| !t.quoted && t.text == "all") {
                c.i += 1;
                Action::Start(Targets::All)
            } else {
                Action::Start(Targets::Names(c.names()?))
            }
        }
        "kill" => Action::Kill(c.names()?),
        "revive" => Action::Revive(c.names()?),
        "wipe" => Action::Wipe(c.names()?),
        "call-election" => Action::CallElection(c.name()?),
        "skew" => {
            let name = c.name()?;
            let t = c.word("a clock offset like 300ms or -300ms")?;
            let (neg, text) = match t.text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, t.text.as_str()),
            };
            let d = parse_duration(text).map_err(|m| ParseError::at(pos_of(t), m))?;
            let d = i64::try_from(d)
                .map_err(|_| ParseError::at(pos_of(t), format!("\"{}\" is too large", t.text)))?;
            Action::Skew(name, if neg { -d } else { d })
        }
        "add" => {
            let t = c.word("a new monitor name")?;
            if !is_name(&t.text) {
                return Err(found(
                    t,
                    "a new monitor name (a lower-case letter, then up to 15 of a-z 0-9 -)",
                ));
            }
            Action::Add(t.text.clone())
        }
        "remove" => Action::Remove(c.name()?),
        "cut" | "restore" => {
            let (a, b, one_way) = c.link_ends()?;
            if kw.text == "cut" {
                Action::Cut { a, b, one_way }
            } else {
                Action::Restore { a, b, one_way }
            }
        }
        "partition" => partition(c)?,
        "isolate" => Action::Isolate(c.name()?),
        "heal" => Action::Heal,
        "write" => {
            let key = c.text("a key")?;
            let value = c.text("a value")?;
            Action::Write {
                key,
                value,
                via: c.via()?,
            }
        }
        "read" => {
            let key = c.text("a key")?;
            Action::Read { key, via: c.via()? }
        }
        "note" => Action::Note(c.string("a quoted caption, e.g. note \"...\"")?),
        _ => Action::Expect(expectation(c)?),
    })
}

/// `partition a b | c | d`; `|` may also touch the names (`a|b`).
fn partition(c: &mut Cursor) -> Result<Action, ParseError> {
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    let mut bar_pos = c.eol();
    while let Some(t) = c.peek() {
        c.i += 1;
        if t.quoted {
            return Err(found(t, "a monitor name or |"));
        }
        let mut col = t.col;
        for (k, piece) in t.text.split('|').enumerate() {
            if k > 0 {
                // The piece follows a `|` one column to its left.
                bar_pos = Pos {
                    line: t.line,
                    col: col.saturating_sub(1),
                };
                if groups.last().is_some_and(|g| g.is_empty()) {
                    return Err(ParseError::at(bar_pos, "expected a monitor name before |"));
                }
                groups.push(Vec::new());
            }
            if !piece.is_empty() {
                let sub = Token {
                    text: piece.to_string(),
                    quoted: false,
                    line: t.line,
                    col,
                    end: col.saturating_add(piece.chars().count() as u32),
                };
                c.check_name(&sub)?;
                if let Some(g) = groups.last_mut() {
                    g.push(piece.to_string());
                }
            }
            col = col
                .saturating_add(piece.chars().count() as u32)
                .saturating_add(1);
        }
    }
    if groups.last().is_some_and(|g| g.is_empty()) {
        let p = if groups.len() > 1 { bar_pos } else { c.eol() };
        let m = if groups.len() > 1 {
            "expected a monitor name after |"
        } else {
            "expected monitor names in groups separated by |, e.g. partition a b | c"
        };
        return Err(ParseError::at(p, m));
    }
    if groups.len() < 2 {
        return Err(ParseError::at(
            c.eol(),
            "a partition needs at least two groups separated by |, e.g. partition a b | c",
        ));
    }
    Ok(Action::Partition(groups))
}

fn expectation(c: &mut Cursor) -> Result<Expectation, ParseError> {
    let kw = c.keyword_in("an expectation", EXPECTATIONS)?;
    Ok(match kw.text.as_str() {
        "leader" => {
            if c.peek().is_some_and(|t| !t.quoted && t.text == "none") {
                c.i += 1;
                Expectation::Leader(None)
            } else {
                Expectation::Leader(Some(c.name()?))
            }
        }
        "quorum" => {
            if c.peek().is_some_and(|t| !t.quoted && t.text == "all") {
                c.i += 1;
                Expectation::QuorumAll
            } else {
                Expectation::Quorum(c.names()?)
            }
        }
        "monmap" => Expectation::Monmap(c.names()?),
        "state" | "was" => {
            let name = c.name()?;
            let what = format!("a state ({STATES})");
            let t = c.word(&what)?;
            let state = MonState::from_name(&t.text).ok_or_else(|| found(t, &what))?;
            if kw.text == "state" {
                Expectation::State(name, state)
            } else {
                Expectation::Was(name, state)
            }
        }
        "epoch" => {
            let what = "an election epoch (a whole number, even or odd)";
            match c.peek() {
                Some(t) if !t.quoted && t.text == "even" => {
                    c.i += 1;
                    Expectation::Epoch(EpochExpect::Even)
                }
                Some(t) if !t.quoted && t.text == "odd" => {
                    c.i += 1;
                    Expectation::Epoch(EpochExpect::Odd)
                }
                _ => Expectation::Epoch(EpochExpect::Is(c.small_count(what)?)),
            }
        }
        "agree" => Expectation::Agree,
        "quorum-stable" => Expectation::QuorumStable(c.for_duration()?),
        "stable" => Expectation::Stable(c.for_duration()?),
        "unstable" => Expectation::Unstable(c.for_duration()?),
        "committed" => {
            let key = c.text("a key")?;
            Expectation::Committed(key, c.text("a value")?)
        }
        "missing" => Expectation::Missing(c.text("a key")?),
        "version" => {
            let name = c.name()?;
            let ops = ["=", "!=", "<", "<=", ">", ">="];
            let t = c.keyword("a comparison (= != < <= > >=)", &ops)?;
            let op = match t.text.as_str() {
                "=" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            let what = "a paxos version or a monitor name";
            let against = match c.peek() {
                Some(t) if !t.quoted && t.text.starts_with(|ch: char| ch.is_ascii_lowercase()) => {
                    VersionRef::Of(c.name()?)
                }
                _ => VersionRef::Count(c.count(what)?),
            };
            Expectation::Version(name, op, against)
        }
        "health" => {
            let what = "ok or health checks (MON_DOWN MON_CLOCK_SKEW)";
            if c.peek().is_some_and(|t| !t.quoted && t.text == "ok") {
                c.i += 1;
                Expectation::Health(Vec::new())
            } else {
                let mut checks: Vec<String> = Vec::new();
                loop {
                    let t = c.keyword(what, HEALTH_CHECKS)?;
                    if checks.contains(&t.text) {
                        return Err(ParseError::at(
                            pos_of(t),
                            format!("health check {} is listed twice", t.text),
                        ));
                    }
                    checks.push(t.text.clone());
                    if c.at_end() {
                        break;
                    }
                }
                Expectation::Health(checks)
            }
        }
        "max-leaders" => Expectation::MaxLeaders(c.small_count("a number of leaders")?),
        _ => Expectation::Safe,
    })
}
