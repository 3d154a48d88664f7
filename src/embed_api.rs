//! Embed mode's postMessage API (documented in README.md, "Embedding").
//! Host → embed messages are plain JS objects, converted with
//! serde-wasm-bindgen and validated; anything else is ignored with a
//! console warning. Embed → host messages go to `window.parent`.

use monscope_core::scenario::link::MAX_TEXT;
use monscope_core::time::Time;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// What a host page may send, as received.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Wire {
    Play,
    Pause,
    /// `t` in seconds.
    Seek {
        t: f64,
    },
    /// A scenario text, and optionally where to put the playhead (seconds).
    Load {
        text: String,
        #[serde(default)]
        t: Option<f64>,
    },
}

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
        Err(format!("t must be seconds from 0, got {t}"))
    }
}

/// Converts and validates a message's data.
pub fn command(data: JsValue) -> Result<Command, String> {
    let wire: Wire = serde_wasm_bindgen::from_value(data).map_err(|e| e.to_string())?;
    Ok(match wire {
        Wire::Play => Command::Play,
        Wire::Pause => Command::Pause,
        Wire::Seek { t } => Command::Seek(seconds(t)?),
        Wire::Load { text, t } => {
            if text.len() > MAX_TEXT {
                return Err(format!(
                    "the text is {} KiB; at most {} KiB",
                    text.len() / 1024,
                    MAX_TEXT / 1024
                ));
            }
            Command::Load(text, t.map(seconds).transpose()?)
        }
    })
}

/// What the embed tells its host. Times are in seconds.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
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
        mons: std::collections::BTreeMap<String, String>,
    },
    /// A `load` was refused (the text is not a valid scenario, or too large).
    Error { message: String },
}

pub fn secs(t: Time) -> f64 {
    t as f64 / 1e6
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
    // JSON-compatible: None becomes null (not undefined), so hosts can test `=== null`.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match event.serialize(&serializer) {
        Ok(value) => {
            let _ = parent.post_message(&value, "*");
        }
        Err(e) => warn(&format!("cannot send {event:?}: {e}")),
    }
}

pub fn warn(text: &str) {
    web_sys::console::warn_1(&format!("monscope embed: {text}").into());
}
