//! `hwinv serve`: the web dashboard and JSON API over the inventory root. Orchestration only: the server
//! lives in [`crate::serve`].

use crate::error::Exit;
use crate::serve::{read_token, Options};
use anyhow::Result;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Arguments of `hwinv serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Beyond loopback only with --token-file.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,

    /// File whose first line is the token every request must carry (`Authorization: Bearer <token>`,
    /// or open a page once with `?token=<token>` to set a cookie).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Offer start/stop/restart of these systemd units on this machine (needs --token-file; each action
    /// asks for confirmation and is recorded as an event). Without it the action routes do not exist.
    #[arg(long, num_args = 1.., value_name = "UNIT")]
    pub allow_actions: Vec<String>,
}

/// Run `serve` until Ctrl-C or SIGTERM.
pub fn run(root: &Path, args: &ServeArgs) -> Result<Exit> {
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    crate::serve::run(
        root,
        Options {
            listen: args.listen,
            token,
            allow_actions: args.allow_actions.clone(),
        },
    )?;
    Ok(Exit::Success)
}
