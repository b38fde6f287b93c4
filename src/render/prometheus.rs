//! The Prometheus text exposition of the fleet, for node_exporter's textfile collector.
//!
//! Pure: snapshots and readiness rules in, text out. Every metric family gets `# HELP` and `# TYPE`, every
//! label value is escaped (`\`, `"`, newline), families come in a fixed order and samples sorted by host and
//! then by their own keys, so the same facts give the same bytes. No timestamps: the textfile collector
//! refuses them. Writing the file (atomically) is the command's job.

use crate::config::readiness::ReadinessRules;
use crate::model::Snapshot;
use crate::readiness::{self, VramSource};
use std::fmt::Write as _;

/// The default metric name prefix.
pub const DEFAULT_PREFIX: &str = "hwinv";

/// Every metric family hwinv exports: (name after the prefix and `_`, help text).
pub const FAMILIES: &[(&str, &str)] = &[
    ("host_info", "Host facts as labels (OS, kernel, architecture, model, CPU model); always 1."),
    ("snapshot_timestamp_seconds", "When the host's latest snapshot was taken, Unix time."),
    ("cpu_cores", "Physical CPU cores."),
    ("cpu_logical_cpus", "Logical CPUs (hardware threads)."),
    ("memory_bytes", "Installed memory in bytes."),
    ("gpus", "GPUs the host reports (absent when GPUs could not be probed)."),
    ("gpu_info", "One GPU: name, vendor, driver and CUDA version, UUID, PCI bus id, MIG mode as labels; always 1."),
    ("gpu_vram_bytes", "Dedicated memory of one GPU in bytes."),
    ("vram_largest_bytes", "VRAM readiness uses: the largest single GPU, or the configured share of unified memory (source=\"unified\")."),
    ("vram_total_bytes", "Memory of all GPUs together in bytes (the unified share on Apple Silicon)."),
    ("service_up", "1 when the service answered with its expected HTTP status at the last extraction, else 0."),
    ("service_http_status", "HTTP status the service answered with at the last extraction."),
    ("readiness", "1 when the host passes the readiness profile, else 0."),
    ("readiness_failed_checks", "Conditions of the readiness profile the host fails."),
    ("llm_models_available", "Models the LLM server has installed."),
    ("llm_model_loaded", "A model loaded in the LLM server, with its family, size and quantization as labels; always 1."),
    ("llm_model_loaded_vram_bytes", "GPU memory a loaded model occupies, in bytes."),
    ("llm_info", "A model loaded in the host's Ollama (any LLM service), by name; always 1."),
    ("container_running", "1 when the Docker container is running, else 0."),
    ("systemd_unit_active", "1 when the systemd unit named after a probed service (<service>.service) is active, else 0."),
    ("export_hosts", "Hosts in this export."),
];

/// Is `p` usable as a metric name prefix (`[a-zA-Z_:][a-zA-Z0-9_:]*`, at most 64 characters)?
pub fn valid_prefix(p: &str) -> bool {
    let mut c = p.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_' || f == ':')
        && p.len() <= 64
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

/// Escape a label value: backslash, double quote and newline, as the exposition format requires. Other
/// control characters are dropped (they have no escape and would only confuse readers).
pub fn escape_label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escape HELP text: backslash and newline.
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

type Labels = Vec<(&'static str, String)>;

/// Samples collected per family (indexes into [`FAMILIES`]).
struct Families {
    samples: Vec<Vec<(Labels, u64)>>,
}

impl Families {
    fn new() -> Self {
        Self {
            samples: vec![Vec::new(); FAMILIES.len()],
        }
    }

    fn add(&mut self, family: &str, labels: Labels, value: u64) {
        // FAMILIES is a constant list and every caller names one of its entries (checked by a test).
        let i = FAMILIES
            .iter()
            .position(|(n, _)| *n == family)
            .expect("metric family is declared in FAMILIES");
        self.samples[i].push((labels, value));
    }

    fn render(self, prefix: &str) -> String {
        let mut out = String::new();
        for ((name, help), samples) in FAMILIES.iter().zip(self.samples) {
            if samples.is_empty() {
                continue;
            }
            let full = format!("{prefix}_{name}");
            let _ = writeln!(out, "# HELP {full} {}", escape_help(help));
            let _ = writeln!(out, "# TYPE {full} gauge");
            for (labels, value) in samples {
                out.push_str(&full);
                if !labels.is_empty() {
                    out.push('{');
                    for (i, (k, v)) in labels.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{k}=\"{}\"", escape_label_value(v));
                    }
                    out.push('}');
                }
                let _ = writeln!(out, " {value}");
            }
        }
        out
    }
}

