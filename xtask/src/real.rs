//! `cargo xtask real`: every built-in scenario compared on the simulator and
//! on a real ceph-mon cluster (`monscope compare`), and a markdown report;
//! and the real-Ceph smoke step of `cargo xtask test`.

use crate::sh;
use crate::test::{cli, mon_files};
use crate::tools;
use crate::Result;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The smoke step's budget: past it, the run is stopped (SIGTERM: monscope
/// ends its cluster) and the step fails.
const SMOKE_BUDGET: Duration = Duration::from_secs(300);

/// Run `cmd` with the terminal's output; stop it (SIGTERM, then its own
/// clean-up) if it runs past `deadline`.
fn run_until(cmd: &mut Command, deadline: Instant) -> Result<std::process::ExitStatus> {
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
            return Err(format!(
                "stopped after the {}s budget",
                SMOKE_BUDGET.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `cargo xtask test`'s real-Ceph smoke: `monscope real` on tests/real/*.mon.
pub fn smoke(root: &Path) -> Result {
    tools::ensure_ceph()?;
    let cli = cli(root)?;
    let deadline = Instant::now() + SMOKE_BUDGET;
    for file in mon_files(&root.join("tests/real"))? {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        println!("xtask: $ monscope real {}", rel.display());
        let status = run_until(
            Command::new(&cli).arg("real").arg(&rel).current_dir(root),
            deadline,
        )?;
        if !status.success() {
            return Err(format!(
                "`monscope real {}` failed ({status})",
                rel.display()
            ));
        }
    }
    Ok(())
}

/// `cargo xtask real`: compare every scenario and write target/real-report.md.
pub fn report(root: &Path) -> Result {
    tools::ensure_ceph()?;
    let cli = cli(root)?;
    let out_dir = sh::target_dir(root).join("real");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let rows = out_dir.join("rows.md");
    let _ = std::fs::remove_file(&rows);
    let start = Instant::now();
    for file in mon_files(&root.join("scenarios"))? {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        let stem = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let log = out_dir.join(format!("{stem}.txt"));
        println!(
            "xtask: $ monscope compare {} (output in {})",
            rel.display(),
            log.display()
        );
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        // Exit 1 means "differs": that is what the report is for.
        let status = Command::new(&cli)
            .args(["compare", "--skip-unreproducible", "--report-row"])
            .arg(&rows)
            .arg(&rel)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| format!("cannot run monscope compare: {e}"))?;
        if status.code() == Some(130) {
            return Err("interrupted".into());
        }
    }
    let rows = std::fs::read_to_string(&rows).unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let report = format!(
        "# monscope vs real ceph-mon\n\n\
         Every scenario in scenarios/ run by `monscope compare --skip-unreproducible` \
         (simulated, then on a real cluster); the side-by-side output of each is in \
         target/real/STEM.txt. Verdicts are expectations passed / expectations. \
         {} minutes in all; load average at the end: {}.\n\n\
         | scenario | sim | real | what differs | known causes |\n|---|---|---|---|---|\n{rows}",
        start.elapsed().as_secs() / 60,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let path = sh::target_dir(root).join("real-report.md");
    std::fs::write(&path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\n{report}\nxtask: wrote {}", path.display());
    Ok(())
}
