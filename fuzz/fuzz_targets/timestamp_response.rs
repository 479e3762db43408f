//! RFC 3161 response checking on arbitrary bytes: TimeStampResp, token, TSTInfo, accessors.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::tsp::fuzzing::fuzz_timestamp_response(data);
});