fn opt(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

/// Unix time of an RFC 3339 timestamp.
fn unix_time(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}

/// Render the metrics of `hosts` (store name, latest snapshot), sorted by name by the caller or not: the
/// output is sorted here.
pub fn render(hosts: &[(String, Snapshot)], rules: &ReadinessRules, prefix: &str) -> String {
    let mut sorted: Vec<&(String, Snapshot)> = hosts.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut f = Families::new();
    for (host, s) in &sorted {
        let h = || vec![("host", host.clone())];
        let mut info = h();
        info.extend([
            ("os", s.os.family.as_str().to_string()),
            ("os_name", opt(s.os.name.as_deref())),
            ("os_version", opt(s.os.version.as_deref())),
            ("kernel", opt(s.os.kernel.as_deref())),
            ("arch", s.system_info.architecture.clone()),
            ("nix_system", s.system_info.nix_system.clone()),
            ("model", opt(s.system_info.model.as_deref())),
            ("cpu_model", s.hardware.cpu_type.clone()),
        ]);
        f.add("host_info", info, 1);
        if let Some(t) = unix_time(&s.collected_at) {
            f.add("snapshot_timestamp_seconds", h(), t);
        }
        if s.hardware.cpu_cores > 0 {
            f.add("cpu_cores", h(), u64::from(s.hardware.cpu_cores));
        }
        if s.hardware.cpu.logical_cpus > 0 {
            f.add(
                "cpu_logical_cpus",
                h(),
                u64::from(s.hardware.cpu.logical_cpus),
            );
        }
        if s.hardware.memory.total_bytes > 0 {
            f.add("memory_bytes", h(), s.hardware.memory.total_bytes);
        }
        if let Some(gpus) = &s.gpus {
            f.add("gpus", h(), gpus.len() as u64);
            let mut gpus: Vec<_> = gpus.iter().collect();
            gpus.sort_by_key(|g| g.index);
            for g in gpus {
                let mut l = h();
                l.extend([("gpu", g.index.to_string()), ("name", g.name.clone())]);
                if let Some(v) = g.vram_bytes {
                    f.add("gpu_vram_bytes", l.clone(), v);
                }
                l.extend([
                    ("vendor", g.vendor.clone()),
                    ("driver_version", opt(g.driver_version.as_deref())),
                    ("cuda_version", opt(g.cuda_version.as_deref())),
                    ("uuid", opt(g.uuid.as_deref())),
                    ("pci_bus_id", opt(g.pci_bus_id.as_deref())),
                    ("mig_mode", opt(g.mig_mode.as_deref())),
                ]);
                f.add("gpu_info", l, 1);
            }
        }
        let v = readiness::vram(s, rules.unified_memory_vram_percent);
        if v.source != VramSource::Unknown {
            let source = match v.source {
                VramSource::Unified => "unified",
                VramSource::None => "none",
                VramSource::Dedicated | VramSource::Unknown => "dedicated",
            };
            let mut l = h();
            l.push(("source", source.to_string()));
            if let Some(b) = v.largest_bytes {
                f.add("vram_largest_bytes", l.clone(), b);
            }
            if let Some(b) = v.total_bytes {
                f.add("vram_total_bytes", l, b);
            }
        }
        let services = s.services.as_ref();
        if let Some(http) = services.and_then(|x| x.http.as_ref()) {
            for (name, st) in http {
                let mut l = h();
                l.extend([("service", name.clone()), ("url", st.url.clone())]);
                f.add("service_up", l, u64::from(st.up));
                if let Some(code) = st.http_status {
                    f.add(
                        "service_http_status",
                        vec![("host", host.clone()), ("service", name.clone())],
                        u64::from(code),
                    );
                }
            }
        }
        for p in &rules.profile {
            let verdict = readiness::evaluate(s, p, rules);
            let l = vec![("host", host.clone()), ("profile", p.name.clone())];
            f.add("readiness", l.clone(), u64::from(verdict.ready));
            f.add(
                "readiness_failed_checks",
                l,
                verdict.checks.iter().filter(|c| !c.ok).count() as u64,
            );
        }
        if let Some(sv) = services {
            for (name, llm) in &sv.llm {
                if let Some(avail) = &llm.available {
                    f.add(
                        "llm_models_available",
                        vec![("host", host.clone()), ("service", name.clone())],
                        avail.len() as u64,
                    );
                }
                for m in llm.loaded.iter().flatten() {
                    let base = vec![
                        ("host", host.clone()),
                        ("service", name.clone()),
                        ("model", m.name.clone()),
                    ];
                    let mut l = base.clone();
                    l.extend([
                        ("family", opt(m.family.as_deref())),
                        ("parameter_size", opt(m.parameter_size.as_deref())),
                        ("quantization", opt(m.quantization.as_deref())),
                    ]);
                    f.add("llm_model_loaded", l, 1);
                    f.add(
                        "llm_info",
                        vec![("host", host.clone()), ("name", m.name.clone())],
                        1,
                    );
                    if let Some(vb) = m.vram_bytes {
                        f.add("llm_model_loaded_vram_bytes", base, vb);
                    }
                }
            }
            for (name, c) in sv.containers.iter().flatten() {
                let l = vec![
                    ("host", host.clone()),
                    ("container", name.clone()),
                    ("image", c.image.clone()),
                ];
                f.add("container_running", l, u64::from(c.state == "running"));
            }
            if let (Some(units), Some(http)) = (&sv.systemd_units, &sv.http) {
                for name in http.keys() {
                    let unit = format!("{name}.service");
                    if let Some(u) = units.get(&unit) {
                        f.add(
                            "systemd_unit_active",
                            vec![("host", host.clone()), ("unit", unit.clone())],
                            u64::from(u.active == "active"),
                        );
                    }
                }
            }
        }
    }
    f.add("export_hosts", Vec::new(), sorted.len() as u64);
    f.render(prefix)
}

/// The GPU-readiness plan's series, for dashboards built on its names: (name, help).
pub const TOM_FAMILIES: &[(&str, &str)] = &[
    (
        "tom_host_cpu_info",
        "CPU model and physical cores as labels; always 1.",
    ),
    ("tom_host_ram_bytes", "Installed memory in bytes."),
    ("tom_gpu_count", "GPUs the host reports."),
    (
        "tom_gpu_driver_info",
        "GPU driver and the newest CUDA it supports as labels; always 1.",
    ),
    (
        "tom_gpu_vram_bytes",
        "Dedicated memory of one GPU in bytes.",
    ),
    (
        "tom_service_up",
        "1 when the service answered at the last extraction, else 0.",
    ),
    (
        "tom_readiness_realtime",
        "1 when the host passes the realtime profile, else 0.",
    ),
    (
        "tom_readiness_single_agent",
        "1 when the host passes the single-agent profile, else 0.",
    ),
    (
        "tom_llm_info",
        "A model loaded in the host's LLM server, by name; always 1.",
    ),
];

/// The exposition with the GPU plan's names (`--names tom`): the same facts as [`render`], every series
/// labelled with `host`, families in [`TOM_FAMILIES`] order, samples sorted by host.
pub fn render_tom(hosts: &[(String, Snapshot)], rules: &ReadinessRules) -> String {
    let mut sorted: Vec<&(String, Snapshot)> = hosts.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut fams: Vec<Vec<(Labels, u64)>> = vec![Vec::new(); TOM_FAMILIES.len()];
    let mut add = |i: usize, labels: Labels, v: u64| fams[i].push((labels, v));
    for (host, s) in &sorted {
        let h = || vec![("host", host.clone())];
        let mut l = h();
        l.extend([
            ("model", s.hardware.cpu_type.clone()),
            ("cores", s.hardware.cpu_cores.to_string()),
        ]);
        add(0, l, 1);
        if s.hardware.memory.total_bytes > 0 {
            add(1, h(), s.hardware.memory.total_bytes);
        }
        if let Some(gpus) = &s.gpus {
            add(2, h(), gpus.len() as u64);
            let mut drivers: Vec<(String, String)> = gpus
                .iter()
                .map(|g| {
                    (
                        opt(g.driver_version.as_deref()),
                        opt(g.cuda_version.as_deref()),
                    )
                })
                .filter(|(d, c)| !d.is_empty() || !c.is_empty())
                .collect();
            drivers.sort();
            drivers.dedup();
            for (d, c) in drivers {
                let mut l = h();
                l.extend([("driver", d), ("cuda", c)]);
                add(3, l, 1);
            }
            let mut gpus: Vec<_> = gpus.iter().collect();
            gpus.sort_by_key(|g| g.index);
            for g in gpus {
                if let Some(v) = g.vram_bytes {
                    let mut l = h();
                    l.extend([("index", g.index.to_string()), ("name", g.name.clone())]);
                    add(4, l, v);
                }
            }
        }
        let services = s.services.as_ref();
        for (name, st) in services.and_then(|x| x.http.as_ref()).into_iter().flatten() {
            let mut l = h();
            l.push(("name", name.clone()));
            add(5, l, u64::from(st.up));
        }
        for (i, profile) in [(6, "realtime"), (7, "single-agent")] {
            if let Some(p) = rules.find(profile) {
                add(i, h(), u64::from(readiness::evaluate(s, p, rules).ready));
            }
        }
        let mut loaded: Vec<String> = services
            .into_iter()
            .flat_map(|sv| sv.llm.values())
            .flat_map(|l| l.loaded.iter().flatten())
            .map(|m| m.name.clone())
            .collect();
        loaded.sort();
        loaded.dedup();
        for m in loaded {
            let mut l = h();
            l.push(("name", m));
            add(8, l, 1);
        }
    }
    let mut out = String::new();
    for ((name, help), samples) in TOM_FAMILIES.iter().zip(fams) {
        if samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label_value(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {value}", l.join(","));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd\u{7}e"), "a\\\"b\\\\c\\nde");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    }

    #[test]
    fn prefixes_follow_the_metric_name_grammar() {
        assert!(valid_prefix("hwinv") && valid_prefix("my:fleet_1") && valid_prefix("_x"));
        assert!(
            !valid_prefix("")
                && !valid_prefix("1x")
                && !valid_prefix("a-b")
                && !valid_prefix("a b")
        );
    }

    #[test]
    fn empty_fleet_still_says_how_many_hosts() {
        let rules = ReadinessRules::parse(crate::config::readiness::DEFAULT_READINESS).unwrap();
        assert_eq!(
            render(&[], &rules, "x"),
            "# HELP x_export_hosts Hosts in this export.\n# TYPE x_export_hosts gauge\nx_export_hosts 0\n"
        );
    }

    #[test]
    fn family_names_are_unique_and_valid() {
        let mut names: Vec<_> = FAMILIES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len());
        assert!(names.iter().all(|n| valid_prefix(n)));
    }
}

