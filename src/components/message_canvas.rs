//! The messages in flight drawn on a canvas, when there are too many for the
//! SVG's DOM to move at 60 fps (`cluster::MAX_DOM`): one element, painted
//! after each render, instead of thousands of elements diffed and restyled.
//! Only plain moving dots are drawn here; a lost message (its ✕), the
//! selected one and reduced motion's arrows keep their SVG elements. A click
//! on a dot picks it (a capturing listener, so a click elsewhere still
//! reaches the ring under the canvas), and the colours are the theme's (read
//! from the protocol filter's chips, the colour key).

use crate::state::Msg;
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, MouseEvent};
use yew::prelude::*;

/// One moving dot: where it is in the ring's coordinates (its SVG's viewBox).
pub struct Mark {
    pub x: f64,
    pub y: f64,
    /// Index in `playback::PROTOCOLS`.
    pub proto: usize,
    /// The trace index of its send (what a click picks).
    pub ev: usize,
}

/// What one frame draws: the marks, and half the side of the square viewBox
/// centred on (0, 0) that their coordinates are in.
pub struct Scene {
    pub half: f64,
    pub marks: Vec<Mark>,
}

/// The canvas's element and the scene `cluster_view` leaves for it to draw
/// (none while the messages are few enough for the SVG).
#[derive(Default)]
pub struct Canvas {
    pub node: NodeRef,
    pub scene: RefCell<Option<Rc<Scene>>>,
}

/// The canvas's mapping from viewBox units to its CSS pixels, as the SVG's
/// `preserveAspectRatio` (xMidYMid meet) maps them: scale and centre.
fn fit(canvas: &HtmlCanvasElement, half: f64) -> (f64, f64, f64) {
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    (w.min(h) / (2.0 * half), w / 2.0, h / 2.0)
}

/// The colour of each protocol as the page's theme gives it now: the protocol
/// filter's chips are the colour key (their dots' borders are always coloured).
fn palette() -> Vec<[u8; 3]> {
    let window = gloo::utils::window();
    let dots = gloo::utils::document()
        .query_selector_all(".chip .dot")
        .ok();
    (0..crate::playback::PROTOCOLS.len() as u32)
        .map(|i| {
            dots.as_ref()
                .and_then(|d| d.item(i))
                .and_then(|dot| dot.dyn_into::<web_sys::Element>().ok())
                .and_then(|dot| window.get_computed_style(&dot).ok().flatten())
                .and_then(|s| s.get_property_value("border-top-color").ok())
                .map_or([128; 3], |c| rgb(&c))
        })
        .collect()
}

/// "rgb(r, g, b)" or "rgba(r, g, b, a)", as computed styles give colours.
fn rgb(colour: &str) -> [u8; 3] {
    let mut parts = colour
        .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '(')
        .split(',')
        .map(|p| super::number(p.trim()).unwrap_or(128.0) as u8);
    [0; 3].map(|_| parts.next().unwrap_or(128))
}

/// A dot's coverage: for each pixel of a square of `side`, how much of it the
/// circle of radius `r` at its centre covers (0–255, edges anti-aliased).
fn coverage(r: f64) -> (usize, Vec<u8>) {
    let side = (2.0 * r).ceil() as usize + 2;
    let c = side as f64 / 2.0;
    let mask = (0..side * side)
        .map(|i| {
            let (x, y) = ((i % side) as f64 + 0.5 - c, (i / side) as f64 + 0.5 - c);
            let d = (x * x + y * y).sqrt();
            (monscope_core::fixed::clamp(r + 0.5 - d, 0.0, 1.0) * 255.0) as u8
        })
        .collect();
    (side, mask)
}

/// The pixels of the dots, drawn here and put on the canvas at once: a
/// software canvas (no GPU) spends far longer recording and replaying
/// thousands of anti-aliased arcs or image stamps than wasm takes to write
/// them. Reused from frame to frame.
#[derive(Default)]
struct Pixels {
    buf: Vec<u8>,
    /// The coverage mask of a dot at the scale it was made for.
    dot: (f64, usize, Vec<u8>),
}

