//! The address guard: which network addresses a source may reach.
//!
//! In: the `[http] allow_private` and `[http] allow` settings, then every address a source's fetch is about
//! to connect to. Out: the addresses that may be used, or a [`Refusal`] ("refused by policy") that names
//! the host and the kind of address, never whether anything listens there.
//!
//! Whoever writes a feed chooses the URLs veille fetches next (its redirects). Without a guard, veille would
//! fetch loopback services, the private network and the cloud metadata endpoint (169.254.169.254) for them,
//! and its error messages would tell an open port from a closed one. So by default a source reaches public
//! unicast addresses only. The check is made on the **resolved** address, for every hop:
//! [`GuardedResolver`] is the HTTP client's DNS resolver and drops refused addresses before any connection
//! (so a name that resolves to 127.0.0.1 does not pass, and the address checked is the one connected to);
//! IP-literal hosts, which never reach a resolver, are checked by [`AddressPolicy::check_url`] before the
//! first request and in the redirect policy. The fetcher (`sources::fetch`) wires both.
//!
//! `allow_private = true` opens loopback, private (RFC 1918), shared (CGNAT) and unique-local IPv6
//! addresses; `allow` opens listed host names (`rss.intranet`, `*.intranet`) whatever they resolve to, and
//! listed CIDR ranges (`10.1.2.0/24`) for any host. Link-local addresses (cloud metadata), multicast,
//! broadcast, unspecified, documentation and reserved ranges are opened only by an `allow` range that
//! covers them. The mail server and chat channels are the administrator's own choice and do not go through
//! this guard.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// What kind of address a refused one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16).
    Private,
    /// RFC 6598 carrier-grade NAT space (100.64/10).
    Shared,
    /// fc00::/7.
    UniqueLocal,
    /// 169.254/16 and fe80::/10, where cloud metadata services answer.
    LinkLocal,
    Multicast,
    Broadcast,
    /// 0.0.0.0/8 and `::` (Linux connects them to the local host).
    Unspecified,
    /// The documentation and benchmarking ranges.
    Documentation,
    /// Reserved, deprecated or special-purpose ranges that are no public host.
    Reserved,
}

impl AddressKind {
    /// Whether `allow_private = true` opens this kind.
    fn opened_by_allow_private(self) -> bool {
        matches!(
            self,
            AddressKind::Loopback
                | AddressKind::Private
                | AddressKind::Shared
                | AddressKind::UniqueLocal
        )
    }

    fn words(self) -> &'static str {
        match self {
            AddressKind::Loopback => "a loopback address",
            AddressKind::Private => "a private address",
            AddressKind::Shared => "a shared (carrier-grade NAT) address",
            AddressKind::UniqueLocal => "a unique-local address",
            AddressKind::LinkLocal => "a link-local address",
            AddressKind::Multicast => "a multicast address",
            AddressKind::Broadcast => "the broadcast address",
            AddressKind::Unspecified => "an unspecified address",
            AddressKind::Documentation => "a documentation address",
            AddressKind::Reserved => "a reserved address",
        }
    }
}

