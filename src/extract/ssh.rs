//! Runs the probe on a remote host with the system `ssh`, so the user's ssh config, agent and
//! known_hosts apply exactly as they do for `ssh host`.
//!
//! User, host and port are passed as separate arguments after `--`; nothing goes through a local shell.

use super::transport::{RawOutput, Transport, TransportError};
use crate::sys::process;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to connect.
#[derive(Debug, Clone, Default)]
pub struct SshTarget {
    /// Destination as for ssh: name, address or ssh config alias (validated by the caller).
    pub host: String,
    /// Login user; `None` leaves it to ssh config.
    pub user: Option<String>,
    /// Port; `None` leaves it to ssh config.
    pub port: Option<u16>,
    /// Identity file.
    pub identity: Option<PathBuf>,
    /// Extra `-o` options.
    pub options: Vec<String>,
    /// StrictHostKeyChecking value: `accept-new` (default) or `yes`.
    pub host_key_checking: String,
    /// Skip host key checks entirely (the user asked for it by name).
    pub insecure_accept_any_host_key: bool,
}

/// SSH transport.
#[derive(Debug, Clone)]
pub struct Ssh {
    /// Connection settings.
    pub target: SshTarget,
}

impl Ssh {
    /// The argument vector passed to `ssh` (without the program name).
    pub fn args(&self, timeout: Duration) -> Vec<String> {
        let t = &self.target;
        let connect = timeout.as_secs().clamp(1, 30);
        let mut args = vec![
            "-T".to_string(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            format!("ConnectTimeout={connect}"),
            "-o".into(),
            "ServerAliveInterval=5".into(),
            "-o".into(),
            "ServerAliveCountMax=3".into(),
        ];
        if t.insecure_accept_any_host_key {
            args.extend([
                "-o".into(),
                "StrictHostKeyChecking=no".into(),
                "-o".into(),
                "UserKnownHostsFile=/dev/null".into(),
            ]);
        } else {
            let policy = if t.host_key_checking == "yes" {
                "yes"
            } else {
                "accept-new"
            };
            args.extend(["-o".into(), format!("StrictHostKeyChecking={policy}")]);
        }
        if let Some(port) = t.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        if let Some(identity) = &t.identity {
            args.extend(["-i".into(), identity.to_string_lossy().into_owned()]);
        }
        if let Some(user) = &t.user {
            args.extend(["-l".into(), user.clone()]);
        }
        for opt in &t.options {
            args.extend(["-o".into(), opt.clone()]);
        }
        args.extend(["--".into(), t.host.clone(), "sh -s".into()]);
        args
    }
}

impl Transport for Ssh {
    fn run(&self, script: &str, timeout: Duration) -> Result<RawOutput, TransportError> {
        let mut cmd = process::command("ssh");
        cmd.args(self.args(timeout));
        let out = process::run_with_deadline(cmd, script, timeout)?;
        // ssh reports its own failures (connect, auth, host key) with exit status 255.
        if out.status == Some(255) {
            return Err(TransportError::Ssh(last_line(&out.stderr)));
        }
        Ok(out)
    }

    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn target(&self) -> Option<String> {
        Some(match &self.target.user {
            Some(u) => format!("{u}@{}", self.target.host),
            None => self.target.host.clone(),
        })
    }
}

/// The last meaningful line of ssh's stderr, which names the cause ("Connection refused",
/// "Permission denied (publickey)", "Host key verification failed").
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .map_or_else(
            || "exit status 255 with no message".to_string(),
            crate::text::strip_control,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_host_and_port_are_separate_arguments_after_double_dash() {
        let ssh = Ssh {
            target: SshTarget {
                host: "10.1.1.10".into(),
                user: Some("admin; rm -rf /".into()),
                port: Some(2222),
                host_key_checking: "accept-new".into(),
                ..SshTarget::default()
            },
        };
        let args = ssh.args(Duration::from_secs(60));
        let dd = args.iter().position(|a| a == "--").unwrap();
        assert_eq!(&args[dd + 1..], ["10.1.1.10", "sh -s"]);
        assert!(args.windows(2).any(|w| w == ["-l", "admin; rm -rf /"]));
        assert!(args.windows(2).any(|w| w == ["-p", "2222"]));
        assert!(args.contains(&"StrictHostKeyChecking=accept-new".to_string()));
        assert!(!args.iter().any(|a| a.contains("UserKnownHostsFile")));
    }

    #[test]
    fn last_line_skips_known_hosts_chatter() {
        let err = b"Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nadmin@127.0.0.1: Permission denied (publickey).\r\n";
        assert_eq!(
            last_line(err),
            "admin@127.0.0.1: Permission denied (publickey)."
        );
    }
}
