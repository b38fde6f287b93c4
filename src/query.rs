//! Fleet queries: the typed `--where` language ([`lang`]), the facts it can name ([`fields`]), and the
//! table/CSV/JSON/Ansible renderings ([`output`]).
//!
//! Pure functions over values: nothing here reads the inventory or the clock (the `hosts` command in
//! `commands/hosts.rs` does, and keeps the index that makes 10,000 hosts fast).

pub mod fields;
pub mod lang;
pub mod output;

pub use fields::{Field, FieldError, Meta, Ty};
pub use lang::{natural_cmp, Expr, FieldSet, QueryError};

/// The query language as `--help` shows it.
pub const HELP: &str = "\
QUERY LANGUAGE (--where, repeatable; every --where must hold):
  memory_gb >= 32                     compare a number: == != < <= > >=
  os == \"macos\"   os == macos         text: == != (exact), < > (digits compare as numbers: 9.6 < 14.4)
  cpu ~ \"m[12] (pro|max)\"             ~ regex or substring, case-insensitive; !~ negates
  gpu.vram_gb >= 24                   a field over a list holds when ANY item does (!= and !~: none)
  translated   not translated          a boolean field alone
  model == null   model != null        absent or unknown values
  memory_gb >= 32 and (os == linux or gpus.count > 0)     and / or / not / ( ), also && || !

FIELDS: short names (host os os_version arch model cpu cores threads memory_gb disk_gb gpu_count
  gpu_names vram_gb last_seen ...), any snapshot value by dotted path (hardware.cpu_cores,
  system_info.model, gpus.driver_version, sections.lsblk.status), a list's length (gpus.count,
  disks.count), gpu.* = gpus.*. `hwinv hosts --fields` lists them all with their types.
  An unknown field or a type mismatch is an error that names the field, never an empty result.

Quote the whole expression for the shell: hwinv hosts --where 'memory_gb >= 32'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_help_example_parses() {
        for q in [
            "memory_gb >= 32",
            "os == \"macos\"",
            "os == macos",
            "cpu ~ \"m[12] (pro|max)\"",
            "gpu.vram_gb >= 24",
            "translated",
            "not translated",
            "model == null",
            "model != null",
            "memory_gb >= 32 and (os == linux or gpus.count > 0)",
            "disks.count >= 2",
            "hardware.cpu_cores >= 8",
            "sections.lsblk.status == ok",
        ] {
            lang::parse(q, &mut FieldSet::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
    }
}
