//! Long-term validation: the DSS written into signed documents and read back, PAdES B-LT and
//! B-LTA, renewal, and validation at the time the timestamps prove.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::pades::{
    DocMdpPermissions, LtvUpdater, SignatureOptions, SignatureProfile, SigningError,
};
use cloudsign_core::pdf::dss::{self, ValidationData};
use cloudsign_core::pdf::{Document, IncrementalWriter};
use cloudsign_core::revocation::{
    CrlIssuer, DEFAULT_SKEW_SECS, Evidence, EvidenceTime, HttpRevocationSource, OcspResponder,
    RevocationStatus, check_revocation_with,
};
use cloudsign_core::serve::{BackgroundServer, HttpServer, revocation_handler, timestamp_handler};
use cloudsign_core::signer::LocalSigner;
use cloudsign_core::testkit::{
    CertSpec, EKU_TIME_STAMPING, KeyType, PkiUrls, TEST_TSA_POLICY, TestIdentity, TestPki, samples,
};
use cloudsign_core::time::{FixedClock, UnixTime};
use cloudsign_core::tsp::TimestampAuthority;
use cloudsign_core::validate::{Indication, SignatureKind, SubIndication};
use cloudsign_core::x509::{Certificate, TrustStore};
use cloudsign_core::{Error, ErrorKind, PdfSigner, ValidationReport, Validator};

use crate::common::{assert_all_passed, pki, temp_file};
use crate::oracles;

/// `pdf` with one DSS update holding `data` and `vri`.
fn with_dss(pdf: &[u8], data: &ValidationData, vri: &BTreeMap<String, ValidationData>) -> Vec<u8> {
    let doc = Document::open(pdf, &Default::default()).unwrap();
    let mut writer = IncrementalWriter::append_to(&doc).unwrap();
    dss::write(&doc, &mut writer, data, vri).unwrap();
    let mut out = pdf.to_vec();
    out.extend_from_slice(&writer.finish().bytes);
    out
}

fn read_dss(pdf: &[u8]) -> dss::Dss {
    dss::read(&Document::open(pdf, &Default::default()).unwrap()).unwrap()
}

#[test]
fn dss_updates_merge_keep_earlier_entries_and_reuse_their_streams() {
    let pki = pki();
    let signed = PdfSigner::new(&pki.pki.signer_ec.signer().unwrap())
        .sign(&samples::contract_pdf())
        .unwrap();
    let mut first = ValidationData::default();
    first.add_certificate(pki.pki.signer_ec.certificate.der().to_vec());
    first.add_certificate(pki.pki.intermediate.certificate.der().to_vec());
    first.add_crl(b"not really a CRL, bytes only at this layer".to_vec());
    let key = dss::vri_key(b"signature one");
    let vri = BTreeMap::from([(key.clone(), first.clone())]);
    let once = with_dss(&signed, &first, &vri);

    let read = read_dss(&once);
    assert_eq!(read.data, first);
    assert_eq!(read.vri[&key], first);

    // A second update adds an OCSP response and a certificate already stored.
    let mut second = ValidationData::default();
    second.add_certificate(pki.pki.intermediate.certificate.der().to_vec());
    second.add_certificate(pki.pki.root.certificate.der().to_vec());
    second.add_ocsp_response(b"an OCSP response".to_vec());
    let twice = with_dss(&once, &second, &BTreeMap::new());
    let read = read_dss(&twice);
    let mut merged = first.clone();
    merged.extend(second);
    assert_eq!(read.data, merged);
    assert_eq!(read.vri[&key], first, "the earlier VRI entry is kept");

    // Only the two new items got new streams: the update rewrites the DSS dictionary and adds
    // exactly two objects.
    let doc = Document::open(twice.as_slice(), &Default::default()).unwrap();
    let last = doc.revisions().len() - 1;
    assert_eq!(doc.changed_objects(last).len(), 3);

    // Signatures stay valid and the file stays well formed.
    assert_all_passed(&pki.validate(&twice), "signature after two DSS updates");
    let (_dir, path) = temp_file("dss.pdf", &twice);
    if oracles::require_tool("qpdf") {
        let o = oracles::qpdf_check(&path);
        assert!(o.ok, "{}", o.output);
    }
}

/// A test PKI whose leaves name an OCSP responder and a CRL on 127.0.0.1, with those
/// responders and a timestamp authority running.
struct Env {
    pki: TestPki,
    dir: tempfile::TempDir,
    responders: Arc<Mutex<Option<(OcspResponder, CrlIssuer)>>>,
    revocation_server: Option<BackgroundServer>,
    root_crl_server: Option<BackgroundServer>,
    tsa_server: BackgroundServer,
}

