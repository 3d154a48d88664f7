//! Embed mode (`?embed=1`): its URL parameters, and the cluster summary it
//! reports to the host page. Pure, so it is tested natively; the browser side
//! is `components::embed` and `embed_api`.

use monscope_core::mon::status::{MonState, MonStatus};
use monscope_core::scenario::link::share_link;
use monscope_core::scenario::units::decimal_times;
use monscope_core::time::{Time, SEC};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

/// `?embed=1&autoplay=1&t=5&until=40&controls=0&theme=dark`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedParams {
    /// Play once the embed is scrolled into view.
    pub autoplay: bool,
    /// Where the playhead starts.
    pub t: Option<Time>,
    /// Where playing stops (the end of the excerpt).
    pub until: Option<Time>,
    /// Show play/pause/step and the slim timeline.
    pub controls: bool,
    /// None follows the reader's system preference.
    pub theme: Option<Theme>,
    /// Parameters that were given but not understood, as warnings.
    pub warnings: Vec<String>,
}

impl EmbedParams {
    /// Embed mode's parameters, or None without `embed=1`. Bad values are
    /// warned about and ignored, so an embed always shows something.
    #[inline(never)]
    pub fn parse(query: &str) -> Option<EmbedParams> {
        let pairs: Vec<(&str, &str)> = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        if !pairs.iter().any(|&(k, v)| k == "embed" && v != "0") {
            return None;
        }
        let mut p = EmbedParams {
            autoplay: false,
            t: None,
            until: None,
            controls: true,
            theme: None,
            warnings: Vec::new(),
        };
        for (k, v) in pairs {
            let flag = |p: &mut EmbedParams| match v {
                "1" | "true" | "" => Some(true),
                "0" | "false" => Some(false),
                _ => {
                    p.warnings
                        .push(format!("{k}={v}: expected 0 or 1; ignored"));
                    None
                }
            };
            let secs = |p: &mut EmbedParams| match decimal_times(v, SEC) {
                Ok(t) => Some(t),
                Err(_) => {
                    p.warnings
                        .push(format!("{k}={v}: expected seconds like 12.5; ignored"));
                    None
                }
            };
            match k {
                "autoplay" => p.autoplay = flag(&mut p).unwrap_or(p.autoplay),
                "controls" => p.controls = flag(&mut p).unwrap_or(p.controls),
                "t" => p.t = secs(&mut p).or(p.t),
                "until" => p.until = secs(&mut p).or(p.until),
                "theme" => match v {
                    "light" => p.theme = Some(Theme::Light),
                    "dark" => p.theme = Some(Theme::Dark),
                    _ => p
                        .warnings
                        .push(format!("theme={v}: expected light or dark; ignored")),
                },
                _ => {}
            }
        }
        Some(p)
    }
}

/// What the host hears in a `state` message: the leader, its quorum and the
/// election epoch, as `ceph quorum_status` would report them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub leader: Option<String>,
    pub quorum: Vec<String>,
    /// The leader's election epoch; without a leader, the highest any monitor has.
    pub epoch: u64,
    /// Every monitor's state, by name (`down`, `probing`, ..., `peon`).
    pub mons: Vec<(String, String)>,
}

impl Summary {
    pub fn of(names: &[String], statuses: &[MonStatus]) -> Summary {
        let leader = statuses.iter().position(|s| s.state == MonState::Leader);
        let mons = names
            .iter()
            .zip(statuses)
            .map(|(n, s)| (n.clone(), s.state.name().to_string()))
            .collect();
        match leader {
            Some(i) => Summary {
                leader: names.get(i).cloned(),
                quorum: statuses[i].quorum.to_vec(),
                epoch: statuses[i].election_epoch as u64,
                mons,
            },
            None => Summary {
                leader: None,
                quorum: Vec::new(),
                epoch: statuses
                    .iter()
                    .map(|s| s.election_epoch as u64)
                    .max()
                    .unwrap_or(0),
                mons,
            },
        }
    }
}

/// The `<iframe>` a docs page pastes to embed `text` at playhead `t`.
/// `base` is the playground's address (without query or fragment).
pub fn iframe_snippet(base: &str, text: &str, t: Time, title: Option<&str>) -> String {
    let src = share_link(&format!("{base}?embed=1"), text, (t > 0).then_some(t), None);
    let title = format!("monscope: {}", title.unwrap_or("a Ceph monitor scenario"));
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"640\" height=\"440\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>",
        attr(&src),
        attr(&title)
    )
}

/// Escapes a value for a double-quoted HTML attribute.
fn attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playback::Model;
    use monscope_core::scenario::library;

    #[test]
    fn parameters_are_read_and_bad_ones_warned_about() {
        assert_eq!(EmbedParams::parse("?scenario=late-joiner"), None);
        assert_eq!(EmbedParams::parse("?embed=0"), None);
        let p =
            EmbedParams::parse("?embed=1&autoplay=1&t=5&until=40.5&controls=0&theme=dark").unwrap();
        assert!(p.autoplay && !p.controls);
        assert_eq!((p.t, p.until), (Some(5 * SEC), Some(40_500_000)));
        assert_eq!(p.theme, Some(Theme::Dark));
        assert!(p.warnings.is_empty());
        let p = EmbedParams::parse("?embed&autoplay=yes&t=-1&theme=blue").unwrap();
        assert!(!p.autoplay && p.controls && p.t.is_none() && p.theme.is_none());
        assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
    }

    #[test]
    fn the_summary_names_the_leader_its_quorum_and_epoch() {
        let model = Model::build(library::get("leader-failover").unwrap()).unwrap();
        let statuses = |t| {
            let sim = model.sim_at(t);
            (0..model.mon_count() as u32)
                .map(|n| sim.state().status(n).clone())
                .collect::<Vec<_>>()
        };
        let s = Summary::of(&model.names, &statuses(25 * SEC));
        assert_eq!(s.leader.as_deref(), Some("a"));
        assert_eq!(s.quorum, ["a", "b", "c"]);
        assert!(
            s.epoch > 0 && s.epoch.is_multiple_of(2),
            "a settled epoch is even: {}",
            s.epoch
        );
        let s = Summary::of(&model.names, &statuses(60 * SEC));
        assert_eq!(s.leader.as_deref(), Some("b"));
        assert_eq!(s.quorum, ["b", "c"]);
        let state = |n: &str| {
            s.mons
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, st)| st.as_str())
        };
        assert_eq!(
            (state("a"), state("b"), state("c")),
            (Some("down"), Some("leader"), Some("peon"))
        );
    }

    #[test]
    fn the_embed_code_is_an_iframe_of_the_link_with_its_title_escaped() {
        let text = "title \"a \\\"<b>\\\" & b\"\nmons a b c\n";
        let code = iframe_snippet("https://x.org/m/", text, 5 * SEC, Some("a \"<b>\" & b"));
        let link = share_link("https://x.org/m/?embed=1", text, Some(5 * SEC), None);
        assert!(code.starts_with(&format!("<iframe src=\"{}\"", link.replace('&', "&amp;"))));
        assert!(
            code.contains("title=\"monscope: a &quot;&lt;b&gt;&quot; &amp; b\""),
            "{code}"
        );
        assert!(!code.contains("<b>"));
    }
}
