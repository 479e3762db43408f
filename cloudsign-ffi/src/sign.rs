//! Signing at each PAdES baseline level, two-phase signing, document timestamps.

use std::ffi::c_char;

use cloudsign_core::http::{HttpRevocationSource, HttpTimeStamper};
use cloudsign_core::pades::{DocumentTimestamper, PdfSigner, PreparedSignature};
use cloudsign_core::{SignatureOptions, SignatureProfile};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;
use crate::signer::{algorithm_code, cs_signer};

/// PAdES baseline B-B: the signature alone, its claimed time in `/M`.
pub const CS_LEVEL_B_B: u32 = 1;
/// PAdES baseline B-T: B-B plus an RFC 3161 signature timestamp from the options' TSA URL.
pub const CS_LEVEL_B_T: u32 = 2;
/// PAdES baseline B-LT: B-T plus the certificates, OCSP responses and CRLs that validate the
/// signer's and the timestamp authority's chains, fetched over HTTP from the responders and
/// distribution points the certificates name, and stored in the document's DSS.
pub const CS_LEVEL_B_LT: u32 = 3;
/// PAdES baseline B-LTA: B-LT plus a document timestamp over it, from the options' TSA URL.
pub const CS_LEVEL_B_LTA: u32 = 4;

/// The level to produce, as the core's `SignatureProfile` needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    BaselineB,
    BaselineT,
    BaselineLt,
    BaselineLta,
}

impl Level {
    fn from_code(code: u32) -> Result<Self, Failure> {
        match code {
            CS_LEVEL_B_B => Ok(Self::BaselineB),
            CS_LEVEL_B_T => Ok(Self::BaselineT),
            CS_LEVEL_B_LT => Ok(Self::BaselineLt),
            CS_LEVEL_B_LTA => Ok(Self::BaselineLta),
            other => Err(Failure::invalid(format!("unknown signature level {other}"))),
        }
    }
}

/// How to sign: level, timestamp authority, field name, reason, location. Made by
/// `cs_sign_options_new`, freed by `cs_sign_options_free`; NULL options mean B-B with
/// defaults.
#[derive(Debug)]
pub struct cs_sign_options {
    level: Level,
    tsa_urls: Vec<String>,
    options: SignatureOptions,
}

impl Default for cs_sign_options {
    fn default() -> Self {
        Self {
            level: Level::BaselineB,
            tsa_urls: Vec::new(),
            options: SignatureOptions::new(),
        }
    }
}

impl cs_sign_options {
    /// The HTTP timestamp client for the configured URLs, first URL first.
    fn timestamper(&self) -> Result<HttpTimeStamper, Failure> {
        let (first, fallbacks) = self.tsa_urls.split_first().ok_or_else(|| {
            Failure::invalid("levels B-T and above need a TSA URL (cs_sign_options_add_tsa_url)")
        })?;
        let mut stamper = HttpTimeStamper::new(first)?;
        for url in fallbacks {
            stamper = stamper.fallback(url)?;
        }
        Ok(stamper)
    }

    /// Runs `sign` with the profile of the configured level and what it needs.
    fn with_profile<T>(
        &self,
        sign: impl FnOnce(SignatureProfile<'_>) -> cloudsign_core::error::Result<T>,
    ) -> Result<T, Failure> {
        // Each arm builds what its profile carries; the timestamper only when it is needed.
        let timestamper;
        let revocation = HttpRevocationSource::new();
        let profile = match self.level {
            Level::BaselineB => SignatureProfile::BaselineB,
            Level::BaselineT => {
                timestamper = self.timestamper()?;
                SignatureProfile::BaselineT {
                    timestamper: &timestamper,
                }
            }
            Level::BaselineLt => {
                timestamper = self.timestamper()?;
                SignatureProfile::BaselineLt {
                    timestamper: &timestamper,
                    revocation: &revocation,
                }
            }
            Level::BaselineLta => {
                timestamper = self.timestamper()?;
                SignatureProfile::BaselineLta {
                    timestamper: &timestamper,
                    revocation: &revocation,
                }
            }
        };
        Ok(sign(profile)?)
    }
}

/// New options: level B-B, no TSA, an automatically named new field; NULL only if the library
/// panicked.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_new() -> *mut cs_sign_options {
    guard(std::ptr::null_mut(), || {
        ffi::into_handle(cs_sign_options::default())
    })
}

