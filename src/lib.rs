//! hwinv: turn hardware facts into configuration for a fleet of macOS and Linux hosts.
//!
//! The code follows the data: [`probe`] turns captured text into a [`model::Snapshot`] (pure), [`extract`]
//! gets that text from a host, [`store`] keeps snapshots on disk, [`render`] writes Nix, NATS and
//! Prometheus text; [`config`] holds the user's rules, [`query`] and [`readiness`] answer questions over
//! snapshots, [`telemetry`] keeps metric history. [`sys`] is the only place with processes, signals and
//! atomic files; [`commands`] wires one subcommand each to all of them.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod extract;
pub mod model;
pub mod probe;
pub mod push;
pub mod query;
pub mod readiness;
pub mod remote_write;
pub mod render;
pub mod serve;
pub mod store;
pub mod sys;
pub mod telemetry;
pub mod text;
