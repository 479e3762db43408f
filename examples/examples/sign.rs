//! Sign a PDF file with a PKCS#12 key, by path (streaming).
//!
//! `cargo run -p cloudsign-examples --example sign -- IN.pdf OUT.pdf KEY.p12 PASSWORD`
//! With no arguments it signs a sample contract with a throwaway test key.

use std::path::PathBuf;

use cloudsign_core::pades::{PdfSigner, SignatureOptions};
use cloudsign_core::signer::LocalSigner;
use cloudsign_core::testkit::{TestPki, samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output, signer) = match args.as_slice() {
        [input, output, p12, password] => {
            let signer = LocalSigner::from_pkcs12(&std::fs::read(p12)?, password)?;
            (PathBuf::from(input), PathBuf::from(output), signer)
        }
        _ => {
            let dir = std::env::temp_dir();
            let input = dir.join("cloudsign-example-contract.pdf");
            std::fs::write(&input, samples::contract_pdf())?;
            let signer = TestPki::generate()?.signer_ec.signer()?;
            (input, dir.join("cloudsign-example-signed.pdf"), signer)
        }
    };
    PdfSigner::new(&signer)
        .options(
            SignatureOptions::new()
                .reason("I agree")
                .location("Example"),
        )
        .sign_file(&input, &output)?;
    println!("signed {} -> {}", input.display(), output.display());
    Ok(())
}
