//! NVIDIA GPU parsers: `nvidia-smi -q -x` XML and `--query-gpu` CSV, text in, [`Gpu`]s out.
//!
//! Pure functions only: no NVML call, no process. The Apple GPU (from `system_profiler SPDisplaysDataType`)
//! is read in [`super::macos`].

use super::ParseError;
use crate::model::units::round_gib;
use crate::model::Gpu;

/// `nvidia-smi`'s spellings of "no value".
fn absent(v: &str) -> bool {
    let t = v
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    t.is_empty()
        || t.eq_ignore_ascii_case("N/A")
        || t.eq_ignore_ascii_case("Not Supported")
        || t.eq_ignore_ascii_case("Unknown Error")
        || t.eq_ignore_ascii_case("Insufficient Permissions")
        || t.eq_ignore_ascii_case("Requested functionality has been deprecated")
}

/// A value, or `None` for `N/A`, `[N/A]`, `[Not Supported]` and friends.
fn value(v: &str) -> Option<String> {
    (!absent(v)).then(|| v.trim().to_string())
}

/// A memory amount with an optional unit (`81920 MiB`, `81920`) in bytes; a bare number means MiB,
/// which is what `nounits` CSV prints for `memory.total`.
pub fn parse_mib(v: &str) -> Option<u64> {
    let v = v.trim();
    let mut words = v.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    let factor: u64 = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("mib" | "mb") => 1 << 20,
        Some("gib" | "gb") => 1 << 30,
        Some("kib" | "kb") => 1 << 10,
        Some("b") => 1,
        _ => return None,
    };
    Some(n.saturating_mul(factor))
}

/// Text of the first child element named `name`.
fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name(name))
}

/// Parse `nvidia-smi -q -x`.
///
/// ```text
/// <nvidia_smi_log>
///     <driver_version>535.54.03</driver_version>
///     <cuda_version>12.2</cuda_version>
///     <gpu id="00000000:01:00.0"><product_name>NVIDIA A100-SXM4-80GB</product_name> ...
/// ```
///
/// Works across DTD v11-v13 and files without a DOCTYPE: only elements that kept their names are read
/// (`product_name`, `uuid`, `pci/pci_bus_id` (else the `id` attribute), the `fb_memory_usage/total` that is a
/// direct child of `<gpu>` (MIG devices have their own), `mig_mode/current_mig`). GPUs are indexed in document
/// order, which is nvidia-smi's order. `cuda_version` is the newest CUDA the driver supports.
pub fn parse_nvidia_smi_xml(text: &str) -> Result<Vec<Gpu>, ParseError> {
    if let Some(depth) = xml_too_deep(text, MAX_XML_DEPTH) {
        return Err(ParseError::new(
            "nvidia_smi",
            format!("XML nested deeper than {MAX_XML_DEPTH} elements (at least {depth}); not read"),
        ));
    }
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| ParseError::new("nvidia_smi", format!("not XML: {e}")))?;
    let root = doc.root_element();
    if !root.has_tag_name("nvidia_smi_log") {
        return Err(ParseError::new(
            "nvidia_smi",
            format!(
                "root element is <{}>, not <nvidia_smi_log>",
                root.tag_name().name()
            ),
        ));
    }
    let driver = child_text(root, "driver_version").and_then(value);
    let cuda = child_text(root, "cuda_version").and_then(value);
    let mut gpus = Vec::new();
    for (i, g) in root
        .children()
        .filter(|c| c.has_tag_name("gpu"))
        .enumerate()
    {
        let name = child_text(g, "product_name")
            .and_then(value)
            .unwrap_or_else(|| "NVIDIA GPU".to_string());
        let vram_bytes = child(g, "fb_memory_usage")
            .and_then(|m| child_text(m, "total"))
            .and_then(parse_mib);
        let pci_bus_id = child(g, "pci")
            .and_then(|p| child_text(p, "pci_bus_id"))
            .and_then(value)
            .or_else(|| g.attribute("id").and_then(value));
        gpus.push(Gpu {
            index: u32::try_from(i).unwrap_or(u32::MAX),
            name,
            vendor: "nvidia".to_string(),
            vram_bytes,
            vram_gb: vram_bytes.map(round_gib),
            driver_version: driver.clone(),
            cuda_version: cuda.clone(),
            uuid: child_text(g, "uuid").and_then(value),
            pci_bus_id,
            cores: None,
            mig_mode: child(g, "mig_mode")
                .and_then(|m| child_text(m, "current_mig"))
                .and_then(value),
            driver: None,
        });
    }
    Ok(gpus)
}