/// One series of an exposition, for `export prometheus --json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Labels, unescaped.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The value (`NaN` and infinities come out as JSON null).
    pub value: Option<f64>,
}

/// The series of an exposition in the text format this module writes (comment lines skipped).
pub fn parse_samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (series, value) = match line.rfind(' ') {
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => continue,
        };
        let (name, labels) = match series.find('{') {
            Some(i) if series.ends_with('}') => (&series[..i], &series[i + 1..series.len() - 1]),
            _ => (series, ""),
        };
        let mut map = std::collections::BTreeMap::new();
        let mut chars = labels.chars().peekable();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() || chars.next() != Some('"') {
                break;
            }
            let mut val = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => val.push('\n'),
                        Some(o) => val.push(o),
                        None => break,
                    },
                    '"' => break,
                    c => val.push(c),
                }
            }
            map.insert(key.trim_start_matches(',').to_string(), val);
            if chars.peek() == Some(&',') {
                chars.next();
            }
        }
        out.push(Sample {
            name: name.to_string(),
            labels: map,
            value: value.parse::<f64>().ok().filter(|v| v.is_finite()),
        });
    }
    out
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn samples_round_trip_escaped_labels() {
        let s = parse_samples(
            "# HELP x y\nhwinv_up{host=\"a \\\"b\\\"\",os=\"linux\"} 1\nhwinv_ram_bytes 3.5e9\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].labels["host"], "a \"b\"");
        assert_eq!(s[0].labels["os"], "linux");
        assert_eq!(s[1].value, Some(3.5e9));
    }
}
