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

/// The script as sent: the sections in `sections` (all when empty) except those in `skip` (hwinv collects
/// them another way), probing the services of `services` (usually `<root>/templates/services.toml`).
/// Its variable lines are safe to paste into the script: every URL and name was checked when the list was
/// parsed, and the list is single-quoted.
pub fn script_with_services(
    boundary: &str,
    sections: &[&str],
    skip: &[&str],
    services: &crate::config::services::ServicesConfig,
) -> String {
    let selection = if sections.is_empty() {
        "all".to_string()
    } else {
        sections.join(" ")
    };
    let vars = services.script_vars();
    let skip = skip.join(" ");
    format!("HWINV_B={boundary}\nHWINV_SECTIONS='{selection}'\nHWINV_SKIP='{skip}'\n{vars}{SCRIPT}")
}
