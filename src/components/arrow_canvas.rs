//! The timeline's plain arrows drawn on a canvas when its window holds more
//! than `timeline::MAX_SVG_ARROWS` of them: every time the window follows a playing
//! playhead, a thousand SVG arrows (a group, a title, a line and a marker
//! each) were restyled, laid out and painted in one frame; a canvas is one
//! element, drawn again only when the window or the diagram's width changes.
//! A dropped, held or selected arrow keeps its SVG element, and a click picks
//! an arrow by its geometry (`timeline::pick`), as it does for the SVG's.

use super::message_canvas::palette;
use crate::playback::PROTOCOLS;
use monscope_core::fixed::Fixed;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// One arrow: x as a fraction of the diagram's width, y in pixels (as
/// `Plot::arrow` gives them for a width of 1), and its protocol's index in
/// `playback::PROTOCOLS`.
pub struct Line {
    pub at: (f64, f64, f64, f64),
    pub proto: usize,
}

/// Draws `lines` as `.arrow line` and `#arrowhead` draw them (styles.css,
/// timeline.rs): 1.4 px in the protocol's colour, a grey head 6 stroke
/// widths long whose tip is 0.9 of it past the end. In the SVG's order, so
/// that the same arrows cover the same heads: a run of one protocol's lines
/// is one path, then its heads another (not a canvas call an arrow).
fn draw(canvas: &HtmlCanvasElement, lines: &[Line], colours: &[[u8; 3]]) -> Option<()> {
    let dpr = gloo::utils::window().device_pixel_ratio();
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    canvas.set_width((w * dpr).round() as u32);
    canvas.set_height((h * dpr).round() as u32);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.scale(dpr, dpr).ok()?;
    ctx.set_line_width(1.4);
    ctx.set_fill_style_str("#8a9099");
    let head = 6.0 * 1.4;
    for run in lines.chunk_by(|a, b| a.proto == b.proto) {
        let [r, g, b] = colours[run[0].proto.min(colours.len() - 1)];
        ctx.begin_path();
        for l in run {
            let (x0, y0, x1, y1) = l.at;
            ctx.move_to(x0 * w, y0);
            ctx.line_to(x1 * w, y1);
        }
        ctx.set_stroke_style_str(&format!("rgb({r},{g},{b})"));
        ctx.stroke();
        ctx.begin_path();
        for l in run {
            let (x0, y0, x1, y1) = l.at;
            let (dx, dy) = ((x1 - x0) * w, y1 - y0);
            let len = (dx * dx + dy * dy).sqrt();
            if len == 0.0 {
                continue;
            }
            let (ux, uy) = (dx / len, dy / len);
            // The marker's tip (10, 5) is 0.1 of its length past the end.
            let (tx, ty) = (x1 * w + ux * head * 0.1, y1 + uy * head * 0.1);
            let (bx, by) = (tx - ux * head, ty - uy * head);
            ctx.move_to(tx, ty);
            ctx.line_to(bx - uy * head / 2.0, by + ux * head / 2.0);
            ctx.line_to(bx + uy * head / 2.0, by - ux * head / 2.0);
            ctx.close_path();
        }
        ctx.fill();
    }
    Some(())
}

/// What the canvas shows: its lines (by address), its size, the colours.
type Drawn = (usize, i32, i32, Rc<Vec<[u8; 3]>>);

/// The canvas under the timeline's SVG (`height` pixels, the SVG's), drawn after a render when its lines,
/// its size or the theme's colours changed (not every frame of a playing page).
#[hook]
pub fn use_arrow_canvas(lines: Rc<Vec<Line>>, height: f64) -> Html {
    let node = use_node_ref();
    let drawn: Rc<RefCell<Option<Drawn>>> = use_mut_ref(|| None);
    {
        let (node, lines) = (node.clone(), lines.clone());
        use_effect(move || {
            let Some(c) = node.cast::<HtmlCanvasElement>() else {
                *drawn.borrow_mut() = None;
                return;
            };
            let colours = palette();
            let key = (
                Rc::as_ptr(&lines) as usize,
                c.client_width(),
                c.client_height(),
                colours,
            );
            if drawn.borrow().as_ref() != Some(&key) {
                draw(&c, &lines, &key.3);
                *drawn.borrow_mut() = Some(key);
            }
        });
    }
    if lines.is_empty() {
        return Html::default();
    }
    // What is drawn, said in attributes (the SVG's arrows say it in their classes).
    let mut drawn_protos = [false; PROTOCOLS.len()];
    for l in lines.iter() {
        drawn_protos[l.proto.min(PROTOCOLS.len() - 1)] = true;
    }
    let protos: Vec<&str> = PROTOCOLS
        .iter()
        .zip(drawn_protos)
        .filter_map(|(p, d)| d.then_some(*p))
        .collect();
    html! {
        <canvas ref={node} class="tl-canvas" style={format!("height:{}px", Fixed(height, 0))}
                aria-hidden="true" data-testid="timeline-canvas"
                data-arrows={lines.len().to_string()} data-protos={protos.join(" ")} />
    }
}
