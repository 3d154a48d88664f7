//! The Ceph client: `client.py` (librados, as the `ceph` CLI uses it) in one
//! long-lived Python process, asked over its stdin and answering on its stdout.

use crate::procs;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCRIPT: &str = include_str!("client.py");
/// Debian's python3-rados is built for the system Python.
pub const PYTHON: &str = "/usr/bin/python3";

/// A monitor's answer to one command.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// 0, or a negative errno (-110: timed out or no connection).
    pub rc: i64,
    pub out: String,
    pub status: String,
}

type Sink = Box<dyn FnOnce(Reply) + Send>;

pub struct Client {
    child: Child,
    stdin: Mutex<ChildStdin>,
    pending: Arc<Mutex<BTreeMap<u64, Sink>>>,
    next: AtomicU64,
}

/// Which MonClient a command goes through.
pub enum Via<'a> {
    /// Hunts over every monitor, as the `ceph` CLI does.
    Any,
    /// Only this monitor (a cached MonClient whose mon_host is NAME).
    Mon(&'a str),
    /// A MonClient of its own for this one command, as one `ceph` command
    /// is: it knows every monitor of `mons` and opens its first session
    /// with NAME, hunting over the others when that session fails.
    First { name: &'a str, mons: &'a [String] },
}

impl Via<'_> {
    fn handle(&self) -> String {
        match self {
            Via::Any => "any".into(),
            Via::Mon(n) => format!("mon:{n}"),
            Via::First { name, .. } => format!("first:{name}"),
        }
    }

    fn mons(&self) -> &[String] {
        match self {
            Via::First { mons, .. } => mons,
            _ => &[],
        }
    }
}

impl Client {
    /// Start the helper; `addrs` maps every monitor name to its address vector.
    pub fn start(
        dir: &Path,
        conf: &Path,
        addrs: &BTreeMap<String, String>,
    ) -> Result<Client, String> {
        let script = dir.join("client.py");
        std::fs::write(&script, SCRIPT).map_err(|e| format!("{}: {e}", script.display()))?;
        let addrs = serde_json::to_string(addrs).unwrap_or_default();
        let log = std::fs::File::create(dir.join("client.err"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut child = procs::spawn(
            Command::new(PYTHON)
                .arg(&script)
                .arg(conf)
                .arg(addrs)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(log),
        )
        .map_err(|e| format!("cannot start {PYTHON}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            procs::kill(&mut child);
            return Err("the client helper has no stdin/stdout".into());
        };
        let pending: Arc<Mutex<BTreeMap<u64, Sink>>> = Arc::default();
        let p = pending.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let id = v["id"].as_u64().unwrap_or(u64::MAX);
                let reply = Reply {
                    rc: v["rc"].as_i64().unwrap_or(-5),
                    out: v["out"].as_str().unwrap_or("").to_string(),
                    status: v["status"].as_str().unwrap_or("").to_string(),
                };
                let sink = p.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                if let Some(sink) = sink {
                    sink(reply);
                }
            }
        });
        Ok(Client {
            child,
            stdin: Mutex::new(stdin),
            pending,
            next: AtomicU64::new(1),
        })
    }

    /// Send `cmd`; `then` gets the reply (on the reader thread). `timeout`
    /// 0 waits for ever, as a MonClient retrying a command does.
    pub fn send(
        &self,
        via: Via,
        cmd: Value,
        timeout: Duration,
        outfile: Option<&PathBuf>,
        then: impl FnOnce(Reply) + Send + 'static,
    ) {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Box::new(then));
        let mut req = json!({
            "id": id,
            "handle": via.handle(),
            "mons": via.mons(),
            "cmd": cmd,
            "timeout": timeout.as_secs(),
        });
        if let Some(f) = outfile {
            req["outfile"] = json!(f.display().to_string());
        }
        let line = format!("{req}\n");
        let ok = self
            .stdin
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(line.as_bytes())
            .is_ok();
        if !ok {
            let sink = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            if let Some(sink) = sink {
                sink(Reply {
                    rc: -32,
                    out: String::new(),
                    status: "the client helper is gone".into(),
                });
            }
        }
    }

    /// Send and wait for the reply (at most `timeout` plus a second).
    pub fn call(
        &self,
        via: Via,
        cmd: Value,
        timeout: Duration,
        outfile: Option<&PathBuf>,
    ) -> Reply {
        let (tx, rx) = mpsc::channel();
        self.send(via, cmd, timeout, outfile, move |r| {
            let _ = tx.send(r);
        });
        rx.recv_timeout(timeout + Duration::from_secs(1))
            .unwrap_or(Reply {
                rc: -110,
                out: String::new(),
                status: "no answer".into(),
            })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        procs::kill(&mut self.child);
    }
}
