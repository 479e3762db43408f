//! Per-call time of `PdfSigner::sign` from Rust: N signatures of the same file, timed the
//! same way as `benches/bindings/python_sign.py` so the two figures divide into the cost of a
//! binding.
//!
//! ```text
//! sign-loop FILE.pdf SIGNER.p12 PASSWORD [N]
//! ```
//!
//! Prints `rust sign: N calls, MEAN ms/call (min MIN ms)`. Build with `--release`.

use std::process::ExitCode;
use std::time::Instant;

use cloudsign_core::PdfSigner;
use cloudsign_core::signer::LocalSigner;

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [pdf_path, p12_path, password, rest @ ..] = args else {
        return Err("usage: sign-loop FILE.pdf SIGNER.p12 PASSWORD [N]".into());
    };
    let calls: u32 = rest.first().map_or(Ok(50), |n| n.parse())?;
    let pdf = std::fs::read(pdf_path)?;
    let signer = LocalSigner::from_pkcs12(&std::fs::read(p12_path)?, password)?;
    let pdf_signer = PdfSigner::new(&signer);

    pdf_signer.sign(&pdf)?; // warm-up, as in the Python script
    let mut times = Vec::new();
    for _ in 0..calls {
        let start = Instant::now();
        std::hint::black_box(pdf_signer.sign(std::hint::black_box(&pdf))?);
        times.push(start.elapsed().as_secs_f64());
    }
    let mean = times.iter().sum::<f64>() / f64::from(calls.max(1));
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "rust sign: {calls} calls, {:.3} ms/call (min {:.3} ms)",
        mean * 1e3,
        min * 1e3
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sign-loop: {e}");
            ExitCode::FAILURE
        }
    }
}
