//! Two-phase signing, as with an HSM or a remote signing service that only sees a digest:
//! prepare, store the state, have the digest signed elsewhere, finish later.

use cloudsign_core::pades::{PdfSigner, PreparedSignature};
use cloudsign_core::signer::Signer;
use cloudsign_core::testkit::{TestPki, samples};
use cloudsign_core::validate::Validator;
use cloudsign_core::x509::TrustStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pki = TestPki::generate()?;
    let remote_key = pki.signer_rsa.signer()?; // stands in for the HSM
    let pdf = samples::contract_pdf();

    // Phase 1: only the certificate chain and algorithm of the remote key are needed.
    let prepared = PdfSigner::new(&remote_key).prepare(&pdf)?;
    let state = prepared.to_json();
    let digest = prepared.to_be_signed().digest().to_vec();
    println!("digest to sign remotely: {}", hex_string(&digest));

    // ... the digest travels to the HSM; the state is kept in a database ...
    let signature = remote_key.sign(prepared.to_be_signed())?;

    // Phase 2, possibly in another process.
    let signed = PreparedSignature::from_json(&state)?.finish_pdf(&pdf, &signature)?;
    let mut trust = TrustStore::new();
    trust.add(pki.root.certificate);
    let report = Validator::new(trust).validate_pdf(&signed)?;
    println!("verdict: {:?}", report.signatures[0].indication);
    Ok(())
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
