//! The PDF reader on arbitrary bytes: lexer, cross-reference sections, revisions, objects.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cloudsign_core::pdf::fuzzing::fuzz_document(data);
});
