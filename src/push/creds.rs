//! Credentials files for the hub, and the connection flags every push-mode command shares.
//!
//! `hwinv nats hub-config` writes one file per user holding an nkey seed in the block format NATS tools
//! use inside `.creds` files; the hub's configuration holds only the public keys. Three forms are read:
//! - an nkey seed (`SU…`), bare or between `-----BEGIN USER NKEY SEED-----` lines (what hwinv writes);
//! - a full NATS `.creds` file (user JWT plus seed, operator mode), passed to async-nats as it is;
//! - `user: NAME` and `password: SECRET` lines, for hubs configured with passwords.
//!
//! Lines starting with `#` are comments.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a credentials file holds.
#[derive(Clone)]
pub enum Creds {
    /// An nkey user seed; the public key is derived from it.
    Nkey {
        /// The seed (`SU…`).
        seed: String,
        /// Its public key (`U…`).
        public: String,
    },
    /// A user JWT and seed (`.creds` of operator mode), as text.
    Jwt(String),
    /// User name and password.
    Password {
        /// User.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Creds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Creds::Nkey { public, .. } => write!(f, "Creds::Nkey({public})"),
            Creds::Jwt(_) => write!(f, "Creds::Jwt"),
            Creds::Password { user, .. } => write!(f, "Creds::Password({user})"),
        }
    }
}

const SEED_BEGIN: &str = "-----BEGIN USER NKEY SEED-----";
const SEED_END: &str = "------END USER NKEY SEED------";

/// The text of a credentials file for an nkey seed.
pub fn nkey_file(user: &str, seed: &str) -> String {
    format!(
        "# hwinv NATS credentials for user '{user}': an nkey seed. Keep this file secret (mode 0600);\n\
         # the hub knows only its public key. Use it with --creds FILE.\n\
         {SEED_BEGIN}\n{seed}\n{SEED_END}\n"
    )
}

impl Creds {
    /// Parse a credentials file's text.
    pub fn parse(text: &str) -> Result<Creds> {
        if text.contains("BEGIN NATS USER JWT") {
            return Ok(Creds::Jwt(text.to_string()));
        }
        let lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"));
        let (mut user, mut password) = (None, None);
        for line in lines {
            if line.starts_with("SU") && !line.contains(':') {
                let kp = nkeys::KeyPair::from_seed(line)
                    .map_err(|e| anyhow::anyhow!("invalid nkey seed: {e}"))?;
                return Ok(Creds::Nkey {
                    seed: line.to_string(),
                    public: kp.public_key(),
                });
            }
            if let Some(u) = line.strip_prefix("user:") {
                user = Some(unquote(u));
            } else if let Some(p) = line.strip_prefix("password:") {
                password = Some(unquote(p));
            }
        }
        match (user, password) {
            (Some(user), Some(password)) => Ok(Creds::Password { user, password }),
            _ => bail!("no nkey seed, user JWT, or user/password lines found"),
        }
    }

    /// Read a credentials file.
    pub fn load(path: &Path) -> Result<Creds> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("unable to read credentials '{}'", path.display()))?;
        Creds::parse(&text).with_context(|| format!("credentials '{}'", path.display()))
    }

    /// The nkey public key, when the credentials are an nkey.
    pub fn public_key(&self) -> Option<&str> {
        match self {
            Creds::Nkey { public, .. } => Some(public),
            _ => None,
        }
    }
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

/// How to reach the hub: server URL, credentials and TLS files.
#[derive(Debug, Clone, clap::Args)]
pub struct HubArgs {
    /// The hub's URL, e.g. nats://hub.example.org:4222 (tls:// to require TLS).
    #[arg(long, value_name = "URL", env = "HWINV_NATS_SERVER")]
    pub server: String,

    /// Credentials file (from `hwinv nats hub-config`: an nkey seed; or a NATS .creds file; or user:/password: lines).
    #[arg(long, value_name = "FILE", env = "HWINV_NATS_CREDS")]
    pub creds: PathBuf,

    /// CA certificate (PEM) to verify the hub's TLS certificate with.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) for TLS client authentication (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Client private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require TLS even when the URL does not say tls://.
    #[arg(long)]
    pub tls: bool,
}

impl HubArgs {
    /// Connection options for these flags (the credentials are read here).
    pub fn options(&self, creds: &Creds, timeout: Duration) -> Result<async_nats::ConnectOptions> {
        let mut o = match creds {
            Creds::Nkey { seed, public } => async_nats::ConnectOptions::with_nkey(seed.clone())
                .custom_inbox_prefix(super::inbox_prefix(public)),
            Creds::Jwt(text) => async_nats::ConnectOptions::new()
                .credentials(text)
                .context("invalid NATS .creds file")?,
            Creds::Password { user, password } => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
        };
        o = o
            .connection_timeout(timeout)
            .request_timeout(Some(timeout))
            .name(concat!("hwinv ", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &self.tls_ca {
            o = o.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let (Some(c), Some(k)) = (&self.tls_cert, &self.tls_key) {
            o = o
                .add_client_certificate(c.clone(), k.clone())
                .require_tls(true);
        }
        if self.tls || self.server.starts_with("tls://") {
            o = o.require_tls(true);
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_hub_config_writes_and_password_files() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().unwrap();
        match Creds::parse(&nkey_file("web1", &seed)).unwrap() {
            Creds::Nkey { public, .. } => assert_eq!(public, kp.public_key()),
            other => panic!("{other:?}"),
        }
        match Creds::parse("# c\nuser: a\npassword: \"b c\"\n").unwrap() {
            Creds::Password { user, password } => {
                assert_eq!((user.as_str(), password.as_str()), ("a", "b c"))
            }
            other => panic!("{other:?}"),
        }
        assert!(Creds::parse("nothing here").is_err());
        assert!(Creds::parse("SUNOTASEED").is_err());
    }
}