/// The kind of a non-public address, or `None` for a public unicast address.
///
/// IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address they lead to.
pub fn classify(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        (0, _, _) => AddressKind::Unspecified,
        (10, _, _) => AddressKind::Private,
        (100, 64..=127, _) => AddressKind::Shared,
        (127, _, _) => AddressKind::Loopback,
        (169, 254, _) => AddressKind::LinkLocal,
        (172, 16..=31, _) => AddressKind::Private,
        (192, 168, _) => AddressKind::Private,
        (192, 0, 0) | (192, 88, 99) => AddressKind::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => {
            AddressKind::Documentation
        }
        (224..=239, _, _) => AddressKind::Multicast,
        _ if ip.is_broadcast() => AddressKind::Broadcast,
        (240..=255, _, _) => AddressKind::Reserved,
        _ => return None,
    };
    Some(kind)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    if ip.is_unspecified() {
        return Some(AddressKind::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressKind::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        // Judged by where it leads; a public IPv4 behind NAT64 or 6to4 is public.
        return classify_v4(v4);
    }
    let s = ip.segments();
    let kind = match s[0] {
        0xfe80..=0xfebf => AddressKind::LinkLocal,
        // fec0::/10, site-local: deprecated, but still routed inside some networks.
        0xfec0..=0xfeff => AddressKind::Private,
        0xfc00..=0xfdff => AddressKind::UniqueLocal,
        0xff00..=0xffff => AddressKind::Multicast,
        0x2001 if s[1] == 0x0db8 => AddressKind::Documentation,
        // 2001::/23: IETF protocol assignments (Teredo, ORCHID, benchmarking…), no plain public host.
        0x2001 if s[1] < 0x0200 => AddressKind::Reserved,
        // 3fff::/20: documentation (RFC 9637).
        0x3fff if s[1] < 0x1000 => AddressKind::Documentation,
        // 100::/64: discard-only.
        0x0100 if s[1] == 0 && s[2] == 0 && s[3] == 0 => AddressKind::Reserved,
        // Anything else outside 2000::/3 (global unicast) is not a public host.
        x if !(0x2000..=0x3fff).contains(&x) => AddressKind::Reserved,
        _ => return None,
    };
    Some(kind)
}

/// The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let low = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated; :: and ::1 are handled before).
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        // 64:ff9b::/96, the NAT64 well-known prefix, and 64:ff9b:1::/48, the local-use one.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 1, ..] => Some(low),
        // 2002:AABB:CCDD::/48, 6to4.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
        _ => None,
    }
}

/// A CIDR range: `10.1.2.0/24`, `fd00::/8`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `ADDRESS/PREFIX` or a bare address (the whole address).
    ///
    /// # Errors
    /// A message when the address or the prefix does not parse, or when bits are set past the prefix (a
    /// likely typo: `10.1.2.3/24` was probably meant as `10.1.2.0/24`).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or a CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => {
                    return Err(format!(
                        "{text:?}: the prefix length must be a number from 0 to {max}"
                    ));
                }
            },
        };
        let cidr = Cidr { network, prefix };
        if cidr.masked() != network {
            return Err(format!(
                "{text:?} has bits set past its /{prefix} prefix (did you mean {}/{prefix}?)",
                cidr.masked()
            ));
        }
        Ok(cidr)
    }

    fn masked(&self) -> IpAddr {
        match self.network {
            IpAddr::V4(n) => IpAddr::V4(Ipv4Addr::from(u32::from(n) & mask32(self.prefix))),
            IpAddr::V6(n) => IpAddr::V6(Ipv6Addr::from(u128::from(n) & mask128(self.prefix))),
        }
    }

    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address is compared as the IPv4 address it is.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = mask32(self.prefix);
                u32::from(n) & m == u32::from(a) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = mask128(self.prefix);
                u128::from(n) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// One entry of `[http] allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    /// A CIDR range or one address.
    Range(Cidr),
    /// A host name, lower case, without a trailing dot.
    Host(String),
    /// `*.suffix`: every host under `suffix` (not `suffix` itself). Stored as `.suffix`.
    Domain(String),
}

impl AllowEntry {
    /// Reads an entry: a CIDR range, an IP address, a host name or `*.domain`.
    ///
    /// # Errors
    /// A message saying what is wrong with the entry and what is expected.
    pub fn parse(text: &str) -> Result<AllowEntry, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty entry; expected a host name or a CIDR range".into());
        }
        let looks_numeric =
            t.contains(':') || t.contains('/') || t.chars().all(|c| c.is_ascii_digit() || c == '.');
        if looks_numeric {
            return Cidr::parse(t).map(AllowEntry::Range);
        }
        let (wildcard, name) = match t.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(format!(
                "{t:?} is neither a host name (rss.intranet, *.intranet) nor a CIDR range (10.1.2.0/24)"
            ));
        }
        Ok(if wildcard {
            AllowEntry::Domain(format!(".{name}"))
        } else {
            AllowEntry::Host(name)
        })
    }
}

