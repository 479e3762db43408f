//! The whole verification path on arbitrary bytes: form fields, signature dictionaries, CMS,
//! diff analysis of revisions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let validator = cloudsign_core::Validator::new(cloudsign_core::x509::TrustStore::new());
    let _ = validator.validate_pdf(data);
});
