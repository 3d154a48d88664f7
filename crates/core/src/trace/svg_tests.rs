use super::*;
use crate::scenario::parse;
use crate::sim::run::run;
use std::collections::BTreeMap;

/// Checks that `doc` is well-formed XML as far as an SVG renderer cares:
/// balanced and properly nested elements, quoted attributes, no raw `<` or
/// stray `&` in text or attribute values. Returns the first problem.
fn well_formed(doc: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = doc.trim_end();
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(i) = s.find('&') {
            let after = &s[i + 1..];
            let end = after.find(';').ok_or_else(|| format!("bare & in {t:?}"))?;
            let ent = &after[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || ent
                    .strip_prefix('#')
                    .is_some_and(|n| n.parse::<u32>().is_ok());
            if !ok {
                return Err(format!("unknown entity &{ent}; in {t:?}"));
            }
            s = &after[end..];
        }
        if t.contains('>') && t.contains('<') {
            return Err(format!("markup in text {t:?}"));
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let close = rest[open..].find('>').ok_or("unterminated tag")? + open;
        let tag = &rest[open + 1..close];
        if tag.contains('<') {
            return Err(format!("'<' inside tag {tag:?}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> without opening"))?;
            if top != name {
                return Err(format!("<{top}> closed by </{name}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split_whitespace().next().ok_or("empty tag")?;
            // Attributes: name="value" pairs, values free of '<' and bare '&'.
            let mut attrs = body[name.len()..].trim();
            while !attrs.is_empty() {
                let eq = attrs
                    .find("=\"")
                    .ok_or(format!("unquoted attribute in {tag:?}"))?;
                let v_end = attrs[eq + 2..]
                    .find('"')
                    .ok_or(format!("unterminated attribute in {tag:?}"))?
                    + eq
                    + 2;
                check_text(&attrs[eq + 2..v_end])?;
                attrs = attrs[v_end + 1..].trim_start();
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest)?;
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    Ok(())
}

const SCENARIO: &str = r#"title "Leader failure"
mons a b c
seed 3
at 5s write k v
at 10s note "a goes down"
at 10s kill a
at 30s expect leader b
at 30s expect leader c
"#;

#[test]
fn renders_lanes_arrows_marks_and_a_legend_as_well_formed_xml() {
    let sc = parse(SCENARIO).unwrap();
    let r = run(&sc);
    let svg = render("Leader failure", &r.nodes, &r.trace.to_vec(), 0, sc.end).unwrap();
    well_formed(&svg).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    for lane in ["a", "b", "c", "client", "scenario"] {
        assert!(
            svg.contains(&format!(">{lane}</text>")),
            "lane {lane} missing"
        );
    }
    for class in [
        "msg p-probe",
        "msg p-election",
        "msg p-paxos",
        "msg p-client",
        "state s-leader",
        "state s-down",
        "expect pass",
        "expect fail",
        "class=\"commit\"",
        "class=\"drop\"",
        "class=\"note\"",
    ] {
        assert!(svg.contains(class), "{class} missing");
    }
    // The note and the failed expectation are listed under the diagram.
    assert!(svg.contains(">a goes down</text>"));
    assert!(svg.contains("expect leader c") || svg.contains("leader c"));
    for op in ["PROPOSE", "VICTORY", "BEGIN", "ACCEPT"] {
        assert!(svg.contains(&format!("<title>{op} ")), "no {op} message");
    }
    // Zoomed in on the first election, the ops have room for their labels.
    let svg = render("start", &r.nodes, &r.trace.to_vec(), 0, SEC / 10).unwrap();
    for op in ["PROBE", "PROPOSE", "VICTORY"] {
        assert!(svg.contains(&format!(">{op}</text>")), "no {op} label");
    }
}

#[test]
fn draws_only_messages_whose_flight_overlaps_the_window() {
    let sc = parse(SCENARIO).unwrap();
    let r = run(&sc);
    let (from, to) = (12 * SEC, 14 * SEC);
    let svg = render("w", &r.nodes, &r.trace.to_vec(), from, to).unwrap();
    well_formed(&svg).unwrap();
    let drawn = svg.matches("<g class=\"msg ").count();
    let mut inside = 0;
    let mut ends = BTreeMap::new();
    for ev in &r.trace {
        match &ev.kind {
            EventKind::Deliver { id } | EventKind::Drop { id, .. } => {
                ends.insert(*id, ev.at);
            }
            _ => {}
        }
    }
    for ev in &r.trace {
        if let EventKind::Send { id, arrive_at, .. } = &ev.kind {
            let end = ends.get(id).copied().unwrap_or(*arrive_at);
            if ev.at <= to && end >= from {
                inside += 1;
            }
        }
    }
    assert!(inside > 0, "the window should hold messages");
    assert_eq!(drawn, inside);
    // Nothing sent long before the window is drawn: every tooltip's send
    // time is in or just before it.
    for part in svg.split(", sent ").skip(1) {
        let t: f64 = part.split('s').next().unwrap().parse().unwrap();
        assert!((11.0..=14.0).contains(&t), "message sent at {t}s drawn");
    }
    assert!(
        !svg.contains(">a goes down</text>"),
        "a note outside the window"
    );
}

#[test]
fn escapes_hostile_titles_notes_and_names() {
    let hostile = r#"<script>alert("x")</script> & </svg><svg onload='1'>"#;
    let sc = parse(&format!(
        "title \"{t}\"\nmons a b c\nat 1s note \"{t}\"\n",
        t = hostile.replace('"', "\\\"")
    ))
    .unwrap();
    let r = run(&sc);
    let mut nodes = r.nodes.clone();
    nodes[0] = hostile.into();
    let mut trace = r.trace.to_vec();
    trace.push(Event {
        at: 2 * SEC,
        kind: EventKind::Log {
            node: 0,
            text: "\u{1}".to_string().into(),
        },
    });
    trace.push(Event {
        at: 2 * SEC,
        kind: EventKind::Note {
            text: "bell \u{7} and nul \u{0}".into(),
        },
    });
    let svg = render(hostile, &nodes, &trace, 0, sc.end).unwrap();
    well_formed(&svg).unwrap();
    assert!(!svg.contains("<script"));
    assert!(!svg.contains("onload='"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;"));
    assert!(!svg.contains('\u{7}') && !svg.contains('\u{0}'));
}

#[test]
fn an_empty_or_reversed_window_is_an_error() {
    let e = render("t", &[], &[], 5 * SEC, 5 * SEC).unwrap_err();
    assert!(e.to_string().contains("--from must be before --to"));
    assert!(render("t", &[], &[], 6 * SEC, 5 * SEC).is_err());
    // A run with nothing in it still draws a well-formed, empty diagram.
    let svg = render("t", &["a".into()], &[], 0, SEC).unwrap();
    well_formed(&svg).unwrap();
}

#[test]
fn the_checker_rejects_broken_documents() {
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg>a & b</svg>").is_err());
    assert!(well_formed("<svg x=1></svg>").is_err());
    assert!(well_formed("<svg><text>ok &amp; fine</text></svg>").is_ok());
}

#[test]
fn a_notes_ceph_detail_is_set_in_monospace() {
    let text = "mons a b c\nat 1s note \"a has crashed (`Paxos::lease_timeout`). `<b>`\"\nend 3s\n";
    let sc = parse(text).unwrap();
    let r = run(&sc);
    let svg = render("n", &r.nodes, &r.trace.to_vec(), 0, 3 * SEC).unwrap();
    well_formed(&svg).unwrap();
    assert!(
        svg.contains(r#"a has crashed (<tspan font-family="ui-monospace, monospace">Paxos::lease_timeout</tspan>). <tspan font-family="ui-monospace, monospace">&lt;b&gt;</tspan>"#),
        "{svg}"
    );
    // The note's tooltip is plain text.
    assert!(svg.contains("<title>a has crashed (Paxos::lease_timeout). &lt;b&gt;</title>"));
}