/// Which addresses sources may reach: the running form of `[http] allow_private` and `[http] allow`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow_private: bool,
    allow: Vec<AllowEntry>,
}

/// Why a fetch was refused before any connection: the host, the address and its kind.
///
/// The message is the same whether or not anything listens on the port, so that the errors of sources and
/// of the redirects they follow cannot be used to scan ports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused by policy: {}", self.describe())]
pub struct Refusal {
    /// The host as the URL names it.
    pub host: String,
    /// The address refused (the first one, when a name resolves to several).
    pub address: IpAddr,
    pub kind: AddressKind,
}

impl Refusal {
    fn describe(&self) -> String {
        let what = if self.host == self.address.to_string() {
            format!("{} is {}", self.host, self.kind.words())
        } else {
            format!(
                "{} resolves to {}, {}",
                self.host,
                self.address,
                self.kind.words()
            )
        };
        let how = if self.kind.opened_by_allow_private() {
            "list it in [http] allow, or set [http] allow_private = true"
        } else {
            "list it in [http] allow"
        };
        format!("{what}; sources may reach it only if you {how}")
    }
}

impl AddressPolicy {
    /// The policy these settings describe.
    ///
    /// # Errors
    /// The first entry of `allow` that does not parse, with its message.
    pub fn new(allow_private: bool, allow: &[String]) -> Result<AddressPolicy, String> {
        let allow = allow
            .iter()
            .map(|e| AllowEntry::parse(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AddressPolicy {
            allow_private,
            allow,
        })
    }

    /// Whether a host name is listed in `allow` (then any address it resolves to may be used).
    pub fn host_listed(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        self.allow.iter().any(|e| match e {
            AllowEntry::Host(h) => *h == host,
            AllowEntry::Domain(suffix) => host.ends_with(suffix.as_str()),
            AllowEntry::Range(_) => false,
        })
    }

    /// Whether an address may be connected to; when not, its kind.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), AddressKind> {
        let Some(kind) = classify(ip) else {
            return Ok(());
        };
        let ranged = self
            .allow
            .iter()
            .any(|e| matches!(e, AllowEntry::Range(c) if c.contains(ip)));
        if ranged || (self.allow_private && kind.opened_by_allow_private()) {
            Ok(())
        } else {
            Err(kind)
        }
    }

    /// Checks a URL whose host is an IP literal (which no resolver sees); host names pass here and are
    /// checked on their resolved addresses by [`GuardedResolver`].
    ///
    /// # Errors
    /// A [`Refusal`] when the literal address is refused.
    pub fn check_url(&self, url: &url::Url) -> Result<(), Refusal> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        self.check_ip(ip).map_err(|kind| Refusal {
            host: ip.to_string(),
            address: ip,
            kind,
        })
    }

    /// Keeps the addresses `host` may use.
    ///
    /// # Errors
    /// A [`Refusal`] naming the first address when none is left; an empty `addrs` is returned as it is.
    pub fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refusal> {
        if self.host_listed(host) {
            return Ok(addrs);
        }
        let mut first_refused = None;
        let kept: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.check_ip(a.ip()) {
                Ok(()) => true,
                Err(kind) => {
                    first_refused.get_or_insert((a.ip(), kind));
                    false
                }
            })
            .collect();
        match (kept.is_empty(), first_refused) {
            (true, Some((address, kind))) => Err(Refusal {
                host: host.to_owned(),
                address,
                kind,
            }),
            _ => Ok(kept),
        }
    }
}

