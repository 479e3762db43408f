//! Writes the benchmark inputs into a folder: sample PDFs and the test PKI.
//!
//! ```text
//! make-samples DIR
//! ```
//!
//! Files: `large-100KB.pdf`, `large-1MB.pdf`, `large-10MB.pdf`, `large-100MB.pdf`
//! (`samples::large_pdf`, one incompressible image), `text-8000.pdf` (`samples::text_pdf(8000)`,
//! 56,003 objects), and `pki/` with the files of `TestPki::write_to_dir` (PKCS#12 password
//! "test"; `signer-rsa-key.pem` is the RSA-2048 key as PKCS#8 PEM).

use std::path::Path;
use std::process::ExitCode;

use cloudsign_benches::MANY_OBJECT_PAGES;
use cloudsign_core::testkit::{TestPki, samples};

/// The `large_pdf` files written: name and minimum size.
const LARGE: [(&str, usize); 4] = [
    ("large-100KB.pdf", 100 << 10),
    ("large-1MB.pdf", 1 << 20),
    ("large-10MB.pdf", 10 << 20),
    ("large-100MB.pdf", 100 << 20),
];

fn run(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    for (name, size) in LARGE {
        let path = dir.join(name);
        std::fs::write(&path, samples::large_pdf(size))?;
        println!("{}", path.display());
    }
    let text = dir.join(format!("text-{MANY_OBJECT_PAGES}.pdf"));
    std::fs::write(&text, samples::text_pdf(MANY_OBJECT_PAGES))?;
    println!("{}", text.display());

    let pki_dir = dir.join("pki");
    std::fs::create_dir_all(&pki_dir)?;
    let pki = TestPki::generate()?;
    for path in pki.write_to_dir(&pki_dir, "test")? {
        println!("{}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: make-samples DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make-samples: {e}");
            ExitCode::FAILURE
        }
    }
}
