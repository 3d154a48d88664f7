//! A standalone SVG of a time window of a run's space-time diagram, for docs
//! without JavaScript: one lane per monitor, the client and the scenario;
//! message arrows coloured by protocol and labelled with their op; dropped
//! messages ending in a cross; state changes, commits, expectations, actions
//! and notes; a time axis and a legend. Colours follow the web app
//! (static/monscope.css). Pure string building: the CLI writes it to a file,
//! the page can offer it as a download.

use super::format::note_spans;
use super::layout::{tick_step, Flight, Flights, Plot};
use super::{Event, EventKind, NodeId};
use crate::fixed::Fixed;
use crate::mon::status::MonState;
use crate::time::{format_secs, Time, SEC};
use std::fmt::Write;

// Numbers are written with `Fixed` (`crate::fixed`), as `{:.1}` wrote them,
// and these whole-number sizes with `Fixed(_, 0)`, as `{}` did: the
// standard float printer stays out of the page.
const WIDTH: f64 = 1400.0;
const LEFT: f64 = 120.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 78.0;
const LANE: f64 = 44.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

const FG: &str = "#1d2430";
const MUTED: &str = "#5b6472";
const OK: &str = "#007a5a";
const BAD: &str = "#b3261e";
const VERMILLION: &str = "#d55e00";

/// Message protocols in legend order, with the app's colours
/// (`--p-*`; timecheck has none there and gets the palette's grey).
const PROTOCOLS: &[(&str, &str)] = &[
    ("probe", "#56b4e9"),
    ("election", "#e69f00"),
    ("paxos", "#0072b2"),
    ("sync", "#009e73"),
    ("ping", "#c9bc1f"),
    ("client", "#cc79a7"),
    ("timecheck", "#9aa0a6"),
];

/// Monitor states in legend order, with the app's colours (`--s-*`).
const STATES: &[MonState] = &[
    MonState::Probing,
    MonState::Electing,
    MonState::Leader,
    MonState::Peon,
    MonState::Synchronizing,
    MonState::Down,
];

fn state_colour(s: MonState) -> &'static str {
    match s {
        MonState::Leader => "#009e73",
        MonState::Peon => "#0072b2",
        MonState::Electing => "#e69f00",
        MonState::Probing => "#56b4e9",
        MonState::Synchronizing => "#cc79a7",
        MonState::Down => "#b9bec5",
    }
}

fn protocol_colour(p: &str) -> &'static str {
    PROTOCOLS
        .iter()
        .find(|(n, _)| *n == p)
        .map_or("#9aa0a6", |(_, c)| *c)
}

/// Text made safe for XML content and attribute values. Characters XML 1.0
/// forbids (most C0 controls) become U+FFFD, so hostile input cannot break
/// the document either.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Why a window cannot be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowError {
    Empty { from: Time, to: Time },
}

impl std::fmt::Display for WindowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowError::Empty { from, to } => write!(
                f,
                "the window {}s to {}s is empty: --from must be before --to",
                format_secs(*from),
                format_secs(*to)
            ),
        }
    }
}

/// Boxes of labels already placed, so later labels that would overlap are left out.
#[derive(Default)]
struct Placed(Vec<(f64, f64, f64, f64)>);

impl Placed {
    fn try_place(&mut self, x: f64, y: f64, w: f64, h: f64) -> bool {
        let free = self
            .0
            .iter()
            .all(|&(a, b, c, d)| x + w <= a || a + c <= x || y + h <= b || b + d <= y);
        if free {
            self.0.push((x, y, w, h));
        }
        free
    }
}

/// Wraps `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let cur = lines.last_mut().expect("never empty");
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    lines
}

