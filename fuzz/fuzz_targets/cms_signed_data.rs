//! The CMS SignedData parser on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::cms::fuzzing::fuzz_signed_data(data);
});
