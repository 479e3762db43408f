//! Hashing a document from its first byte before anyone knows what must be hashed.
//!
//! Every `/ByteRange` starts at offset 0, and a new signature covers the whole original file
//! first. So while one thread parses the document (reading its cross-reference data, finding
//! the signatures, drafting an update), another can already hash its leading bytes: whoever
//! later needs the digest of a range `[0, b)` resumes from the state the hashing thread
//! recorded nearest below `b` (at `b` itself when it asked before the thread got there). On
//! a large file that hides the parsing behind the hashing, which has to be done anyway.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use super::{hash_source_range, hash_source_range_through};
use crate::crypto::{DigestAlgorithm, Hasher};
use crate::pdf::Source;

/// Ranges shorter than this are hashed where they are needed: a second thread would cost
/// more than it saves.
pub(crate) const PARALLEL_HASH_THRESHOLD: u64 = 1 << 18;

/// How far apart the hashing thread records its state: a caller that asks too late for its
/// own state to be recorded hashes at most this much itself.
const STRIDE: usize = 1 << 18;

/// Documents shorter than this are not hashed ahead: their hashing takes less time than a new
/// thread may wait for a core. (The unit tests below lower it to exercise the machinery on
/// small inputs; the integration tests use a document above it.)
const PREFIX_HASH_THRESHOLD: u64 = if cfg!(test) { STRIDE as u64 } else { 8 << 20 };

/// Hash states of a document's leading bytes, recorded by the hashing thread every [`STRIDE`]
/// bytes, at the offsets callers wait for, and at the document's end.
pub(crate) struct PrefixHasher {
    algorithm: DigestAlgorithm,
    len: u64,
    stop: AtomicBool,
    progress: Mutex<Progress>,
    advanced: Condvar,
}

#[derive(Default)]
struct Progress {
    /// `(offset, state after the bytes before offset)`, ascending.
    checkpoints: Vec<(u64, Hasher)>,
    /// The thread will record nothing more (end reached, stopped, or a read failed).
    finished: bool,
    /// The offsets callers are waiting for: the thread ends a chunk at each, and wakes them
    /// only when their state is there, not at every chunk.
    awaited: Vec<u64>,
    /// The end of the chunk being hashed now.
    hashing_to: u64,
}

impl Progress {
    /// Whether the best state for `wanted` is known: recorded, or the chunk being hashed now
    /// runs past it (so the last recorded state is the best there will be).
    fn settles(&self, wanted: u64) -> bool {
        let reached = self.checkpoints.last().map_or(0, |(at, _)| *at);
        reached >= wanted || self.hashing_to > wanted
    }
}

impl PrefixHasher {
    fn new(algorithm: DigestAlgorithm, len: u64) -> Self {
        Self {
            algorithm,
            len,
            stop: AtomicBool::new(false),
            progress: Mutex::new(Progress::default()),
            advanced: Condvar::new(),
        }
    }

    /// The hashing thread's work. A read error ends it quietly: whoever needs those bytes
    /// reads them again and meets the error there.
    fn run<S: Source + ?Sized>(&self, source: &S) {
        let mut hasher = Hasher::new(self.algorithm);
        // One chunk buffer for the whole run: a fresh one per chunk is a fresh mapping
        // whose pages fault in again.
        let mut buf = Vec::new();
        let mut pos = 0;
        let mut end = self.plan_next(&mut self.lock(), pos);
        while pos < self.len && !self.stop.load(Ordering::Relaxed) {
            if hash_source_range_through(source, pos, end, &mut hasher, &mut buf).is_err() {
                break;
            }
            pos = end;
            let mut progress = self.lock();
            progress.checkpoints.push((pos, hasher.clone()));
            end = self.plan_next(&mut progress, pos);
            if progress
                .awaited
                .iter()
                .any(|&offset| progress.settles(offset))
            {
                self.advanced.notify_all();
            }
        }
        self.lock().finished = true;
        self.advanced.notify_all();
    }

    /// Where the chunk starting at `pos` ends: a chunk further, or sooner at an offset a
    /// caller waits for, so that its state is recorded exactly there and the caller has
    /// nothing left to hash of `[0, offset)`.
    fn plan_next(&self, progress: &mut Progress, pos: u64) -> u64 {
        let chunk_end = pos.saturating_add(STRIDE as u64).min(self.len);
        let end = progress
            .awaited
            .iter()
            .copied()
            .filter(|&offset| offset > pos)
            .fold(chunk_end, u64::min);
        progress.hashing_to = end;
        end
    }

