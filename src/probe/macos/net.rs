//! `ifconfig`: interfaces, addresses, MACs and link state.

use crate::model::NetworkInterface;
use crate::probe::linux::{net::looks_like_mac, net::sort_addresses};
use crate::probe::ParseError;

/// Prefix length of a netmask written as hex (`0xffffff00`) or dotted quad.
fn netmask_prefix(mask: &str) -> Option<u32> {
    let bits = if let Some(hex) = mask.strip_prefix("0x") {
        u32::from_str_radix(hex, 16).ok()?
    } else {
        u32::from(mask.parse::<std::net::Ipv4Addr>().ok()?)
    };
    Some(bits.count_ones())
}

/// Parse `ifconfig -a` (BSD format).
///
/// ```text
/// en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
///     ether 3c:22:fb:01:02:03
///     inet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255
/// ```
///
/// `status: active` means up, `status: inactive` down; otherwise the `UP` flag decides. Loopback (`lo0`)
/// is skipped, and so is the IPv6 zone suffix (`fe80::1%en0`).
pub fn parse_ifconfig(text: &str) -> Result<Vec<NetworkInterface>, ParseError> {
    let mut out: Vec<NetworkInterface> = Vec::new();
    let mut loopback = false;
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) && !line.trim().is_empty() {
            let Some((name, rest)) = line.split_once(':') else {
                continue;
            };
            loopback = rest.contains("LOOPBACK") || name == "lo0";
            let flags_up = rest
                .split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .is_some_and(|(f, _)| f.split(',').any(|f| f == "UP"));
            let mut words = rest.split_whitespace();
            let mtu = words
                .by_ref()
                .skip_while(|w| *w != "mtu")
                .nth(1)
                .and_then(|m| m.parse().ok());
            if !loopback {
                out.push(NetworkInterface {
                    name: name.trim().to_string(),
                    mac: None,
                    addresses: Vec::new(),
                    state: Some(if flags_up { "up" } else { "down" }.to_string()),
                    speed_mbps: None,
                    mtu,
                });
            }
            continue;
        }
        if loopback {
            continue;
        }
        let Some(iface) = out.last_mut() else {
            continue;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ether", mac, ..] if looks_like_mac(&mac.to_ascii_lowercase()) => {
                iface.mac = Some(mac.to_ascii_lowercase());
            }
            ["inet", addr, rest @ ..] => {
                let prefix = rest
                    .iter()
                    .position(|w| *w == "netmask")
                    .and_then(|i| rest.get(i + 1))
                    .and_then(|m| netmask_prefix(m))
                    .unwrap_or(32);
                iface.addresses.push(format!("{addr}/{prefix}"));
            }
            ["inet6", addr, rest @ ..] => {
                let addr = addr.split('%').next().unwrap_or(addr);
                let prefix = rest
                    .iter()
                    .position(|w| *w == "prefixlen")
                    .and_then(|i| rest.get(i + 1))
                    .and_then(|p| p.parse::<u8>().ok())
                    .unwrap_or(128);
                iface.addresses.push(format!("{addr}/{prefix}"));
            }
            ["status:", "active", ..] => iface.state = Some("up".to_string()),
            ["status:", "inactive", ..] => iface.state = Some("down".to_string()),
            _ => {}
        }
    }
    for i in &mut out {
        sort_addresses(&mut i.addresses);
        i.addresses.dedup();
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifconfig_blocks() {
        let t = "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n\
                 en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\
                 \tether 3C:22:FB:01:02:03\n\tinet6 fe80::1%en0 prefixlen 64 secured scopeid 0x4\n\
                 \tinet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255\n\tstatus: active\n\
                 en1: flags=8822<BROADCAST,SMART,SIMPLEX,MULTICAST> mtu 1500\n\tstatus: inactive\n";
        let i = parse_ifconfig(t).unwrap();
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].addresses, vec!["192.168.1.20/24", "fe80::1/64"]);
        assert_eq!(i[0].mac.as_deref(), Some("3c:22:fb:01:02:03"));
        assert_eq!(i[0].state.as_deref(), Some("up"));
        assert_eq!(i[0].mtu, Some(1500));
        assert_eq!(i[1].state.as_deref(), Some("down"));
        assert_eq!(parse_ifconfig("").unwrap(), vec![]);
        assert_eq!(netmask_prefix("255.255.0.0"), Some(16));
    }
}
