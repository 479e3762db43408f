//! Shared helpers for the cloudsign benchmarks: sample sizes, a recorder of what criterion
//! measures ([`Timings`]) and a small repeated-timing helper.
//!
//! The criterion benches `sign_verify` and `access`, the `store` bench and the `make-samples`
//! binary live in this crate; see `benches/README.md` for what each measures and how to run it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};

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
    black_box(f());
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// Per-iteration times recorded by each benchmark, keyed by "group/id".
#[derive(Debug, Default)]
pub struct Timings(RefCell<BTreeMap<String, Vec<Duration>>>);

impl Timings {
    /// Benchmarks `f` under `id` in `group`, recording what criterion measures.
    pub fn bench<T>(
        &self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        group_name: &str,
        id: &str,
        mut f: impl FnMut() -> T,
    ) {
        let key = format!("{group_name}/{id}");
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(f());
                }
                let elapsed = start.elapsed();
                let per_iter = elapsed / u32::try_from(iters.max(1)).unwrap_or(u32::MAX);
                self.0
                    .borrow_mut()
                    .entry(key.clone())
                    .or_default()
                    .push(per_iter);
                elapsed
            });
        });
    }

    /// Median recorded per-iteration time of "group/id", if that benchmark ran.
    pub fn median(&self, key: &str) -> Option<Duration> {
        let map = self.0.borrow();
        let mut v = map.get(key)?.clone();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }
}

/// Opens a group for slow (tens to hundreds of ms) routines: flat sampling, 10 samples.
pub fn slow_group<'c>(c: &'c mut Criterion, name: &'static str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group
}

/// This process's peak resident memory in KiB (`VmHWM` from `/proc/self/status`; 0 where
/// that is not available).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Reads `r` to the end in 1 MiB reads without keeping the data; returns the bytes read.
///
/// # Panics
/// If a read fails (a benchmark has no caller to report it to).
#[allow(clippy::expect_used)]
pub fn drain(mut r: impl std::io::Read) -> usize {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).expect("read");
        if n == 0 {
            return total;
        }
        black_box(buf.get(..n));
        total += n;
    }
}

/// Runs this benchmark binary again with `env` set to `value`, so that the child's peak
/// memory is its own, and returns the numbers it printed on stdout.
///
/// # Panics
/// If the child cannot run or fails.
#[allow(clippy::expect_used, clippy::panic)]
pub fn run_child(env: &str, value: impl AsRef<std::ffi::OsStr>) -> Vec<f64> {
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(env, value)
        .output()
        .expect("run child");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect()
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