impl Env {
    fn new() -> Self {
        let responders: Arc<Mutex<Option<(OcspResponder, CrlIssuer)>>> = Arc::default();
        let (ocsp_slot, crl_slot) = (Arc::clone(&responders), Arc::clone(&responders));
        let handler = revocation_handler(
            move |request| match &*ocsp_slot.lock().unwrap() {
                Some((ocsp, _)) => ocsp.respond(request),
                None => Vec::new(),
            },
            move || match &*crl_slot.lock().unwrap() {
                Some((_, crl)) => crl.issue().ok(),
                None => None,
            },
        );
        let server = HttpServer::bind("127.0.0.1:0", handler).unwrap();
        // The root's CRL, for the intermediate CA: validators that want status for every
        // certificate below the anchor (pyHanko's AdES validation) find it in the DSS.
        let root_crl: Arc<Mutex<Option<CrlIssuer>>> = Arc::default();
        let root_slot = Arc::clone(&root_crl);
        let root_crl_server = HttpServer::bind(
            "127.0.0.1:0",
            revocation_handler(
                |_| Vec::new(),
                move || root_slot.lock().unwrap().as_ref()?.issue().ok(),
            ),
        )
        .unwrap();
        let base = server.url();
        let urls = PkiUrls::default()
            .ocsp(&format!("{base}ocsp"))
            .crl(&format!("{base}ca.crl"))
            .intermediate_crl(&format!("{}root.crl", root_crl_server.url()));
        let pki = TestPki::generate_with(&urls).unwrap();
        *root_crl.lock().unwrap() = Some(CrlIssuer::new(pki.root.signer().unwrap()).unwrap());
        let ocsp = OcspResponder::new(
            pki.intermediate.certificate.clone(),
            pki.ocsp.signer().unwrap(),
        )
        .unwrap();
        let crl = CrlIssuer::new(pki.intermediate.signer().unwrap()).unwrap();
        *responders.lock().unwrap() = Some((ocsp, crl));
        let authority = pki.authority().unwrap();
        let tsa_server = HttpServer::bind(
            "127.0.0.1:0",
            timestamp_handler(move |r| authority.respond(r)),
        )
        .unwrap()
        .spawn()
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        pki.write_to_dir(dir.path(), "test").unwrap();
        Self {
            pki,
            dir,
            responders,
            revocation_server: Some(server.spawn().unwrap()),
            root_crl_server: Some(root_crl_server.spawn().unwrap()),
            tsa_server,
        }
    }

    /// Both responders report `cert` revoked since `at`.
    fn revoke(&self, cert: &Certificate, at: UnixTime) {
        let mut slot = self.responders.lock().unwrap();
        let (ocsp, crl) = slot.take().unwrap();
        let serial = cert.serial_hex();
        *slot = Some((
            ocsp.revoke(&serial, at, None).unwrap(),
            crl.revoke(&serial, at, None).unwrap(),
        ));
    }

    /// From now on the OCSP responder and the CRL issuer answer as of `at`.
    fn answer_as_of(&self, at: UnixTime) {
        let mut slot = self.responders.lock().unwrap();
        let (ocsp, crl) = slot.take().unwrap();
        *slot = Some((
            ocsp.with_clock(Box::new(FixedClock(at))),
            crl.with_clock(Box::new(FixedClock(at))),
        ));
    }

    /// A signer of this PKI called `name`, valid until `not_after`, whose certificate names
    /// this environment's OCSP responder and CRL.
    fn revocable_signer(&self, name: &str, not_after: UnixTime) -> TestIdentity {
        let base = self.revocation_server.as_ref().unwrap().url();
        let spec = CertSpec::new(name)
            .validity(UnixTime::now().minus_secs(3600), not_after)
            .ocsp_url(&format!("{base}ocsp"))
            .crl_url(&format!("{base}ca.crl"));
        self.pki.issue(&spec).unwrap()
    }

    /// pyHanko's long-term validation (with this root) and `qpdf --check` accept `pdf`.
    #[track_caller]
    fn assert_long_term_validators_accept(&self, name: &str, pdf: &[u8]) {
        let (_dir, path) = temp_file(name, pdf);
        if oracles::require_tool("pyhanko") {
            let o = oracles::pyhanko_ltv_validate(&path, &self.root_pem());
            assert!(o.ok, "{}", o.output);
        }
        if oracles::require_tool("qpdf") {
            let o = oracles::qpdf_check(&path);
            assert!(o.ok, "{}", o.output);
        }
    }

