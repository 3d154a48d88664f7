//! The messages in flight drawn on a canvas, when there are too many for the
//! SVG's DOM to move at 60 fps (`cluster::MAX_DOM`): one element, painted
//! after each render, instead of thousands of elements diffed and restyled.
//! What the SVG gives is kept: a click on a message picks it (a capturing
//! listener, so a click elsewhere still reaches the ring under the canvas),
//! the colours are the theme's (read from the protocol filter's chips), a
//! selected message is ringed, a lost one is a ✕ that fades, and under
//! reduced motion a message is an arrow.

use crate::state::Msg;
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, MouseEvent};
use yew::prelude::*;

/// How a message is drawn.
#[derive(Clone, Copy, PartialEq)]
pub enum Shape {
    Dot,
    /// Lost where it is, fading.
    Dropped,
    /// Reduced motion: an arrow from `(x0, y0)` to where it is.
    Arrow,
}

/// One message: where it is in the ring's coordinates (its SVG's viewBox).
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub x0: f64,
    pub y0: f64,
    pub shape: Shape,
    /// Index in `playback::PROTOCOLS`.
    pub proto: usize,
    pub selected: bool,
    pub opacity: f64,
    /// The trace index of its send (what a click picks).
    pub ev: usize,
}

/// What one frame draws: the marks, and half the side of the square viewBox
/// centred on (0, 0) that their coordinates are in.
pub struct Scene {
    pub half: f64,
    pub marks: Vec<Mark>,
}

#[derive(Properties)]
pub struct Props {
    pub scene: Rc<Scene>,
    pub on_select: Callback<Msg>,
}

impl PartialEq for Props {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.scene, &other.scene) && self.on_select == other.on_select
    }
}

/// The canvas's mapping from viewBox units to its CSS pixels, as the SVG's
/// `preserveAspectRatio` (xMidYMid meet) maps them: scale and centre.
fn fit(canvas: &HtmlCanvasElement, half: f64) -> (f64, f64, f64) {
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    (w.min(h) / (2.0 * half), w / 2.0, h / 2.0)
}

/// The colour of each protocol, and the foreground and the ✕'s colours, as
/// the page's theme gives them now (the chips' dots are the colour key).
fn palette(canvas: &HtmlCanvasElement) -> (Vec<String>, String, String) {
    let window = gloo::utils::window();
    let document = gloo::utils::document();
    let style = |el: &web_sys::Element| window.get_computed_style(el).ok().flatten();
    let protos = crate::playback::PROTOCOLS
        .iter()
        .map(|p| {
            document
                .query_selector(&format!(".chip.{} .dot", super::protocol_class(p)))
                .ok()
                .flatten()
                .and_then(|dot| style(&dot))
                .and_then(|s| s.get_property_value("border-top-color").ok())
                .unwrap_or_else(|| "gray".into())
        })
        .collect();
    let own = style(canvas);
    let fg = own
        .as_ref()
        .and_then(|s| s.get_property_value("color").ok())
        .unwrap_or_else(|| "black".into());
    let cut = own
        .and_then(|s| s.get_property_value("--cut").ok())
        .map(|c| c.trim().to_string())
        .unwrap_or_else(|| "red".into());
    (protos, fg, cut)
}

