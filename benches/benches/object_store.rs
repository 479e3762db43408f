//! The S3 backend streaming large blobs: time and, above all, the writer's and reader's peak
//! memory, which must not grow with the blob.
//!
//! Needs an S3-compatible server with an existing bucket, named by `CLOUDSIGN_BENCH_S3` as
//! `ENDPOINT/BUCKET` (for example moto's standalone server, see `benches/README.md`); without
//! it the bench says so and measures nothing. Each size runs in a child process (this binary
//! re-executed) that writes the blob through a `BlobWriter` in 1 MiB pieces, reads it back
//! through a `BlobReader`, and reports its times and its peak resident memory (`VmHWM`).
//! The times are the server's as much as ours: against a local moto they measure moto.

// A benchmark has no caller to return an error to: a failure to set up is reported by
// `expect` with a message, which is what a bench should do.
#![allow(clippy::expect_used)]

use std::io::Write;
use std::time::Instant;

use cloudsign_benches::{drain, peak_rss_kib, run_child};
use cloudsign_core::store::{
    EncryptedBlobStore, KeyId, ObjectStoreBackend, S3Config, StaticKeyProvider,
};

const MIB: usize = 1 << 20;
const SIZES_MIB: [usize; 2] = [64, 512];
const TARGET_ENV: &str = "CLOUDSIGN_BENCH_S3";
const CHILD_ENV: &str = "CLOUDSIGN_BENCH_S3_CHILD_MIB";

fn child(target: &str, mib: usize) {
    let (endpoint, bucket) = target
        .rsplit_once('/')
        .expect("CLOUDSIGN_BENCH_S3 is ENDPOINT/BUCKET");
    let config = S3Config::new(bucket)
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_credentials("bench", "bench")
        .with_prefix("bench");
    let backend = ObjectStoreBackend::s3(&config).expect("S3 backend");
    let keys = StaticKeyProvider::new(KeyId::new("bench").expect("key id"), &[9u8; 32]);
    let store = EncryptedBlobStore::new(backend, keys);
    let piece: Vec<u8> = (0..MIB)
        .map(|i| (i.wrapping_mul(31) >> 3).to_le_bytes()[0])
        .collect();

    let start = Instant::now();
    let mut w = store.writer().expect("writer");
    for _ in 0..mib {
        w.write_all(&piece).expect("write");
    }
    let id = w.finish().expect("finish");
    let write = start.elapsed();

    let start = Instant::now();
    let total = drain(store.reader(&id).expect("reader"));
    let read = start.elapsed();
    assert_eq!(total, mib * MIB);
    store.delete(&id).expect("delete");
    println!(
        "{} {} {}",
        write.as_secs_f64(),
        read.as_secs_f64(),
        peak_rss_kib()
    );
}

fn main() {
    let Ok(target) = std::env::var(TARGET_ENV) else {
        println!(
            "object_store bench: set {TARGET_ENV}=ENDPOINT/BUCKET to run it (see benches/README.md)"
        );
        return;
    };
    if let Some(mib) = std::env::var(CHILD_ENV).ok().and_then(|v| v.parse().ok()) {
        child(&target, mib);
        return;
    }
    println!("\nS3 backend, {target}, 8 MiB parts\n");
    println!("| blob | write | read | peak resident memory (VmHWM) |");
    println!("|---|---|---|---|");
    for mib in SIZES_MIB {
        let f = run_child(CHILD_ENV, mib.to_string());
        let [write, read, peak_kib] = f[..] else {
            eprintln!("unexpected child output {f:?}");
            std::process::exit(1);
        };
        let mbps = |s: f64| (mib * MIB) as f64 / s / 1e6;
        println!(
            "| {mib} MiB | {:.2} s ({:.0} MB/s) | {:.2} s ({:.0} MB/s) | {:.1} MiB |",
            write,
            mbps(write),
            read,
            mbps(read),
            peak_kib / 1024.0
        );
    }
}
