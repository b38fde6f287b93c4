//! hwinv: turn hardware facts into configuration for a fleet of macOS and Linux hosts.
//!
//! The crate is split so parsing stays pure: [`probe`] turns captured text into a [`model::Snapshot`],
//! [`transport`] gets that text from a host, [`store`] keeps snapshots on disk, [`render`] writes Nix.

pub mod cli;
pub mod commands;
pub mod events;
pub mod hostname;
pub mod model;
pub mod probe;
pub mod prometheus;
pub mod query;
pub mod readiness;
pub mod redact;
pub mod render;
pub mod rules;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod transport;