    /// The test root as a trust store.
    fn trust(&self) -> TrustStore {
        let mut trust = TrustStore::new();
        trust.add(self.pki.root.certificate.clone());
        trust
    }

    /// A timestamp authority of this PKI with its own certificate `spec` (and no URLs
    /// unless the spec names some).
    fn authority(&self, spec: CertSpec) -> TimestampAuthority {
        let spec = spec
            .key_type(KeyType::Rsa(2048))
            .extended_key_usage(EKU_TIME_STAMPING, true);
        let identity = self.pki.issue(&spec).unwrap();
        TimestampAuthority::new(identity.signer().unwrap(), TEST_TSA_POLICY).unwrap()
    }

    /// Takes the OCSP responder and CRL distribution point off the network.
    fn stop_revocation(&mut self) {
        for server in [self.revocation_server.take(), self.root_crl_server.take()]
            .into_iter()
            .flatten()
        {
            server.stop().unwrap();
        }
    }

    /// The root's CRL, covering the intermediate CA: extra data for files whose signature
    /// lacks the root, so that the intermediate's status cannot be fetched for them.
    fn root_crl(&self) -> ValidationData {
        let crl = CrlIssuer::new(self.pki.root.signer().unwrap())
            .unwrap()
            .issue()
            .unwrap();
        let mut data = ValidationData::default();
        data.add_crl(crl);
        data
    }

    fn tsa(&self) -> HttpTimeStamper {
        HttpTimeStamper::new(&self.tsa_server.url()).unwrap()
    }

    fn root_pem(&self) -> PathBuf {
        self.dir.path().join("root.pem")
    }

    /// An offline validator trusting the test root.
    fn validator(&self) -> Validator {
        let mut trust = TrustStore::new();
        trust.add(self.pki.root.certificate.clone());
        Validator::new(trust)
    }

    fn sign(
        &self,
        identity: &TestIdentity,
        level: &str,
        pdf: &[u8],
    ) -> cloudsign_core::error::Result<Vec<u8>> {
        // The root goes into the signature too: only with a certificate's issuer at hand can
        // its status be fetched and checked, and that holds for the intermediate CA as well.
        let mut chain = vec![identity.certificate.clone()];
        chain.extend(identity.chain.iter().cloned());
        chain.push(self.pki.root.certificate.clone());
        let signer = LocalSigner::from_pkcs8_der(&identity.key_pkcs8_der, chain).unwrap();
        let tsa = self.tsa();
        let source = HttpRevocationSource::new().timeout(Duration::from_secs(5));
        let profile = match level {
            "B-LT" => SignatureProfile::BaselineLt {
                timestamper: &tsa,
                revocation: &source,
            },
            "B-LTA" => SignatureProfile::BaselineLta {
                timestamper: &tsa,
                revocation: &source,
            },
            _ => SignatureProfile::BaselineT { timestamper: &tsa },
        };
        PdfSigner::new(&signer)
            .profile(profile)
            .options(SignatureOptions::new().vri(true))
            .sign(pdf)
    }
}

#[track_caller]
fn assert_level(report: &ValidationReport, level: &str) {
    let sig = report
        .signatures
        .iter()
        .find(|s| s.kind == SignatureKind::Signature)
        .unwrap();
    assert_eq!(sig.level.as_deref(), Some(level), "{}", report.to_json());
}

