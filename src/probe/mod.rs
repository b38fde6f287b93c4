//! What runs on a host and how its output becomes a [`Snapshot`](crate::model::Snapshot).
//!
//! `script.sh` is the one script sent to a host; [`frame`] splits its output into sections; [`sections`]
//! declares every section once (its OS, tool, what is lost without it, its parser and where its facts
//! go); [`collect`] walks that table. Everything here is pure: no process, no file, no clock, and nothing
//! here imports the transports, the store or the commands.

pub mod collect;
pub mod frame;
pub mod linux;
pub mod macos;
pub mod nvidia;
pub mod sections;
pub mod services;
pub mod text;
pub mod uname;

pub use collect::{collect, CollectError, Context};
pub use frame::{Section, Sections};
pub use sections::{SectionSpec, SECTIONS};

/// The probe script, embedded so a remote host needs nothing installed.
pub const SCRIPT: &str = include_str!("script.sh");

/// Output of one section that ran but could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {probe} output: {reason}")]
pub struct ParseError {
    /// The section/parser name (`cpuinfo`, `lsblk`).
    pub probe: &'static str,
    /// What was wrong, lowercase, no trailing period.
    pub reason: String,
}

impl ParseError {
    /// A parse error for `probe`.
    pub fn new(probe: &'static str, reason: impl Into<String>) -> ParseError {
        ParseError {
            probe,
            reason: reason.into(),
        }
    }
}
