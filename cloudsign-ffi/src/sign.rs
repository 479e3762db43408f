//! Signing at each PAdES baseline level, certification, two-phase signing, document
//! timestamps.

use std::ffi::c_char;
use std::path::Path;

use cloudsign_core::http::{HttpRevocationSource, HttpTimeStamper};
use cloudsign_core::pades::{DocMdpPermissions, DocumentTimestamper, PdfSigner, PreparedSignature};
use cloudsign_core::time::UnixTime;
use cloudsign_core::{Limits, SignatureOptions, SignatureProfile};

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

/// Certification permitting no changes at all (DocMDP P=1); strict readers also count
/// validation data and timestamps added later as changes.
pub const CS_CERTIFY_NO_CHANGES: u32 = 1;
/// Certification permitting form filling, page templates and further signatures (DocMDP P=2).
pub const CS_CERTIFY_FORM_FILLING: u32 = 2;
/// Certification permitting what P=2 does plus annotations (DocMDP P=3).
pub const CS_CERTIFY_ANNOTATIONS: u32 = 3;

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

/// How to sign: level, timestamp authority, field name, reason, location, contact, claimed
/// time, certification, `/VRI` entries. Made by
/// `cs_sign_options_new`, freed by `cs_sign_options_free`; NULL options mean B-B with
/// defaults.
#[derive(Debug)]
pub struct cs_sign_options {
    level: Level,
    tsa_urls: Vec<String>,
    options: SignatureOptions,
    limits: Limits,
}

