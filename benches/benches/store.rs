//! Encrypted blob store throughput against one-shot AES-256-GCM, and peak memory of a 1 GiB
//! streamed blob, in one run.
//!
//! - 1 MiB: `put` and `get` through a `MemoryBackend` (64 KiB chunks), median of 21 runs,
//!   against one `seal_in_place` / `open_in_place` over the same 1 MiB buffer.
//! - 1 GiB: the floor is one-shot AES-256-GCM over a 1 GiB buffer in this process. The store
//!   side runs in a child process (this binary re-executed) that streams 1 GiB through a
//!   `BlobWriter` into a discarding backend, then into an `FsBackend` file (one fsync at the
//!   end), and reads it back through a `BlobReader`; it reports its times and its peak
//!   resident memory (`VmHWM` from `/proc/self/status`), which must not grow with blob size.

// A benchmark has no caller to return an error to: a failure to set up is reported by
// `expect` with a message, which is what a bench should do.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use cloudsign_benches::{drain, median_time, peak_rss_kib, run_child};
use cloudsign_core::crypto::aead::{self, AeadKey};
use cloudsign_core::store::{
    BlobBackend, BlobId, BlobSink, BlobSource, EncryptedBlobStore, FsBackend, KeyId, MemoryBackend,
    StaticKeyProvider,
};

const MIB: usize = 1 << 20;
const GIB: usize = 1 << 30;
const CHILD_ENV: &str = "CLOUDSIGN_BENCH_STORE_CHILD";

fn keys() -> StaticKeyProvider {
    StaticKeyProvider::new(KeyId::new("bench").expect("key id"), &[9u8; 32])
}

fn buffer(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect()
}

/// Accepts and discards every write: the store pipeline without storage cost.
#[derive(Debug)]
struct NullBackend;

struct NullSink;

impl Write for NullSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        black_box(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for NullSink {
    fn commit(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

impl BlobBackend for NullBackend {
    fn create(&self, _: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        Ok(Box::new(NullSink))
    }
    fn open(&self, _: &BlobId) -> io::Result<BlobSource<'_>> {
        Err(io::ErrorKind::NotFound.into())
    }
    fn delete(&self, _: &BlobId) -> io::Result<()> {
        Ok(())
    }
    fn exists(&self, _: &BlobId) -> io::Result<bool> {
        Ok(false)
    }
    fn list(&self, _: &str) -> io::Result<Vec<BlobId>> {
        Ok(Vec::new())
    }
}

/// Streams 1 GiB (a 1 MiB buffer repeated) into `w`.
fn write_gib(w: &mut impl Write, piece: &[u8]) {
    for _ in 0..GIB / piece.len() {
        w.write_all(piece).expect("write");
    }
}

fn child(dir: &str) {
    let piece = buffer(MIB);
    let null = EncryptedBlobStore::new(NullBackend, keys());
    let start = Instant::now();
    let mut w = null.writer().expect("writer");
    write_gib(&mut w, &piece);
    w.finish().expect("finish");
    let null_enc = start.elapsed();

    let store = EncryptedBlobStore::new(FsBackend::new(dir).expect("store dir"), keys());
    let start = Instant::now();
    let mut w = store.writer().expect("writer");
    write_gib(&mut w, &piece);
    let id = w.finish().expect("finish");
    let fs_enc = start.elapsed();

    let start = Instant::now();
    let total = drain(store.reader(&id).expect("reader"));
    let fs_dec = start.elapsed();
    assert_eq!(total, GIB);
    println!(
        "{} {} {} {}",
        null_enc.as_secs_f64(),
        fs_enc.as_secs_f64(),
        fs_dec.as_secs_f64(),
        peak_rss_kib()
    );
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument is ignored, everything runs.
    let key = AeadKey::from_bytes(&[9u8; 32]);
    let nonce = [1u8; aead::NONCE_LEN];

    // 1 MiB in process.
    let data = buffer(MIB);
    let mut sealed = Vec::new();
    let seal_1m = median_time(21, || {
        let mut b = Vec::with_capacity(MIB + aead::TAG_LEN);
        b.extend_from_slice(&data);
        aead::seal_in_place(&key, &nonce, b"", &mut b).expect("seal");
        sealed = b;
    });
    let open_1m = median_time(21, || {
        let mut b = sealed.clone();
        aead::open_in_place(&key, &nonce, b"", &mut b).expect("open");
        b
    });
    let store = EncryptedBlobStore::new(MemoryBackend::new(), keys());
    let put_1m = median_time(21, || store.put(&data).expect("put"));
    let id = store.put(&data).expect("put");
    let get_1m = median_time(21, || store.get(&id).expect("get"));

    // 1 GiB one-shot floor, in this process.
    let mut big = buffer(GIB);
    let start = Instant::now();
    big.reserve_exact(aead::TAG_LEN);
    aead::seal_in_place(&key, &nonce, b"", &mut big).expect("seal");
    let seal_1g = start.elapsed();
    let start = Instant::now();
    aead::open_in_place(&key, &nonce, b"", &mut big).expect("open");
    let open_1g = start.elapsed();
    drop(big);

    // 1 GiB streamed through the store, in a child so its peak memory is its own.
    let dir = tempfile::tempdir().expect("temp dir");
    let f = run_child(CHILD_ENV, dir.path());
    let [null_enc, fs_enc, fs_dec, peak_kib] = f[..] else {
        eprintln!("unexpected child output {f:?}");
        std::process::exit(1);
    };
    let secs = |d: Duration| d.as_secs_f64();
    let mbps = |bytes: usize, s: f64| bytes as f64 / s / 1e6;

    println!("\nencrypted blob store vs one-shot AES-256-GCM (same run)\n");
    println!("| case | store | one-shot AES-GCM | store / one-shot |");
    println!("|---|---|---|---|");
    let row = |name: &str, store_s: f64, floor_s: f64, bytes: usize| {
        println!(
            "| {name} | {:.2} ms ({:.0} MB/s) | {:.2} ms ({:.0} MB/s) | {:.2} |",
            store_s * 1e3,
            mbps(bytes, store_s),
            floor_s * 1e3,
            mbps(bytes, floor_s),
            store_s / floor_s
        );
    };
    row("put 1 MiB (memory)", secs(put_1m), secs(seal_1m), MIB);
    row("get 1 MiB (memory)", secs(get_1m), secs(open_1m), MIB);
    row(
        "write 1 GiB streamed (discarding backend)",
        null_enc,
        secs(seal_1g),
        GIB,
    );
    row(
        "write 1 GiB streamed (file + fsync)",
        fs_enc,
        secs(seal_1g),
        GIB,
    );
    row("read 1 GiB streamed (file)", fs_dec, secs(open_1g), GIB);
    println!(
        "\npeak resident memory of the 1 GiB streaming child: {:.1} MiB (VmHWM)",
        peak_kib / 1024.0
    );
}
