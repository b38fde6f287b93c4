//! Linux section parsers: `/proc`, `/sys`, `lsblk -J` and `ip -j` text in, facts out.
//!
//! Every function here is pure (text in, value out): no file, no process, no clock. Input comes from hosts
//! we do not control, so nothing indexes into or unwraps input, and arithmetic saturates.

pub mod cpu;
pub mod devices;
pub mod disk;
pub mod dm;
pub mod dmi;
pub mod drm;
pub mod firmware;
pub mod memory;
pub mod mounts;
pub mod net;
pub mod os_release;
pub mod platform;
pub mod virt;