#[test]
fn b_lt_and_b_lta_validate_offline_and_name_their_level_and_evidence() {
    let mut env = Env::new();
    let contract = samples::contract_pdf();
    let lt = env.sign(&env.pki.signer_rsa, "B-LT", &contract).unwrap();
    let lta = env.sign(&env.pki.signer_ec, "B-LTA", &contract).unwrap();
    // The same levels made from B-T by `ltv add`, with the root's CRL for the intermediate CA
    // also given as extra data (it is fetched from the intermediate's distribution point too).
    let bt = env.sign(&env.pki.signer_rsa, "B-T", &contract).unwrap();
    let extra = env.root_crl();
    let source = HttpRevocationSource::new();
    let tsa = env.tsa();
    let full_lt = LtvUpdater::new(&source)
        .extra(extra.clone())
        .add(&bt)
        .unwrap();
    let full_lta = LtvUpdater::new(&source)
        .extra(extra)
        .timestamper(&tsa)
        .add(&bt)
        .unwrap();
    // pdfsig knows no DSS: it asks the responder named in the certificate, while it runs.
    // It cannot judge document timestamps ("Unimplemented Feature"), so of B-LTA only the
    // signature is asked for.
    if oracles::require_tool("pdfsig") {
        let (_dir, path) = temp_file("b-lt.pdf", &lt);
        let o = oracles::pdfsig_validate(&path, &env.root_pem());
        assert!(o.ok, "{}", o.output);
        let (_dir, path) = temp_file("b-lta.pdf", &lta);
        let o = oracles::pdfsig_validate(&path, &env.root_pem());
        let first = o.output.split("Signature #2").next().unwrap_or_default();
        assert!(
            first.contains("Signature is Valid.") && first.contains("Certificate is Trusted."),
            "{}",
            o.output
        );
    }
    // pyHanko's AdES validation wants revocation data for every certificate below the
    // anchor, the intermediate CA included. It runs while the responders are up: the newest
    // document timestamp's authority has no status in the file, as nothing covers it yet.
    if oracles::require_tool("pyhanko") {
        for (name, pdf) in [("b-lt.pdf", &lt), ("b-lta.pdf", &lta)] {
            let (_dir, path) = temp_file(name, pdf);
            let o = oracles::pyhanko_ltv_validate(&path, &env.root_pem());
            assert!(o.ok, "{name}: {}", o.output);
        }
    }
    // The responders go away: what follows rests on the documents alone.
    env.stop_revocation();

    let report = env.validator().validate_pdf(&lt).unwrap();
    assert_all_passed(&report, "B-LT");
    assert_level(&report, "B-LT");
    let sig = &report.signatures[0];
    assert!(
        sig.revocation
            .iter()
            .any(|c| c.origin == "DSS" && matches!(c.status, RevocationStatus::Good { .. })),
        "{}",
        report.to_json()
    );
    assert!(
        !sig.timestamps[0].revocation.is_empty(),
        "the TSA's status is shown too"
    );
    assert!(
        sig.evidence
            .iter()
            .any(|e| e.contains("signature timestamp proves"))
    );

    let report = env.validator().validate_pdf(&lta).unwrap();
    assert_all_passed(&report, "B-LTA");
    assert_level(&report, "B-LTA");
    let dss = read_dss(&lta);
    assert!(!dss.data.ocsp_responses.is_empty() && dss.vri.len() == 1);
    // The VRI entry is dated with when its data was gathered.
    assert!(lta.windows(7).any(|w| w == b"/TU (D:"));
    assert_level(&env.validator().validate_pdf(&full_lt).unwrap(), "B-LT");
    assert_level(&env.validator().validate_pdf(&full_lta).unwrap(), "B-LTA");

    for (name, pdf) in [
        ("b-lt.pdf", &lt),
        ("b-lta.pdf", &lta),
        ("full-b-lt.pdf", &full_lt),
        ("full-b-lta.pdf", &full_lta),
    ] {
        let (_dir, path) = temp_file(name, pdf);
        if oracles::require_tool("qpdf") {
            let o = oracles::qpdf_check(&path);
            assert!(o.ok, "{}", o.output);
        }
        if oracles::require_tool("openssl") {
            for der in &read_dss(pdf).data.ocsp_responses {
                let o = oracles::openssl_ocsp_verify(
                    der,
                    &env.dir.path().join("intermediate.pem"),
                    &env.root_pem(),
                );
                assert!(o.ok, "{name}: {}", o.output);
            }
        }
    }
}

#[test]
fn a_signer_revoked_before_signing_fails() {
    let env = Env::new();
    let signer = env.revocable_signer("revoked signer", UnixTime::now().plus_secs(2 * YEAR));
    env.revoke(&signer.certificate, UnixTime::now().minus_secs(600));
    let signed = env.sign(&signer, "B-LT", &samples::contract_pdf()).unwrap();
    let report = env.validator().validate_pdf(&signed).unwrap();
    let sig = &report.signatures[0];
    assert_eq!(sig.indication, Indication::Failed, "{}", report.to_json());
    assert_eq!(sig.sub_indication, Some(SubIndication::Revoked));
    assert!(
        sig.revocation
            .iter()
            .any(|c| matches!(c.status, RevocationStatus::Revoked { .. }))
    );
}

#[test]
fn a_signer_expired_after_its_timestamp_still_passes_later() {
    let env = Env::new();
    let signer = env.revocable_signer("short-lived signer", UnixTime::now().plus_secs(120));
    let signed = env.sign(&signer, "B-LT", &samples::contract_pdf()).unwrap();
    // A year on, the signer's certificate has long expired (and the responder's data too).
    let later = FixedClock(UnixTime::now().plus_secs(YEAR));
    let report = env.validator().clock(&later).validate_pdf(&signed).unwrap();
    assert_all_passed(&report, "expired signer validated a year later");
    assert_level(&report, "B-LT");

    // Without the proof of time the same certificate fails as expired.
    let plain = PdfSigner::new(&signer.signer().unwrap())
        .sign(&samples::contract_pdf())
        .unwrap();
    let report = env.validator().clock(&later).validate_pdf(&plain).unwrap();
    assert_eq!(
        report.signatures[0].sub_indication,
        Some(SubIndication::OutOfBoundsNoPoe)
    );
}

