//! One integration-test binary (see Cargo.toml `autotests = false`).
#![allow(clippy::disallowed_methods)] // tests start real sshd, nix, nats-server and friends
#![allow(unreachable_pub)] // helpers shared between test modules

mod extract;
mod fleet;
mod prometheus;
mod readiness;
mod services;
mod generate;
mod render;
mod probe;
mod query;
mod telemetry;
mod util;
