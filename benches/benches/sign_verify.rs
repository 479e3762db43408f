//! Signing and verification against the physical floor, in one run.
//!
//! Criterion groups measure SHA-256 over 1/10/20 MB, one RSA-2048 signature, B-B signing of
//! `large_pdf` inputs of those sizes, validation of the signed results, and sign + validate of
//! the 56,003-object `text_pdf(8000)`. After the groups a ratio table is printed.
//!
//! Where the ratio inputs come from: every benchmark uses `iter_custom`, timing the batch
//! itself and recording the per-iteration time of each batch (warm-up batches included) before
//! handing it to criterion. The table uses the median of those recorded per-iteration times.
//! So the table and criterion's report come from the same executions, in the same process,
//! with no second measuring pass and no dependence on where criterion writes its JSON files.
//!
//! Last, a few timing splits (median of 11 runs each) show where the cost beyond hashing goes
//! for the many-object file: opening the document, walking the page tree, copying the output.

// A benchmark has no caller to return an error to: a failure to set up is reported by
// `expect` with a message, which is what a bench should do.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use std::fs::File;

use cloudsign_benches::{BENCH_SIZES, MANY_OBJECT_PAGES, Timings, median_time, ms, slow_group};
use cloudsign_core::Limits;
use cloudsign_core::crypto::{DigestAlgorithm, Hasher};
use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::pades::{PdfSigner, SignatureProfile};
use cloudsign_core::pdf::Document;
use cloudsign_core::serve::{BackgroundServer, HttpServer, timestamp_handler};
use cloudsign_core::signer::{LocalSigner, Signer, ToBeSigned};
use cloudsign_core::testkit::{TestPki, samples};
use cloudsign_core::tsp::TimestampAuthority;
use cloudsign_core::x509::TrustStore;
use cloudsign_core::{Validator, pades::SignatureOptions};
use criterion::{Criterion, Throughput};

/// Everything the benchmarks need, built once outside any timed loop.
struct Fixture {
    signer: LocalSigner,
    /// The test PKI's timestamp authority, in process and served over loopback HTTP.
    authority: TimestampAuthority,
    tsa_server: BackgroundServer,
    validator: Validator,
    /// (label, unsigned, signed) per size of [`BENCH_SIZES`].
    large: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    text: Vec<u8>,
    text_signed: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let pki = TestPki::generate().expect("generate test PKI");
        let signer = pki.signer_rsa.signer().expect("parse RSA-2048 signer key");
        let authority = pki.authority().expect("test timestamp authority");
        let served = pki.authority().expect("test timestamp authority");
        let tsa_server = HttpServer::bind(
            "127.0.0.1:0",
            timestamp_handler(move |request| served.respond(request)),
        )
        .and_then(HttpServer::spawn)
        .expect("serve the authority on loopback");
        let mut trust = TrustStore::new();
        trust.add(pki.root.certificate);
        let validator = Validator::new(trust);
        let sign = |pdf: &[u8]| {
            let signed = PdfSigner::new(&signer).sign(pdf).expect("sign sample");
            let report = validator.validate_pdf(&signed).expect("validate sample");
            assert!(report.passed(), "signed sample does not validate");
            signed
        };
        let large = BENCH_SIZES
            .iter()
            .map(|&(label, size)| {
                let pdf = samples::large_pdf(size);
                let signed = sign(&pdf);
                (label, pdf, signed)
            })
            .collect();
        let text = samples::text_pdf(MANY_OBJECT_PAGES);
        let text_signed = sign(&text);
        Self {
            signer,
            authority,
            tsa_server,
            validator,
            large,
            text,
            text_signed,
        }
    }
}

