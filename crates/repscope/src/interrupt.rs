//! Stopping long work early: a request to stop (Ctrl-C in Python) that the
//! core's long loops check between chunks of work.
//!
//! This is the core's one piece of process-wide state. A front end that
//! can be interrupted (the Python binding, while it waits for the core)
//! calls [`request`] from its signal handler; every long computation calls
//! [`check`] between chunks (a pair of the pairwise engine, a block of
//! searchlight centres, a fold, a bootstrap sample …) and returns
//! [`Error::Interrupted`] once a stop was requested. Checking costs one
//! atomic load. The front end calls [`clear`] before the next call.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks every running computation to stop at its next check. Safe to call
/// from a signal handler (one atomic store).
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Forgets an earlier request.
pub fn clear() {
    REQUESTED.store(false, Ordering::Relaxed);
}

/// True when a stop was requested and not cleared.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` when a stop was requested: the check long loops make
/// between chunks of work.
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
