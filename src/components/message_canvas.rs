//! The messages in flight drawn on a canvas, when there are too many for the
//! SVG's DOM to move at 60 fps (`cluster::MAX_DOM`): one element, painted
//! after each render, instead of thousands of elements diffed and restyled.
//! Only plain moving dots are drawn here; a lost message (its ✕), the
//! selected one and reduced motion's arrows keep their SVG elements. A click
//! on a dot picks it (a capturing listener, so a click elsewhere still
//! reaches the ring under the canvas), and the colours are the theme's (read
//! from the protocol filter's chips, the colour key).

use crate::dots::{Mark, Pixels};
use crate::state::Msg;
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, MouseEvent};
use yew::prelude::*;

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

/// The colours read, and the theme they were read in: the page's
/// `data-theme`, and whether the system is dark.
type Read = Option<((Option<String>, bool), Rc<Vec<[u8; 3]>>)>;

/// The colour of each protocol as the page's theme gives it now: the protocol
/// filter's chips are the colour key (their dots' borders are always coloured).
/// Read from the computed styles only when the theme may have changed (its
/// `data-theme`, the system's dark or light), not every frame.
pub(super) fn palette() -> Rc<Vec<[u8; 3]>> {
    thread_local! {
        static DARK: Option<web_sys::MediaQueryList> = gloo::utils::window()
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten();
        static READ: RefCell<Read> = const { RefCell::new(None) };
    }
    let theme = (
        gloo::utils::document()
            .document_element()
            .and_then(|r| r.get_attribute("data-theme")),
        DARK.with(|m| m.as_ref().is_some_and(|m| m.matches())),
    );
    READ.with_borrow_mut(|read| match read {
        Some((at, colours)) if *at == theme => colours.clone(),
        _ => {
            let colours = Rc::new(read_palette());
            // Before the chips are on the page the colours are grey: read again.
            if gloo::utils::document()
                .query_selector(".chip .dot")
                .ok()
                .flatten()
                .is_some()
            {
                *read = Some((theme, colours.clone()));
            }
            colours
        }
    })
}

fn read_palette() -> Vec<[u8; 3]> {
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
    let changed = pixels.paint(
        &scene.marks,
        &palette(),
        pw as usize,
        ph as usize,
        at,
        s * dpr,
    );
    // Only the rectangle that changed goes to the canvas (and so to the
    // compositor): the dots' last places and their new ones.
    let Some((l, t, r, b)) = changed else {
        return Some(());
    };
    let image = ImageData::new_with_u8_clamped_array(Clamped(&pixels.buf), pw).ok()?;
    let f = |v: usize| v as f64;
    ctx.put_image_data_with_dirty_x_and_dirty_y_and_dirty_width_and_dirty_height(
        &image,
        0.0,
        0.0,
        f(l),
        f(t),
        f(r - l),
        f(b - t),
    )
    .ok()
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
