//! OCSP response parsing and checks on arbitrary bytes: OCSPResponse, BasicOCSPResponse,
//! single responses, signer authorisation and signature, nonce and accessors.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::revocation::fuzzing::fuzz_ocsp_response(data);
});
