//! The page's panels, one job each.

pub mod actions;
pub mod cluster;
pub mod controls;
pub mod details;
pub mod event_log;
pub mod export;
pub mod header;
pub mod help;
pub mod inspector;
pub mod my_scenarios;
pub mod scenario;
pub mod storage_notice;
pub mod timeline;
// Share, embed and tour (issue 4).
pub mod embed;
pub mod error_panel;
pub mod tour;

/// Seconds with millisecond precision, for labels: `12.345 s`.
pub fn secs(t: u64) -> String {
    format!("{}.{:03} s", t / 1_000_000, (t / 1_000) % 1_000)
}
