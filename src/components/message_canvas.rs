//! The messages in flight drawn on a canvas, when there are too many for the
//! SVG's DOM to move at 60 fps (`cluster::MAX_DOM`): one element, painted
//! after each render (by a worker, on an `OffscreenCanvas`, where one
//! starts), instead of thousands of elements diffed and restyled.
//! Only plain moving dots are drawn here; a lost message (its ✕), the
//! selected one and reduced motion's arrows keep their SVG elements. A click
//! on a dot picks it (a capturing listener, so a click elsewhere still
//! reaches the ring under the canvas), and the colours are the theme's (read
//! from the protocol filter's chips, the colour key).

use crate::dots::{Mark, Pixels};
use crate::effect::{self, use_effect_on};
use crate::sim_feed::{set, Painter};
use crate::state::Msg;
use gloo::events::{EventListener, EventListenerOptions};
use js_sys::{Float64Array, Function, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
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
    let (w, h) = box_size(canvas, redraw);
    let (w, h) = (w as f64, h as f64);
    (w.min(h) / (2.0 * half), w / 2.0, h / 2.0)
}

/// A canvas, its box's size, and what draws it again when that changes.
type Sized = (HtmlCanvasElement, (i32, i32), fn());

thread_local! {
    static SIZES: RefCell<Vec<Sized>> = const { RefCell::new(Vec::new()) };
    static OBSERVER: Option<JsValue> = observer();
}

/// The size of `canvas`'s box (`clientWidth`, `clientHeight`), read once
/// and then kept by a `ResizeObserver`, which calls `redraw` when it
/// changes: read in every frame's effects, after the render changed the
/// page, it laid the page out there and then (a forced layout a frame).
/// Read each time where there is no `ResizeObserver`.
pub(super) fn box_size(canvas: &HtmlCanvasElement, redraw: fn()) -> (i32, i32) {
    let known = SIZES.with_borrow(|v| v.iter().find(|e| e.0 == *canvas).map(|e| e.1));
    if let Some(size) = known {
        return size;
    }
    let size = (canvas.client_width(), canvas.client_height());
    let observed = OBSERVER.with(|o| {
        let observe = o
            .as_ref()
            .and_then(|o| Some((o, Reflect::get(o, &"observe".into()).ok()?)))
            .and_then(|(o, f)| f.dyn_into::<Function>().ok()?.call1(o, canvas).ok());
        observe.is_some()
    });
    if observed {
        SIZES.with_borrow_mut(|v| {
            v.retain(|e| e.0.is_connected());
            v.push((canvas.clone(), size, redraw));
        });
    }
    size
}