/// The space-time diagram of `trace` between `from` and `to` as a standalone
/// SVG document. `nodes` are the run's node names (monitors in rank order,
/// then the client); `title` heads the picture. Messages whose flight
/// overlaps the window are drawn (clipped to it); everything else is left out.
pub fn render(
    title: &str,
    nodes: &[String],
    trace: &[Event],
    from: Time,
    to: Time,
) -> Result<String, WindowError> {
    if from >= to {
        return Err(WindowError::Empty { from, to });
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot = Plot {
        from,
        span: to - from,
        width: plot_w,
        top: TOP,
        lane: LANE,
    };
    let x = |t: Time| LEFT + plot.x(t);
    let arrow = |f: &Flight| {
        let (x0, y0, x1, y1) = plot.arrow(f);
        (LEFT + x0, y0, LEFT + x1, y1)
    };
    // Lanes: every node, then the scenario's own lane.
    let scen_lane = nodes.len();
    let lane_y = |i: usize| plot.y(i);
    let plot_bottom = TOP + LANE * (scen_lane as f64 + 1.0);

    // Notes and failures listed under the diagram.
    let mut notes: Vec<(Time, &str)> = Vec::new();
    let mut failures: Vec<(Time, &str, &str)> = Vec::new();
    for ev in trace.iter().filter(|e| e.at >= from && e.at <= to) {
        match &ev.kind {
            EventKind::Note { text } => notes.push((ev.at, text)),
            EventKind::Expect {
                text,
                pass: false,
                actual,
                ..
            } => failures.push((ev.at, text, actual)),
            _ => {}
        }
    }
    const WRAP: usize = 170;
    let listed: Vec<(String, Vec<String>, &str)> = notes
        .iter()
        .enumerate()
        .map(|(i, (t, text))| {
            (
                format!("✎{} {}s", i + 1, format_secs(*t)),
                wrap(text, WRAP),
                FG,
            )
        })
        .chain(failures.iter().map(|(t, text, actual)| {
            (
                format!("✘ {}s", format_secs(*t)),
                wrap(&format!("{text}: {actual}"), WRAP),
                BAD,
            )
        }))
        .collect();
    let list_lines: usize = listed.iter().map(|(_, l, _)| l.len()).sum();
    let list_top = plot_bottom + 62.0;
    let height = list_top + 16.0 * list_lines as f64 + if listed.is_empty() { 0.0 } else { 12.0 };

    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12">"#,
        height = Fixed(height, 0),
        WIDTH = Fixed(WIDTH, 0)
    );
    let _ = write!(
        s,
        "<title>{}</title><defs>",
        escape(&format!(
            "{title}: {}s to {}s",
            format_secs(from),
            format_secs(to)
        ))
    );
    for (p, c) in PROTOCOLS {
        let _ = write!(
            s,
            r#"<marker id="ah-{p}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{c}"/></marker>"#
        );
    }
    let _ = write!(
        s,
        r#"<clipPath id="plot"><rect x="{LEFT}" y="{}" width="{plot_w}" height="{}"/></clipPath></defs>"#,
        Fixed(TOP - 4.0, 0),
        Fixed(plot_bottom - TOP + 8.0, 0),
        LEFT = Fixed(LEFT, 0),
        plot_w = Fixed(plot_w, 0)
    );
    let _ = write!(
        s,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="16" y="30" font-size="20" font-weight="600" fill="{FG}">{}</text><text x="16" y="50" fill="{MUTED}">{}</text>"##,
        escape(title),
        escape(&format!(
            "space-time diagram, {}s to {}s · monscope",
            format_secs(from),
            format_secs(to)
        ))
    );

    // Lanes and their labels.
    s.push_str(r#"<g class="lanes">"#);
    let lane_names = nodes
        .iter()
        .map(|n| n.as_str())
        .chain(std::iter::once("scenario"));
    for (i, name) in lane_names.enumerate() {
        let y = lane_y(i);
        if i % 2 == 1 {
            let _ = write!(
                s,
                r##"<rect x="{LEFT}" y="{}" width="{plot_w}" height="{LANE}" fill="#f7f8fa"/>"##,
                Fixed(y - LANE / 2.0, 1),
                LEFT = Fixed(LEFT, 0),
                plot_w = Fixed(plot_w, 0),
                LANE = Fixed(LANE, 0)
            );
        }
        let _ = write!(
            s,
            r##"<line class="lane" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="#d5d9df"/><text x="{}" y="{}" text-anchor="end" fill="{FG}" font-weight="600">{}</text>"##,
            Fixed(WIDTH - RIGHT, 1),
            Fixed(LEFT - 12.0, 1),
            Fixed(y + 4.0, 1),
            escape(name),
            y = Fixed(y, 1),
            LEFT = Fixed(LEFT, 0)
        );
    }
    s.push_str("</g>");

    // Time axis.
    let step = tick_step(to - from);
    let _ = write!(
        s,
        r#"<g class="axis"><line x1="{LEFT}" x2="{}" y1="{}" y2="{}" stroke="{MUTED}"/>"#,
        Fixed(WIDTH - RIGHT, 1),
        Fixed(TOP - 6.0, 1),
        Fixed(TOP - 6.0, 1),
        LEFT = Fixed(LEFT, 0)
    );
    let mut t = from.div_ceil(step) * step;
    while t <= to {
        let label = if step >= SEC {
            format!("{}s", t / SEC)
        } else {
            format!("{}s", format_secs(t))
        };
        let _ = write!(
            s,
            r##"<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#e4e7eb"/><line x1="{0}" x2="{0}" y1="{3}" y2="{1}" stroke="{MUTED}"/><text x="{0}" y="{4}" text-anchor="middle" font-size="11" fill="{MUTED}">{5}</text>"##,
            Fixed(x(t), 1),
            Fixed(TOP - 6.0, 1),
            Fixed(plot_bottom, 1),
            Fixed(TOP - 11.0, 1),
            Fixed(TOP - 15.0, 1),
            label
        );
        t += step;
    }
    s.push_str("</g>");

    // State bands: each monitor's state over the window, under its lane.
    let mut state: Vec<MonState> = vec![MonState::Down; nodes.len()];
    let mut changes: Vec<(Time, NodeId, MonState)> = Vec::new();
    for ev in trace.iter().filter(|e| e.at <= to) {
        if let EventKind::Status { node, status } = &ev.kind {
            let Some(cur) = state.get_mut(*node as usize) else {
                continue;
            };
            if *cur == status.state {
                continue;
            }
            *cur = status.state;
            if ev.at >= from {
                changes.push((ev.at, *node, status.state));
            }
        }
    }
    let has_status: Vec<bool> = (0..nodes.len())
        .map(|n| {
            trace
                .iter()
                .any(|e| matches!(&e.kind, EventKind::Status { node, .. } if *node as usize == n))
        })
        .collect();
    s.push_str(r#"<g class="states" clip-path="url(#plot)">"#);
    let mut at_from = vec![MonState::Down; nodes.len()];
    for ev in trace.iter().filter(|e| e.at < from) {
        if let EventKind::Status { node, status } = &ev.kind {
            if let Some(cur) = at_from.get_mut(*node as usize) {
                *cur = status.state;
            }
        }
    }
    let mut band_start: Vec<(Time, MonState)> = at_from.iter().map(|&st| (from, st)).collect();
    let band = |s: &mut String, node: usize, a: Time, b: Time, st: MonState| {
        if !has_status[node] || b <= a {
            return;
        }
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="6" fill="{}" opacity="0.45"><title>{} {}</title></rect>"#,
            Fixed(x(a), 1),
            Fixed(lane_y(node) + 3.0, 1),
            Fixed(x(b) - x(a), 1),
            state_colour(st),
            escape(&nodes[node]),
            st.name()
        );
    };
    for &(at, node, st) in &changes {
        let (a, prev) = band_start[node as usize];
        band(&mut s, node as usize, a, at, prev);
        band_start[node as usize] = (at, st);
    }
    for (node, &(a, st)) in band_start.iter().enumerate() {
        band(&mut s, node, a, to, st);
    }
    s.push_str("</g>");

    // Message arrows, clipped to the window.
    let mut labels = Placed::default();
    let mut label_svg = String::new();
    s.push_str(r#"<g class="arrows" clip-path="url(#plot)">"#);
    let flights = Flights::of(trace);
    let shown: Vec<&Flight> = flights
        .in_window(from, to)
        .filter(|f| (f.from as usize) < nodes.len() && (f.to as usize) < nodes.len())
        .collect();
    for f in &shown {
        let (Some(fname), Some(tname)) = (nodes.get(f.from as usize), nodes.get(f.to as usize))
        else {
            continue;
        };
        let colour = protocol_colour(f.protocol);
        let (x0, y0, x1, y1) = arrow(f);
        let tip = format!(
            "{} {} → {}, sent {}s, {}",
            f.op,
            fname,
            tname,
            format_secs(f.sent),
            f.outcome(|t| format_secs(t) + "s"),
        );
        let _ = write!(
            s,
            r#"<g class="msg p-{}"><title>{}</title><line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{colour}" stroke-width="1.4"{}{}{}/>"#,
            f.protocol,
            escape(&tip),
            if f.dropped.is_some() {
                r#" stroke-dasharray="3 2""#
            } else if f.held {
                r#" stroke-dasharray="8 3""#
            } else {
                ""
            },
            if f.dropped.is_some() {
                String::new()
            } else {
                format!(r#" marker-end="url(#ah-{})""#, f.protocol)
            },
            if matches!(f.protocol, "ping" | "timecheck") {
                r#" opacity="0.6""#
            } else {
                ""
            },
            x0 = Fixed(x0, 1),
            y0 = Fixed(y0, 1),
            x1 = Fixed(x1, 1),
            y1 = Fixed(y1, 1)
        );
        if f.dropped.is_some() {
            let _ = write!(
                s,
                r#"<path class="drop" d="M{} {}l8 8m0 -8l-8 8" stroke="{VERMILLION}" stroke-width="2.2"/>"#,
                Fixed(x1 - 4.0, 1),
                Fixed(y1 - 4.0, 1)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</g>");
    // Marks: state changes, commits, client replies, and on the scenario
    // lane actions, notes, expectations and violations.
    let mut marks_svg = String::from(r#"<g class="marks">"#);
    for &(at, node, st) in &changes {
        // Marks keep their room: op labels are placed around them.
        labels
            .0
            .push((x(at) - 7.0, lane_y(node as usize) - 7.0, 14.0, 14.0));
        let _ = write!(
            marks_svg,
            r##"<circle class="state s-{0}" cx="{1}" cy="{2}" r="{3}" fill="{4}" stroke="#ffffff" stroke-width="1.5"><title>{5} enters {0} at {6}s</title></circle>"##,
            st.name(),
            Fixed(x(at), 1),
            Fixed(lane_y(node as usize), 1),
            if st == MonState::Leader { 7 } else { 5 },
            state_colour(st),
            escape(&nodes[node as usize]),
            format_secs(at)
        );
    }
    let mut note_no = 0;
    let mut last_note_x = f64::MIN;
    for ev in trace.iter().filter(|e| e.at >= from && e.at <= to) {
        let xe = x(ev.at);
        let ys = lane_y(scen_lane);
        match &ev.kind {
            EventKind::Commit { node, version, .. } => {
                let Some(name) = nodes.get(*node as usize) else {
                    continue;
                };
                let y = lane_y(*node as usize) - 10.0;
                labels.0.push((xe - 5.0, y - 5.0, 10.0, 10.0));
                let _ = write!(
                    marks_svg,
                    r##"<path class="commit" d="M{xe} {}l5 5l-5 5l-5 -5z" fill="#0072b2" stroke="#ffffff" stroke-width="1.2"><title>{} commits v{version} at {}s</title></path>"##,
                    Fixed(y - 5.0, 1),
                    escape(name),
                    format_secs(ev.at),
                    xe = Fixed(xe, 1)
                );
            }
            EventKind::Expect {
                text, pass, actual, ..
            } => {
                let (glyph, colour, class) = if *pass {
                    ("✔", OK, "pass")
                } else {
                    ("✘", BAD, "fail")
                };
                let _ = write!(
                    marks_svg,
                    r#"<text class="expect {class}" x="{xe}" y="{}" text-anchor="middle" font-size="14" font-weight="700" fill="{colour}"><title>{}</title>{glyph}</text>"#,
                    Fixed(ys + 14.0, 1),
                    escape(&format!(
                        "{}s expect {text}: {}{}",
                        format_secs(ev.at),
                        if *pass { "passed" } else { "FAILED" },
                        if actual.is_empty() {
                            String::new()
                        } else {
                            format!(" ({actual})")
                        }
                    )),
                    xe = Fixed(xe, 1)
                );
            }
            EventKind::Action { text, .. } => {
                let _ = write!(
                    marks_svg,
                    r#"<path class="action" d="M{xe} {}l5 8h-10z" fill="{VERMILLION}"><title>{}</title></path>"#,
                    Fixed(ys - 10.0, 1),
                    escape(&format!("{}s {text}", format_secs(ev.at))),
                    xe = Fixed(xe, 1)
                );
                let w = 6.0 * text.chars().count() as f64 + 4.0;
                if xe + 6.0 + w <= WIDTH - RIGHT && labels.try_place(xe + 6.0, ys - 16.0, w, 12.0) {
                    let _ = write!(
                        label_svg,
                        r#"<text x="{}" y="{}" font-size="10" fill="{VERMILLION}">{}</text>"#,
                        Fixed(xe + 6.0, 1),
                        Fixed(ys - 6.0, 1),
                        escape(text)
                    );
                }
            }
            EventKind::Note { text } => {
                note_no += 1;
                // Notes close together sit side by side, not on top of each other.
                let xe = xe.max(last_note_x + 18.0);
                last_note_x = xe;
                let _ = write!(
                    marks_svg,
                    r##"<g class="note"><title>{}</title><circle cx="{xe}" cy="{ys}" r="8" fill="#fff8e1" stroke="#e69f00"/><text x="{xe}" y="{}" text-anchor="middle" font-size="10" font-weight="700" fill="{FG}">{note_no}</text></g>"##,
                    escape(&super::format::note_plain(text)),
                    Fixed(ys + 3.5, 1),
                    xe = Fixed(xe, 1),
                    ys = Fixed(ys, 1)
                );
            }
            EventKind::Violation { text, .. } => {
                let _ = write!(
                    marks_svg,
                    r#"<text class="violation" x="{xe}" y="{}" text-anchor="middle" font-size="14" fill="{BAD}"><title>{}</title>⚠</text>"#,
                    Fixed(ys - 6.0, 1),
                    escape(&format!("safety violation: {text}")),
                    xe = Fixed(xe, 1)
                );
            }
            EventKind::Overrun { text } => {
                let _ = write!(
                    marks_svg,
                    r#"<text class="overrun" x="{xe}" y="{}" text-anchor="middle" font-size="14" fill="{BAD}"><title>{}</title>■</text>"#,
                    Fixed(ys - 6.0, 1),
                    escape(&format!("the run stopped: {text}")),
                    xe = Fixed(xe, 1)
                );
            }
            _ => {}
        }
    }
    marks_svg.push_str("</g>");
    // Labels go first to the protocols a reader follows; the periodic
    // pings and time checks get what room is left.
    let periodic = |f: &&&Flight| matches!(f.protocol, "ping" | "timecheck");
    for f in shown
        .iter()
        .filter(|f| !periodic(f))
        .chain(shown.iter().filter(periodic))
    {
        let colour = protocol_colour(f.protocol);
        let (x0, y0, x1, y1) = arrow(f);
        // The op, at the middle of the arrow, if it has room.
        let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let w = 6.4 * f.op.len() as f64 + 4.0;
        if (LEFT..WIDTH - RIGHT - w).contains(&(mx - w / 2.0))
            && labels.try_place(mx - w / 2.0, my - 6.0, w, 11.0)
        {
            let _ = write!(
                label_svg,
                r##"<text x="{mx}" y="{}" text-anchor="middle" font-size="9" font-weight="600" fill="{colour}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text>"##,
                Fixed(my + 3.5, 1),
                f.op,
                mx = Fixed(mx, 1)
            );
        }
    }

    let _ = write!(s, r#"<g class="labels">{label_svg}</g>{marks_svg}"#);

    // Legend.
    let ly = plot_bottom + 24.0;
    let mut lx = LEFT;
    s.push_str(r#"<g class="legend" font-size="11">"#);
    for (p, c) in PROTOCOLS {
        let _ = write!(
            s,
            r#"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2" marker-end="url(#ah-{p})"/><text x="{}" y="{}" fill="{MUTED}">{p}</text>"#,
            Fixed(lx + 20.0, 1),
            Fixed(lx + 25.0, 1),
            Fixed(ly + 4.0, 1),
            lx = Fixed(lx, 1),
            ly = Fixed(ly, 1)
        );
        lx += 30.0 + 7.0 * p.len() as f64;
    }
    let _ = write!(
        s,
        r#"<path d="M{} {}l8 8m0 -8l-8 8" stroke="{VERMILLION}" stroke-width="2.2"/><text x="{}" y="{}" fill="{MUTED}">dropped</text>"#,
        Fixed(lx, 1),
        Fixed(ly - 4.0, 1),
        Fixed(lx + 13.0, 1),
        Fixed(ly + 4.0, 1)
    );
    lx += 80.0;
    for st in STATES {
        let _ = write!(
            s,
            r#"<circle cx="{}" cy="{ly}" r="5" fill="{}"/><text x="{}" y="{}" fill="{MUTED}">{}</text>"#,
            Fixed(lx + 5.0, 1),
            state_colour(*st),
            Fixed(lx + 13.0, 1),
            Fixed(ly + 4.0, 1),
            st.name(),
            ly = Fixed(ly, 1)
        );
        lx += 22.0 + 6.5 * st.name().len() as f64;
    }
    let ly2 = ly + 20.0;
    let _ = write!(
        s,
        r##"<path d="M{0} {1}l4 4l-4 4l-4 -4z" fill="#0072b2"/><text x="{2}" y="{3}" fill="{MUTED}">commit</text><text x="{4}" y="{3}" font-weight="700" fill="{OK}">✔</text><text x="{5}" y="{3}" fill="{MUTED}">expectation passed</text><text x="{6}" y="{3}" font-weight="700" fill="{BAD}">✘</text><text x="{7}" y="{3}" fill="{MUTED}">failed</text><path d="M{8} {9}l5 8h-10z" fill="{VERMILLION}"/><text x="{10}" y="{3}" fill="{MUTED}">scenario action</text><circle cx="{11}" cy="{12}" r="7" fill="#fff8e1" stroke="#e69f00"/><text x="{13}" y="{3}" fill="{MUTED}">note (listed below)</text>"##,
        Fixed(LEFT + 4.0, 1),
        Fixed(ly2 - 4.0, 1),
        Fixed(LEFT + 13.0, 1),
        Fixed(ly2 + 4.0, 1),
        Fixed(LEFT + 70.0, 1),
        Fixed(LEFT + 84.0, 1),
        Fixed(LEFT + 200.0, 1),
        Fixed(LEFT + 214.0, 1),
        Fixed(LEFT + 270.0, 1),
        Fixed(ly2 - 4.0, 1),
        Fixed(LEFT + 280.0, 1),
        Fixed(LEFT + 385.0, 1),
        Fixed(ly2, 1),
        Fixed(LEFT + 397.0, 1)
    );
    s.push_str("</g>");

    // Notes and failed expectations, in full.
    let mut y = list_top;
    s.push_str(r#"<g class="notes">"#);
    for (head, lines, colour) in &listed {
        let _ = write!(
            s,
            r#"<text x="{}" y="{y}" text-anchor="end" font-weight="700" fill="{colour}">{}</text>"#,
            Fixed(LEFT - 12.0, 1),
            escape(head),
            y = Fixed(y, 1)
        );
        // A note's Ceph detail (in backticks) is set in monospace.
        let text = lines.join("\n");
        let mut spans = note_spans(&text);
        if spans.is_empty() {
            spans.push((false, ""));
        }
        let mut spans = spans.into_iter().peekable();
        let mut line = String::new();
        while let Some((code, part)) = spans.next() {
            for (k, piece) in part.split('\n').enumerate() {
                if k > 0 {
                    let _ = write!(
                        s,
                        r#"<text x="{LEFT}" y="{y}" fill="{colour}">{}</text>"#,
                        std::mem::take(&mut line),
                        y = Fixed(y, 1),
                        LEFT = Fixed(LEFT, 0)
                    );
                    y += 16.0;
                }
                if !piece.is_empty() {
                    line += &if code {
                        format!(
                            r#"<tspan font-family="ui-monospace, monospace">{}</tspan>"#,
                            escape(piece)
                        )
                    } else {
                        escape(piece)
                    };
                }
            }
            if spans.peek().is_none() {
                let _ = write!(
                    s,
                    r#"<text x="{LEFT}" y="{y}" fill="{colour}">{}</text>"#,
                    std::mem::take(&mut line),
                    y = Fixed(y, 1),
                    LEFT = Fixed(LEFT, 0)
                );
                y += 16.0;
            }
        }
    }
    s.push_str("</g></svg>\n");
    Ok(s)
}

#[cfg(test)]
#[path = "svg_tests.rs"]
mod tests;
