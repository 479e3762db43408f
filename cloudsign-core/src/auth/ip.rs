//! IP allowlists: single addresses and CIDR ranges, IPv4 and IPv6, parsed strictly.
//!
//! Each address has exactly one accepted spelling, so that an allowlist reads the same to the
//! operator who wrote it, to this parser and to any other tool:
//!
//! - IPv4 is four decimal octets without leading zeros: `10.0.0.1`, never `010.0.0.1` (octal
//!   to `inet_aton`), `10.1` (shortened), `0x0a.0.0.1` or `167772161`;
//! - IPv6 is RFC 4291 text without a zone (`fe80::1%eth0` is refused);
//! - a prefix length is decimal without leading zeros and within 0–32 or 0–128;
//! - a CIDR range with host bits set (`10.0.0.1/8`) is **refused**, not normalised: it is
//!   ambiguous whether the operator meant one host or the whole network, and silently widening
//!   to `10.0.0.0/8` would admit sixteen million addresses;
//! - no surrounding whitespace.
//!
//! An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`), as dual-stack sockets report IPv4 peers,
//! is matched as the IPv4 address it carries; a mapped rule (`::ffff:10.0.0.0/104`) is stored
//! as the IPv4 rule it means.
//!
//! ```
//! use cloudsign_core::auth::ip::IpAllowlist;
//! let list = IpAllowlist::parse(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])?;
//! assert!(list.allows("10.200.0.1".parse()?));
//! assert!(list.allows("::ffff:10.0.0.1".parse()?));
//! assert!(!list.allows("192.0.2.8".parse()?));
//! assert!(IpAllowlist::parse(["010.0.0.1"]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::AuthError;

/// One allowlist entry: a network address and a prefix length (32 or 128 for one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpRule {
    addr: IpAddr,
    prefix: u8,
}

fn invalid(input: &str, reason: &'static str) -> AuthError {
    AuthError::InvalidAddress {
        input: input.chars().take(64).collect(),
        reason,
    }
}

impl IpRule {
    /// The network address.
    pub const fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub const fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is inside this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => masked_v4(ip, self.prefix) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(ip)) => masked_v6(ip, self.prefix) == u128::from(net),
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn masked_v4(ip: Ipv4Addr, prefix: u8) -> u32 {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    u32::from(ip) & mask
}

fn masked_v6(ip: Ipv6Addr, prefix: u8) -> u128 {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0);
    u128::from(ip) & mask
}

fn parse_prefix(input: &str, text: &str, max: u8) -> Result<u8, AuthError> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(input, "prefix length is not a decimal number"));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(invalid(input, "prefix length has a leading zero"));
    }
    let n: u8 = text
        .parse()
        .map_err(|_| invalid(input, "prefix length out of range"))?;
    if n > max {
        return Err(invalid(input, "prefix length out of range"));
    }
    Ok(n)
}

impl FromStr for IpRule {
    type Err = AuthError;

    fn from_str(input: &str) -> Result<Self, AuthError> {
        let (addr_text, prefix_text) = match input.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (input, None),
        };
        // std's parsers are already strict (no leading zeros, no shortened or hex IPv4, no
        // zone ids); the checks here only sharpen the error message.
        let addr = if addr_text.contains(':') {
            Ipv6Addr::from_str(addr_text)
                .map(IpAddr::V6)
                .map_err(|_| invalid(input, "not an IPv6 address"))?
        } else {
            let parts: Vec<&str> = addr_text.split('.').collect();
            if parts.len() != 4 {
                return Err(invalid(
                    input,
                    "IPv4 needs exactly four dotted decimal octets",
                ));
            }
            if parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(input, "not an IPv4 address"));
            }
            if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
                return Err(invalid(input, "IPv4 octet has a leading zero"));
            }
            Ipv4Addr::from_str(addr_text)
                .map(IpAddr::V4)
                .map_err(|_| invalid(input, "not an IPv4 address"))?
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            Some(p) => parse_prefix(input, p, max)?,
            None => max,
        };
        let rule = Self { addr, prefix };
        let network_only = match addr {
            IpAddr::V4(a) => masked_v4(a, prefix) == u32::from(a),
            IpAddr::V6(a) => masked_v6(a, prefix) == u128::from(a),
        };
        if !network_only {
            return Err(invalid(input, "host bits set after the prefix"));
        }
        Ok(rule.unmapped())
    }
}

impl IpRule {
    // ::ffff:a.b.c.d/96+n is the IPv4 rule a.b.c.d/n.
    fn unmapped(self) -> Self {
        match self.addr {
            IpAddr::V6(v6) if self.prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => Self {
                    addr: IpAddr::V4(v4),
                    prefix: self.prefix - 96,
                },
                None => self,
            },
            _ => self,
        }
    }
}

impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == host {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// A set of [`IpRule`]s; an address is allowed if any rule contains it. An empty list allows
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpAllowlist {
    rules: Vec<IpRule>,
}

impl IpAllowlist {
    /// An empty list (allows nothing).
    pub const fn new() -> Self {
        Self { rules: Vec::new() }
    }

    /// Parses every entry; the first bad one fails the whole list, so that a typo never
    /// silently narrows or widens access.
    ///
    /// # Errors
    /// [`AuthError::InvalidAddress`] naming the entry and the reason.
    pub fn parse<I, S>(entries: I) -> Result<Self, AuthError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let rules = entries
            .into_iter()
            .map(|s| s.as_ref().parse())
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Adds a rule.
    pub fn push(&mut self, rule: IpRule) {
        self.rules.push(rule);
    }

    /// The rules.
    pub fn rules(&self) -> &[IpRule] {
        &self.rules
    }

    /// Whether `ip` is allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.rules.iter().any(|r| r.contains(ip))
    }
}
