//! One integration-test binary (see Cargo.toml `autotests = false`).
#![allow(clippy::disallowed_methods)] // tests start real sshd, nix, nats-server and friends
#![allow(unreachable_pub)] // helpers shared between test modules

mod alerts;
mod cli;
mod extract;
mod faults;
mod fleet;
mod fuzz;
mod generate;
mod hardware_config;
mod odd;
mod probe;
mod prometheus;
mod push;
mod query;
mod readiness;
mod remote_write;
mod render;
mod serve;
mod services;
mod telemetry;
mod util;
