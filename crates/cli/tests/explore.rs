//! `monscope explore` gives the same schedules and results whatever the
//! number of threads.

use std::path::PathBuf;
use std::process::Command;

fn explore(jobs: &str, out: &PathBuf) -> (String, Option<String>) {
    let o = Command::new(env!("CARGO_BIN_EXE_monscope"))
        .args(["explore", "--runs", "16", "--seed", "1", "--shrink", "0"])
        .args(["--jobs", jobs, "--out"])
        .arg(out)
        .output()
        .expect("monscope runs");
    let code = o.status.code();
    assert!(matches!(code, Some(0) | Some(1)), "{o:?}");
    let stdout = String::from_utf8_lossy(&o.stdout).replace(&*out.to_string_lossy(), "DIR");
    // Everything but the wall-clock line, and the job count in the first line.
    let text: Vec<String> = stdout
        .lines()
        .filter(|l| !l.starts_with("explored "))
        .map(|l| {
            l.split(", 1 job")
                .next()
                .unwrap_or(l)
                .split(", 3 jobs")
                .next()
                .unwrap_or(l)
                .to_string()
        })
        .collect();
    let summary = std::fs::read_to_string(out.join("summary.txt")).ok();
    // A failure is exit status 1, and listed.
    assert_eq!(code == Some(1), summary.is_some());
    (text.join("\n"), summary)
}

#[test]
fn the_same_seed_gives_the_same_results_on_one_thread_and_on_three() {
    let dir = std::env::temp_dir().join(format!("monscope-explore-test-{}", std::process::id()));
    let one = explore("1", &dir.join("one"));
    let three = explore("3", &dir.join("three"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(one, three);
    assert!(one.0.contains("16 schedules from #0 (seed 1)"), "{}", one.0);
}
