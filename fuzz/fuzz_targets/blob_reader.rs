//! The blob envelope (header parse, key unwrap, chunk reader) on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::store::fuzzing::fuzz_blob_reader(data);
});