/// Sets the level: `CS_LEVEL_B_B`, or `CS_LEVEL_B_T`, `CS_LEVEL_B_LT`, `CS_LEVEL_B_LTA`
/// (which need a TSA URL; the long-term levels also reach the OCSP responders and CRL
/// distribution points named in the certificates, over HTTP, while signing).
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_level(
    options: *mut cs_sign_options,
    level: u32,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let options = ffi::handle_mut(options, "options")?;
        options.level = Level::from_code(level)?;
        Ok(())
    })
}

/// Adds an RFC 3161 timestamp authority URL (`http://` or `https://`); the first one is asked
/// first, later ones are fallbacks.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_add_tsa_url(
    options: *mut cs_sign_options,
    url: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let options = ffi::handle_mut(options, "options")?;
        let url = ffi::text(url, "url")?;
        // Parse now so that a bad URL fails here, not at signing time.
        HttpTimeStamper::new(url)?;
        options.tsa_urls.push(url.to_owned());
        Ok(())
    })
}

/// Sets one text option from a C string.
fn set_text(
    options: *mut cs_sign_options,
    value: *const c_char,
    name: &str,
    err: *mut *mut cs_error,
    apply: fn(SignatureOptions, String) -> SignatureOptions,
) -> cs_status {
    boundary(err, || {
        let options = ffi::handle_mut(options, "options")?;
        let value = ffi::text(value, name)?.to_owned();
        options.options = apply(std::mem::take(&mut options.options), value);
        Ok(())
    })
}

/// Signs into the signature field `name` (an existing empty one, or a new one).
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_field_name(
    options: *mut cs_sign_options,
    name: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    set_text(options, name, "name", err, SignatureOptions::field_name)
}

/// Sets the signature's `/Reason`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_reason(
    options: *mut cs_sign_options,
    reason: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    set_text(options, reason, "reason", err, SignatureOptions::reason)
}

/// Sets the signature's `/Location`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_location(
    options: *mut cs_sign_options,
    location: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    set_text(
        options,
        location,
        "location",
        err,
        SignatureOptions::location,
    )
}

/// Frees options; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_free(options: *mut cs_sign_options) {
    guard((), || ffi::free_handle(options));
}

/// The options a call uses: the caller's, or the defaults for NULL.
fn options_or_default(options: *const cs_sign_options) -> Result<cs_sign_options, Failure> {
    if options.is_null() {
        return Ok(cs_sign_options::default());
    }
    let o = ffi::handle(options, "options")?;
    Ok(cs_sign_options {
        level: o.level,
        tsa_urls: o.tsa_urls.clone(),
        options: o.options.clone(),
    })
}

/// Signs the PDF `pdf` by incremental update; `*out` receives the whole signed file.
/// `options` may be NULL (B-B, defaults).
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign(
    signer: *const cs_signer,
    options: *const cs_sign_options,
    pdf: *const u8,
    pdf_len: usize,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let signer = ffi::handle(signer, "signer")?;
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        let options = options_or_default(options)?;
        let signed = options.with_profile(|profile| {
            PdfSigner::new(signer.inner.as_ref())
                .profile(profile)
                .options(options.options.clone())
                .sign(pdf)
        })?;
        out.set(cs_bytes::new(signed));
        Ok(())
    })
}

/// Adds a document timestamp (`/DocTimeStamp`, RFC 3161) from the authority at `tsa_url`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_timestamp(
    tsa_url: *const c_char,
    pdf: *const u8,
    pdf_len: usize,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let stamper = HttpTimeStamper::new(ffi::text(tsa_url, "tsa_url")?)?;
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        let stamped = DocumentTimestamper::new(&stamper).timestamp(pdf)?;
        out.set(cs_bytes::new(stamped));
        Ok(())
    })
}

