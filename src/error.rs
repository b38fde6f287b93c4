//! How a run ends: the exit statuses hwinv promises, and the one printer for errors.

use std::process::ExitCode;

/// Exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Success,
    /// A query matched nothing, a check found differences, or a readiness gate failed.
    Negative,
    /// An error, or at least one host of a fleet failed.
    Failure,
    /// Stopped by Ctrl-C or SIGTERM (as shells report a process killed by SIGINT).
    Interrupted,
}

impl Exit {
    /// The numeric status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Negative => 1,
            Exit::Failure => 2,
            Exit::Interrupted => crate::sys::signals::INTERRUPTED_EXIT,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

/// Print `err` to stderr and say how to exit. A closed pipe (`hwinv hosts | head`) is not worth
/// reporting. Everything else is one line, the context chain joined by ": ", so fleet logs and scripts
/// can grep it; a template error adds minijinja's view of the template and line after it.
pub fn report(err: &anyhow::Error) -> Exit {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return Exit::Success;
    }
    eprintln!("error: {}", one_line(&format!("{err:#}")));
    if let Some(t) = err
        .chain()
        .find_map(|c| c.downcast_ref::<minijinja::Error>())
    {
        let info = format!("{}", t.display_debug_info());
        if !info.trim().is_empty() {
            eprintln!("{}", info.trim_end());
        }
    }
    Exit::Failure
}

/// Collapse whitespace runs (remote stderr may carry newlines) so an error stays on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
