//! Splits the probe script's framed output into sections.
//!
//! Owns the wire format written by `script.sh` (see the comment at its top). It must not interpret what
//! a section says: that is the parsers' job.

use super::sections::{Producer, Scope, SectionSpec};
use crate::model::names::valid_section_name;
use std::collections::{BTreeMap, BTreeSet};

/// Raw output of one probe section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Standard output, decoded as UTF-8 with invalid bytes replaced.
    pub stdout: String,
    /// Standard error, decoded the same way.
    pub stderr: String,
    /// Exit status of the section's command; `None` when the script could not tell.
    pub exit_code: Option<i32>,
    /// True when the section was killed after its time bound.
    pub timed_out: bool,
}

impl Section {
    /// The section's stdout when it ran to completion with exit status 0.
    pub fn ok_stdout(&self) -> Option<&str> {
        (self.exit_code == Some(0) && !self.timed_out).then_some(self.stdout.as_str())
    }
}

/// Every section of one probe run, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sections {
    /// Sections keyed by name.
    pub map: BTreeMap<String, Section>,
    /// `uname -s` as the script saw it before any section ran (`Linux`, `Darwin`).
    pub kernel: String,
    /// The sections this run was asked for, when it was not every section of the script (a capture's
    /// manifest, a selection): a section outside it is "not in this capture", not "not collected".
    pub ran: Option<BTreeSet<String>>,
}

impl Sections {
    /// One section, if the script ran it.
    pub fn get(&self, name: &str) -> Option<&Section> {
        self.map.get(name)
    }

    /// A section's stdout when it succeeded.
    pub fn ok(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Section::ok_stdout)
    }

    /// Whether this run should have framed `spec`: a script section about the host that the run was
    /// asked for. Service sections run only where their daemon exists, so their absence is no news.
    pub fn expected(&self, spec: &SectionSpec) -> bool {
        spec.producer == Producer::Script
            && spec.scope == Scope::Host
            && !spec.on_demand
            && self.ran.as_ref().map_or(true, |r| r.contains(spec.name))
    }
}

/// Why framed output could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// No header line: the host did not run the probe (a shell banner, a refused command, garbage).
    #[error("output is not from the hwinv probe (no header line); first bytes: {0:?}")]
    NoHeader(String),
    /// The output stopped before the closing marker (connection dropped, host killed the script).
    #[error("output is truncated: it stops inside section '{0}'")]
    Truncated(String),
    /// A marker line did not have the expected shape.
    #[error("malformed marker line {0:?}")]
    BadMarker(String),
}

/// Parse the framed output. `boundary` is the random token hwinv passed to the script.
///
/// ```text
/// B hwinv-probe 1 Linux
/// B begin uname
/// Linux
/// B stderr uname
/// B end uname 0 0
/// B done
/// ```
pub fn parse(output: &[u8], boundary: &str) -> Result<Sections, FrameError> {
    let text = String::from_utf8_lossy(output);
    let header = format!("{boundary} hwinv-probe 1");
    let Some(start) = text.find(&header) else {
        let head: String = text.chars().take(60).collect();
        return Err(FrameError::NoHeader(head));
    };
    let rest = &text[start + header.len()..];
    let (header_line, mut rest) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut sections = Sections {
        kernel: header_line.trim().to_string(),
        ..Sections::default()
    };
    let begin = format!("{boundary} begin ");
    let stderr_marker = format!("\n{boundary} stderr ");
    let end_marker = format!("\n{boundary} end ");
    let done = format!("{boundary} done");
    let mut current = String::from("<start>");
    loop {
        rest = rest.trim_start_matches('\n');
        if rest.starts_with(&done) {
            return Ok(sections);
        }
        let Some(after) = rest.strip_prefix(&begin) else {
            return Err(FrameError::Truncated(current));
        };
        let (name, body) = after
            .split_once('\n')
            .ok_or_else(|| FrameError::Truncated(current.clone()))?;
        if !valid_section_name(name) {
            return Err(FrameError::BadMarker(name.chars().take(80).collect()));
        }
        current = name.to_string();
        let (stdout, body) = body
            .split_once(&format!("{stderr_marker}{name}\n"))
            .ok_or_else(|| FrameError::Truncated(current.clone()))?;
        let (stderr, body) = body
            .split_once(&format!("{end_marker}{name} "))
            .ok_or_else(|| FrameError::Truncated(current.clone()))?;
        let (status, body) = body
            .split_once('\n')
            .ok_or_else(|| FrameError::Truncated(current.clone()))?;
        let mut fields = status.split_whitespace();
        let exit_code = fields.next().and_then(|c| c.parse::<i32>().ok());
        let timed_out = match fields.next() {
            Some("1") => true,
            Some("0") => false,
            _ => return Err(FrameError::BadMarker(status.to_string())),
        };
        sections.map.insert(
            name.to_string(),
            Section {
                stdout: stdout.to_string(),
                stderr: stderr.to_string(),
                exit_code,
                timed_out,
            },
        );
        rest = body;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_sections_and_keeps_missing_final_newline() {
        let out = b"motd\nB hwinv-probe 1 Linux\n\nB begin a\nno newline\nB stderr a\n\nB end a 0 0\n\nB begin b\nline\n\nB stderr b\noops\n\nB end b 127 1\nB done\n";
        let s = parse(out, "B").unwrap();
        assert_eq!(s.kernel, "Linux");
        assert_eq!(s.get("a").unwrap().stdout, "no newline");
        assert_eq!(s.ok("a"), Some("no newline"));
        let b = s.get("b").unwrap();
        assert_eq!(b.stdout, "line\n");
        assert_eq!(b.stderr, "oops\n");
        assert_eq!(b.exit_code, Some(127));
        assert!(b.timed_out);
        assert_eq!(s.ok("b"), None);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(matches!(
            parse(b"Welcome!\n", "B"),
            Err(FrameError::NoHeader(_))
        ));
        let cut = b"B hwinv-probe 1 Linux\n\nB begin a\nhalf";
        assert_eq!(parse(cut, "B"), Err(FrameError::Truncated("a".into())));
        let no_done = b"B hwinv-probe 1 Linux\n\nB begin a\nx\nB stderr a\n\nB end a 0 0\n";
        assert!(matches!(parse(no_done, "B"), Err(FrameError::Truncated(_))));
    }

    #[test]
    fn output_that_mimics_a_marker_with_another_boundary_is_data() {
        let out = b"B hwinv-probe 1 Linux\n\nB begin a\nX end a 0 0\n\nB stderr a\n\nB end a 0 0\nB done\n";
        assert_eq!(parse(out, "B").unwrap().ok("a"), Some("X end a 0 0\n"));
    }
}