impl Default for cs_sign_options {
    fn default() -> Self {
        Self {
            level: Level::BaselineB,
            tsa_urls: Vec::new(),
            options: SignatureOptions::new(),
            limits: Limits::default(),
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
    update(options, err, |o| {
        o.level = Level::from_code(level)?;
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
    update(options, err, |o| {
        let url = ffi::text(url, "url")?;
        // Parse now so that a bad URL fails here, not at signing time.
        HttpTimeStamper::new(url)?;
        o.tsa_urls.push(url.to_owned());
        Ok(())
    })
}

/// Changes the options with `change`.
fn update(
    options: *mut cs_sign_options,
    err: *mut *mut cs_error,
    change: impl FnOnce(&mut cs_sign_options) -> Result<(), Failure>,
) -> cs_status {
    boundary(err, || change(ffi::handle_mut(options, "options")?))
}

/// Sets one signature option with the core's builder step `apply`.
fn set_option<T>(
    options: *mut cs_sign_options,
    err: *mut *mut cs_error,
    value: impl FnOnce() -> Result<T, Failure>,
    apply: fn(SignatureOptions, T) -> SignatureOptions,
) -> cs_status {
    update(options, err, |o| {
        let value = value()?;
        o.options = apply(std::mem::take(&mut o.options), value);
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
    set_option(
        options,
        err,
        || Ok(ffi::text(value, name)?.to_owned()),
        apply,
    )
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

/// Sets the resource limit `name` for the document being signed (a field name of the core's
/// `Limits`: `max_input_bytes`, `max_nesting_depth`, `max_objects`, `max_decompressed_bytes`,
/// `max_revisions`, `max_signatures`, `max_path_candidates`). An input beyond a limit fails
/// with `CS_ERR_LIMIT`; an unknown name is `CS_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_limit(
    options: *mut cs_sign_options,
    name: *const c_char,
    value: u64,
    err: *mut *mut cs_error,
) -> cs_status {
    update(options, err, |o| {
        crate::limits::set(&mut o.limits, name, value)
    })
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

/// Sets the signature's `/ContactInfo`, how to reach the signer.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_contact_info(
    options: *mut cs_sign_options,
    contact: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    set_text(
        options,
        contact,
        "contact",
        err,
        SignatureOptions::contact_info,
    )
}

/// Sets the claimed signing time written to `/M` (seconds since the epoch; default: now).
/// Only a timestamp proves time.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_signing_time(
    options: *mut cs_sign_options,
    unix_time: u64,
    err: *mut *mut cs_error,
) -> cs_status {
    set_option(
        options,
        err,
        || Ok(UnixTime::from_secs(unix_time)),
        SignatureOptions::signing_time,
    )
}

/// Makes the signature a certification signature (DocMDP) with `permissions`:
/// `CS_CERTIFY_NO_CHANGES`, `CS_CERTIFY_FORM_FILLING` or `CS_CERTIFY_ANNOTATIONS`. It must be
/// the document's first signature (`CS_ERR_SIGNING` otherwise, when signing).
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_certification(
    options: *mut cs_sign_options,
    permissions: u32,
    err: *mut *mut cs_error,
) -> cs_status {
    let parse = || {
        DocMdpPermissions::from_level(i64::from(permissions)).ok_or_else(|| {
            Failure::invalid(format!("unknown certification permissions {permissions}"))
        })
    };
    set_option(options, err, parse, SignatureOptions::certify)
}

/// At B-LT and B-LTA, also writes a `/VRI` entry tying the validation data to this signature
/// (optional in PAdES; some older readers look for it). Off by default.
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_options_set_vri(
    options: *mut cs_sign_options,
    vri: bool,
    err: *mut *mut cs_error,
) -> cs_status {
    set_option(options, err, || Ok(vri), SignatureOptions::vri)
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
        limits: o.limits.clone(),
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
        let signed = sign_with(signer, options, |pdf_signer| pdf_signer.sign(pdf))?;
        out.set(cs_bytes::new(signed));
        Ok(())
    })
}

/// Signs the file at `in_path` into a new file at `out_path`, streaming: memory use does not
/// grow with the file (at B-LT and B-LTA the document is read into memory). The output
/// appears complete or not at all; on any error nothing is left at `out_path`. `options` may
/// be NULL (B-B, defaults).
#[unsafe(no_mangle)]
pub extern "C" fn cs_sign_file(
    signer: *const cs_signer,
    options: *const cs_sign_options,
    in_path: *const c_char,
    out_path: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let signer = ffi::handle(signer, "signer")?;
        let input = Path::new(ffi::text(in_path, "in_path")?);
        let output = Path::new(ffi::text(out_path, "out_path")?);
        sign_with(signer, options, |pdf_signer| {
            pdf_signer.sign_file(input, output)
        })
    })
}

/// Runs `sign` with a `PdfSigner` for `signer` and `options` (NULL: B-B, defaults).
fn sign_with<T>(
    signer: &cs_signer,
    options: *const cs_sign_options,
    sign: impl FnOnce(&PdfSigner<'_>) -> cloudsign_core::error::Result<T>,
) -> Result<T, Failure> {
    let options = options_or_default(options)?;
    options.with_profile(|profile| {
        sign(
            &PdfSigner::new(signer.inner.as_ref())
                .profile(profile)
                .options(options.options.clone())
                .limits(options.limits.clone()),
        )
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

/// First phase of two-phase signing: prepares the update for `signer`'s certificate chain and
/// algorithm without signing (the signer's key is not used). `options` may be NULL; its level
/// must be B-B, or B-T with a TSA URL (room for the timestamp is reserved now, and the
/// signature is finished with `cs_prepared_finish_timestamped`). For the long-term levels,
/// add validation data to the finished file with `cs_ltv_update`.
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
        if !matches!(options.level, Level::BaselineB | Level::BaselineT) {
            return Err(Failure::invalid(
                "two-phase signing produces level B-B or B-T; add validation data afterwards \
                 with cs_ltv_update",
            ));
        }
        let prepared = options.with_profile(|profile| {
            PdfSigner::new(signer.inner.as_ref())
                .profile(profile)
                .options(options.options.clone())
                .prepare(pdf)
        })?;
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

/// Completes a prepared signature with `complete`, which gets the state, the document and the
/// signature value, and hands C the whole signed file.
fn finish_prepared(
    prepared: *const cs_prepared,
    pdf: (*const u8, usize),
    signature: (*const u8, usize),
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
    complete: impl FnOnce(PreparedSignature, &[u8], &[u8]) -> Result<Vec<u8>, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let prepared = ffi::handle(prepared, "prepared")?;
        let pdf = ffi::bytes(pdf.0, pdf.1, "pdf")?;
        let signature = ffi::bytes(signature.0, signature.1, "signature")?;
        out.set(cs_bytes::new(complete(
            prepared.inner.clone(),
            pdf,
            signature,
        )?));
        Ok(())
    })
}

/// Second phase at level B-B: completes the signature with `signature` (over the message /
/// digest) and returns the whole signed file in `*out`, after checking that `pdf` is the
/// document the signature was prepared on (`CS_ERR_SIGNING` otherwise, and for a B-T
/// preparation). `prepared` stays usable.
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
    let (document, value) = ((pdf, pdf_len), (signature, signature_len));
    finish_prepared(prepared, document, value, out, err, |p, pdf, signature| {
        Ok(p.finish_pdf(pdf, signature)?)
    })
}

/// Second phase at level B-T: as `cs_prepared_finish`, with a signature timestamp over the
/// signature value from the RFC 3161 authority at `tsa_url`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_finish_timestamped(
    prepared: *const cs_prepared,
    pdf: *const u8,
    pdf_len: usize,
    signature: *const u8,
    signature_len: usize,
    tsa_url: *const c_char,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    let stamped = |p: PreparedSignature, pdf: &[u8], signature: &[u8]| -> Result<_, Failure> {
        let stamper = HttpTimeStamper::new(ffi::text(tsa_url, "tsa_url")?)?;
        Ok(p.finish_pdf_timestamped(pdf, signature, &stamper)?)
    };
    finish_prepared(
        prepared,
        (pdf, pdf_len),
        (signature, signature_len),
        out,
        err,
        stamped,
    )
}

/// Frees a prepared signature; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_prepared_free(prepared: *mut cs_prepared) {
    guard((), || ffi::free_handle(prepared));
}
