//! Reading this host's metrics: sysinfo for CPU, memory, network and the process; `statvfs` for the disk;
//! sysfs (`/sys/class/thermal`) for the temperature on Linux; `vcgencmd get_throttled` on a Raspberry Pi.
//!
//! This is the I/O edge. Text from sysfs and `vcgencmd` goes through the pure parsers in
//! [`super::parse`]; a sensor that can't be read gives `None`, never an error.

use super::model::Sample;
use super::parse::{parse_thermal_zone, parse_throttled};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use sysinfo::{CpuRefreshKind, Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// What to read, decided by the config.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Host identity written into samples.
    pub host_id: String,
    /// Mount point for the disk columns.
    pub disk_mount: String,
    /// One interface, or `None` for all but loopback.
    pub interface: Option<String>,
    /// Sample this process's RSS and CPU.
    pub process_metrics: bool,
    /// Correlation id.
    pub run_id: Option<String>,
    /// sysfs root (default `/sys`; `HWINV_TELEMETRY_SYSFS` points it elsewhere).
    pub sysfs: PathBuf,
    /// `vcgencmd` to run, if any (found on PATH, or `HWINV_TELEMETRY_VCGENCMD`).
    pub vcgencmd: Option<PathBuf>,
}

/// Find `vcgencmd` in the usual Raspberry Pi places and on `PATH`, without starting anything.
#[must_use]
pub fn find_vcgencmd() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/opt/vc/bin".into());
    dirs.into_iter()
        .map(|d| d.join("vcgencmd"))
        .find(|p| p.is_file())
}

/// Keeps the sysinfo state between samples so CPU use is measured over the interval since the last one.
pub struct Collector {
    opts: CollectOptions,
    sys: System,
    networks: Networks,
    pid: Option<Pid>,
    last_cpu_refresh: Instant,
}

impl Collector {
    /// Take the first CPU (and process) reading; the first sample must wait [`Collector::ready_in`].
    #[must_use]
    pub fn new(opts: CollectOptions) -> Self {
        let mut sys = System::new();
        sys.refresh_cpu_usage();
        let pid = if opts.process_metrics {
            sysinfo::get_current_pid().ok()
        } else {
            None
        };
        if let Some(pid) = pid {
            sys.refresh_processes_specifics(
                ProcessesToUpdate::Some(&[pid]),
                false,
                ProcessRefreshKind::nothing().with_cpu().with_memory(),
            );
        }
        Self {
            opts,
            sys,
            networks: Networks::new(),
            pid,
            last_cpu_refresh: Instant::now(),
        }
    }

    /// How long until a CPU reading means something (sysinfo needs `MINIMUM_CPU_UPDATE_INTERVAL`).
    #[must_use]
    pub fn ready_in(&self) -> Duration {
        sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.saturating_sub(self.last_cpu_refresh.elapsed())
    }

