//! Threads: the one way the core chooses its parallelism.
//!
//! Work runs on rayon's current pool: the global one (all cores, or
//! `RAYON_NUM_THREADS`), or one made for a call by [`with_threads`] when
//! the caller asks for a number of threads (`threads=` in Python,
//! `--threads` on the command line). Dense products inside that work take
//! their parallelism from [`current`].

use faer::Par;

use crate::error::{Error, Result};

/// Runs `work` on a pool of `threads` workers, or on the current pool when
/// `threads` is `None`.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    install(threads, work)?
}

/// [`with_threads`] for work with any result (a front end's whole command).
pub fn install<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(work()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| Error::internal(format!("starting {n} worker threads: {e}")))?
            .install(work)),
    }
}

/// Products on every thread of the current pool (sequential with one).
pub fn current() -> Par {
    match rayon::current_num_threads() {
        0 | 1 => Par::Seq,
        threads => Par::rayon(threads),
    }
}
