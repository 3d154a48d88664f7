//! `monscope link FILE` and `monscope decode LINK`.

use crate::load::load;
use crate::{flag_value, wants_help};
use monscope_core::scenario::link::{decode, share_link};
use monscope_core::scenario::units::{is_name, parse_duration};
use monscope_core::time::format_secs;

pub const DEFAULT_BASE: &str = "http://127.0.0.1:8080/";

const LINK_HELP: &str = "\
usage: monscope link FILE [--base URL] [--t SECONDS] [--sel NAME]

Prints a share link carrying the scenario text (compressed), optionally with
the playhead (--t, in seconds) and the selected monitor (--sel). The browser's
Share button makes the same link for the same text and state.
Default base: http://127.0.0.1:8080/";

const DECODE_HELP: &str = "\
usage: monscope decode LINK

Prints the scenario text carried by a share link (a full URL, a #fragment,
or s1=...), then the playhead and selection if present, on stderr.";

pub fn main_link(args: &[String]) -> u8 {
    if wants_help(args, LINK_HELP) {
        return 0;
    }
    let (mut file, mut base, mut t, mut sel) = (None, DEFAULT_BASE.to_string(), None, None);
    let mut i = 0;
    while i < args.len() {
        let r = match args[i].as_str() {
            "--base" => flag_value(args, &mut i, "--base").map(|v| base = v.to_string()),
            "--t" => flag_value(args, &mut i, "--t")
                .and_then(|v| {
                    parse_duration(&format!("{v}s"))
                        .map_err(|_| format!("--t takes seconds, like 12.5 (not \"{v}\")"))
                })
                .map(|v| t = Some(v)),
            // The page refuses a link whose sel is not a name: never make one.
            "--sel" => flag_value(args, &mut i, "--sel").and_then(|v| {
                if !is_name(v) {
                    return Err(format!("--sel takes a monitor's name (not \"{v}\")"));
                }
                sel = Some(v.to_string());
                Ok(())
            }),
            f if !f.starts_with("--") && file.is_none() => {
                file = Some(f.to_string());
                Ok(())
            }
            other => Err(format!("unexpected argument \"{other}\"")),
        };
        if let Err(e) = r {
            eprintln!("error: {e}\n\n{LINK_HELP}");
            return 2;
        }
        i += 1;
    }
    let Some(file) = file else {
        eprintln!("error: link needs a scenario FILE\n\n{LINK_HELP}");
        return 2;
    };
    match load(&file) {
        Ok((text, _)) => {
            println!("{}", share_link(&base, &text, t, sel.as_deref()));
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

pub fn main_decode(args: &[String]) -> u8 {
    if wants_help(args, DECODE_HELP) {
        return 0;
    }
    let [link] = args else {
        eprintln!("error: decode needs exactly one LINK\n\n{DECODE_HELP}");
        return 2;
    };
    match decode(link) {
        Ok(d) => {
            print!("{}", d.text);
            if let Some(t) = d.t {
                eprintln!("playhead: {}s", format_secs(t));
            }
            if let Some(s) = d.sel {
                eprintln!("selected: {s}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
