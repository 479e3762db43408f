//! The Rust side of the binding-overhead benchmark (`benches/bindings/run.sh`): signs the same
//! 1 MB PDF at B-B `N` times through `PdfSigner` and prints the median time per call, the
//! figure the C and Python programs print for the same work.
//!
//! ```text
//! bindings-sign DIR [N]
//! ```
//!
//! Writes `DIR/large-1MB.pdf` (`samples::large_pdf`) and the test PKI under `DIR/pki`
//! (PKCS#12 password "test") first if they are missing, so the other programs sign the same
//! file with the same key.

use std::path::Path;
use std::process::ExitCode;

use cloudsign_benches::median_time;
use cloudsign_core::PdfSigner;
use cloudsign_core::signer::LocalSigner;
use cloudsign_core::testkit::{TestPki, samples};

fn run(dir: &Path, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let pdf_path = dir.join("large-1MB.pdf");
    let p12_path = dir.join("pki/signer-rsa.p12");
    if !pdf_path.is_file() {
        std::fs::create_dir_all(dir)?;
        std::fs::write(&pdf_path, samples::large_pdf(1 << 20))?;
    }
    if !p12_path.is_file() {
        std::fs::create_dir_all(dir.join("pki"))?;
        TestPki::generate()?.write_to_dir(&dir.join("pki"), "test")?;
    }
    let pdf = std::fs::read(&pdf_path)?;
    let signer = LocalSigner::from_pkcs12(&std::fs::read(&p12_path)?, "test")?;
    let mut failure = None;
    let median = median_time(runs, || {
        if let Err(e) = PdfSigner::new(&signer).sign(&pdf) {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    println!("rust median_us_per_sign: {}", median.as_micros());
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bindings-sign DIR [N]");
        return ExitCode::from(2);
    };
    let runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(30);
    match run(Path::new(&dir), runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bindings-sign: {e}");
            ExitCode::FAILURE
        }
    }
}
