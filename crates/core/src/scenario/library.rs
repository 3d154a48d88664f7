//! The built-in scenarios: every `scenarios/*.mon` of the repository, compiled
//! in so the page and the wasm tests carry them. A test checks the list
//! matches the folder.

macro_rules! builtin {
    ($($stem:literal),* $(,)?) => {
        /// (file stem, scenario text), in the order the guided library presents them.
        pub const BUILTIN: &[(&str, &str)] = &[
            $(($stem, include_str!(concat!("../../../../scenarios/", $stem, ".mon")))),*
        ];
    };
}

builtin!(
    "three-mons-start",
    "five-mons-start",
    "late-joiner",
    "leader-failover",
    "peon-restart",
    "client-writes",
    "client-hunting",
    "uncommitted-recovery",
    "classic-broken-link",
    "classic-netsplit",
    "disallowed-leaders",
    "recent-sync",
    "full-sync-after-trim",
    "wipe-and-rebuild",
    "connectivity-broken-link",
    "stretch-tiebreaker",
    "connectivity-disallowed",
    "add-and-remove",
    "clock-skew",
    "connectivity-add-remove",
);

/// The text of the built-in scenario called `stem`.
pub fn get(stem: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(s, _)| *s == stem).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_file_is_built_in_and_parses() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "mon").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .collect();
        on_disk.sort();
        let mut built: Vec<String> = BUILTIN.iter().map(|(s, _)| s.to_string()).collect();
        built.sort();
        assert_eq!(on_disk, built, "scenarios/ and BUILTIN differ");
        for (stem, text) in BUILTIN {
            if let Err(e) = crate::scenario::parse(text) {
                panic!("{stem}.mon: {e}");
            }
        }
    }

    /// Issue 11: a note says what happens in plain words first; Ceph's names
    /// (functions, options, fields: anything with `::` or `_`) are the detail,
    /// in backticks, which the views set as code.
    #[test]
    fn every_builtin_note_says_what_happens_first_and_names_ceph_in_backticks() {
        use crate::scenario::ast::Action;
        use crate::trace::format::note_spans;
        for (stem, text) in BUILTIN {
            let scenario = crate::scenario::parse(text).unwrap();
            for stmt in &scenario.timed {
                let Action::Note(note) = &stmt.action else {
                    continue;
                };
                let spans = note_spans(note);
                assert!(
                    matches!(spans.first(), Some((false, words)) if words.trim().len() > 3),
                    "{stem}.mon: \"{note}\" does not start with plain words"
                );
                for (_, words) in spans.iter().filter(|(code, _)| !code) {
                    for word in
                        words.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    {
                        assert!(
                            !(word.contains("::") || word.trim_matches('_').contains('_')),
                            "{stem}.mon: \"{note}\" names `{word}` outside backticks"
                        );
                    }
                }
            }
        }
    }
}
