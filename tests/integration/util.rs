//! Test harness: the hwinv binary, real sshd instances on 127.0.0.1, and fake macOS tool directories.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (for fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A real shared fixture by relative path under tests/fixtures/shared.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures/shared").join(rel)
}

/// `hwinv` with `--root root`.
pub fn hwinv(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hwinv"));
    c.arg("--root").arg(root).env_remove("HWINV_ROOT");
    c
}

/// Run a command, returning (status code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("command starts");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fail with a clear message when a required tool is absent (tests never skip silently).
pub fn require(tool: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(tool);
        if p.exists() {
            return p;
        }
    }
    panic!("required tool '{tool}' is not installed: run the README test command (scripts/test.sh), which installs it");
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Every file under `dir` with its bytes, for "nothing changed" assertions.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = fs::read_dir(d) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(&p, out);
            } else if ft.is_symlink() {
                out.push((
                    p.clone(),
                    fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                ));
            } else {
                out.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

/// A real OpenSSH server on 127.0.0.1 with its own config, host key and authorized user key.
pub struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Sshd {
    /// Start sshd. `force_command`, when set, replaces whatever the client asks to run.
    pub fn start(force_command: Option<&str>) -> Sshd {
        let sshd = require("sshd");
        let keygen = require("ssh-keygen");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (key, _) in [("host_key", ()), ("user_key", ()), ("other_key", ())] {
            let st = Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "hwinv-test", "-f"])
                .arg(d.join(key))
                .status()
                .unwrap();
            assert!(st.success());
        }
        fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        fs::create_dir_all("/run/sshd").ok();
        let user = whoami();
        for _attempt in 0..5 {
            let port = free_port();
            let mut cfg = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\nPidFile {pid}\n\
                 UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nAllowUsers {user}\nLogLevel ERROR\nMaxStartups 200:30:400\n\
                 MaxSessions 200\nPrintMotd no\n",
                hk = d.join("host_key").display(),
                ak = d.join("authorized_keys").display(),
                pid = d.join("sshd.pid").display(),
            );
            if let Some(fc) = force_command {
                cfg.push_str(&format!("ForceCommand {fc}\n"));
            }
            fs::write(d.join("sshd_config"), cfg).unwrap();
            let mut child = Command::new(&sshd)
                .args(["-D", "-e", "-f"])
                .arg(d.join("sshd_config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(d.join("sshd.log")).unwrap())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut up = false;
            while Instant::now() < deadline {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    up = true;
                    break;
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if up {
                return Sshd { port, dir, child };
            }
            let _ = child.kill();
            let _ = child.wait();
            let log = fs::read_to_string(d.join("sshd.log")).unwrap_or_default();
            // The port was taken between probing and binding: try another; anything else is fatal.
            assert!(
                log.contains("Address already in use"),
                "sshd did not start: {log}"
            );
        }
        panic!("sshd could not find a free port");
    }

    /// Arguments that make hwinv (and ssh) use this server's keys and a private known_hosts.
    pub fn hwinv_args(&self) -> Vec<String> {
        let d = self.dir.path();
        vec![
            "127.0.0.1".into(),
            whoami(),
            "--port".into(),
            self.port.to_string(),
            "-i".into(),
            d.join("user_key").display().to_string(),
            "-o".into(),
            format!("UserKnownHostsFile={}", d.join("known_hosts").display()),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "IdentityAgent=none".into(),
        ]
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The current user's login name.
pub fn whoami() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            let out = Command::new("id").arg("-un").output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
}

/// A directory of fake macOS tools (uname, sw_vers, sysctl, system_profiler, scutil, ifconfig) that print
/// real captured macOS outputs, for a simulated macOS host behind sshd.
pub struct FakeMac {
    pub sysctl: String,
    pub sw_vers: String,
    pub sp_hardware: String,
    pub sp_displays: String,
    pub sp_storage: String,
    pub local_host_name: String,
    pub uname_m: String,
    pub translated: Option<&'static str>,
}

impl FakeMac {
    /// An M1 Pro MacBook Pro from the real fixtures.
    pub fn m1_pro() -> FakeMac {
        let read = |p: &str| fs::read_to_string(fixture(p)).unwrap();
        FakeMac {
            sysctl: read("other/ansible-sysctl_darwin-M1Pro-MacBookPro18,1.txt"),
            sw_vers: read("other/tirekick-runner-macos-26-arm64-vm-about-sw_vers.txt")
                .lines()
                .take(3)
                .map(|l| format!("{l}\n"))
                .collect(),
            sp_hardware: read(
                "macos/tirekick-SPHardwareDataType_AppleSilicon_M1_lockDisabled.json",
            ),
            sp_displays: read(
                "macos/tirekick-SPDisplaysDataType_AppleSilicon_M1Pro_builtinPlus2.json",
            ),
            sp_storage: read("macos/tirekick-SPStorageDataType_AppleSilicon_1TB_withUSB.json"),
            local_host_name: "mac-studio-1".into(),
            uname_m: "arm64".into(),
            translated: Some("0"),
        }
    }

    /// Write the tools into `dir/bin` and return that directory.
    pub fn install(&self, dir: &Path) -> PathBuf {
        let bin = dir.join("fakemac-bin");
        let data = dir.join("fakemac-data");
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(&data).unwrap();
        for (name, body) in [
            ("sysctl.txt", &self.sysctl),
            ("sw_vers.txt", &self.sw_vers),
            ("SPHardwareDataType.json", &self.sp_hardware),
            ("SPDisplaysDataType.json", &self.sp_displays),
            ("SPStorageDataType.json", &self.sp_storage),
            ("hostname.txt", &self.local_host_name),
        ] {
            fs::write(data.join(name), body).unwrap();
        }
        let d = data.display();
        let translated = match self.translated {
            Some(v) => format!("echo {v}"),
            None => "echo 'sysctl: unknown oid' >&2; exit 1".into(),
        };
        let tools = [
            (
                "uname",
                format!(
                    "out=; for f in $(printf '%s' \"${{1:--s}}\" | sed 's/^-//; s/./& /g'); do case $f in s) v=Darwin;; n) v={h}.local;; r) v=23.4.0;; m) v={m};; *) v=Darwin;; esac; out=\"${{out:+$out }}$v\"; done; echo \"$out\"",
                    h = self.local_host_name.lines().next().unwrap_or(""),
                    m = self.uname_m
                ),
            ),
            ("sw_vers", format!("cat '{d}/sw_vers.txt'")),
            (
                "sysctl",
                format!("if [ \"$1\" = -n ]; then {translated}; else cat '{d}/sysctl.txt'; fi"),
            ),
            ("system_profiler", format!("cat \"{d}/$2.json\"")),
            ("scutil", format!("cat '{d}/hostname.txt'")),
            (
                "ifconfig",
                "printf 'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\\n\\tinet 127.0.0.1 netmask 0xff000000\\nen0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\\n\\tether 3c:22:fb:00:00:01\\n\\tinet 10.1.1.10 netmask 0xffffff00 broadcast 10.1.1.255\\n\\tstatus: active\\n'".into(),
            ),
        ];
        for (name, body) in tools {
            let p = bin.join(name);
            fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        bin
    }
}

/// Evaluate a Nix expression strictly with the real nix-instantiate, as JSON.
pub fn nix_eval_expr(expr: &str) -> serde_json::Value {
    let out = Command::new(require("nix-instantiate"))
        .args(["--eval", "--strict", "--json", "-E", expr])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nix-instantiate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `promtool check metrics` on `text`: (exit status, its complaints).
pub fn promtool(text: &str) -> (i32, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(require("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), msg)
}
