//! Capture directories: the raw output of every probe section, one file per stream.
//!
//! Format (documented in README.md): for each section NAME, `NAME.out` holds its stdout bytes,
//! `NAME.err` its stderr (omitted when empty), and `NAME.status` the exit status as decimal text,
//! or `timeout` when the section was killed after its bound. `MANIFEST` lists, one per line, the sections
//! the capture's run was asked for, so a capture that predates a section replays it as "not in this
//! capture" instead of as a failure; a capture without one (older hwinv, hand-made) ran exactly the
//! sections it holds. `hwinv capture` writes it and `hwinv extract --replay` reads it, so a capture
//! replays through the same parsers as a live run.

use crate::model::names::valid_section_name;
use crate::probe::{sections, Section, Sections};
use crate::sys::fs::write_atomic;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The manifest's file name.
pub const MANIFEST: &str = "MANIFEST";

/// Why a capture directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The directory or one of its files could not be read or written.
    #[error("capture '{path}': {source}")]
    Io {
        /// File or directory.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
    /// The directory holds no `*.status` file.
    #[error("capture '{0}' holds no section (*.status files)")]
    Empty(String),
    /// A section name that cannot be a file name.
    #[error("refusing section name {0:?}")]
    BadName(String),
    /// The target directory exists and is not empty.
    #[error("capture directory '{0}' exists and is not empty")]
    NotEmpty(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaptureError + '_ {
    move |source| CaptureError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read a capture directory.
pub fn read_capture(dir: &Path) -> Result<Sections, CaptureError> {
    let mut sections = Sections::default();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = file_name.strip_suffix(".status") else {
            continue;
        };
        if !valid_section_name(name) {
            return Err(CaptureError::BadName(name.to_string()));
        }
        let read = |ext: &str| -> Result<String, CaptureError> {
            let p = dir.join(format!("{name}.{ext}"));
            match fs::read(&p) {
                Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
                Err(e) => Err(io(&p)(e)),
            }
        };
        let status = read("status")?;
        let status = status.trim();
        let section = Section {
            stdout: read("out")?,
            stderr: read("err")?,
            exit_code: status.parse().ok(),
            timed_out: status == "timeout",
        };
        sections.map.insert(name.to_string(), section);
    }
    if sections.map.is_empty() {
        return Err(CaptureError::Empty(dir.display().to_string()));
    }
    sections.ran = Some(match read_manifest(dir)? {
        Some(listed) => listed,
        None => sections.map.keys().cloned().collect(),
    });
    sections.kernel = sections
        .get("uname")
        .and_then(|s| s.stdout.lines().next())
        .unwrap_or_default()
        .trim()
        .to_string();
    Ok(sections)
}

fn read_manifest(dir: &Path) -> Result<Option<BTreeSet<String>>, CaptureError> {
    let path = dir.join(MANIFEST);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    let mut names = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !valid_section_name(line) {
            return Err(CaptureError::BadName(line.to_string()));
        }
        names.insert(line.to_string());
    }
    Ok(Some(names))
}

/// The sections a run was asked for: its selection, else every script section of its OS, plus whatever
/// else it framed.
fn asked_for(s: &Sections) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = match &s.ran {
        Some(r) => r.clone(),
        None => sections::script_sections_for(&s.kernel)
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    names.extend(s.map.keys().cloned());
    names
}

/// Write a capture directory (created if missing; refused if it holds anything).
pub fn write_capture(dir: &Path, sections: &Sections) -> Result<(), CaptureError> {
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(CaptureError::NotEmpty(dir.display().to_string()));
        }
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, s) in &sections.map {
        if !valid_section_name(name) {
            return Err(CaptureError::BadName(name.clone()));
        }
        let write = |ext: &str, data: &[u8]| {
            let p = dir.join(format!("{name}.{ext}"));
            write_atomic(&p, data).map(|_| ()).map_err(io(&p))
        };
        write("out", s.stdout.as_bytes())?;
        if !s.stderr.is_empty() {
            write("err", s.stderr.as_bytes())?;
        }
        let status = if s.timed_out {
            "timeout\n".to_string()
        } else {
            s.exit_code
                .map_or_else(|| "unknown\n".to_string(), |c| format!("{c}\n"))
        };
        write("status", status.as_bytes())?;
    }
    let mut manifest = String::from("# sections this capture's run was asked for\n");
    for name in asked_for(sections) {
        manifest.push_str(&name);
        manifest.push('\n');
    }
    let p = dir.join(MANIFEST);
    write_atomic(&p, manifest.as_bytes()).map_err(io(&p))?;
    Ok(())
}