#[test]
fn missing_revocation_data_is_indeterminate_never_passed() {
    let env = Env::new();
    let bt = env
        .sign(&env.pki.signer_ec, "B-T", &samples::contract_pdf())
        .unwrap();
    let report = env.validator().validate_pdf(&bt).unwrap();
    let sig = &report.signatures[0];
    assert_eq!(
        sig.indication,
        Indication::Indeterminate,
        "{}",
        report.to_json()
    );
    assert_eq!(sig.sub_indication, Some(SubIndication::TryLater));
    // Online, the validator may fetch what the document lacks.
    let online = env
        .validator()
        .revocation_source(Arc::new(HttpRevocationSource::new()))
        .validate_pdf(&bt)
        .unwrap();
    assert_all_passed(&online, "B-T validated online");
    assert!(
        online.signatures[0]
            .revocation
            .iter()
            .all(|c| c.origin == "fetched")
    );
}

#[test]
fn a_responder_down_at_signing_is_a_typed_error_or_a_crl_fallback_never_a_partial_file() {
    let mut env = Env::new();
    // OCSP refused, CRL served: the signature falls back to the CRL.
    let ocsp_down = CertSpec::new("OCSP down signer")
        .ocsp_url("http://127.0.0.1:9/ocsp")
        .crl_url(&format!(
            "{}ca.crl",
            env.revocation_server.as_ref().unwrap().url()
        ));
    let signer = env.pki.issue(&ocsp_down).unwrap();
    let signed = env.sign(&signer, "B-LT", &samples::contract_pdf()).unwrap();
    assert!(!read_dss(&signed).data.crls.is_empty());
    assert_all_passed(
        &env.validator().validate_pdf(&signed).unwrap(),
        "CRL fallback",
    );

    // Nothing reachable: a typed error and no output file.
    env.stop_revocation();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    let output = dir.path().join("out.pdf");
    std::fs::write(&input, samples::contract_pdf()).unwrap();
    let tsa = env.tsa();
    let source = HttpRevocationSource::new().timeout(Duration::from_secs(2));
    let err = PdfSigner::new(&env.pki.signer_rsa.signer().unwrap())
        .profile(SignatureProfile::BaselineLt {
            timestamper: &tsa,
            revocation: &source,
        })
        .sign_file(&input, &output)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Revocation, "{err}");
    assert!(!output.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn ltv_extend_twice_keeps_every_signature_and_timestamp_valid() {
    let env = Env::new();
    let lta = env
        .sign(&env.pki.signer_rsa, "B-LTA", &samples::contract_pdf())
        .unwrap();
    let tsa = env.tsa();
    let source = HttpRevocationSource::new();
    let updater = LtvUpdater::new(&source)
        .timestamper(&tsa)
        .extra(env.root_crl());
    let once = updater.extend(&lta).unwrap();
    let twice = updater.extend(&once).unwrap();
    assert!(twice.starts_with(&once) && once.starts_with(&lta));
    let report = env.validator().validate_pdf(&twice).unwrap();
    assert_all_passed(&report, "after two renewals");
    assert_level(&report, "B-LTA");
    let stamps = report
        .signatures
        .iter()
        .filter(|s| s.kind == SignatureKind::DocumentTimestamp)
        .count();
    assert_eq!(stamps, 3);
    // Every document timestamp but the newest has its authority's status in the DSS.
    let checked = report
        .signatures
        .iter()
        .filter(|s| s.kind == SignatureKind::DocumentTimestamp && !s.revocation.is_empty())
        .count();
    assert_eq!(checked, 3, "{}", report.to_json());
    env.assert_long_term_validators_accept("extended.pdf", &twice);

    // `ltv extend` needs a document timestamp to renew.
    let bt = env
        .sign(&env.pki.signer_rsa, "B-T", &samples::contract_pdf())
        .unwrap();
    let err = updater.extend(&bt).unwrap_err();
    assert!(
        matches!(err, Error::Signing(SigningError::NothingToExtend)),
        "{err}"
    );
    // `ltv add` makes it B-LTA.
    let added = updater.add(&bt).unwrap();
    assert_level(&env.validator().validate_pdf(&added).unwrap(), "B-LTA");
}

#[test]
fn validation_data_after_a_no_changes_certification_is_warned_about() {
    let env = Env::new();
    let tsa = env.tsa();
    let certified = PdfSigner::new(&env.pki.signer_rsa.signer().unwrap())
        .profile(SignatureProfile::BaselineT { timestamper: &tsa })
        .options(SignatureOptions::new().certify(DocMdpPermissions::NoChanges))
        .sign(&samples::contract_pdf())
        .unwrap();
    let source = HttpRevocationSource::new();
    let updater = LtvUpdater::new(&source).extra(env.root_crl());
    assert_eq!(updater.warnings(&certified).unwrap().len(), 1);
    let with_dss = updater.add(&certified).unwrap();
    let report = env.validator().validate_pdf(&with_dss).unwrap();
    assert_all_passed(&report, "DSS after P=1");
    assert_eq!(report.warnings.len(), 1, "{}", report.to_json());
    assert!(report.warnings[0].contains("P=1"));
}

const YEAR: u64 = 365 * 86_400;

#[test]
fn pyhanko_b_lt_and_b_lta_pass_our_validator_offline() {
    if !oracles::require_tool("pyhanko") {
        return;
    }
    let mut env = Env::new();
    let d = env.dir.path();
    let input = d.join("pyhanko-in.pdf");
    std::fs::write(&input, samples::contract_pdf()).unwrap();
    let tsa_url = env.tsa_server.url();
    let mut made = Vec::new();
    for (name, lta) in [("pyhanko-b-lt.pdf", false), ("pyhanko-b-lta.pdf", true)] {
        let output = d.join(name);
        let mut cmd = std::process::Command::new("pyhanko");
        cmd.args(["sign", "addsig", "--use-pades", "--with-validation-info"])
            .args(["--timestamp-url", &tsa_url, "--field", "Sig1"]);
        if lta {
            cmd.arg("--use-pades-lta");
        }
        let out = cmd
            .arg("--trust")
            .arg(env.root_pem())
            .arg("--trust-replace")
            .args(["pemder", "--no-pass", "--key"])
            .arg(d.join("signer-ec-key.pem"))
            .arg("--cert")
            .arg(d.join("signer-ec.pem"))
            .arg("--chain")
            .arg(d.join("intermediate.pem"))
            .arg(&input)
            .arg(&output)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pyhanko addsig {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        made.push((name, lta, std::fs::read(&output).unwrap()));
    }
    // Judged from the files alone.
    env.stop_revocation();
    for (name, lta, pdf) in made {
        let report = env.validator().validate_pdf(&pdf).unwrap();
        assert_all_passed(&report, name);
        assert_level(&report, if lta { "B-LTA" } else { "B-LT" });
    }
}

/// The signature report of `report` (not a document timestamp).
fn signature_of(report: &ValidationReport) -> &cloudsign_core::validate::SignatureReport {
    report
        .signatures
        .iter()
        .find(|s| s.kind == SignatureKind::Signature)
        .unwrap()
}

#[test]
fn an_archive_renewed_before_its_authority_expired_passes_after_it_did() {
    let mut env = Env::new();
    let now = UnixTime::now();
    let base = env.revocation_server.as_ref().unwrap().url();
    // The first authority's certificate lives a day and publishes its status; the one
    // renewing the archive lives two years.
    let first = env.authority(
        CertSpec::new("short-lived TSA")
            .validity(now.minus_secs(3600), now.plus_secs(86_400))
            .ocsp_url(&format!("{base}ocsp"))
            .crl_url(&format!("{base}ca.crl")),
    );
    let second = env.authority(CertSpec::new("renewing TSA"));
    let source = HttpRevocationSource::new();
    let trust = env.trust();
    let lta = PdfSigner::new(&env.pki.signer_rsa.signer().unwrap())
        .profile(SignatureProfile::BaselineLta {
            timestamper: &first,
            revocation: &source,
        })
        .trust_anchors(&trust)
        .sign(&samples::contract_pdf())
        .unwrap();
    let renewed = LtvUpdater::new(&source)
        .timestamper(&second)
        .trust_anchors(&trust)
        .extend(&lta)
        .unwrap();
    env.assert_long_term_validators_accept("renewed.pdf", &renewed);
    env.stop_revocation();

    // A year on the first authority's certificate has long expired.
    let year_later = FixedClock(now.plus_secs(YEAR));
    let report = env
        .validator()
        .clock(&year_later)
        .validate_pdf(&renewed)
        .unwrap();
    assert_all_passed(&report, "renewed archive after the first TSA expired");
    assert_level(&report, "B-LTA");
    let sig = signature_of(&report);
    assert!(
        sig.evidence
            .iter()
            .any(|e| e.contains("a later document timestamp proves")),
        "{}",
        report.to_json()
    );
    // The first document timestamp was judged at the second's time, with the first
    // authority's status from the DSS.
    let mut stamps: Vec<_> = report
        .signatures
        .iter()
        .filter(|s| s.kind == SignatureKind::DocumentTimestamp)
        .collect();
    stamps.sort_by_key(|s| s.revision);
    let [older, newest] = stamps.as_slice() else {
        panic!("two document timestamps: {}", report.to_json());
    };
    assert_eq!(newest.validation_time, year_later.0.to_rfc3339());
    assert_eq!(Some(&older.validation_time), newest.proven_time.as_ref());
    assert!(
        older
            .revocation
            .iter()
            .any(|c| c.origin == "DSS" && matches!(c.status, RevocationStatus::Good { .. })),
        "{}",
        report.to_json()
    );
    assert!(
        sig.timestamps[0]
            .revocation
            .iter()
            .any(|c| c.origin == "DSS" && matches!(c.status, RevocationStatus::Good { .. })),
        "{}",
        report.to_json()
    );

    // Without the renewal nothing proves the tokens existed while the certificate was valid.
    let report = env
        .validator()
        .clock(&year_later)
        .validate_pdf(&lta)
        .unwrap();
    for s in &report.signatures {
        assert_eq!(
            s.indication,
            Indication::Indeterminate,
            "{}",
            report.to_json()
        );
        assert_eq!(s.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
    }
    // Today, before it expires, the same file passes.
    assert_all_passed(&env.validator().validate_pdf(&lta).unwrap(), "B-LTA today");
}

#[test]
fn ltv_add_hours_after_signing_shows_the_status_at_the_signing_time() {
    let mut env = Env::new();
    let contract = samples::contract_pdf();
    let bt = env.sign(&env.pki.signer_rsa, "B-T", &contract).unwrap();
    let revoked_later =
        env.revocable_signer("revoked after signing", UnixTime::now().plus_secs(2 * YEAR));
    let bt_revoked_later = env.sign(&revoked_later, "B-T", &contract).unwrap();
    let signed_at = UnixTime::now();
    // Three hours on the second signer is revoked; `ltv add` runs three hours after that,
    // with responders and authority on that clock.
    env.revoke(&revoked_later.certificate, signed_at.plus_secs(3 * 3600));
    let later = signed_at.plus_secs(6 * 3600);
    env.answer_as_of(later);
    let clock = FixedClock(later);
    let tsa = env.pki.authority().unwrap().with_clock(Box::new(clock));
    let source = HttpRevocationSource::new();
    let updater = LtvUpdater::new(&source)
        .clock(&clock)
        .timestamper(&tsa)
        .trust_anchors(&env.trust());
    let added = updater.add(&bt).unwrap();
    let added_revoked_later = updater.add(&bt_revoked_later).unwrap();
    env.stop_revocation();

    // Two days on, every response in the DSS is past its nextUpdate.
    let two_days = FixedClock(signed_at.plus_secs(2 * 86_400));
    let report = env
        .validator()
        .clock(&two_days)
        .validate_pdf(&added)
        .unwrap();
    assert_all_passed(&report, "validation data added six hours after signing");
    assert_level(&report, "B-LTA");

    let report = env
        .validator()
        .clock(&two_days)
        .validate_pdf(&added_revoked_later)
        .unwrap();
    assert_all_passed(&report, "revoked only after the proven time");
    assert_level(&report, "B-LTA");
    assert!(
        signature_of(&report).revocation.iter().any(|c| matches!(
            c.status,
            RevocationStatus::Revoked { revoked_at, .. } if revoked_at > signed_at
        )),
        "{}",
        report.to_json()
    );

    // The evidence does not speak for the signing time when only current evidence counts.
    let dss = read_dss(&added);
    let certificates: Vec<Certificate> = dss
        .data
        .certificates
        .iter()
        .map(|der| Certificate::from_der(der).unwrap())
        .collect();
    let evidence = Evidence {
        ocsp: &dss.data.ocsp_responses,
        crls: &dss.data.crls,
        certificates: &certificates,
    };
    let (cert, issuer) = (
        &env.pki.signer_rsa.certificate,
        &env.pki.intermediate.certificate,
    );
    let judge =
        |when| check_revocation_with(cert, issuer, &evidence, signed_at, DEFAULT_SKEW_SECS, when);
    assert!(matches!(
        judge(EvidenceTime::Current),
        RevocationStatus::Unknown { .. }
    ));
    assert!(matches!(
        judge(EvidenceTime::IssuedLater),
        RevocationStatus::Good { .. }
    ));
}

#[test]
fn the_top_intermediate_status_is_gathered_with_the_trust_anchors() {
    let mut env = Env::new();
    let contract = samples::contract_pdf();
    let tsa = env.tsa();
    let source = HttpRevocationSource::new();
    let trust = env.trust();
    // The signature carries the signer and the intermediate CA, not the root.
    let signer = env.pki.signer_ec.signer().unwrap();
    let sign = |anchors: Option<&TrustStore>| {
        let mut pdf_signer = PdfSigner::new(&signer).profile(SignatureProfile::BaselineLt {
            timestamper: &tsa,
            revocation: &source,
        });
        if let Some(trust) = anchors {
            pdf_signer = pdf_signer.trust_anchors(trust);
        }
        pdf_signer.sign(&contract).unwrap()
    };
    let without = sign(None);
    let with = sign(Some(&trust));
    let bt = PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT { timestamper: &tsa })
        .sign(&contract)
        .unwrap();
    let added = LtvUpdater::new(&source)
        .trust_anchors(&trust)
        .add(&bt)
        .unwrap();
    env.stop_revocation();

    let intermediate = env.pki.intermediate.certificate.subject();
    let report = env.validator().validate_pdf(&without).unwrap();
    let sig = signature_of(&report);
    assert_eq!(
        sig.indication,
        Indication::Indeterminate,
        "{}",
        report.to_json()
    );
    assert_eq!(sig.sub_indication, Some(SubIndication::TryLater));
    assert!(sig.findings.iter().any(|f| f.contains(&intermediate)));
    for (name, pdf) in [("signed", &with), ("ltv add", &added)] {
        let report = env.validator().validate_pdf(pdf).unwrap();
        assert_all_passed(&report, name);
        assert!(
            signature_of(&report)
                .revocation
                .iter()
                .any(|c| c.certificate == intermediate
                    && c.origin == "DSS"
                    && matches!(c.status, RevocationStatus::Good { .. })),
            "{name}: {}",
            report.to_json()
        );
    }
}

#[test]
fn b_lt_for_a_signer_without_a_revocation_service_needs_the_evidence() {
    let pki = pki();
    let tsa = pki.pki.authority().unwrap();
    let source = cloudsign_core::revocation::NoFetch;
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    let output = dir.path().join("out.pdf");
    std::fs::write(&input, samples::contract_pdf()).unwrap();
    for lta in [false, true] {
        let profile = if lta {
            SignatureProfile::BaselineLta {
                timestamper: &tsa,
                revocation: &source,
            }
        } else {
            SignatureProfile::BaselineLt {
                timestamper: &tsa,
                revocation: &source,
            }
        };
        let err = PdfSigner::new(&signer)
            .profile(profile)
            .sign_file(&input, &output)
            .unwrap_err();
        assert!(
            matches!(err, Error::Signing(SigningError::NoRevocationSource { .. })),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Signing);
        assert!(!output.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // With the CA's CRL given, the level is made and validated as such.
        let mut evidence = ValidationData::default();
        evidence.add_crl(
            CrlIssuer::new(pki.pki.intermediate.signer().unwrap())
                .unwrap()
                .issue()
                .unwrap(),
        );
        let signed = PdfSigner::new(&signer)
            .profile(profile)
            .validation_data(evidence)
            .sign(&samples::contract_pdf())
            .unwrap();
        let report = pki.validate(&signed);
        assert_all_passed(&report, "B-LT with evidence given");
        assert_level(&report, if lta { "B-LTA" } else { "B-LT" });
    }
}

#[test]
fn ltv_add_offline_takes_the_status_from_the_data_given() {
    let mut env = Env::new();
    let bt = env
        .sign(&env.pki.signer_rsa, "B-T", &samples::contract_pdf())
        .unwrap();
    let mut given = env.root_crl();
    given.add_crl(
        CrlIssuer::new(env.pki.intermediate.signer().unwrap())
            .unwrap()
            .issue()
            .unwrap(),
    );
    env.stop_revocation();
    let offline = cloudsign_core::revocation::NoFetch;

    // The certificates name where their status is published, and nothing may be fetched:
    // without data, the update is refused.
    let err = LtvUpdater::new(&offline).add(&bt).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Revocation, "{err}");

    // With the CRLs given, nothing is asked of the source and the file validates offline.
    let added = LtvUpdater::new(&offline).extra(given).add(&bt).unwrap();
    let report = env.validator().validate_pdf(&added).unwrap();
    assert_all_passed(&report, "status from the data given");
    assert_level(&report, "B-LT");
}
