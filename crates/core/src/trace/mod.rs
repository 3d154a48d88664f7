//! What happened in a run: every message (sent, delivered, dropped and why),
//! timer, state change, store write, client request and expectation result,
//! with its time. The UI, the CLI and the tests read only this.

pub mod binary;
pub mod blocks;
pub mod chunked;
pub mod compact;
pub mod event;
pub mod expect;
pub mod format;
pub mod json;
pub mod json_read;
pub mod layout;
pub mod milestones;
pub mod properties;
pub mod state;
pub mod state_bands;
pub mod store_tx;
pub mod svg;

pub use event::{
    ClientAnswer, DropReason, Event, EventKind, MsgId, NodeId, SmallNode, ThinStr, TimerCode,
};