impl Pixels {
    /// Every dot of `scene`, source-over onto a cleared `w` × `h` buffer.
    fn paint(
        &mut self,
        scene: &Scene,
        colours: &[[u8; 3]],
        w: usize,
        h: usize,
        at: impl Fn(f64, f64) -> (f64, f64),
        scale: f64,
    ) {
        if self.dot.0 != scale {
            let (side, mask) = coverage(5.5 * scale);
            self.dot = (scale, side, mask);
        }
        // (`fill` is a memset; `resize` would write byte by byte at opt-level z.)
        if self.buf.len() == w * h * 4 {
            self.buf.fill(0);
        } else {
            self.buf = vec![0; w * h * 4];
        }
        let (side, mask) = (self.dot.1, &self.dot.2);
        for m in &scene.marks {
            let colour = colours[m.proto.min(colours.len() - 1)];
            let (x, y) = at(m.x, m.y);
            let (x0, y0) = (
                x.round() as isize - side as isize / 2,
                y.round() as isize - side as isize / 2,
            );
            for (j, row) in mask.chunks(side).enumerate() {
                let py = y0 + j as isize;
                if py < 0 || py >= h as isize {
                    continue;
                }
                for (i, &a) in row.iter().enumerate() {
                    let px = x0 + i as isize;
                    if a == 0 || px < 0 || px >= w as isize {
                        continue;
                    }
                    let o = (py as usize * w + px as usize) * 4;
                    let (sa, da) = (a as u32, self.buf[o + 3] as u32);
                    if da == 0 || sa == 255 {
                        // Nothing under it, or fully covered: the dot's colour.
                        self.buf[o..o + 3].copy_from_slice(&colour);
                        self.buf[o + 3] = a;
                        continue;
                    }
                    // Source over destination, straight (not premultiplied) alpha.
                    let out = sa + da * (255 - sa) / 255;
                    for (k, &sc) in colour.iter().enumerate() {
                        let dc = self.buf[o + k] as u32;
                        self.buf[o + k] =
                            ((sc as u32 * sa + dc * da * (255 - sa) / 255) / out.max(1)) as u8;
                    }
                    self.buf[o + 3] = out as u8;
                }
            }
        }
    }
}

fn draw(canvas: &HtmlCanvasElement, scene: &Scene, pixels: &RefCell<Pixels>) -> Option<()> {
    let dpr = gloo::utils::window().device_pixel_ratio();
    let (s, cx, cy) = fit(canvas, scene.half);
    let (pw, ph) = (
        (2.0 * cx * dpr).round() as u32,
        (2.0 * cy * dpr).round() as u32,
    );
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    if pw == 0 || ph == 0 {
        return Some(());
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let mut pixels = pixels.borrow_mut();
    let at = |x: f64, y: f64| ((cx + x * s) * dpr, (cy + y * s) * dpr);
    pixels.paint(scene, &palette(), pw as usize, ph as usize, at, s * dpr);
    let image = ImageData::new_with_u8_clamped_array(Clamped(&pixels.buf), pw).ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()
}

/// The message nearest to a click, within a dot's reach.
fn hit(scene: &Scene, x: f64, y: f64) -> Option<usize> {
    scene
        .marks
        .iter()
        .map(|m| (m, (m.x - x).powi(2) + (m.y - y).powi(2)))
        .filter(|(_, d2)| *d2 <= 81.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| m.ev)
}

/// The messages' canvas, drawn after every render of the page (a hook of
/// the app, not a component: a component costs about a kilobyte of the
/// transfer). `cluster_view` renders the element and leaves the scene.
#[hook]
pub fn use_message_canvas(on: &Callback<Msg>) -> Rc<Canvas> {
    let canvas: Rc<Canvas> = use_memo((), |_| Canvas::default());
    let pixels: Rc<RefCell<Pixels>> = use_mut_ref(Default::default);
    {
        let canvas = canvas.clone();
        use_effect(move || {
            let scene = canvas.scene.borrow().clone();
            if let (Some(c), Some(scene)) = (canvas.node.cast::<HtmlCanvasElement>(), scene) {
                draw(&c, &scene, &pixels);
            }
        });
    }
    // Capturing on the document, before the monitors and links under the
    // canvas get the click: a dot on top of them is what was clicked.
    let (canvas2, on) = (canvas.clone(), on.clone());
    use_effect_with((), move |_| {
        let listener = EventListener::new_with_options(
            &gloo::utils::document(),
            "click",
            EventListenerOptions::run_in_capture_phase(),
            move |e| {
                let scene = canvas2.scene.borrow().clone();
                let (Some(e), Some(c), Some(scene)) = (
                    e.dyn_ref::<MouseEvent>(),
                    canvas2.node.cast::<HtmlCanvasElement>(),
                    scene,
                ) else {
                    return;
                };
                // Only a click on the ring's pictures, not on a control or a
                // panel over them, and not on another part of the page.
                let on_ring = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|t| t.closest("svg.cluster").ok().flatten())
                    .is_some_and(|svg| svg.parent_element() == c.parent_element());
                if !on_ring {
                    return;
                }
                let rect = c.get_bounding_client_rect();
                let (s, cx, cy) = fit(&c, scene.half);
                let x = (e.client_x() as f64 - rect.left() - cx) / s;
                let y = (e.client_y() as f64 - rect.top() - cy) / s;
                if let Some(ev) = hit(&scene, x, y) {
                    e.stop_propagation();
                    on.emit(Msg::Pick(ev, e.page_x(), e.page_y()));
                }
            },
        );
        move || drop(listener)
    });
    canvas
}
