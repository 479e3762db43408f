//! Shared fixtures: one test PKI per test binary, the corpus, temp files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cloudsign_core::testkit::TestPki;
use cloudsign_core::x509::TrustStore;
use cloudsign_core::{ValidationReport, Validator};

/// The repository's `testdata` folder.
pub(crate) fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// The test PKI, generated once per test binary, with its files written to a folder.
pub(crate) struct Pki {
    pub(crate) pki: TestPki,
    pub(crate) dir: tempfile::TempDir,
}

impl Pki {
    pub(crate) fn root_pem(&self) -> PathBuf {
        self.dir.path().join("root.pem")
    }

    pub(crate) fn trust(&self) -> TrustStore {
        let mut store = TrustStore::new();
        store.add(self.pki.root.certificate.clone());
        store
    }

    pub(crate) fn validate(&self, pdf: &[u8]) -> ValidationReport {
        Validator::new(self.trust())
            .validate_pdf(pdf)
            .expect("a report")
    }
}

pub(crate) fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let pki = TestPki::generate().expect("test PKI");
        let dir = tempfile::tempdir().expect("temp dir");
        pki.write_to_dir(dir.path(), "test").expect("write PKI");
        Pki { pki, dir }
    })
}

/// Every PDF of the committed corpus, sorted by name.
pub(crate) fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join("corpus"))
        .expect("testdata/corpus")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 7,
        "the corpus should hold at least 7 files, found {}",
        files.len()
    );
    files
}

/// Writes `bytes` to a new file in a fresh temp dir (kept alive by the returned guard).
pub(crate) fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    (dir, path)
}

/// Asserts that every signature of `report` passed, printing the report otherwise.
#[track_caller]
pub(crate) fn assert_all_passed(report: &ValidationReport, what: &str) {
    assert!(
        report.passed(),
        "{what}: expected every signature to pass:\n{}",
        report.to_json()
    );
}
