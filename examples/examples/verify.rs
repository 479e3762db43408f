//! Verify a signed PDF against trusted roots and print the JSON report.
//!
//! `cargo run -p cloudsign-examples --example verify -- SIGNED.pdf ROOT.pem [MORE.pem ...]`

use cloudsign_core::validate::Validator;
use cloudsign_core::x509::TrustStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((pdf, roots)) = args.split_first().filter(|(_, roots)| !roots.is_empty()) else {
        eprintln!("usage: verify SIGNED.pdf ROOT.pem [MORE.pem ...]");
        std::process::exit(2);
    };
    let mut trust = TrustStore::new();
    for root in roots {
        for cert in cloudsign_core::x509::parse_pem_chain(&std::fs::read(root)?)? {
            trust.add(cert);
        }
    }
    let report = Validator::new(trust).validate_file(pdf.as_ref())?;
    println!("{}", report.to_json());
    std::process::exit(if report.passed() { 0 } else { 1 });
}