/// "rgb(r, g, b)" or "rgba(r, g, b, a)", as computed styles give colours.
fn rgb(colour: &str) -> [u8; 3] {
    let mut parts = colour
        .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '(')
        .split(',')
        .map(|p| {
            p.trim()
                .trim_end_matches(')')
                .parse::<f64>()
                .unwrap_or(128.0) as u8
        });
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
            ((r + 0.5 - d).clamp(0.0, 1.0) * 255.0) as u8
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
        for m in scene.marks.iter().filter(|m| m.shape == Shape::Dot) {
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
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    if pw == 0 || ph == 0 {
        return Some(());
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let (s, cx, cy) = fit(canvas, scene.half);
    let (protos, fg, cut) = palette(canvas);
    let scale = s * dpr;
    let colours: Vec<[u8; 3]> = protos.iter().map(|c| rgb(c)).collect();
    let mut pixels = pixels.borrow_mut();
    pixels.paint(
        scene,
        &colours,
        pw as usize,
        ph as usize,
        |x, y| ((cx + x * s) * dpr, (cy + y * s) * dpr),
        scale,
    );
    let image = ImageData::new_with_u8_clamped_array(Clamped(&pixels.buf), pw).ok()?;
    ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0).ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()?;
    ctx.set_transform(scale, 0.0, 0.0, scale, cx * dpr, cy * dpr)
        .ok()?;
    let tau = std::f64::consts::TAU;
    for m in scene
        .marks
        .iter()
        .filter(|m| m.shape == Shape::Dot && m.selected)
    {
        ctx.begin_path();
        let _ = ctx.arc(m.x, m.y, 8.0, 0.0, tau);
        ctx.set_fill_style_str(&protos[m.proto.min(protos.len() - 1)]);
        ctx.fill();
    }
    ctx.set_line_width(2.5);
    for m in &scene.marks {
        match m.shape {
            Shape::Dot if m.selected => {
                ctx.begin_path();
                let _ = ctx.arc(m.x, m.y, 8.0, 0.0, tau);
                ctx.set_stroke_style_str(&fg);
                ctx.stroke();
            }
            Shape::Arrow => {
                let colour = &protos[m.proto.min(protos.len() - 1)];
                let (dx, dy) = (m.x - m.x0, m.y - m.y0);
                let len = (dx * dx + dy * dy).sqrt().max(1.0);
                let (ux, uy) = (dx / len, dy / len);
                ctx.set_line_width(if m.selected { 4.5 } else { 2.5 });
                ctx.set_stroke_style_str(colour);
                ctx.begin_path();
                ctx.move_to(m.x0, m.y0);
                ctx.line_to(m.x - ux * 6.0, m.y - uy * 6.0);
                ctx.stroke();
                ctx.set_fill_style_str(colour);
                ctx.begin_path();
                ctx.move_to(m.x, m.y);
                ctx.line_to(m.x - ux * 10.0 - uy * 5.0, m.y - uy * 10.0 + ux * 5.0);
                ctx.line_to(m.x - ux * 10.0 + uy * 5.0, m.y - uy * 10.0 - ux * 5.0);
                ctx.fill();
                ctx.set_line_width(2.5);
            }
            Shape::Dropped => {
                ctx.set_global_alpha(m.opacity);
                ctx.set_fill_style_str(&cut);
                ctx.set_font("700 17px sans-serif");
                ctx.set_text_align("center");
                let _ = ctx.fill_text("✕", m.x, m.y + 6.0);
                ctx.set_global_alpha(1.0);
            }
            Shape::Dot => {}
        }
    }
    Some(())
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

#[function_component]
pub fn MessageCanvas(p: &Props) -> Html {
    let canvas = use_node_ref();
    // The scene a click is matched against: the one drawn last.
    let shown = use_mut_ref(|| p.scene.clone());
    let pixels: Rc<RefCell<Pixels>> = use_mut_ref(Default::default);
    {
        let (canvas, shown, scene) = (canvas.clone(), shown.clone(), p.scene.clone());
        use_effect(move || {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                draw(&c, &scene, &pixels);
            }
            *shown.borrow_mut() = scene;
        });
    }
    {
        // Capturing on the ring, before the monitors and links under the
        // canvas get the click: a message on top of them is what was clicked.
        let (canvas, on) = (canvas.clone(), p.on_select.clone());
        use_effect_with((), move |_| {
            let ring = canvas
                .cast::<HtmlCanvasElement>()
                .and_then(|c| c.parent_element());
            let listener = ring.map(|ring| {
                let canvas = canvas.clone();
                EventListener::new_with_options(
                    &ring,
                    "click",
                    EventListenerOptions::run_in_capture_phase(),
                    move |e| {
                        let (Some(e), Some(c)) = (
                            e.dyn_ref::<MouseEvent>(),
                            canvas.cast::<HtmlCanvasElement>(),
                        ) else {
                            return;
                        };
                        let scene = shown.borrow().clone();
                        let rect = c.get_bounding_client_rect();
                        let (s, cx, cy) = fit(&c, scene.half);
                        let x = (e.client_x() as f64 - rect.left() - cx) / s;
                        let y = (e.client_y() as f64 - rect.top() - cy) / s;
                        if let Some(ev) = hit(&scene, x, y) {
                            e.stop_propagation();
                            on.emit(Msg::Pick(ev, e.page_x(), e.page_y()));
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }
    html! {
        <canvas ref={canvas} class="cluster messages" aria-hidden="true" data-testid="messages-canvas"
                data-marks={p.scene.marks.len().to_string()} />
    }
}
