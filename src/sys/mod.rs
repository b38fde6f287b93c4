//! The edge of the program: the only place that starts processes, handles signals, talks to the kernel
//! directly or writes files atomically. Everything above it is plain Rust over values.
//!
//! No `unsafe` anywhere in the crate: the kernel calls go through rustix, signals through signal-hook.

pub mod fs;
pub mod git;
pub mod nix;
pub mod process;
pub mod signals;