/// The HTTP client's DNS resolver: the system's resolver (getaddrinfo), then [`AddressPolicy::filter`].
/// Connections go only to the addresses it returns, so the address checked is the address connected to.
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = policy.filter(&host, addrs)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn policy(allow_private: bool, allow: &[&str]) -> AddressPolicy {
        let allow: Vec<String> = allow.iter().map(|s| (*s).to_owned()).collect();
        AddressPolicy::new(allow_private, &allow).unwrap()
    }

    #[test]
    fn non_public_ipv4_ranges_are_classified() {
        for (addr, kind) in [
            ("127.0.0.1", AddressKind::Loopback),
            ("127.255.1.2", AddressKind::Loopback),
            ("10.0.0.1", AddressKind::Private),
            ("172.16.0.1", AddressKind::Private),
            ("172.31.255.254", AddressKind::Private),
            ("192.168.1.1", AddressKind::Private),
            ("100.64.0.1", AddressKind::Shared),
            ("100.127.255.255", AddressKind::Shared),
            ("169.254.169.254", AddressKind::LinkLocal),
            ("224.0.0.1", AddressKind::Multicast),
            ("239.255.255.250", AddressKind::Multicast),
            ("255.255.255.255", AddressKind::Broadcast),
            ("0.0.0.0", AddressKind::Unspecified),
            ("0.1.2.3", AddressKind::Unspecified),
            ("192.0.2.10", AddressKind::Documentation),
            ("198.51.100.7", AddressKind::Documentation),
            ("203.0.113.9", AddressKind::Documentation),
            ("198.18.0.1", AddressKind::Documentation),
            ("192.0.0.8", AddressKind::Reserved),
            ("240.0.0.1", AddressKind::Reserved),
        ] {
            assert_eq!(classify(ip(addr)), Some(kind), "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "169.253.1.1",
            "192.169.0.1",
            "2606:4700::1111",
            "2a00:1450:4007:80e::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert_eq!(classify(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn non_public_ipv6_ranges_are_classified() {
        for (addr, kind) in [
            ("::1", AddressKind::Loopback),
            ("::", AddressKind::Unspecified),
            ("fe80::1", AddressKind::LinkLocal),
            ("fc00::1", AddressKind::UniqueLocal),
            ("fd12:3456::1", AddressKind::UniqueLocal),
            ("ff02::1", AddressKind::Multicast),
            ("2001:db8::1", AddressKind::Documentation),
            ("3fff::1", AddressKind::Documentation),
            ("2001::1", AddressKind::Reserved),
            ("100::1", AddressKind::Reserved),
            ("fec0::1", AddressKind::Private),
        ] {
            assert_eq!(classify(ip(addr)), Some(kind), "{addr}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_are_judged_by_their_ipv4_address() {
        for (addr, kind) in [
            ("::ffff:127.0.0.1", AddressKind::Loopback),
            ("::ffff:169.254.169.254", AddressKind::LinkLocal),
            ("::ffff:10.1.2.3", AddressKind::Private),
            ("::127.0.0.1", AddressKind::Loopback),
            ("::192.168.0.1", AddressKind::Private),
            ("64:ff9b::7f00:1", AddressKind::Loopback),
            ("64:ff9b:1::a00:1", AddressKind::Private),
            ("2002:7f00:0001::1", AddressKind::Loopback),
            ("2002:a9fe:a9fe::1", AddressKind::LinkLocal),
        ] {
            assert_eq!(classify(ip(addr)), Some(kind), "{addr}");
        }
    }

    #[test]
    fn the_default_refuses_and_allow_private_opens_only_private_kinds() {
        let closed = AddressPolicy::default();
        let open = policy(true, &[]);
        for addr in ["127.0.0.1", "10.1.2.3", "100.64.1.1", "fd00::1", "::1"] {
            assert!(closed.check_ip(ip(addr)).is_err(), "{addr}");
            assert_eq!(open.check_ip(ip(addr)), Ok(()), "{addr}");
        }
        // The metadata endpoint and non-unicast addresses stay closed even then.
        for addr in [
            "169.254.169.254",
            "fe80::1",
            "224.0.0.1",
            "0.0.0.0",
            "192.0.2.1",
        ] {
            assert!(open.check_ip(ip(addr)).is_err(), "{addr}");
        }
        assert_eq!(closed.check_ip(ip("8.8.8.8")), Ok(()));
    }

    #[test]
    fn allow_ranges_open_only_what_they_cover() {
        let p = policy(
            false,
            &["10.1.2.0/24", "127.0.0.1", "169.254.169.254/32", "fd00::/8"],
        );
        assert_eq!(p.check_ip(ip("10.1.2.200")), Ok(()));
        assert_eq!(p.check_ip(ip("10.1.3.1")), Err(AddressKind::Private));
        assert_eq!(p.check_ip(ip("127.0.0.1")), Ok(()));
        assert_eq!(p.check_ip(ip("::ffff:127.0.0.1")), Ok(()));
        assert_eq!(p.check_ip(ip("127.0.0.2")), Err(AddressKind::Loopback));
        assert_eq!(p.check_ip(ip("169.254.169.254")), Ok(()));
        assert_eq!(p.check_ip(ip("fd00:1::2")), Ok(()));
        assert_eq!(p.check_ip(ip("fc00::2")), Err(AddressKind::UniqueLocal));
    }

    #[test]
    fn allowed_hosts_keep_every_address_and_others_are_filtered() {
        let p = policy(false, &["rss.intranet", "*.corp.example"]);
        let addrs = |list: &[&str]| -> Vec<SocketAddr> {
            list.iter().map(|a| SocketAddr::new(ip(a), 0)).collect()
        };
        let private = addrs(&["10.0.0.5"]);
        assert_eq!(
            p.filter("RSS.intranet.", private.clone()),
            Ok(private.clone())
        );
        assert_eq!(
            p.filter("a.corp.example", private.clone()),
            Ok(private.clone())
        );
        assert!(p.filter("corp.example", private.clone()).is_err());
        // A name that resolves to both: only the public address is kept.
        assert_eq!(
            p.filter("mixed.example", addrs(&["127.0.0.1", "93.184.216.34"])),
            Ok(addrs(&["93.184.216.34"]))
        );
        let refusal = p
            .filter("localhost", addrs(&["127.0.0.1", "::1"]))
            .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "refused by policy: localhost resolves to 127.0.0.1, a loopback address; sources may reach it \
             only if you list it in [http] allow, or set [http] allow_private = true"
        );
    }

    #[test]
    fn literal_hosts_are_checked_in_urls() {
        let p = AddressPolicy::default();
        let check = |u: &str| p.check_url(&url::Url::parse(u).unwrap());
        assert_eq!(check("http://example.org/feed"), Ok(()));
        assert_eq!(check("http://8.8.8.8/feed"), Ok(()));
        // The URL parser reads the odd IPv4 spellings, so they are caught as what they are.
        for u in [
            "http://127.0.0.1:8080/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://[::ffff:7f00:1]/",
            "http://[::1]:80/",
            "http://0/",
        ] {
            assert!(check(u).is_err(), "{u}");
        }
        let e = check("http://169.254.169.254/latest/meta-data/").unwrap_err();
        assert_eq!(
            e.to_string(),
            "refused by policy: 169.254.169.254 is a link-local address; sources may reach it only if you \
             list it in [http] allow"
        );
    }

    #[test]
    fn allow_entries_are_validated() {
        assert_eq!(
            AllowEntry::parse("10.1.2.0/24"),
            Ok(AllowEntry::Range(Cidr::parse("10.1.2.0/24").unwrap()))
        );
        assert_eq!(
            AllowEntry::parse("Rss.Intranet"),
            Ok(AllowEntry::Host("rss.intranet".into()))
        );
        assert_eq!(
            AllowEntry::parse("*.intranet"),
            Ok(AllowEntry::Domain(".intranet".into()))
        );
        assert!(AllowEntry::parse("::1").is_ok());
        assert!(AllowEntry::parse("0.0.0.0/0").is_ok());
        for bad in [
            "",
            "10.1.2.0/33",
            "10.1.2.3/24",
            "300.1.1.1",
            "rss intranet",
            "-a.b",
            "http://x/",
            "*",
        ] {
            assert!(AllowEntry::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            AllowEntry::parse("10.1.2.3/24").unwrap_err(),
            "\"10.1.2.3/24\" has bits set past its /24 prefix (did you mean 10.1.2.0/24?)"
        );
    }

    #[test]
    fn zero_prefix_covers_everything_of_its_family() {
        let all4 = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all4.contains(ip("127.0.0.1")));
        assert!(!all4.contains(ip("::1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("fe80::1")));
    }
}
