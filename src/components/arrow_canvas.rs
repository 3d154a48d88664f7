//! The timeline's plain arrows drawn on a canvas when its window holds more
//! than `timeline::MAX_SVG_ARROWS` of them: every time the window follows a playing
//! playhead, a thousand SVG arrows (a group, a title, a line and a marker
//! each) were restyled, laid out and painted in one frame; a canvas is one
//! element, drawn again only when the window or the diagram's width changes.
//! A dropped, held or selected arrow keeps its SVG element, and a click picks
//! an arrow by its geometry (`timeline::pick`), as it does for the SVG's.

use super::message_canvas::{box_size, palette};
pub use crate::arrows::Line;
use crate::effect::{self, use_effect_on};
use crate::playback::PROTOCOLS;
use crate::sim_feed::{set, Painter};
use js_sys::{Float64Array, Object, Uint8Array};
use monscope_core::fixed::Fixed;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

thread_local! {
    /// Who paints the arrows: a worker running the page's module, on the
    /// canvas's `OffscreenCanvas` (`sim_feed::Painter`; a window of a thousand
    /// arrows crossing the timeline is millions of pixels, 30–40 ms, a frame
    /// missed each time the window moves on, and putting them on the canvas
    /// 10–25 ms more); here, where no worker starts.
    static PAINTER: Rc<RefCell<Painter>> = Painter::new("./sim-worker.js#arrows", Rc::new(|| {
        HERE.with_borrow_mut(|h| {
            if let Some((canvas, ask)) = h.last.clone() {
                paint_here(h, &canvas, &ask);
            }
        })
    }));
    static HERE: RefCell<Here> = RefCell::default();
}

/// Painting in this thread: the last drawing asked for (painted here if the
/// worker fails), and the pixels, kept from one drawing to the next.
#[derive(Default)]
struct Here {
    last: Option<(HtmlCanvasElement, Ask)>,
    pixels: Vec<u8>,
}

#[derive(Clone)]
struct Ask {
    lines: Rc<Vec<Line>>,
    colours: Rc<Vec<[u8; 3]>>,
    size: (u32, u32),
    sx: f64,
    scale: f64,
}

/// `ask` painted in this thread (`arrows::paint`) and put on the canvas.
fn paint_here(h: &mut Here, canvas: &HtmlCanvasElement, ask: &Ask) {
    let (w, h_) = ask.size;
    if (canvas.width(), canvas.height()) != ask.size {
        canvas.set_width(w);
        canvas.set_height(h_);
    }
    crate::arrows::paint(
        &mut h.pixels,
        &ask.lines,
        &ask.colours,
        (w as usize, h_ as usize),
        ask.sx,
        ask.scale,
    );
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    if let Ok(image) = ImageData::new_with_u8_clamped_array(Clamped(&h.pixels), w) {
        // (The dots' call, the whole canvas its rectangle: one binding.)
        let (w, h_) = (w as f64, h_ as f64);
        let _ = ctx.put_image_data_with_dirty_x_and_dirty_y_and_dirty_width_and_dirty_height(
            &image, 0.0, 0.0, 0.0, 0.0, w, h_,
        );
    }
}

/// The last drawing asked for again, on its resized canvas.
fn redraw() {
    if let Some((canvas, ask)) = HERE.with_borrow(|h| h.last.clone()) {
        draw(&canvas, ask.lines, ask.colours);
    }
}

/// `ask` as the worker's message (static/sim-worker.js), and its arrays' buffers.
fn message(ask: &Ask) -> (Object, js_sys::Array) {
    let at: Vec<f64> = ask
        .lines
        .iter()
        .flat_map(|l| [l.at.0, l.at.1, l.at.2, l.at.3])
        .collect();
    let protos: Vec<u8> = ask.lines.iter().map(|l| l.proto as u8).collect();
    let colours: Vec<u8> = ask.colours.iter().flatten().copied().collect();
    let msg = Object::new();
    set(&msg, "type", "arrows");
    let (at, protos) = (Float64Array::from(&at[..]), Uint8Array::from(&protos[..]));
    let moved = js_sys::Array::of2(&at.buffer(), &protos.buffer());
    set(&msg, "at", at);
    set(&msg, "protos", protos);
    set(&msg, "colours", Uint8Array::from(&colours[..]));
    set(&msg, "w", ask.size.0);
    set(&msg, "h", ask.size.1);
    set(&msg, "sx", ask.sx);
    set(&msg, "scale", ask.scale);
    (msg, moved)
}

/// The painter's worker started, if it is not: the timeline calls this
/// when its window's arrows come near to being painted here
/// (`timeline::WARM_ARROWS`), so that its module is loaded by the first drawing.
pub fn warm() {
    if crate::lazy::loaded() {
        warm_now();
    } else {
        // The painter is in the lazy module: warmed by the next call.
        crate::lazy::preload();
    }
}

#[inline(never)]
fn warm_now() {
    PAINTER.with(Painter::warm);
}

/// Draws `lines` on `canvas`, sized to its box in the device's pixels:
/// painted by the worker (or here).
fn draw(canvas: &HtmlCanvasElement, lines: Rc<Vec<Line>>, colours: Rc<Vec<[u8; 3]>>) {
    let dpr = gloo::utils::window().device_pixel_ratio();
    let (w, h) = box_size(canvas, redraw);
    let w = w as f64;
    let size = ((w * dpr).round() as u32, (h as f64 * dpr).round() as u32);
    if size.0 == 0 || size.1 == 0 {
        return;
    }
    let ask = Ask {
        lines,
        colours,
        size,
        sx: w * dpr,
        scale: dpr,
    };
    HERE.with_borrow_mut(|h| h.last = Some((canvas.clone(), ask.clone())));
    let (msg, moved) = message(&ask);
    if !PAINTER.with(|p| Painter::ask(p, canvas, msg, moved)) {
        HERE.with_borrow_mut(|h| paint_here(h, canvas, &ask));
    }
}

/// What the canvas shows: its lines (by address), its size, the colours.
type Drawn = (usize, i32, i32, Rc<Vec<[u8; 3]>>);

/// `lines` drawn on `c` if they, its size or the theme's colours changed
/// since `drawn`. In the lazy module (`tests/e2e/split-lazy.mjs`), with the
/// drawing: the effect calls it once the module is in.
#[inline(never)]
fn draw_changed(c: &HtmlCanvasElement, lines: Rc<Vec<Line>>, drawn: &RefCell<Option<Drawn>>) {
    let colours = palette();
    let (w, h) = box_size(c, redraw);
    let key = (Rc::as_ptr(&lines) as usize, w, h, colours);
    if drawn.borrow().as_ref() != Some(&key) {
        draw(c, lines, key.3.clone());
        *drawn.borrow_mut() = Some(key);
    }
}

/// The canvas under the timeline's SVG (`height` pixels, the SVG's), drawn after a render when its lines,
/// its size or the theme's colours changed (not every frame of a playing page).
#[hook]
pub fn use_arrow_canvas(lines: Rc<Vec<Line>>, height: f64) -> Html {
    let node = use_node_ref();
    let drawn: Rc<RefCell<Option<Drawn>>> = use_mut_ref(|| None);
    {
        let (node, lines) = (node.clone(), lines.clone());
        use_effect_on(effect::EveryRender, move |_| {
            let Some(c) = node.cast::<HtmlCanvasElement>() else {
                *drawn.borrow_mut() = None;
                return effect::nothing();
            };
            let (lines, drawn) = (lines.clone(), drawn.clone());
            crate::lazy::now_or_then(move || draw_changed(&c, lines, &drawn));
            effect::nothing()
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
