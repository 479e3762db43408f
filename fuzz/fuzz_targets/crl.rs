//! CRL parsing on arbitrary bytes (DER and PEM): extensions, entries, lookups and accessors.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::revocation::fuzzing::fuzz_crl(data);
});
