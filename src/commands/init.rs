//! `hwinv init DIR`: start a fleet repository of your own — the fleet flake and its discovery, an
//! empty leaf-config.nix, `.gitignore`, `inventory/` and `hosts/` — as a git repository.

use crate::error::Exit;
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Arguments of `hwinv init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The directory to create (or an empty one to fill).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Do not run `git init`.
    #[arg(long)]
    pub no_git: bool,
}

/// What a new fleet holds, path by path.
const FILES: &[(&str, &str)] = &[
    ("flake.nix", include_str!("../../examples/fleet/flake.nix")),
    (
        "nix/discover.nix",
        include_str!("../../examples/fleet/nix/discover.nix"),
    ),
    (
        "nix/host.nix",
        include_str!("../../examples/fleet/nix/host.nix"),
    ),
    ("leaf-config.nix", include_str!("init/leaf-config.nix")),
    (
        ".gitignore",
        include_str!("../../examples/fleet/.gitignore"),
    ),
];

/// Run it.
pub fn run(args: &InitArgs) -> Result<Exit> {
    let dir = &args.dir;
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "'{}' is not empty: hwinv init fills a new or empty directory and never overwrites a file",
                    dir.display()
                );
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create '{}'", dir.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read '{}'", dir.display())),
    }
    for sub in ["inventory", "hosts", "nix"] {
        fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("cannot create '{}'", dir.join(sub).display()))?;
    }
    for (rel, text) in FILES {
        write_once(&dir.join(rel), text)?;
    }
    let git = if args.no_git {
        "not a git repository (--no-git): flakes only see files git tracks".to_string()
    } else {
        match crate::sys::git::git(dir, &["init", "-q"])
            .and_then(|_| crate::sys::git::git(dir, &["add", "-A"]))
        {
            Ok(_) => "a git repository, files added".to_string(),
            Err(e) => {
                format!("git init failed ({e}): run it yourself, flakes only see files git tracks")
            }
        }
    };
    let shown = dir.display();
    crate::commands::output::print(&format!(
        "created the fleet in {shown} ({git})\n\
         next:\n  \
           cd {shown}\n  \
           hwinv extract                      # this machine; or: hwinv extract HOST USER\n  \
           hwinv generate --all --git-add     # configuration for every host\n  \
           nix --extra-experimental-features 'nix-command flakes' flake show\n"
    ))?;
    Ok(Exit::Success)
}

/// Write a new file; never replace one.
fn write_once(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create '{}'", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    Ok(())
}