    /// Read one sample stamped `as_of` (µs since the epoch, UTC).
    pub fn sample(&mut self, as_of: i64) -> Sample {
        self.sys
            .refresh_cpu_specifics(CpuRefreshKind::nothing().with_cpu_usage().with_frequency());
        self.last_cpu_refresh = Instant::now();
        self.sys.refresh_memory();
        self.networks.refresh(true);
        let cpus = self.sys.cpus();
        let freqs: Vec<u64> = cpus
            .iter()
            .map(sysinfo::Cpu::frequency)
            .filter(|f| *f > 0)
            .collect();
        let cpu_freq_mhz = (!freqs.is_empty())
            .then(|| i64::try_from(freqs.iter().sum::<u64>() / freqs.len() as u64).ok())
            .flatten();
        let cpu_count_logical = i32::try_from(cpus.len()).unwrap_or(i32::MAX);
        // sysinfo reports f32; two decimals are all the precision it has.
        let cpu_pct = (f64::from(self.sys.global_cpu_usage()) * 100.0).round() / 100.0;
        let mib = |b: u64| i64::try_from(b / (1024 * 1024)).unwrap_or(i64::MAX);
        let total = self.sys.total_memory();
        let available = self.sys.available_memory();
        let (mut rx, mut tx, mut seen) = (0u64, 0u64, false);
        for (name, data) in self.networks.list() {
            let wanted = match &self.opts.interface {
                Some(want) => want == name,
                None => name != "lo" && !name.starts_with("lo0"),
            };
            if wanted {
                rx = rx.saturating_add(data.total_received());
                tx = tx.saturating_add(data.total_transmitted());
                seen = true;
            }
        }
        let (disk_total, disk_free) = disk_space(Path::new(&self.opts.disk_mount)).unzip();
        let (process_rss_mb, process_cpu_pct) = self.process_metrics();
        Sample {
            as_of,
            host_id: self.opts.host_id.clone(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpu_pct,
            cpu_count_logical,
            ram_total_mb: mib(total),
            ram_used_mb: mib(total.saturating_sub(available)),
            ram_available_mb: mib(available),
            swap_total_mb: mib(self.sys.total_swap()),
            swap_used_mb: mib(self.sys.used_swap()),
            disk_mount: self.opts.disk_mount.clone(),
            disk_root_total_gb: disk_total,
            disk_root_free_gb: disk_free,
            net_rx_bytes: seen.then(|| i64::try_from(rx).ok()).flatten(),
            net_tx_bytes: seen.then(|| i64::try_from(tx).ok()).flatten(),
            cpu_temp_c: cpu_temperature(&self.opts.sysfs),
            throttle_flags: self.opts.vcgencmd.as_deref().and_then(throttle_flags),
            cpu_freq_mhz,
            process_rss_mb,
            process_cpu_pct,
            run_id: self.opts.run_id.clone(),
        }
    }

    #[allow(clippy::cast_precision_loss)] // RSS in bytes far below 2^52
    fn process_metrics(&mut self) -> (Option<f64>, Option<f64>) {
        let Some(pid) = self.pid else {
            return (None, None);
        };
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        match self.sys.process(pid) {
            Some(p) => (
                Some(p.memory() as f64 / (1024.0 * 1024.0)),
                Some((f64::from(p.cpu_usage()) * 100.0).round() / 100.0),
            ),
            None => (None, None),
        }
    }
}

/// Size and space available to unprivileged users of the file system at `mount`, in GiB.
fn disk_space(mount: &Path) -> Option<(f64, f64)> {
    let (total, avail) = crate::sys::fs::space(mount)?;
    Some((
        crate::model::units::gib(total),
        crate::model::units::gib(avail),
    ))
}

/// Thermal zone types that describe the CPU/SoC, preferred over zone 0 (often `acpitz` on PCs).
const CPU_ZONE_TYPES: [&str; 4] = ["cpu", "soc", "x86_pkg_temp", "coretemp"];

/// Linux: a CPU-ish `thermal_zone*` (by `type`), else `thermal_zone0`. Other OSes: none (sysfs only).
fn cpu_temperature(sysfs: &Path) -> Option<f64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let base = sysfs.join("class/thermal");
    let mut zones: Vec<PathBuf> = std::fs::read_dir(&base)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("thermal_zone"))
        })
        .collect();
    zones.sort();
    let is_cpu = |z: &PathBuf| {
        std::fs::read_to_string(z.join("type")).is_ok_and(|t| {
            let t = t.trim().to_ascii_lowercase();
            CPU_ZONE_TYPES.iter().any(|k| t.contains(k))
        })
    };
    let zone = zones
        .iter()
        .find(|z| is_cpu(z))
        .or_else(|| zones.iter().find(|z| z.ends_with("thermal_zone0")))?;
    // A read error (EINVAL on some Pi arm64 kernels) reads as empty text, which parses to None.
    let text = std::fs::read_to_string(zone.join("temp")).unwrap_or_default();
    parse_thermal_zone(&text).ok().flatten()
}

/// `vcgencmd get_throttled`, bounded to 2 s; any failure gives `None`.
fn throttle_flags(vcgencmd: &Path) -> Option<i32> {
    let out = crate::sys::process::run_with_deadline(
        vcgencmd_command(vcgencmd),
        "",
        Duration::from_secs(2),
    )
    .ok()?;
    if out.status != Some(0) {
        return None;
    }
    let flags = parse_throttled(&String::from_utf8_lossy(&out.stdout)).ok()?;
    i32::try_from(flags.raw).ok()
}

/// The one process telemetry starts: vcgencmd, by absolute path, with fixed arguments.
fn vcgencmd_command(vcgencmd: &Path) -> Command {
    let mut cmd = crate::sys::process::command(vcgencmd);
    cmd.arg("get_throttled");
    cmd
}
