//! What runs on a host and how its output becomes a [`Snapshot`](crate::model::Snapshot).
//!
//! `script.sh` is the one script sent to a host; `frame` splits its output into sections; the OS modules
//! turn section text into facts. Everything here is pure: no process, no file, no clock.

pub mod collect;
pub mod frame;
pub mod gpu;
pub mod linux;
pub mod macos;
pub mod services;

pub use collect::{collect, CollectError, Context};
pub use frame::{Section, Sections};

/// The probe script, embedded so a remote host needs nothing installed.
pub const SCRIPT: &str = include_str!("script.sh");

/// The script as sent, probing the services of `services` (usually `<root>/templates/services.toml`);
/// the sections in `skip` are left out (hwinv collects them another way).
/// Its variable lines are safe to paste into the script: every URL and name was checked when the list was
/// parsed, and the list is single-quoted.
pub fn script_with_services(
    boundary: &str,
    sections: &[&str],
    skip: &[&str],
    services: &crate::services::ServicesConfig,
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