fn run_groups(c: &mut Criterion, fx: &Fixture, t: &Timings) {
    let biggest = fx.large.iter().map(|(_, p, _)| p.len()).max().unwrap_or(0);
    let data = vec![0xA5_u8; biggest.max(fx.text.len())];

    {
        let mut g = c.benchmark_group("sha256");
        g.sample_size(20);
        for (label, pdf, _) in &fx.large {
            let input = &data[..pdf.len()];
            g.throughput(Throughput::Bytes(input.len() as u64));
            t.bench(&mut g, "sha256", label, || {
                let mut h = Hasher::new(DigestAlgorithm::Sha256);
                h.update(black_box(input));
                h.finalize()
            });
        }
        let text_input = &data[..fx.text.len()];
        g.throughput(Throughput::Bytes(text_input.len() as u64));
        t.bench(&mut g, "sha256", "text8000", || {
            let mut h = Hasher::new(DigestAlgorithm::Sha256);
            h.update(black_box(text_input));
            h.finalize()
        });
        g.finish();
    }

    {
        let mut g = c.benchmark_group("rsa2048");
        g.sample_size(20);
        // About the size of real signed attributes.
        let tbs = ToBeSigned::new(vec![0x31; 120], fx.signer.algorithm());
        t.bench(&mut g, "rsa2048", "sign", || {
            fx.signer.sign(black_box(&tbs)).expect("RSA sign")
        });
        g.finish();
    }

    {
        let mut g = slow_group(c, "pades_sign");
        let pdf_signer = PdfSigner::new(&fx.signer).options(SignatureOptions::new());
        for (label, pdf, _) in &fx.large {
            g.throughput(Throughput::Bytes(pdf.len() as u64));
            t.bench(&mut g, "pades_sign", label, || {
                pdf_signer.sign(black_box(pdf)).expect("sign")
            });
        }
        g.throughput(Throughput::Bytes(fx.text.len() as u64));
        t.bench(&mut g, "pades_sign", "text8000", || {
            pdf_signer.sign(black_box(&fx.text)).expect("sign")
        });
        g.finish();
    }

    {
        // The extra cost of B-T over B-B: one timestamp request, in process and over HTTP on
        // loopback to the embedded authority, on the smallest input.
        let mut g = slow_group(c, "b_t");
        let (label, pdf, _) = &fx.large[0];
        let http = HttpTimeStamper::new(&fx.tsa_server.url()).expect("timestamper URL");
        let over_http =
            PdfSigner::new(&fx.signer).profile(SignatureProfile::BaselineT { timestamper: &http });
        let in_process = PdfSigner::new(&fx.signer).profile(SignatureProfile::BaselineT {
            timestamper: &fx.authority,
        });
        t.bench(&mut g, "b_t", &format!("{label}-http"), || {
            over_http.sign(black_box(pdf)).expect("sign B-T")
        });
        t.bench(&mut g, "b_t", &format!("{label}-in-process"), || {
            in_process.sign(black_box(pdf)).expect("sign B-T")
        });
        g.finish();
    }

    {
        let mut g = slow_group(c, "validate");
        for (label, _, signed) in &fx.large {
            g.throughput(Throughput::Bytes(signed.len() as u64));
            t.bench(&mut g, "validate", label, || {
                fx.validator
                    .validate_pdf(black_box(signed))
                    .expect("validate")
            });
        }
        g.throughput(Throughput::Bytes(fx.text_signed.len() as u64));
        t.bench(&mut g, "validate", "text8000", || {
            fx.validator
                .validate_pdf(black_box(&fx.text_signed))
                .expect("validate")
        });
        g.finish();
    }
}

fn fmt_ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "n/a".to_owned(), |d| format!("{:.2}", ms(d)))
}

fn ratio(num: Option<Duration>, den: Option<Duration>) -> String {
    match (num, den) {
        (Some(n), Some(d)) if !d.is_zero() => format!("{:.2}", n.as_secs_f64() / d.as_secs_f64()),
        _ => "n/a".to_owned(),
    }
}

