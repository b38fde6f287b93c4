//! One integration-test binary (see Cargo.toml `autotests = false`).
#![allow(clippy::disallowed_methods)] // tests start real sshd, nix, nats-server and friends
#![allow(unreachable_pub)] // helpers shared between test modules

mod extract;
mod fleet;
mod generate;
mod odd;
mod probe;
mod prometheus;
mod push;
mod query;
mod readiness;
mod render;
mod services;
mod telemetry;
mod util;
