//! Embed mode's postMessage API (documented in README.md, "Embedding").
//! Host → embed messages are plain JS objects, read field by field and
//! validated; anything else is ignored with a console warning. Embed → host
//! messages go to `window.parent` as plain objects. Read and written by hand
//! with `js_sys::Reflect`: a converter (serde-wasm-bindgen) cost 11 kB of the
//! page's transfer for these five shapes.

use js_sys::{Array, Object, Reflect};
use monscope_core::scenario::link::MAX_TEXT;
use monscope_core::time::Time;
use wasm_bindgen::JsValue;

/// A validated host command.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Play,
    Pause,
    Seek(Time),
    Load(String, Option<Time>),
}

/// Seconds (finite, not negative, within a year) to simulated time.
fn seconds(t: f64) -> Result<Time, String> {
    if t.is_finite() && (0.0..=365.0 * 86_400.0).contains(&t) {
        Ok((t * 1e6).round() as Time)
    } else {
        // The host's number as JavaScript writes it.
        let got = crate::components::js_number(t);
        Err(format!("t must be seconds from 0, got {got}"))
    }
}

/// A field of a host message (undefined when missing or not an object).
fn field(data: &JsValue, name: &str) -> JsValue {
    if data.is_object() {
        Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// A field that must be a number of seconds.
fn seconds_field(data: &JsValue, kind: &str) -> Result<Time, String> {
    match field(data, "t").as_f64() {
        Some(t) => seconds(t),
        None => Err(format!("{kind} needs t, a number of seconds")),
    }
}

/// Converts and validates a message's data.
pub fn command(data: JsValue) -> Result<Command, String> {
    let kind = field(&data, "type").as_string();
    Ok(match kind.as_deref() {
        Some("play") => Command::Play,
        Some("pause") => Command::Pause,
        Some("seek") => Command::Seek(seconds_field(&data, "seek")?),
        Some("load") => {
            let text = field(&data, "text")
                .as_string()
                .ok_or("load needs text, a string")?;
            if text.len() > MAX_TEXT {
                return Err(format!(
                    "the text is {} KiB; at most {} KiB",
                    text.len() / 1024,
                    MAX_TEXT / 1024
                ));
            }
            let t = field(&data, "t");
            let t = if t.is_null_or_undefined() {
                None
            } else {
                Some(seconds_field(&data, "load")?)
            };
            Command::Load(text, t)
        }
        Some(other) => {
            return Err(format!(
                "unknown type `{other}`, expected play, pause, seek or load"
            ))
        }
        None => return Err("a message is an object with a string `type`".into()),
    })
}

/// What the embed tells its host. Times are in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The scenario is loaded (at start and after every `load`).
    Ready { title: Option<String>, end: f64 },
    /// The playhead moved (at most every 100 ms while playing), or play/pause.
    Time { t: f64, playing: bool },
    /// The note shown changed (null: none yet).
    Note { text: Option<String> },
    /// The leader, its quorum, the election epoch or a monitor's state changed.
    State {
        leader: Option<String>,
        quorum: Vec<String>,
        epoch: u64,
        /// Every monitor's state, by name.
        mons: Vec<(String, String)>,
    },
    /// A `load` was refused (the text is not a valid scenario, or too large).
    Error { message: String },
}

pub fn secs(t: Time) -> f64 {
    t as f64 / 1e6
}

/// A string, or null for none (hosts test `=== null`).
fn string_or_null(s: &Option<String>) -> JsValue {
    s.as_deref().map_or(JsValue::NULL, JsValue::from)
}

impl Event {
    /// The plain object a host receives: `{type, ...fields}`.
    fn to_js(&self) -> JsValue {
        let fields: Vec<(&str, JsValue)> = match self {
            Event::Ready { title, end } => vec![
                ("type", "ready".into()),
                ("title", string_or_null(title)),
                ("end", (*end).into()),
            ],
            Event::Time { t, playing } => vec![
                ("type", "time".into()),
                ("t", (*t).into()),
                ("playing", (*playing).into()),
            ],
            Event::Note { text } => vec![("type", "note".into()), ("text", string_or_null(text))],
            Event::State {
                leader,
                quorum,
                epoch,
                mons,
            } => {
                let by_name = Object::new();
                for (name, state) in mons {
                    let _ = Reflect::set(&by_name, &name.into(), &state.into());
                }
                vec![
                    ("type", "state".into()),
                    ("leader", string_or_null(leader)),
                    (
                        "quorum",
                        quorum.iter().map(JsValue::from).collect::<Array>().into(),
                    ),
                    ("epoch", (*epoch as f64).into()),
                    ("mons", by_name.into()),
                ]
            }
            Event::Error { message } => {
                vec![("type", "error".into()), ("message", message.into())]
            }
        };
        let object = Object::new();
        for (name, value) in fields {
            let _ = Reflect::set(&object, &name.into(), &value);
        }
        object.into()
    }
}

/// Posts `event` to the host page, if there is one.
pub fn post(event: &Event) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if JsValue::from(&parent) == JsValue::from(&window) {
        return; // not in a frame
    }
    let _ = parent.post_message(&event.to_js(), "*");
}

pub fn warn(text: &str) {
    web_sys::console::warn_1(&format!("monscope embed: {text}").into());
}
