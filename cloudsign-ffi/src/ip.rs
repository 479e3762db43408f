//! IP allowlists: addresses and CIDR ranges, IPv4 and IPv6, each with one accepted spelling.

use std::ffi::c_char;
use std::net::IpAddr;

use cloudsign_core::auth::AuthError;
use cloudsign_core::auth::ip::IpAllowlist;

use crate::cs_bytes;
use crate::error::{boundary, cs_error, cs_status, guard};
use crate::ffi;

/// The networks allowed to reach an account. Made by `cs_ip_allowlist_new`, freed by
/// `cs_ip_allowlist_free`.
#[derive(Debug)]
pub struct cs_ip_allowlist {
    inner: IpAllowlist,
}

/// Parses `count` entries (`"10.0.0.0/8"`, `"192.0.2.7"`, `"2001:db8::/32"`); `entries` may be
/// NULL when `count` is 0, which gives a list that allows nothing.
///
/// Each address has one accepted spelling, and an entry in any other is refused with
/// `CS_ERR_AUTH` naming it, so that a typo never silently narrows or widens access: an IPv4
/// octet with a leading zero (`010.0.0.1`, octal to some parsers), a shortened or hex IPv4, an
/// IPv6 zone (`fe80::1%eth0`), surrounding spaces, and a range with host bits set
/// (`10.0.0.1/8`: one host or the whole network?).
#[unsafe(no_mangle)]
pub extern "C" fn cs_ip_allowlist_new(
    entries: *const *const c_char,
    count: usize,
    out: *mut *mut cs_ip_allowlist,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let entries = ffi::texts(entries, count, "entries")?;
        out.set(cs_ip_allowlist {
            inner: IpAllowlist::parse(entries)?,
        });
        Ok(())
    })
}

/// `*allowed` receives whether `address` is in the list; an IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.1`, as dual-stack sockets report IPv4 peers) counts as the IPv4 address.
/// Text that is not one IP address is `CS_ERR_AUTH`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_ip_allowlist_allows(
    list: *const cs_ip_allowlist,
    address: *const c_char,
    allowed: *mut bool,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let allowed = ffi::ValueOut::new(allowed, "allowed")?;
        let list = ffi::handle(list, "list")?;
        let text = ffi::text(address, "address")?;
        let address: IpAddr = text.parse().map_err(|_| AuthError::InvalidAddress {
            input: text.chars().take(64).collect(),
            reason: "not an IP address",
        })?;
        allowed.set(list.inner.allows(address));
        Ok(())
    })
}

/// `*out` receives the rules in canonical form, one a line (an IPv4-mapped IPv6 rule shows as
/// the IPv4 rule it means).
#[unsafe(no_mangle)]
pub extern "C" fn cs_ip_allowlist_to_text(
    list: *const cs_ip_allowlist,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let list = ffi::handle(list, "list")?;
        let lines: Vec<String> = list.inner.rules().iter().map(ToString::to_string).collect();
        out.set(cs_bytes::text(lines.join("\n")));
        Ok(())
    })
}

/// Frees an allowlist; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_ip_allowlist_free(list: *mut cs_ip_allowlist) {
    guard((), || ffi::free_handle(list));
}