fn print_table(fx: &Fixture, t: &Timings) {
    let rsa = t.median("rsa2048/sign");
    println!();
    println!("Ratios against the floor (median of the per-iteration times criterion measured)");
    println!("rsa2048 sign: {} ms", fmt_ms(rsa));
    println!();
    println!(
        "| input | sha256 ms | sign ms | verify ms | sign / (sha256 + rsa) | verify / sha256 |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut rows: Vec<&str> = fx.large.iter().map(|(l, _, _)| *l).collect();
    rows.push("text8000");
    for label in rows {
        let sha = t.median(&format!("sha256/{label}"));
        let sign = t.median(&format!("pades_sign/{label}"));
        let verify = t.median(&format!("validate/{label}"));
        let floor = sha.zip(rsa).map(|(s, r)| s + r);
        println!(
            "| {label} | {} | {} | {} | {} | {} |",
            fmt_ms(sha),
            fmt_ms(sign),
            fmt_ms(verify),
            ratio(sign, floor),
            ratio(verify, sha),
        );
    }
    if let Some((label, _, _)) = fx.large.first() {
        let b = t.median(&format!("pades_sign/{label}"));
        let http = t.median(&format!("b_t/{label}-http"));
        let local = t.median(&format!("b_t/{label}-in-process"));
        let extra = |x: Option<Duration>| match (x, b) {
            (Some(x), Some(b)) => format!("{:.2} ms", ms(x) - ms(b)),
            _ => "n/a".to_owned(),
        };
        println!();
        println!("B-T over B-B on {label}: B-B {} ms", fmt_ms(b));
        println!(
            "  + timestamp over HTTP on loopback: {} (B-T {} ms)",
            extra(http),
            fmt_ms(http)
        );
        println!(
            "  + timestamp from the in-process authority: {} (B-T {} ms)",
            extra(local),
            fmt_ms(local)
        );
    }
    let sha = t.median("sha256/text8000");
    let sign = t.median("pades_sign/text8000");
    let verify = t.median("validate/text8000");
    let beyond = |total: Option<Duration>, floor: Option<Duration>| match (total, floor) {
        (Some(a), Some(b)) => format!("{:.2}", ms(a) - ms(b)),
        _ => "n/a".to_owned(),
    };
    println!();
    println!(
        "text_pdf({MANY_OBJECT_PAGES}) ({} bytes, 56,003 objects): cost beyond hashing",
        fx.text.len()
    );
    println!(
        "  sign:   {} ms (sign - sha256(file) - rsa_sign)",
        beyond(sign, sha.zip(rsa).map(|(s, r)| s + r))
    );
    println!(
        "  verify: {} ms (verify - sha256(file))",
        beyond(verify, sha)
    );
}

/// Timing splits that say where the cost beyond hashing goes, measured with the median of a
/// few runs of each step (not by criterion: these are diagnostics, not tracked benchmarks).
fn print_splits(fx: &Fixture) {
    const RUNS: usize = 11;
    let limits = Limits::default();
    let open = median_time(RUNS, || {
        Document::open(&fx.text[..], &limits).expect("open")
    });
    let open_pages = median_time(RUNS, || {
        let doc = Document::open(&fx.text[..], &limits).expect("open");
        doc.pages().expect("pages").len()
    });
    let path = std::env::temp_dir().join(format!("cloudsign-bench-{}.pdf", std::process::id()));
    std::fs::write(&path, &fx.text).expect("write temporary sample");
    let file_open = median_time(RUNS, || {
        Document::open(File::open(&path).expect("open file"), &limits).expect("open")
    });
    let file_open_pages = median_time(RUNS, || {
        let doc = Document::open(File::open(&path).expect("open file"), &limits).expect("open");
        doc.pages().expect("pages").len()
    });
    let _ = std::fs::remove_file(&path);
    let copy = fx.large.last().map(|(label, pdf, _)| {
        let d = median_time(RUNS, || {
            let mut out = Vec::with_capacity(pdf.len() + 65_536);
            out.extend_from_slice(black_box(pdf));
            out
        });
        (*label, d)
    });
    println!();
    println!("Timing splits (median of {RUNS} runs each)");
    println!("| step | ms |");
    println!("|---|---:|");
    println!("| text8000 in memory: Document::open | {:.2} |", ms(open));
    println!(
        "| text8000 in memory: open + pages() | {:.2} |",
        ms(open_pages)
    );
    println!(
        "| text8000 by path: Document::open | {:.2} |",
        ms(file_open)
    );
    println!(
        "| text8000 by path: open + pages() | {:.2} |",
        ms(file_open_pages)
    );
    if let Some((label, d)) = copy {
        println!(
            "| {label}: allocate + copy the input into the output Vec | {:.2} |",
            ms(d)
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let fx = Fixture::new();
    let timings = Timings::default();
    run_groups(&mut c, &fx, &timings);
    c.final_summary();
    print_table(&fx, &timings);
    print_splits(&fx);
}