    /// The furthest recorded state at or before `offset`, as `(its offset, state)`, waiting
    /// for the thread to get that far. `None` when the thread hashes with another algorithm
    /// or recorded nothing useful: the caller hashes from offset 0 itself.
    pub(crate) fn state_at(
        &self,
        algorithm: DigestAlgorithm,
        offset: u64,
    ) -> Option<(u64, Hasher)> {
        if algorithm != self.algorithm {
            return None;
        }
        let wanted = offset.min(self.len);
        let mut progress = self.lock();
        loop {
            if progress.finished || progress.settles(wanted) {
                break;
            }
            progress.awaited.push(wanted);
            progress = self
                .advanced
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(i) = progress.awaited.iter().position(|&w| w == wanted) {
                progress.awaited.swap_remove(i);
            }
        }
        let usable = progress
            .checkpoints
            .partition_point(|(at, _)| *at <= wanted);
        let (at, state) = progress.checkpoints.get(usable.checked_sub(1)?)?;
        Some((*at, state.clone()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        // The guarded data are lists whose every state is sound: a panic elsewhere leaves
        // nothing half-done.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Stops the hashing however the work ends (a panic included): the rest of the file is not
/// needed then.
struct StopOnDrop<'a>(&'a PrefixHasher);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` while `source` is hashed from its first byte with `algorithm` (sources of at
/// least [`PREFIX_HASH_THRESHOLD`] bytes; shorter ones get `None`).
///
/// The hashing, which is the long part, stays on the calling thread and `work` gets the new
/// one: a new thread may wait for a core until the scheduler balances (up to a tick, a few
/// milliseconds), and that must not delay the hashing. It is also why shorter sources are
/// not worth it: their hashing is shorter than that wait.
pub(crate) fn with_prefix_hashing<S, T>(
    source: &S,
    algorithm: DigestAlgorithm,
    work: impl FnOnce(Option<&PrefixHasher>) -> T + Send,
) -> T
where
    S: Source + ?Sized,
    T: Send,
{
    let len = source.len();
    if len < PREFIX_HASH_THRESHOLD {
        return work(None);
    }
    let prefix = PrefixHasher::new(algorithm, len);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let _stop = StopOnDrop(&prefix);
            work(Some(&prefix))
        });
        prefix.run(source);
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Feeds `[0, end)` of `source` to a fresh hasher, resuming from `prefix`'s state where it
/// has one.
pub(crate) fn hash_prefix<S: Source + ?Sized>(
    source: &S,
    prefix: Option<&PrefixHasher>,
    algorithm: DigestAlgorithm,
    end: u64,
) -> std::io::Result<Hasher> {
    let (start, mut hasher) = prefix
        .and_then(|p| p.state_at(algorithm, end))
        .unwrap_or_else(|| (0, Hasher::new(algorithm)));
    hash_source_range(source, start, end, &mut hasher)?;
    Ok(hasher)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRIDE64: u64 = STRIDE as u64;

    fn digest_of(data: &[u8], algorithm: DigestAlgorithm) -> Vec<u8> {
        let mut h = Hasher::new(algorithm);
        h.update(data);
        h.finalize()
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251).to_le_bytes()[0]).collect()
    }

    #[test]
    fn resumed_digests_equal_direct_ones_at_any_offset() {
        let data = sample(3 * STRIDE + 12_345);
        let offsets = [
            0,
            1,
            STRIDE - 1,
            STRIDE,
            STRIDE + 1,
            2 * STRIDE + 7,
            3 * STRIDE,
            data.len() - 1,
            data.len(),
        ];
        with_prefix_hashing(data.as_slice(), DigestAlgorithm::Sha256, |prefix| {
            assert!(prefix.is_some(), "a source this long is hashed ahead");
            // Out of order on purpose: an earlier offset after a later one still resumes.
            for &end in offsets.iter().rev().chain(offsets.iter()) {
                let hasher =
                    hash_prefix(data.as_slice(), prefix, DigestAlgorithm::Sha256, end as u64)
                        .unwrap();
                assert_eq!(
                    hasher.finalize(),
                    digest_of(&data[..end], DigestAlgorithm::Sha256),
                    "prefix of {end} bytes"
                );
            }
        });
    }

    #[test]
    fn states_are_recorded_at_chunk_ends_and_at_the_end() {
        let data = sample(2 * STRIDE + 100);
        let prefix = PrefixHasher::new(DigestAlgorithm::Sha384, data.len() as u64);
        prefix.run(data.as_slice());
        let (at, _) = prefix
            .state_at(DigestAlgorithm::Sha384, 2 * STRIDE64 + 99)
            .unwrap();
        assert_eq!(at, 2 * STRIDE64);
        let (at, state) = prefix.state_at(DigestAlgorithm::Sha384, u64::MAX).unwrap();
        assert_eq!(at, data.len() as u64);
        assert_eq!(state.finalize(), digest_of(&data, DigestAlgorithm::Sha384));
        assert!(
            prefix
                .state_at(DigestAlgorithm::Sha384, STRIDE64 - 1)
                .is_none()
        );
    }

    #[test]
    fn offsets_waited_for_get_their_own_states() {
        let data = sample(3 * STRIDE);
        let prefix = PrefixHasher::new(DigestAlgorithm::Sha256, data.len() as u64);
        let waited = [10, STRIDE64 + 5];
        prefix.lock().awaited.extend(waited);
        prefix.run(data.as_slice());
        for offset in waited {
            let (at, state) = prefix.state_at(DigestAlgorithm::Sha256, offset).unwrap();
            assert_eq!(at, offset);
            let end = usize::try_from(offset).unwrap();
            assert_eq!(
                state.finalize(),
                digest_of(&data[..end], DigestAlgorithm::Sha256)
            );
        }
        assert!(
            prefix.state_at(DigestAlgorithm::Sha256, 9).is_none(),
            "nothing is recorded before the first offset waited for"
        );
    }

    #[test]
    fn a_caller_waiting_inside_the_chunk_being_hashed_takes_the_state_before_it() {
        let mut progress = Progress {
            hashing_to: 2 * STRIDE64,
            ..Progress::default()
        };
        progress
            .checkpoints
            .push((STRIDE64, Hasher::new(DigestAlgorithm::Sha256)));
        assert!(progress.settles(STRIDE64 + 1));
        assert!(!progress.settles(2 * STRIDE64));
        assert!(!progress.settles(2 * STRIDE64 + 1));
    }

    #[test]
    fn another_algorithm_is_hashed_from_the_start() {
        let data = sample(STRIDE + 10);
        with_prefix_hashing(data.as_slice(), DigestAlgorithm::Sha256, |prefix| {
            assert!(
                prefix
                    .unwrap()
                    .state_at(DigestAlgorithm::Sha512, 100)
                    .is_none()
            );
            let hasher = hash_prefix(
                data.as_slice(),
                prefix,
                DigestAlgorithm::Sha512,
                data.len() as u64,
            )
            .unwrap();
            assert_eq!(hasher.finalize(), digest_of(&data, DigestAlgorithm::Sha512));
        });
    }

    #[test]
    fn short_sources_get_no_thread() {
        let data = sample(1000);
        with_prefix_hashing(data.as_slice(), DigestAlgorithm::Sha256, |prefix| {
            assert!(prefix.is_none());
        });
    }

    #[test]
    fn a_failing_source_ends_the_thread_and_the_caller_meets_the_error() {
        /// Claims more bytes than it has: reads past the data fail.
        #[derive(Debug)]
        struct Short(Vec<u8>);
        impl Source for Short {
            fn len(&self) -> u64 {
                self.0.len() as u64 * 2
            }
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
                self.0.as_slice().read_at(offset, buf)
            }
        }
        let source = Short(sample(2 * STRIDE));
        let err = with_prefix_hashing(&source, DigestAlgorithm::Sha256, |prefix| {
            hash_prefix(&source, prefix, DigestAlgorithm::Sha256, source.len()).map(|_| ())
        })
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_stopped_thread_does_not_hash_the_rest() {
        let data = sample(64 * STRIDE);
        let prefix = PrefixHasher::new(DigestAlgorithm::Sha256, data.len() as u64);
        prefix.stop.store(true, Ordering::Relaxed);
        prefix.run(data.as_slice());
        let progress = prefix.lock();
        assert!(progress.finished);
        assert!(progress.checkpoints.is_empty());
    }
}
