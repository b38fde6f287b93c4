//! Telemetry: how a host is *doing* over time (the hardware snapshot says what it *is*).
//!
//! `hwinv sample` reads metrics ([`collect`]), checks them against the data rules ([`model`]) and appends
//! them as date-partitioned Parquet ([`store`], [`parquet_io`]); `hwinv rollup` turns samples into
//! per-host buckets and alerts ([`rollup`], pure); [`crate::config::telemetry`] holds the settings. Parsing of sensor text
//! is pure ([`parse`]). Nothing here runs as a daemon: `sample --every` is a foreground loop.

pub mod collect;
pub mod model;
pub mod parquet_io;
pub mod parse;
pub mod rollup;
pub mod sink;
pub mod store;
