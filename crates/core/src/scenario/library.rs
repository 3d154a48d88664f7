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
}
