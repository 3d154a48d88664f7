//! Every user action is a scenario line: `at <playhead> <action>`, inserted in
//! time order into the scenario text. Pure text in, text out.

use monscope_core::scenario::printer::print_action;
use monscope_core::scenario::{self, StmtKind};
use monscope_core::time::{format_duration, Time, MS};

/// The playhead as a scenario time: rounded up to a whole millisecond, so
/// the line reads well and still comes after everything the user saw.
pub fn at_text(t: Time) -> String {
    format_duration(t.div_ceil(MS) * MS)
}

/// The time [`at_text`] stands for.
pub fn at_time(t: Time) -> Time {
    t.div_ceil(MS) * MS
}

/// `text` with `at <t> <action>` inserted after the last timed statement at
/// or before `t` (before the first later one, else at the end). The result
/// must parse, else the parse error (with its line) is returned.
pub fn insert_at(text: &str, t: Time, action: &str) -> Result<String, String> {
    let parsed = scenario::parse(text).map_err(|e| format!("the scenario has an error: {e}"))?;
    let t = at_time(t);
    let new_line = format!("at {} {action}", at_text(t));
    let mut after: Option<u32> = None;
    let mut before: Option<u32> = None;
    for stmt in &parsed.stmts {
        if let StmtKind::At { at, .. } = stmt.kind {
            if at <= t {
                after = Some(stmt.pos.line);
            } else if before.is_none() {
                before = Some(stmt.pos.line);
            }
        }
    }
    let mut lines: Vec<&str> = text.split('\n').collect();
    // A trailing newline leaves an empty last element; insert before it.
    let trailing = lines.last().is_some_and(|l| l.is_empty()) && lines.len() > 1;
    let index = match (after, before) {
        (Some(line), _) => line as usize,
        (None, Some(line)) => line as usize - 1,
        (None, None) => lines.len() - usize::from(trailing),
    };
    let index = index.min(lines.len());
    lines.insert(index, &new_line);
    let mut out = lines.join("\n");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let done = scenario::parse(&out).map_err(|e| format!("{new_line}: {}", e.message))?;
    // The same action at the same time twice is one action (a double click,
    // a key held down): say so instead of adding it again.
    let line = index as u32 + 1;
    let same = |s: &scenario::Timed| (s.at, print_action(&s.action));
    if let Some(a) = done.timed.iter().find(|s| s.pos.line == line).map(same) {
        if done
            .timed
            .iter()
            .any(|s| s.pos.line != line && same(s) == a)
        {
            return Err(format!("\"{new_line}\" is already in the scenario."));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::time::SEC;

    #[test]
    fn lines_go_in_time_order() {
        let text = "mons a b c\nat 10s kill a\nat 20s revive a\n";
        let out = insert_at(text, 15 * SEC, "cut a b").unwrap();
        assert_eq!(
            out,
            "mons a b c\nat 10s kill a\nat 15s cut a b\nat 20s revive a\n"
        );
        let out = insert_at(text, 5 * SEC + 1, "heal").unwrap();
        assert_eq!(
            out,
            "mons a b c\nat 5.001s heal\nat 10s kill a\nat 20s revive a\n"
        );
        let out = insert_at(text, 25 * SEC, "heal").unwrap();
        assert!(out.ends_with("at 20s revive a\nat 25s heal\n"), "{out}");
        let out = insert_at("mons a b c", 0, "kill a").unwrap();
        assert_eq!(out, "mons a b c\nat 0s kill a\n");
        // Same time: after the existing line, so it runs after it.
        let out = insert_at(text, 10 * SEC, "kill b").unwrap();
        assert!(out.contains("at 10s kill a\nat 10s kill b\n"), "{out}");
    }

    #[test]
    fn the_same_action_at_the_same_time_is_not_added_twice() {
        let text = "mons a b c\nat 18.215s partition b | c\n";
        let e = insert_at(text, 18_215_000, "partition b | c").unwrap_err();
        assert_eq!(
            e,
            "\"at 18.215s partition b | c\" is already in the scenario."
        );
        // Written differently, the same action.
        assert!(insert_at(text, 18_215_000, "partition  b|c").is_err());
        // Another time, or another action, is added.
        assert!(insert_at(text, 18_216_000, "partition b | c").is_ok());
        assert!(insert_at(text, 18_215_000, "partition a | c").is_ok());
    }

    #[test]
    fn bad_actions_are_errors_not_panics() {
        let text = "mons a b c\n";
        assert!(insert_at(text, SEC, "wipe a").is_err());
        assert!(insert_at(text, SEC, "kill zz").is_err());
        assert!(insert_at("mons a b c\nat 1s explode a\n", SEC, "heal").is_err());
        assert!(insert_at("", SEC, "heal").is_err());
    }
}

#[cfg(test)]
mod odd_actions {
    use super::*;
    use monscope_core::time::SEC;

    /// What the action buttons can make of odd input: a line that parses, or
    /// an error that says what is wrong.
    #[test]
    fn odd_button_lines_are_clear_errors() {
        let text = "mons a b c\n";
        for (line, err) in [
            ("cut a a", "two different monitors"),
            ("cut a -> a", "two different monitors"),
            ("cut a client", "unknown monitor \"client\""),
            ("write k ", "expected a value"),
            ("skew a abc", "expected a duration with a unit"),
            ("partition a b", "at least two groups"),
            ("partition a | a", "named twice"),
        ] {
            let e = insert_at(text, SEC, line).unwrap_err();
            assert!(
                e.starts_with(&format!("at 1s {line}")) && e.contains(err),
                "{e}"
            );
        }
        for line in [
            "skew a -2s",
            "call-election a",
            "isolate a",
            "add d",
            "remove a",
        ] {
            let out = insert_at(text, SEC, line).unwrap();
            assert!(out.contains(&format!("at 1s {line}\n")), "{out}");
        }
    }
}
