//! Assembles a snapshot from parsed sections. (Being written: see the parser helper's task.)

use super::Sections;
use crate::model::{Snapshot, Source};

/// What the caller knows that the host's output does not say.
#[derive(Debug, Clone)]
pub struct Context {
    /// Collection time, UTC, RFC 3339 with second precision (`2026-11-22T02:51:00Z`).
    pub collected_at: String,
    /// How the output was obtained.
    pub source: Source,
    /// `hwinv <version>`.
    pub generator: String,
}

/// Why no snapshot could be built at all.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A section every snapshot needs is missing or failed.
    #[error("essential section '{section}' unusable: {reason}")]
    Essential {
        /// Section name.
        section: String,
        /// Why it could not be used.
        reason: String,
    },
}

/// Build a snapshot from framed sections.
pub fn collect(_sections: &Sections, _ctx: &Context) -> Result<Snapshot, CollectError> {
    Err(CollectError::Essential { section: "uname".into(), reason: "not implemented yet".into() })
}
