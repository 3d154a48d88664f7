//! The timeline's plain arrows drawn on a canvas when its window holds more
//! than `timeline::MAX_SVG_ARROWS` of them: every time the window follows a playing
//! playhead, a thousand SVG arrows (a group, a title, a line and a marker
//! each) were restyled, laid out and painted in one frame; a canvas is one
//! element, drawn again only when the window or the diagram's width changes.
//! A dropped, held or selected arrow keeps its SVG element, and a click picks
//! an arrow by its geometry (`timeline::pick`), as it does for the SVG's.

use super::message_canvas::palette;
pub use crate::arrows::Line;
use crate::playback::PROTOCOLS;
use crate::sim_feed::{get, set, spawn};
use js_sys::{Float64Array, Object, Uint8Array, Uint8ClampedArray};
use monscope_core::fixed::Fixed;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, MessageEvent, Worker};
use yew::prelude::*;

/// Who paints the arrows: a worker running the page's module
/// (static/sim-worker.js), so that the main thread only puts the pixels
/// on the canvas (a window of a thousand arrows crossing the timeline is
/// millions of pixels, 30–40 ms, a frame missed each time the window moves
/// on); here, where no worker starts. One drawing at a time is asked for,
/// and of those asked meanwhile only the last (the rest are out of date).
#[derive(Default)]
struct Painter {
    worker: Option<Worker>,
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
    /// No worker could start or load: paint here.
    here: bool,
    /// A drawing is being painted; the next to ask for, if any.
    busy: bool,
    next: Option<Ask>,
    /// The last drawing asked for, and where.
    last: Option<Ask>,
    canvas: Option<HtmlCanvasElement>,
    /// The pixels, when painted here (kept from one drawing to the next).
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

thread_local! {
    static PAINTER: RefCell<Painter> = RefCell::default();
}

/// The pixels `px` (RGBA) put on the canvas, if it is still that size.
fn put(canvas: &HtmlCanvasElement, (w, h): (u32, u32), image: Option<ImageData>) -> Option<()> {
    if (canvas.width(), canvas.height()) != (w, h) {
        return None;
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    // (The dots' call, with the whole canvas as the rectangle: one binding.)
    ctx.put_image_data_with_dirty_x_and_dirty_y_and_dirty_width_and_dirty_height(
        &image?, 0.0, 0.0, 0.0, 0.0, w as f64, h as f64,
    )
    .ok()
}

/// `ask` painted in this thread (`arrows::paint`) and put on the canvas.
fn paint_here(p: &mut Painter, ask: &Ask) {
    let Some(canvas) = p.canvas.clone() else {
        return;
    };
    let (w, h) = ask.size;
    crate::arrows::paint(
        &mut p.pixels,
        &ask.lines,
        &ask.colours,
        (w as usize, h as usize),
        ask.sx,
        ask.scale,
    );
    put(
        &canvas,
        ask.size,
        ImageData::new_with_u8_clamped_array(Clamped(&p.pixels), w).ok(),
    );
}

/// `ask` posted to the worker.
fn post(worker: &Worker, ask: &Ask) -> bool {
    let at: Vec<f64> = ask
        .lines
        .iter()
        .flat_map(|l| [l.at.0, l.at.1, l.at.2, l.at.3])
        .collect();
    let protos: Vec<u8> = ask.lines.iter().map(|l| l.proto as u8).collect();
    let colours: Vec<u8> = ask.colours.iter().flatten().copied().collect();
    let msg = Object::new();
    set(&msg, "type", "arrows");
    set(&msg, "at", Float64Array::from(&at[..]));
    set(&msg, "protos", Uint8Array::from(&protos[..]));
    set(&msg, "colours", Uint8Array::from(&colours[..]));
    set(&msg, "w", ask.size.0);
    set(&msg, "h", ask.size.1);
    set(&msg, "sx", ask.sx);
    set(&msg, "scale", ask.scale);
    worker.post_message(&msg).is_ok()
}

/// The worker's answer: the last drawing asked for is put on the canvas;
/// the next is asked for. A worker that failed to load: paint here.
fn answered(data: &JsValue) {
    PAINTER.with_borrow_mut(|p| {
        let kind = get(data, "type").as_string();
        if kind.as_deref() == Some("failed") {
            p.here = true;
            p.busy = false;
            if let Some(ask) = p.last.clone() {
                paint_here(p, &ask);
            }
            return;
        }
        if kind.as_deref() != Some("arrows") {
            return;
        }
        match (p.next.take(), p.worker.clone()) {
            (Some(ask), Some(worker)) => p.busy = post(&worker, &ask),
            _ => {
                p.busy = false;
                let (Some(canvas), Some(ask)) = (p.canvas.clone(), p.last.as_ref()) else {
                    return;
                };
                let image = get(data, "px")
                    .dyn_into::<Uint8Array>()
                    .ok()
                    .and_then(|px| {
                        ImageData::new_with_js_u8_clamped_array(
                            &Uint8ClampedArray::new(&px.buffer()),
                            ask.size.0,
                        )
                        .ok()
                    });
                put(&canvas, ask.size, image);
            }
        }
    });
}

/// Draws `lines` on `canvas`: sized to its box in the device's pixels, then
/// painted by the worker (or here) and put on it when painted.
fn draw(canvas: &HtmlCanvasElement, lines: Rc<Vec<Line>>, colours: Rc<Vec<[u8; 3]>>) {
    let dpr = gloo::utils::window().device_pixel_ratio();
    let w = canvas.client_width() as f64;
    let size = (
        (w * dpr).round() as u32,
        (canvas.client_height() as f64 * dpr).round() as u32,
    );
    if (canvas.width(), canvas.height()) != size {
        canvas.set_width(size.0);
        canvas.set_height(size.1);
    }
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
    PAINTER.with_borrow_mut(|p| {
        p.canvas = Some(canvas.clone());
        p.last = Some(ask.clone());
        if p.worker.is_none() && !p.here {
            p.worker = spawn();
            let listener =
                Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| answered(&e.data()));
            if let Some(worker) = &p.worker {
                worker.set_onmessage(Some(listener.as_ref().unchecked_ref()));
                p._listener = Some(listener);
            }
            p.here = p.worker.is_none();
        }
        match p.worker.clone() {
            Some(_) if p.here => paint_here(p, &ask),
            Some(_) if p.busy => p.next = Some(ask),
            Some(worker) => p.busy = post(&worker, &ask),
            None => paint_here(p, &ask),
        }
    });
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
                draw(&c, lines.clone(), key.3.clone());
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
