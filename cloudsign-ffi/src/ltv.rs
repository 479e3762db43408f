//! Long-term validation data for documents already signed: add it (B-T becomes B-LT, and with
//! a document timestamp B-LTA), or renew an archive with a fresh document timestamp.

use std::ffi::c_char;

use cloudsign_core::http::{HttpRevocationSource, HttpTimeStamper};
use cloudsign_core::pades::LtvUpdater;

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status};
use crate::ffi;

/// Also write `/VRI` entries: which validation data belongs to which signature (optional in
/// PAdES; some older readers look for it).
pub const CS_LTV_VRI: u32 = 1;
/// Renew an archive instead: validation data for the newest document timestamp only, then a
/// fresh document timestamp over everything (needs a TSA URL).
pub const CS_LTV_EXTEND: u32 = 2;

/// Adds long-term validation data to the signed PDF `pdf` by incremental update; `*out`
/// receives the whole updated file.
///
/// By default the update covers every signature and document timestamp: a DSS holding the
/// certificates, OCSP responses and CRLs that show the signers' and timestamp authorities'
/// certificates were valid, fetched over HTTP from the addresses the certificates name. With
/// `tsa_url` (NULL: none) a document timestamp follows, which makes B-T signatures B-LTA.
///
/// `flags` is 0 or a combination of `CS_LTV_VRI` and `CS_LTV_EXTEND`; `CS_LTV_EXTEND` renews an
/// archive before its newest document timestamp's certificate expires, and refuses a document
/// without a document timestamp or a NULL `tsa_url` with `CS_ERR_SIGNING`. Unknown flags are
/// `CS_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_ltv_update(
    tsa_url: *const c_char,
    pdf: *const u8,
    pdf_len: usize,
    flags: u32,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        if flags & !(CS_LTV_VRI | CS_LTV_EXTEND) != 0 {
            return Err(Failure::invalid(format!("unknown LTV flags {flags:#x}")));
        }
        let stamper = ffi::optional_text(tsa_url, "tsa_url")?
            .map(HttpTimeStamper::new)
            .transpose()?;
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        let revocation = HttpRevocationSource::new();
        let mut updater = LtvUpdater::new(&revocation).vri(flags & CS_LTV_VRI != 0);
        if let Some(stamper) = &stamper {
            updater = updater.timestamper(stamper);
        }
        let updated = if flags & CS_LTV_EXTEND != 0 {
            updater.extend(pdf)?
        } else {
            updater.add(pdf)?
        };
        out.set(cs_bytes::new(updated));
        Ok(())
    })
}
