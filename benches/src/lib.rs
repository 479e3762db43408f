//! Shared helpers for the cloudsign benchmarks: sample sizes and a small repeated-timing helper.
//!
//! The criterion bench `sign_verify` and the `make-samples` binary live in this crate; see
//! `benches/README.md` for what each measures and how to run it.

use std::time::{Duration, Instant};

/// Sizes of the `large_pdf` inputs measured in-process by the criterion bench.
pub const BENCH_SIZES: [(&str, usize); 3] =
    [("1MB", 1 << 20), ("10MB", 10 << 20), ("20MB", 20 << 20)];

/// Pages of the many-object sample: `text_pdf(8000)` has 56,003 objects.
pub const MANY_OBJECT_PAGES: usize = 8000;

/// Runs `f` once to warm up, then `runs` times, and returns the median wall time.
///
/// A median of a handful of runs is robust against the odd descheduling on a shared machine,
/// which a mean is not.
pub fn median_time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// A duration in milliseconds, as a float, for tables.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_time_returns_a_measured_run() {
        let d = median_time(5, || std::thread::sleep(Duration::from_millis(2)));
        assert!(d >= Duration::from_millis(2), "{d:?}");
        assert!((ms(Duration::from_micros(1500)) - 1.5).abs() < 1e-9);
    }
}
