//! `ip -j addr` and `/sys/class/net`: interfaces, addresses, MACs, link state and speed.

use super::disk::json_text;
use crate::model::NetworkInterface;
use crate::probe::text::non_empty;
use crate::probe::ParseError;
use serde::Serialize;
use std::collections::BTreeMap;

/// Sort addresses in CIDR form: IPv4 first, then IPv6, each in numeric order; unparsable ones last.
pub fn sort_addresses(addrs: &mut [String]) {
    addrs.sort_by_key(|a| {
        let (ip, prefix) = a.split_once('/').unwrap_or((a.as_str(), ""));
        let parsed = ip.parse::<std::net::IpAddr>().ok();
        (
            parsed.is_none(),
            parsed,
            prefix.parse::<u8>().ok(),
            a.clone(),
        )
    });
}

/// True for a 6-octet hardware address (`54:e1:ad:5f:24:b4`).
pub fn looks_like_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Parse `ip -j addr show`.
///
/// ```text
/// [{"ifindex":2,"ifname":"enp0s31f6","mtu":1500,"operstate":"UP","link_type":"ether",
///   "address":"54:e1:ad:5f:24:b4","addr_info":[{"family":"inet","local":"192.168.178.62","prefixlen":24}]}]
/// ```
///
/// Loopback is skipped. A hardware address is kept only for Ethernet-like links (a `sit` tunnel's
/// `address` is an IPv4 endpoint). Speed is not in this output: see [`parse_net_sysfs`].
pub fn parse_ip_addr(text: &str) -> Result<Vec<NetworkInterface>, ParseError> {
    let root: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::new("ip_addr", format!("not JSON: {e}")))?;
    let links = root
        .as_array()
        .ok_or_else(|| ParseError::new("ip_addr", "expected a JSON array of links"))?;
    let mut out: Vec<NetworkInterface> = Vec::new();
    for link in links {
        let Some(name) = json_text(link.get("ifname")) else {
            continue;
        };
        let link_type = json_text(link.get("link_type"));
        if name == "lo" || link_type.as_deref() == Some("loopback") {
            continue;
        }
        let mac = json_text(link.get("address"))
            .map(|m| m.to_ascii_lowercase())
            .filter(|m| looks_like_mac(m) && matches!(link_type.as_deref(), Some("ether") | None));
        let mut addresses = Vec::new();
        for a in link
            .get("addr_info")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(local), Some(prefix)) =
                (json_text(a.get("local")), json_text(a.get("prefixlen")))
            else {
                continue;
            };
            addresses.push(format!("{local}/{prefix}"));
        }
        sort_addresses(&mut addresses);
        addresses.dedup();
        out.push(NetworkInterface {
            name,
            mac,
            addresses,
            state: json_text(link.get("operstate")).map(|s| s.to_ascii_lowercase()),
            speed_mbps: None,
            mtu: link
                .get("mtu")
                .and_then(serde_json::Value::as_u64)
                .and_then(|m| u32::try_from(m).ok()),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// One interface as `/sys/class/net/IF/*` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetSysfs {
    /// `address`, lowercase, when it is a 6-octet MAC.
    pub mac: Option<String>,
    /// `operstate`, lowercase.
    pub state: Option<String>,
    /// `speed` in Mbit/s; `-1` (unknown) and unreadable values are `None`.
    pub speed_mbps: Option<u64>,
    /// `mtu`.
    pub mtu: Option<u32>,
    /// `type` (ARPHRD number: 1 Ethernet, 772 loopback).
    pub arp_type: Option<u32>,
}

/// Parse the `net_sysfs` section (`path:value` lines).
///
/// ```text
/// /sys/class/net/eth0/address:dc:a6:32:01:02:03
/// /sys/class/net/eth0/speed:1000
/// /sys/class/net/wlan0/speed:-1
/// ```
///
/// The value is everything after the first colon following the file name, so MAC addresses survive.
pub fn parse_net_sysfs(text: &str) -> Result<BTreeMap<String, NetSysfs>, ParseError> {
    let mut out: BTreeMap<String, NetSysfs> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("/sys/class/net/") else {
            continue;
        };
        let Some((iface, rest)) = rest.split_once('/') else {
            continue;
        };
        let Some((file, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let entry = out.entry(iface.to_string()).or_default();
        match file {
            "address" => entry.mac = Some(value.to_ascii_lowercase()).filter(|m| looks_like_mac(m)),
            "operstate" => entry.state = non_empty(value).map(|s| s.to_ascii_lowercase()),
            "speed" => entry.speed_mbps = value.parse::<u64>().ok().filter(|&s| s > 0),
            "mtu" => entry.mtu = value.parse().ok(),
            "type" => entry.arp_type = value.parse().ok(),
            _ => {}
        }
    }
    Ok(out)
}

/// Merge sysfs facts into interfaces from `ip`: speed always, MAC/state/MTU only where `ip` had none.
/// Interfaces only sysfs knows (no `ip` tool) are added, loopback excepted.
pub fn merge_net_sysfs(ifaces: &mut Vec<NetworkInterface>, sysfs: &BTreeMap<String, NetSysfs>) {
    for (name, s) in sysfs {
        if name == "lo" || s.arp_type == Some(772) {
            continue;
        }
        if let Some(i) = ifaces.iter_mut().find(|i| &i.name == name) {
            i.speed_mbps = i.speed_mbps.or(s.speed_mbps);
            if i.mac.is_none() && s.arp_type == Some(1) {
                i.mac.clone_from(&s.mac);
            }
            i.state = i.state.take().or_else(|| s.state.clone());
            i.mtu = i.mtu.or(s.mtu);
        } else {
            ifaces.push(NetworkInterface {
                name: name.clone(),
                mac: if s.arp_type == Some(1) {
                    s.mac.clone()
                } else {
                    None
                },
                addresses: Vec::new(),
                state: s.state.clone(),
                speed_mbps: s.speed_mbps,
                mtu: s.mtu,
            });
        }
    }
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addr_orders_and_skips_loopback() {
        let t = r#"[{"ifname":"lo","link_type":"loopback","addr_info":[]},
            {"ifname":"eth0","mtu":1500,"operstate":"UP","link_type":"ether","address":"AA:BB:CC:DD:EE:FF",
             "addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64},{"family":"inet","local":"10.0.0.9","prefixlen":8},
                          {"family":"inet","local":"10.0.0.10","prefixlen":8}]},
            {"ifname":"tun0","link_type":"sit","address":"1.1.1.1","addr_info":[{"local":"x"}]}]"#;
        let i = parse_ip_addr(t).unwrap();
        assert_eq!(i.len(), 2);
        assert_eq!(
            i[0].addresses,
            vec!["10.0.0.9/8", "10.0.0.10/8", "fe80::1/64"]
        );
        assert_eq!(i[0].mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert_eq!(i[0].state.as_deref(), Some("up"));
        assert_eq!(i[1].mac, None);
        assert!(parse_ip_addr("{}").is_err());
    }

    #[test]
    fn net_sysfs_speed_and_merge() {
        let t = "/sys/class/net/eth0/address:dc:a6:32:01:02:03\n/sys/class/net/eth0/speed:1000\n\
                 /sys/class/net/eth0/type:1\n/sys/class/net/wlan0/speed:-1\n/sys/class/net/wlan0/type:1\n\
                 /sys/class/net/lo/type:772\n/sys/class/net/eth0/mtu: 9000 \n";
        let s = parse_net_sysfs(t).unwrap();
        assert_eq!(s["eth0"].mac.as_deref(), Some("dc:a6:32:01:02:03"));
        assert_eq!(s["eth0"].speed_mbps, Some(1000));
        assert_eq!(s["wlan0"].speed_mbps, None);
        let mut ifaces = Vec::new();
        merge_net_sysfs(&mut ifaces, &s);
        assert_eq!(
            ifaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            vec!["eth0", "wlan0"]
        );
        assert_eq!(ifaces[0].mtu, Some(9000));
    }
}