/// A prepared signature (two-phase signing): the update is written and hashed and waits for
/// the signature value. Made by `cs_prepare` or `cs_prepared_from_json`, freed by
/// `cs_prepared_free`.
#[derive(Debug)]
pub struct cs_prepared {
    inner: PreparedSignature,
}

/// First phase of two-phase signing at level B-B: prepares the update for `signer`'s
/// certificate chain and algorithm without signing (the signer's key is not used).
/// `options` may be NULL; its level must be B-B.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepare(
    signer: *const cs_signer,
    options: *const cs_sign_options,
    pdf: *const u8,
    pdf_len: usize,
    out: *mut *mut cs_prepared,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let signer = ffi::handle(signer, "signer")?;
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        let options = options_or_default(options)?;
        if options.level != Level::BaselineB {
            return Err(Failure::invalid(
                "two-phase signing produces level B-B; add a document timestamp afterwards",
            ));
        }
        let prepared = PdfSigner::new(signer.inner.as_ref())
            .options(options.options)
            .prepare(pdf)?;
        out.set(cs_prepared { inner: prepared });
        Ok(())
    })
}

/// Hands C a buffer made from a prepared signature.
fn prepared_output(
    prepared: *const cs_prepared,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
    make: impl FnOnce(&PreparedSignature) -> cs_bytes,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(make(&ffi::handle(prepared, "prepared")?.inner));
        Ok(())
    })
}

/// The message to sign (DER signed attributes), for signers that hash themselves.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_message(
    prepared: *const cs_prepared,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    prepared_output(prepared, out, err, |p| {
        cs_bytes::new(p.to_be_signed().message().to_vec())
    })
}

/// The digest of the message under the signature algorithm, for HSMs that sign digests.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_digest(
    prepared: *const cs_prepared,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    prepared_output(prepared, out, err, |p| {
        cs_bytes::new(p.to_be_signed().digest().to_vec())
    })
}

/// The `CS_ALG_*` algorithm the signature must use; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_algorithm(prepared: *const cs_prepared) -> u32 {
    guard(0, || {
        ffi::handle(prepared, "prepared")
            .map_or(0, |p| algorithm_code(p.inner.to_be_signed().algorithm()))
    })
}

/// The prepared state as JSON (versioned), to store or send elsewhere until the signature
/// arrives; read back with `cs_prepared_from_json`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_to_json(
    prepared: *const cs_prepared,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    prepared_output(prepared, out, err, |p| cs_bytes::text(p.to_json()))
}

/// Reads a state written by `cs_prepared_to_json`; anything else is `CS_ERR_SIGNING`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_from_json(
    json: *const u8,
    json_len: usize,
    out: *mut *mut cs_prepared,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let json = std::str::from_utf8(ffi::bytes(json, json_len, "json")?)
            .map_err(|_| Failure::new(cs_status::CS_ERR_INVALID_UTF8, "json is not valid UTF-8"))?;
        out.set(cs_prepared {
            inner: PreparedSignature::from_json(json)?,
        });
        Ok(())
    })
}

/// Second phase: completes the signature with `signature` (over the message / digest) and
/// returns the whole signed file in `*out`, after checking that `pdf` is the document the
/// signature was prepared on (`CS_ERR_SIGNING` otherwise). `prepared` stays usable.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_finish(
    prepared: *const cs_prepared,
    pdf: *const u8,
    pdf_len: usize,
    signature: *const u8,
    signature_len: usize,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let prepared = ffi::handle(prepared, "prepared")?;
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        let signature = ffi::bytes(signature, signature_len, "signature")?;
        let signed = prepared.inner.clone().finish_pdf(pdf, signature)?;
        out.set(cs_bytes::new(signed));
        Ok(())
    })
}

/// Frees a prepared signature; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_free(prepared: *mut cs_prepared) {
    guard((), || ffi::free_handle(prepared));
}