/// The page's one `ResizeObserver` of the canvases (called by name: not in
/// web-sys's features here); its report comes after a layout, when reading
/// the sizes costs nothing.
fn observer() -> Option<JsValue> {
    let new: Function = Reflect::get(&js_sys::global(), &"ResizeObserver".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let seen = Closure::<dyn FnMut(js_sys::Array)>::new(|entries: js_sys::Array| {
        let mut redraws: Vec<fn()> = Vec::new();
        SIZES.with_borrow_mut(|v| {
            for e in entries.iter() {
                let target = Reflect::get(&e, &"target".into()).unwrap_or_default();
                for (c, size, redraw) in v.iter_mut() {
                    if AsRef::<JsValue>::as_ref(c) != &target {
                        continue;
                    }
                    let now = (c.client_width(), c.client_height());
                    if *size != now {
                        *size = now;
                        redraws.push(*redraw);
                    }
                }
            }
        });
        for redraw in redraws {
            redraw();
        }
    });
    let o = Reflect::construct(&new, &js_sys::Array::of1(seen.as_ref())).ok()?;
    // As long as the page: the observer calls it.
    seen.forget();
    Some(o)
}

/// The dots drawn again on their resized canvas, or as the last render
/// left them (the effect's call, once the lazy module is in: the drawing is
/// in it, `tests/e2e/split-lazy.mjs`).
#[inline(never)]
fn redraw() {
    if let Some((canvas, scene, pixels)) = LAST.with_borrow(|l| l.clone()) {
        draw(&canvas, &scene, &pixels);
    }
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

thread_local! {
    /// Who paints the dots: a worker of their own on the canvas's
    /// `OffscreenCanvas` (`sim_feed::Painter`: their pixels were a third of a
    /// playing frame's script at 2,000 in flight); here, where no worker starts.
    /// The scene last asked for is painted here if the worker fails.
    static PAINTER: Rc<RefCell<Painter>> = Painter::new("./sim-worker.js#dots", Rc::new(|| {
        LAST.with_borrow(|last| {
            if let Some((canvas, scene, pixels)) = last {
                paint_here(canvas, scene, pixels);
            }
        })
    }));
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
}

type Last = (HtmlCanvasElement, Rc<Scene>, Rc<RefCell<Pixels>>);

/// The canvas's size in the device's pixels, how it places the scene
/// (`placing`'s arguments) and its pixels a viewBox unit.
fn device(canvas: &HtmlCanvasElement, scene: &Scene) -> (u32, u32, [f64; 4], f64) {
    let dpr = gloo::utils::window().device_pixel_ratio();
    let (s, cx, cy) = fit(canvas, scene.half);
    let (pw, ph) = (
        (2.0 * cx * dpr).round() as u32,
        (2.0 * cy * dpr).round() as u32,
    );
    (pw, ph, [cx, cy, s, dpr], s * dpr)
}

/// Where a viewBox point is on the canvas, in its pixels: centred at
/// (`cx`, `cy`), `s` CSS pixels a unit, `dpr` pixels a CSS pixel. (Here
/// and in the painter's worker: one `dots::Pixels::paint` in the wasm.)
pub(crate) fn placing([cx, cy, s, dpr]: [f64; 4]) -> impl Fn(f64, f64) -> (f64, f64) {
    move |x, y| ((cx + x * s) * dpr, (cy + y * s) * dpr)
}

/// The painter's worker started, if it is not: the ring calls this when
/// the dots come near to being painted here (`cluster::WARM_DOTS`), so that
/// its module is loaded by the first drawing.
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

/// `scene` painted by the worker, or here.
fn draw(canvas: &HtmlCanvasElement, scene: &Rc<Scene>, pixels: &Rc<RefCell<Pixels>>) {
    LAST.with_borrow_mut(|l| *l = Some((canvas.clone(), scene.clone(), pixels.clone())));
    let (pw, ph, place, scale) = device(canvas, scene);
    if pw == 0 || ph == 0 {
        return;
    }
    let xy: Vec<f64> = scene.marks.iter().flat_map(|m| [m.x, m.y]).collect();
    let protos: Vec<u8> = scene.marks.iter().map(|m| m.proto as u8).collect();
    let colours: Vec<u8> = palette().iter().flatten().copied().collect();
    let msg = Object::new();
    set(&msg, "type", "dots");
    let (xy, protos) = (Float64Array::from(&xy[..]), Uint8Array::from(&protos[..]));
    let moved = js_sys::Array::of2(&xy.buffer(), &protos.buffer());
    set(&msg, "xy", xy);
    set(&msg, "protos", protos);
    set(&msg, "colours", Uint8Array::from(&colours[..]));
    set(&msg, "w", pw);
    set(&msg, "h", ph);
    set(&msg, "place", Float64Array::from(&place[..]));
    set(&msg, "scale", scale);
    if !PAINTER.with(|p| Painter::ask(p, canvas, msg, moved)) {
        paint_here(canvas, scene, pixels);
    }
}

fn paint_here(canvas: &HtmlCanvasElement, scene: &Scene, pixels: &RefCell<Pixels>) -> Option<()> {
    let (pw, ph, place, scale) = device(canvas, scene);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    if pw == 0 || ph == 0 {
        return Some(());
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let mut pixels = pixels.borrow_mut();
    let changed = pixels.paint(
        &scene.marks,
        &palette(),
        pw as usize,
        ph as usize,
        placing(place),
        scale,
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

/// The message whose dot `e` clicked, if it clicked the ring's pictures (not
/// a control or a panel over them, nor another part of the page). In the
/// lazy module, with the drawing.
#[inline(never)]
fn picked(e: &MouseEvent, c: &HtmlCanvasElement, scene: &Scene) -> Option<usize> {
    let on_ring = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|t| t.closest("svg.cluster").ok().flatten())
        .is_some_and(|svg| svg.parent_element() == c.parent_element());
    if !on_ring {
        return None;
    }
    let rect = c.get_bounding_client_rect();
    let (s, cx, cy) = fit(c, scene.half);
    let x = (e.client_x() as f64 - rect.left() - cx) / s;
    let y = (e.client_y() as f64 - rect.top() - cy) / s;
    hit(scene, x, y)
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
        use_effect_on(effect::EveryRender, move |_| {
            let scene = canvas.scene.borrow().clone();
            if let (Some(c), Some(scene)) = (canvas.node.cast::<HtmlCanvasElement>(), scene) {
                LAST.with_borrow_mut(|l| *l = Some((c, scene, pixels.clone())));
                crate::lazy::now_or_then(redraw);
            }
            effect::nothing()
        });
    }
    // Capturing on the document, before the monitors and links under the
    // canvas get the click: a dot on top of them is what was clicked.
    let (canvas2, on) = (canvas.clone(), on.clone());
    use_effect_on((), move |_| {
        let listener = EventListener::new_with_options(
            &gloo::utils::document(),
            "click",
            EventListenerOptions::run_in_capture_phase(),
            move |e| {
                let scene = canvas2.scene.borrow().clone();
                // No dot is drawn before the lazy module is in.
                let (Some(e), Some(c), Some(scene), true) = (
                    e.dyn_ref::<MouseEvent>(),
                    canvas2.node.cast::<HtmlCanvasElement>(),
                    scene,
                    crate::lazy::loaded(),
                ) else {
                    return;
                };
                if let Some(ev) = picked(e, &c, &scene) {
                    e.stop_propagation();
                    on.emit(Msg::Pick(ev, e.page_x(), e.page_y()));
                }
            },
        );
        Box::new(move || drop(listener))
    });
    canvas
}
