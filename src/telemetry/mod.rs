//! Telemetry (in progress).
pub mod cli;