/// Deepest element nesting accepted in `nvidia-smi -q -x` (real files nest about 5 deep): a hostile
/// host must not make the parser, or anything walking its tree, run out of stack.
pub const MAX_XML_DEPTH: usize = 64;

/// `Some(depth)` when elements in `text` nest deeper than `max` (the depth where scanning stopped),
/// found by one pass that skips comments, CDATA, processing instructions, the DOCTYPE (with its
/// internal subset) and quoted attribute values. Not a validator: malformed text is left to the parser.
pub fn xml_too_deep(text: &str, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    let find = |from: usize, pat: &[u8]| -> usize {
        b.get(from..)
            .and_then(|rest| rest.windows(pat.len()).position(|w| w == pat))
            .map_or(b.len(), |p| from + p + pat.len())
    };
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = b.get(i + 1..).unwrap_or_default();
        if rest.starts_with(b"!--") {
            i = find(i + 4, b"-->");
        } else if rest.starts_with(b"![CDATA[") {
            i = find(i + 9, b"]]>");
        } else if rest.starts_with(b"?") {
            i = find(i + 2, b"?>");
        } else if rest.starts_with(b"!") {
            // DOCTYPE: skip to the '>' outside its [internal subset].
            let mut j = i + 2;
            let mut bracket = 0usize;
            while j < b.len() {
                match b[j] {
                    b'[' => bracket += 1,
                    b']' => bracket = bracket.saturating_sub(1),
                    b'>' if bracket == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
        } else if rest.starts_with(b"/") {
            depth = depth.saturating_sub(1);
            i = find(i + 2, b">");
        } else {
            let mut j = i + 1;
            let mut quote: Option<u8> = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let self_closing = j > 0 && b.get(j - 1) == Some(&b'/');
            if !self_closing {
                depth += 1;
                if depth > max {
                    return Some(depth);
                }
            }
            i = j + 1;
        }
    }
    None
}

/// The field list hwinv asks for in CSV mode.
pub const CSV_FIELDS: &[&str] = &[
    "index",
    "name",
    "memory.total",
    "driver_version",
    "uuid",
    "pci.bus_id",
];

/// Parse `nvidia-smi --query-gpu=index,name,memory.total,driver_version,uuid,pci.bus_id
/// --format=csv,noheader,nounits`.
///
/// ```text
/// 0, NVIDIA A100-SXM4-80GB, 81920, 535.54.03, GPU-513536b6-7d19-9063-b049-1e69664bb298, 00000000:01:00.0
/// 1, NVIDIA A100-SXM4-80GB, 81920, 535.54.03, GPU-..., 00000000:41:00.0
/// ```
///
/// When the first line is a header (`index, name, memory.total [MiB], ...`) its field list is used instead.
pub fn parse_nvidia_smi_csv(text: &str) -> Result<Vec<Gpu>, ParseError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let header: Vec<String> = first.split(',').map(|f| f.trim().to_string()).collect();
    if header
        .iter()
        .any(|f| f == "name" || f.starts_with("memory.total"))
    {
        let fields: Vec<&str> = header.iter().map(String::as_str).collect();
        let body: String = text
            .lines()
            .skip_while(|l| l.trim().is_empty())
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n");
        return parse_nvidia_smi_csv_fields(&body, &fields);
    }
    parse_nvidia_smi_csv_fields(text, CSV_FIELDS)
}

/// Parse `--query-gpu` CSV rows whose columns are `fields` (header names like `memory.total [MiB]` work).
/// Rows with the wrong number of columns are skipped; `index` defaults to the row's position.
/// Values may carry units (`8192 MiB`) or not.
pub fn parse_nvidia_smi_csv_fields(text: &str, fields: &[&str]) -> Result<Vec<Gpu>, ParseError> {
    let pos = |names: &[&str]| {
        fields.iter().position(|f| {
            let base = f.split_whitespace().next().unwrap_or("");
            names.contains(&base)
        })
    };
    let (i_index, i_name, i_mem, i_driver, i_uuid, i_bus) = (
        pos(&["index"]),
        pos(&["name", "gpu_name"]),
        pos(&["memory.total"]),
        pos(&["driver_version"]),
        pos(&["uuid", "gpu_uuid"]),
        pos(&["pci.bus_id", "gpu_bus_id"]),
    );
    let Some(i_name) = i_name else {
        return Err(ParseError::new(
            "nvidia_smi",
            "CSV field list has no 'name'",
        ));
    };
    let mut gpus = Vec::new();
    let mut row_no: u32 = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != fields.len() {
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| cols.get(i)).and_then(|v| value(v));
        let Some(name) = get(Some(i_name)) else {
            continue;
        };
        let vram_bytes = get(i_mem).as_deref().and_then(parse_mib);
        gpus.push(Gpu {
            index: get(i_index).and_then(|i| i.parse().ok()).unwrap_or(row_no),
            name,
            vendor: "nvidia".to_string(),
            vram_bytes,
            vram_gb: vram_bytes.map(round_gib),
            driver_version: get(i_driver),
            cuda_version: None,
            uuid: get(i_uuid),
            pci_bus_id: get(i_bus),
            cores: None,
            mig_mode: None,
            driver: None,
        });
        row_no = row_no.saturating_add(1);
    }
    Ok(gpus)
}

