use crate::Error;
use crate::pades::{DocumentTimestamper, PdfSigner, SignatureProfile};
use crate::testkit::{CertSpec, TestPki, samples};
use crate::tsp::{TimestampAuthority, TspError};

/// A token from a certificate without the timestamping key purpose is refused end to end:
/// a typed error, and neither a signed file nor a temporary file is left behind.
#[test]
fn a_token_from_a_non_timestamping_certificate_writes_nothing() {
    let pki = TestPki::generate().unwrap();
    let id = pki.issue(&CertSpec::new("Not a TSA")).unwrap();
    // Only the crate can build such an authority; the public constructor refuses the key.
    let tsa =
        TimestampAuthority::new_unchecked(id.signer().unwrap(), crate::testkit::TEST_TSA_POLICY)
            .unwrap();
    let signer = pki.signer_rsa.signer().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, samples::contract_pdf()).unwrap();
    let output = dir.path().join("out.pdf");

    let err = PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT { timestamper: &tsa })
        .sign_file(&input, &output)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timestamp(TspError::NotTimestampingCertificate(_))
        ),
        "{err:?}"
    );
    let err = DocumentTimestamper::new(&tsa)
        .timestamp_file(&input, &output)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timestamp(TspError::NotTimestampingCertificate(_))
        ),
        "{err:?}"
    );
    assert!(!output.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
