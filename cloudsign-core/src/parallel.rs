//! Two pieces of work side by side, without waiting for a thread that has not started.
//!
//! A new thread may wait for a core until the scheduler balances, up to a tick (measured on a
//! two-core machine: a third of the threads spawned by a busy process started 1.5–4 ms late).
//! For work of a millisecond or two that wait is longer than the work, so whichever thread is
//! free first does the work that is left.

use std::sync::{Mutex, PoisonError};

/// Runs `beside` on a second thread and `here` on this one and returns both results. If the
/// second thread has not begun `beside` when `here` is done, this thread runs it too.
///
/// A panic in either is resumed on this thread.
pub(crate) fn join<A, RA, B, RB>(beside: A, here: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    RA: Send,
    B: FnOnce() -> RB,
{
    let task = Mutex::new(Some(beside));
    let take = || task.lock().unwrap_or_else(PoisonError::into_inner).take();
    std::thread::scope(|scope| {
        let thread = scope.spawn(|| take().map(|beside| beside()));
        let rb = here();
        let ra = match take() {
            // Not begun: do it here. The thread, once it runs (as soon as this one blocks at
            // the end of the scope), finds nothing to do.
            Some(beside) => beside(),
            None => match thread.join() {
                Ok(Some(ra)) => ra,
                // The thread took the task, so it returned its result or panicked.
                Ok(None) => unreachable!("a task taken by the thread yields its result"),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        };
        (ra, rb)
    })
}

/// [`join`] when `side_by_side`, else `here` and then `beside` on this thread.
pub(crate) fn join_if<A, RA, B, RB>(side_by_side: bool, beside: A, here: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    RA: Send,
    B: FnOnce() -> RB,
{
    if side_by_side {
        join(beside, here)
    } else {
        let rb = here();
        (beside(), rb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn both_results_come_back_and_each_piece_runs_once() {
        for here_ms in [0, 20] {
            let runs = AtomicUsize::new(0);
            let (a, b) = join(
                || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    "beside"
                },
                || {
                    std::thread::sleep(Duration::from_millis(here_ms));
                    42
                },
            );
            assert_eq!((a, b), ("beside", 42));
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        }
    }

    #[test]
    fn a_long_piece_beside_runs_on_the_other_thread() {
        let here = std::thread::current().id();
        let (ran_on, ()) = join(
            || std::thread::current().id(),
            || std::thread::sleep(Duration::from_millis(200)),
        );
        // 200 ms is far longer than any scheduling delay: the other thread took it.
        assert_ne!(ran_on, here);
    }

    #[test]
    fn a_panic_beside_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            join(
                || -> u8 { panic!("beside") },
                || std::thread::sleep(Duration::from_millis(50)),
            )
        });
        assert!(caught.is_err());
    }
}
