//! The S3 backend against a real S3-compatible server: moto's standalone server
//! (`moto_server`, installed by `.ci/install-tools.sh`), started on a free 127.0.0.1 port.
//! Without it the tests skip loudly; under `CI=true` they fail.

use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cloudsign_core::store::{
    BlobBackend, BlobId, EncryptedBlobStore, FsBackend, MIN_PART_SIZE, ObjectStoreBackend,
    ReplicatedBackend, S3Config, StaticKeyProvider, StoreError, WritePolicy,
};

use crate::s3::{BUCKET, S3Server};
use crate::store::{keys, pattern};

/// The server shared by the tests of this binary (each test keeps to its own key prefix).
fn shared() -> Option<&'static S3Server> {
    static SERVER: OnceLock<Option<S3Server>> = OnceLock::new();
    SERVER.get_or_init(S3Server::start).as_ref()
}

fn config(server: &S3Server, prefix: &str) -> S3Config {
    S3Config::new(BUCKET)
        .with_endpoint(server.endpoint())
        .with_allow_http(true)
        .with_credentials("testing", "testing")
        .with_prefix(prefix)
        .with_part_size(MIN_PART_SIZE)
        .with_timeout(Duration::from_secs(10))
        .with_retries(0)
}

fn backend(server: &S3Server, prefix: &str) -> ObjectStoreBackend {
    ObjectStoreBackend::s3(&config(server, prefix)).unwrap()
}

fn s3_store(
    server: &S3Server,
    prefix: &str,
) -> EncryptedBlobStore<ObjectStoreBackend, StaticKeyProvider> {
    EncryptedBlobStore::new(backend(server, prefix), keys("k1", 1))
}

fn raw(backend: &dyn BlobBackend, id: &BlobId) -> Vec<u8> {
    let mut out = Vec::new();
    backend.open(id).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn small_and_multipart_blobs_round_trip() {
    let Some(server) = shared() else { return };
    let store = s3_store(server, "round-trip");

    let small = store.put(b"a signed contract").unwrap();
    assert_eq!(store.get(&small).unwrap(), b"a signed contract");

    // 12 MiB + 5 bytes streamed in 1 MiB writes: three parts of the 5 MiB minimum.
    let data = pattern(12 * (1 << 20) + 5, 3);
    let mut w = store.writer().unwrap();
    for piece in data.chunks(1 << 20) {
        w.write_all(piece).unwrap();
    }
    let large = w.finish().unwrap();
    let mut back = Vec::new();
    store
        .reader(&large)
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert!(back == data, "the multipart blob reads back as written");

    // The server holds each blob as one object; the large one was uploaded in three parts
    // (an S3 multipart ETag ends in "-<parts>"), the small one in a single PUT.
    let etag = server.etag(&format!("round-trip/{large}"));
    assert!(etag.ends_with("-3"), "{etag}");
    let etag = server.etag(&format!("round-trip/{small}"));
    assert!(!etag.is_empty() && !etag.contains('-'), "{etag}");

    let mut listed = vec![small.clone(), large.clone()];
    listed.sort();
    assert_eq!(store.list().unwrap(), listed);
    store.delete(&large).unwrap();
    assert!(!store.exists(&large).unwrap());
    assert!(store.exists(&small).unwrap());
    store.delete(&large).unwrap();
}

#[test]
fn an_abandoned_writer_leaves_no_object() {
    let Some(server) = shared() else { return };
    let store = s3_store(server, "abandoned");
    let mut w = store.writer().unwrap();
    let id = w.id().clone();
    let key = format!("abandoned/{id}");
    // More than one part: the upload has started, and its first part is on the server.
    w.write_all(&pattern(6 << 20, 4)).unwrap();
    assert!(server.uploads_in_progress().contains(&key));
    drop(w);
    assert!(!server.uploads_in_progress().contains(&key), "aborted");
    assert!(!store.exists(&id).unwrap());
    assert_eq!(store.get(&id), Err(StoreError::NotFound));
}

#[test]
fn a_modified_object_fails_authentication() {
    let Some(server) = shared() else { return };
    let store = s3_store(server, "tamper");
    let data = pattern(300 * 1024, 5);
    let id = store.put(&data).unwrap();

    // An attacker with write access to the bucket flips one byte of the stored object.
    let attacker = backend(server, "tamper");
    let mut sealed = raw(&attacker, &id);
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x20;
    attacker.put_bytes(&id, &sealed).unwrap();
    assert_eq!(store.get(&id), Err(StoreError::Authentication));

    // Or swaps in another blob's object under this id.
    let other = store.put(&data).unwrap();
    attacker.put_bytes(&id, &raw(&attacker, &other)).unwrap();
    assert_eq!(store.get(&id), Err(StoreError::Authentication));
    assert_eq!(store.get(&other).unwrap(), data);
}

#[test]
fn a_missing_object_is_not_found() {
    let Some(server) = shared() else { return };
    let store = s3_store(server, "missing");
    let id: BlobId = "00112233445566778899aabbccddeeff".parse().unwrap();
    assert_eq!(store.get(&id), Err(StoreError::NotFound));
    assert!(matches!(store.reader(&id), Err(StoreError::NotFound)));
    assert!(!store.exists(&id).unwrap());
    store.delete(&id).unwrap();
}

#[test]
fn a_stopped_server_is_a_backend_error() {
    let Some(mut server) = S3Server::start() else {
        return;
    };
    let store = s3_store(&server, "down");
    let id = store.put(b"contract").unwrap();
    server.stop();

    let started = Instant::now();
    let err = store.get(&id).unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert!(matches!(store.put(b"more"), Err(StoreError::Backend(_))));
    assert!(matches!(store.exists(&id), Err(StoreError::Backend(_))));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no retry storm"
    );
}

