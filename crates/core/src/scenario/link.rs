//! Share links: `#s1=` + base64url(raw DEFLATE(text)) [`&t=SECONDS`] [`&sel=NAME`].
//! Decoding only recovers the text; validating it is [`super::parse`]'s job.

use super::base64::{self, Base64Error};
use super::units::{decimal_times, is_name};
use crate::text_escape::quoted_char;
use crate::time::{format_secs, Time, SEC};

/// Texts inflate to at most this many bytes, so a hostile link cannot make
/// the decoder allocate more.
pub const MAX_TEXT: usize = 64 * 1024;

/// The fragment (without `#`) that carries `text`: `s1=...`.
pub fn encode_payload(text: &str) -> String {
    let compressed = super::deflate::compress(text.as_bytes());
    format!("s1={}", base64::encode(&compressed))
}

/// `base#s1=...[&t=SECONDS][&sel=NAME]`.
pub fn share_link(base: &str, text: &str, t: Option<Time>, sel: Option<&str>) -> String {
    let base = base.split('#').next().unwrap_or(base);
    let mut out = format!("{base}#{}", encode_payload(text));
    if let Some(t) = t {
        out.push_str("&t=");
        out.push_str(&format_secs(t));
    }
    if let Some(sel) = sel {
        out.push_str("&sel=");
        out.push_str(sel);
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The playhead.
    pub t: Option<Time>,
    /// The selected monitor.
    pub sel: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    NoPayload,
    UnknownVersion(String),
    Repeated(String),
    /// 1-based character position in the payload.
    BadBase64 {
        pos: usize,
        c: char,
    },
    TruncatedBase64,
    BadDeflate,
    TooLarge,
    NotUtf8,
    BadTime(String),
    BadSel(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::NoPayload => write!(f, "the link has no scenario (no s1 parameter)"),
            LinkError::UnknownVersion(v) => write!(
                f,
                "the link is in an unknown format \"{v}\" (this version of monscope reads s1 links)"
            ),
            LinkError::Repeated(k) => write!(f, "the link gives \"{k}\" twice"),
            LinkError::BadBase64 { pos, c } => write!(
                f,
                "the link's scenario is damaged: bad base64 at position {pos} ({} is not a base64url character)",
                quoted_char(*c)
            ),
            LinkError::TruncatedBase64 => write!(
                f,
                "the link's scenario is damaged: bad base64 length (was the link cut short?)"
            ),
            LinkError::BadDeflate => write!(
                f,
                "the link's scenario is damaged: not valid DEFLATE data (was the link cut short?)"
            ),
            LinkError::TooLarge => write!(
                f,
                "the link's scenario is too large: it inflates past {} KiB",
                MAX_TEXT / 1024
            ),
            LinkError::NotUtf8 => write!(f, "the link's scenario is not valid UTF-8 text"),
            LinkError::BadTime(t) => write!(
                f,
                "bad t=\"{t}\" in the link: expected a time in seconds like 12.5"
            ),
            LinkError::BadSel(s) => write!(
                f,
                "bad sel=\"{s}\" in the link: expected a monitor name"
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// Decode a full URL, a `#fragment`, or a bare `s1=...`.
pub fn decode(link: &str) -> Result<Decoded, LinkError> {
    let link = link.trim();
    let fragment = match link.split_once('#') {
        Some((_, f)) => f,
        None => link,
    };
    let mut payload: Option<&str> = None;
    let mut t: Option<&str> = None;
    let mut sel: Option<&str> = None;
    for param in fragment.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = param.split_once('=').unwrap_or((param, ""));
        let slot = match k {
            "s1" => &mut payload,
            "t" => &mut t,
            "sel" => &mut sel,
            // A later format: `s2`, `s3`...
            _ if k.len() > 1
                && k.starts_with('s')
                && k.bytes().skip(1).all(|b| b.is_ascii_digit()) =>
            {
                return Err(LinkError::UnknownVersion(clip(k)))
            }
            // Unknown parameters are left for newer versions.
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return Err(LinkError::Repeated(k.to_string()));
        }
    }
    let payload = payload.ok_or(LinkError::NoPayload)?;
    let compressed = base64::decode(payload).map_err(|e| match e {
        Base64Error::BadChar { pos, c } => LinkError::BadBase64 { pos, c },
        Base64Error::BadLength => LinkError::TruncatedBase64,
    })?;
    let bytes = inflate(&compressed)?;
    let text = String::from_utf8(bytes).map_err(|_| LinkError::NotUtf8)?;
    let t = t
        .map(|v| decimal_times(v, SEC).map_err(|_| LinkError::BadTime(clip(v))))
        .transpose()?;
    let sel = sel
        .map(|v| {
            if is_name(v) {
                Ok(v.to_string())
            } else {
                Err(LinkError::BadSel(clip(v)))
            }
        })
        .transpose()?;
    Ok(Decoded { text, t, sel })
}

/// Raw DEFLATE, bounded by [`MAX_TEXT`].
fn inflate(data: &[u8]) -> Result<Vec<u8>, LinkError> {
    use super::inflate::{decompress, InflateError};
    decompress(data, MAX_TEXT).map_err(|e| match e {
        InflateError::TooLarge => LinkError::TooLarge,
        InflateError::Bad => LinkError::BadDeflate,
    })
}

/// A user's value quoted back in an error, cut to a readable length.
fn clip(v: &str) -> String {
    const MAX: usize = 40;
    if v.chars().count() > MAX {
        let mut s: String = v.chars().take(MAX).collect();
        s.push('…');
        s
    } else {
        v.to_string()
    }
}
