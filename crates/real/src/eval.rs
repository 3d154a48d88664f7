//! Expectations of a real run, evaluated by the simulator's checker on the
//! cluster state folded from the recorded trace: each `expect` at the time it
//! was reached, against every event recorded before it. Safety violations the
//! fold finds are inserted after the event that revealed them, as the
//! simulator does.

use monscope_core::scenario::ast::{Action, Scenario};
use monscope_core::trace::expect::check;
use monscope_core::trace::state::ClusterState;
use monscope_core::trace::{Event, EventKind};

/// `events` in time order, with Expect placeholders; returns the trace with
/// every expectation's verdict filled in.
pub fn evaluate(scenario: &Scenario, names: Vec<String>, events: Vec<Event>) -> Vec<Event> {
    let mut state = ClusterState::new(names);
    let mut out = Vec::with_capacity(events.len());
    for mut ev in events {
        if let EventKind::Expect {
            line, pass, actual, ..
        } = &mut ev.kind
        {
            let exp = scenario.timed.iter().find_map(|t| match &t.action {
                Action::Expect(e) if t.pos.line == *line => Some(e),
                _ => None,
            });
            if let Some(e) = exp {
                let o = check(&state, e, ev.at);
                *pass = o.pass;
                *actual = o.actual.into();
            }
            out.push(ev);
            continue;
        }
        let found: Vec<Event> = state
            .apply(&ev)
            .iter()
            .map(|v| Event {
                at: v.at,
                kind: EventKind::Violation {
                    text: v.text.as_str().into(),
                    property: v.property,
                },
            })
            .collect();
        out.push(ev);
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::mon::status::{MonState, MonStatus};
    use monscope_core::scenario::parse;
    use std::sync::Arc;

    fn status(state: MonState, epoch: u32, leader: &str, quorum: &[&str]) -> Arc<MonStatus> {
        let mut s = MonStatus::down(0);
        s.state = state;
        s.election_epoch = epoch;
        s.leader = Some(leader.into());
        s.quorum = quorum.iter().map(|q| q.to_string()).collect();
        Arc::new(s)
    }

    #[test]
    fn an_expectation_sees_the_statuses_recorded_before_it() {
        let sc = parse("mons a b\nat 5s expect quorum a b\nat 6s expect leader b\n").unwrap();
        let ev = |at, kind| Event { at, kind };
        let expect = |line: u32, text: &str| EventKind::Expect {
            line,
            text: text.into(),
            pass: false,
            actual: "".into(),
        };
        let trace = vec![
            ev(
                1_000_000,
                EventKind::Status {
                    node: 0,
                    status: status(MonState::Leader, 2, "a", &["a", "b"]),
                },
            ),
            ev(
                1_100_000,
                EventKind::Status {
                    node: 1,
                    status: status(MonState::Peon, 2, "a", &["a", "b"]),
                },
            ),
            ev(5_000_300, expect(2, "expect quorum a b")),
            ev(6_000_100, expect(3, "expect leader b")),
        ];
        let out = evaluate(&sc, vec!["a".into(), "b".into()], trace);
        let verdicts: Vec<(bool, String)> = out
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Expect { pass, actual, .. } => Some((*pass, actual.to_string())),
                _ => None,
            })
            .collect();
        assert_eq!(verdicts[0], (true, "quorum of a (epoch 2) is a b".into()));
        assert_eq!(verdicts[1], (false, "leader is a".into()));
    }
}