/// Read the `nvml` section: the GPUs hwinv's own NVML query found on this machine, as the JSON list of
/// [`Gpu`] it wrote beside the script's output.
pub fn parse_nvml_json(text: &str) -> Result<Vec<Gpu>, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::new("nvml", format!("not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_minimal_and_absent_values() {
        let x = "<nvidia_smi_log><driver_version>550.1</driver_version><cuda_version>N/A</cuda_version>\
                 <gpu id=\"00000000:01:00.0\"><product_name>T</product_name><uuid>[N/A]</uuid>\
                 <mig_mode><current_mig>[Not Supported]</current_mig></mig_mode>\
                 <fb_memory_usage><total>16384 MiB</total></fb_memory_usage></gpu></nvidia_smi_log>";
        let g = parse_nvidia_smi_xml(x).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].vram_bytes, Some(16 << 30));
        assert_eq!(g[0].vram_gb, Some(16));
        assert_eq!(g[0].cuda_version, None);
        assert_eq!(g[0].uuid, None);
        assert_eq!(g[0].mig_mode, None);
        assert_eq!(g[0].pci_bus_id.as_deref(), Some("00000000:01:00.0"));
        assert!(parse_nvidia_smi_xml("").is_err());
        assert!(parse_nvidia_smi_xml("<other/>").is_err());
        assert_eq!(parse_nvidia_smi_xml("<nvidia_smi_log/>").unwrap(), vec![]);
    }

    #[test]
    fn csv_rows_and_bad_rows() {
        let t = "0, NVIDIA H100 80GB HBM3, 81559, 550.54.15, GPU-aaaa, 00000000:18:00.0\n\
                 garbage line\n\
                 1, NVIDIA H100 80GB HBM3, [N/A], 550.54.15, GPU-bbbb, 00000000:2A:00.0\n";
        let g = parse_nvidia_smi_csv(t).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].vram_bytes, Some(81559 << 20));
        assert_eq!(g[0].vram_gb, Some(80));
        assert_eq!(g[1].index, 1);
        assert_eq!(g[1].vram_bytes, None);
        assert_eq!(parse_nvidia_smi_csv("").unwrap(), vec![]);
    }

    #[test]
    fn csv_with_header_and_units() {
        let t = "index, name, memory.total [MiB]\n0, Tesla T4, 15360 MiB\n";
        let g = parse_nvidia_smi_csv(t).unwrap();
        assert_eq!(g[0].vram_bytes, Some(15360 << 20));
        assert_eq!(g[0].driver_version, None);
    }

    #[test]
    fn mib_and_rounding() {
        assert_eq!(parse_mib("64 MB"), Some(64 << 20));
        assert_eq!(parse_mib("x"), None);
        assert_eq!(parse_mib("99999999999999999 GiB"), Some(u64::MAX));
        assert_eq!(round_gib(3 << 29), 2);
        assert_eq!(round_gib((1 << 29) - 1), 0);
    }
    #[test]
    fn deep_xml_is_refused_before_parsing() {
        let deep = format!(
            "<nvidia_smi_log>{}{}</nvidia_smi_log>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        let e = parse_nvidia_smi_xml(&deep).unwrap_err();
        assert!(e.reason.contains("nested deeper than 64"), "{e}");
        // Comments, CDATA, quoted '>' and self-closing tags do not count as nesting.
        let ok = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ELEMENT a (b)>]><r>{}<x a=\"<b>\"/><!-- <c><c> --><![CDATA[<d><d>]]></r>",
            "<e/>".repeat(1000)
        );
        assert_eq!(xml_too_deep(&ok, 2), None);
        assert_eq!(xml_too_deep("<a><b><c>", 2), Some(3));
        assert_eq!(xml_too_deep("<a", 2), None);
        assert_eq!(xml_too_deep("<", 2), None);
        assert_eq!(xml_too_deep("<!", 2), None);
    }
}