#[test]
fn replication_to_fs_and_s3_survives_one_failing_replica() {
    let Some(server) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fs = FsBackend::new(dir.path()).unwrap();

    // Both healthy: every write reaches both; a corrupt local copy is served from S3 and
    // repaired from it.
    let store = EncryptedBlobStore::new(
        ReplicatedBackend::new(
            vec![
                Box::new(fs.clone()),
                Box::new(backend(server, "replicated")),
            ],
            WritePolicy::All,
        ),
        keys("k1", 1),
    );
    let data = pattern(200 * 1024, 6);
    let id = store.put(&data).unwrap();
    let s3 = backend(server, "replicated");
    let sealed = raw(&s3, &id);
    assert_eq!(std::fs::read(fs.path_of(&id)).unwrap(), sealed);
    let mut corrupt = sealed.clone();
    corrupt[sealed.len() - 3] ^= 1;
    std::fs::write(fs.path_of(&id), &corrupt).unwrap();
    assert_eq!(store.get(&id).unwrap(), data);
    let report = store.repair(&id).unwrap();
    assert_eq!((report.source, report.repaired), (1, vec![0]));
    assert_eq!(std::fs::read(fs.path_of(&id)).unwrap(), sealed);

    // S3 failing (a bucket that does not exist): a quorum of one still writes to disk and
    // reads back; a policy of all refuses the write with the backend's error.
    let missing_bucket = S3Config::new("no-such-bucket")
        .with_endpoint(server.endpoint())
        .with_allow_http(true)
        .with_credentials("testing", "testing")
        .with_retries(0);
    let replicas = |policy| {
        ReplicatedBackend::new(
            vec![
                Box::new(fs.clone()),
                Box::new(ObjectStoreBackend::s3(&missing_bucket).unwrap()),
            ],
            policy,
        )
    };
    let quorum = EncryptedBlobStore::new(replicas(WritePolicy::Quorum(1)), keys("k1", 1));
    let id = quorum.put(b"written while S3 fails").unwrap();
    assert_eq!(quorum.get(&id).unwrap(), b"written while S3 fails");
    let all = EncryptedBlobStore::new(replicas(WritePolicy::All), keys("k1", 1));
    assert!(matches!(all.put(b"x"), Err(StoreError::Backend(_))));
}

#[test]
fn any_object_store_serves_as_a_backend() {
    use cloudsign_core::store::object_store::local::LocalFileSystem;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let local = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let backend =
        ObjectStoreBackend::from_store(Arc::new(local), "contracts", MIN_PART_SIZE).unwrap();
    let store = EncryptedBlobStore::new(backend, keys("k1", 7));
    let body = pattern(2 * MIN_PART_SIZE + 17, 11);
    let id = store.put(&body).unwrap();
    assert_eq!(store.get(&id).unwrap(), body);
    // The object lies under the prefix, sealed: its bytes are not the plaintext.
    let stored: Vec<_> = walk(dir.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].starts_with(dir.path().join("contracts")));
    let sealed = std::fs::read(&stored[0]).unwrap();
    assert!(!sealed.windows(64).any(|w| w == &body[..64]));
    assert!(matches!(
        ObjectStoreBackend::from_store(
            Arc::new(LocalFileSystem::new()),
            "contracts",
            MIN_PART_SIZE - 1
        ),
        Err(StoreError::Backend(_))
    ));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
