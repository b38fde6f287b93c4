//! Writing a command's answer: data alone on stdout, through one function, so a closed pipe surfaces as
//! BrokenPipe (which main treats as success); and whether to color it. Not a command itself.

use super::args::ColorChoice;
use anyhow::Result;
use std::io::{IsTerminal, Write};

/// Write to standard output and flush.
pub fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Pretty JSON of `v` with a final newline, on standard output.
pub fn print_json(v: &impl serde::Serialize) -> Result<()> {
    let mut out = serde_json::to_string_pretty(v)?;
    out.push('\n');
    print(&out)
}

/// Whether to use ANSI colors on standard output.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// How to run hwinv on the same inventory in a hint: `hwinv`, with `--root DIR` when it is not the current
/// directory.
pub fn hwinv_command(root: &std::path::Path) -> String {
    if root == std::path::Path::new(".") || root.as_os_str().is_empty() {
        "hwinv".to_string()
    } else {
        let shown = root.display().to_string();
        let plain = shown
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~' | '+'));
        if plain {
            format!("hwinv --root {shown}")
        } else {
            format!("hwinv --root '{}'", shown.replace('\'', "'\\''"))
        }
    }
}
