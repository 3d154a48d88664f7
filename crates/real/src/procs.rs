//! Every process a run starts is registered here by PID and ended by PID:
//! when the run ends, on Ctrl-C or SIGTERM (a signal thread), on a panic (a
//! hook, which also runs under panic=abort) and when the guard drops. The
//! children get their own process group, so a terminal's Ctrl-C reaches only
//! monscope, which then ends them; and PR_SET_PDEATHSIG, so that they die
//! with the thread that started them (the run's main thread) even if monscope
//! itself is killed.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

static PIDS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn pids() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    PIDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start `cmd` as a registered child.
pub fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    pids().insert(child.id() as i32);
    Ok(child)
}

/// SIGKILL a registered child by its PID and reap it.
pub fn kill(child: &mut Child) {
    let pid = child.id() as i32;
    if matches!(child.try_wait(), Ok(None)) {
        // SAFETY: kill(2) on our own child's PID, which is not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let _ = child.wait();
    pids().remove(&pid);
}

/// Forget a child that ended by itself (and was reaped).
pub fn forget(pid: u32) {
    pids().remove(&(pid as i32));
}

/// SIGKILL every registered child (not reaped: the run is ending).
pub fn kill_all() {
    let all: Vec<i32> = std::mem::take(&mut *pids()).into_iter().collect();
    for pid in all {
        // SAFETY: kill(2) by PID on children we started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// The number of children registered and not yet ended.
pub fn live() -> usize {
    pids().len()
}

/// Ends every child when dropped (also when a panic unwinds).
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        kill_all();
    }
}

static HANDLERS: Once = Once::new();

/// Set by SIGINT or SIGTERM: the run stops and cleans up.
pub static STOP: AtomicBool = AtomicBool::new(false);

pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Install, once per process: the panic hook, and a thread that takes
/// SIGINT and SIGTERM. The signal sets [`STOP`]; the run notices within 50 ms
/// and ends cleanly. If it has not ended 5 s later, the thread ends every
/// child itself and exits with 130.
///
/// Must be called before any other thread starts (the signal mask is
/// inherited by threads; Rust's Command resets it in children).
pub fn install() {
    HANDLERS.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            kill_all();
            previous(info);
        }));
        // SAFETY: plain signal-set manipulation on a local sigset_t.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            set
        };
        std::thread::spawn(move || loop {
            let mut sig: libc::c_int = 0;
            // SAFETY: waits for one of the blocked signals in `set`.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                continue;
            }
            eprintln!("monscope: signal {sig}: stopping the cluster");
            STOP.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(5));
            kill_all();
            std::process::exit(130);
        });
    });
}
