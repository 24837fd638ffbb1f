//! Errors and the one way into the core.
//!
//! [`enter_core`] runs core work with the GIL released, turns a panic into
//! `InternalError`, a core error into the exception of `repscope.errors`
//! for its kind (with the error's values as attributes), and Ctrl-C into
//! `KeyboardInterrupt`: while the core runs on the main thread, SIGINT
//! only asks it to stop ([`repscope::interrupt`]); the core's long loops
//! check between chunks of work and return within a fraction of a second.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;
use pyo3::types::{PyAnyMethods, PyDict};

use repscope::error::Field;

/// Runs `f` without the GIL; a panic becomes `InternalError`, a core error
/// the matching Python exception, Ctrl-C `KeyboardInterrupt`.
pub fn enter_core<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> repscope::Result<T> + Send,
) -> PyResult<T> {
    let guard = InterruptGuard::enter();
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    if guard.leave() {
        // Ctrl-C arrived while the core ran: hand it to Python, which runs
        // its own handler (KeyboardInterrupt unless the user set another).
        // SAFETY: called with the GIL held, as the C API requires.
        unsafe { pyo3::ffi::PyErr_SetInterrupt() };
        py.check_signals()?;
        if matches!(outcome, Ok(Err(ref e)) if e.is_interrupt()) {
            return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err(
                "interrupted before the computation finished",
            ));
        }
    }
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(core_error(py, e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(exception(
                py,
                "Internal",
                "internal",
                format!("repscope panicked: {what}; please report this as a bug"),
                Vec::new(),
            ))
        }
    }
}

/// The Python exception for a core error: `repscope.errors` picks the
/// class from the error's kind and sets its values as attributes.
pub fn core_error(py: Python<'_>, e: repscope::Error) -> PyErr {
    let category = if e.is_interrupt() {
        "interrupt"
    } else if !e.is_input_error() {
        "internal"
    } else if e.is_file_error() {
        "file"
    } else {
        "input"
    };
    exception(py, e.kind(), category, e.to_string(), e.fields())
}

fn exception(
    py: Python<'_>,
    kind: &str,
    category: &str,
    message: String,
    fields: Vec<(&'static str, Field)>,
) -> PyErr {
    let made = (|| -> PyResult<Bound<'_, PyAny>> {
        let values = PyDict::new(py);
        for (name, value) in fields {
            match value {
                Field::Text(s) => values.set_item(name, s)?,
                Field::Texts(v) => values.set_item(name, v)?,
                Field::Count(n) => values.set_item(name, n)?,
                Field::Counts(v) => values.set_item(name, v)?,
                Field::Number(x) => values.set_item(name, x)?,
                _ => {}
            }
        }
        py.import("repscope.errors")?.getattr("_from_core")?.call1((
            kind,
            category,
            message.clone(),
            values,
        ))
    })();
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
    }
}

/// The main thread (Python runs signal handlers only there), recorded when
/// the module is imported; 0 until then.
static MAIN_THREAD: AtomicU64 = AtomicU64::new(0);

/// Records the calling thread as the main thread when it is Python's.
pub fn record_main_thread(py: Python<'_>) -> PyResult<()> {
    let main = py
        .import("threading")?
        .call_method0("main_thread")?
        .getattr("ident")?
        .extract::<u64>()?;
    MAIN_THREAD.store(main, Ordering::Relaxed);
    Ok(())
}

/// How many calls on the main thread are inside the core, and Python's
/// SIGINT disposition to restore when the last one leaves.
#[cfg(unix)]
static INSIDE: Mutex<(usize, Option<libc::sigaction>)> = Mutex::new((0, None));

/// While alive (on the main thread), SIGINT requests the core to stop
/// instead of running Python's handler.
struct InterruptGuard {
    active: bool,
}

#[cfg(unix)]
extern "C" fn request_stop(_: libc::c_int) {
    repscope::interrupt::request();
}

impl InterruptGuard {
    #[cfg(unix)]
    fn enter() -> Self {
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() } as u64;
        if me != MAIN_THREAD.load(Ordering::Relaxed) {
            return InterruptGuard { active: false };
        }
        let Ok(mut inside) = INSIDE.lock() else {
            return InterruptGuard { active: false };
        };
        if inside.0 == 0 {
            repscope::interrupt::clear();
            // SAFETY: installs a handler that makes one atomic store (async
            // signal safe) and saves the previous disposition to restore.
            unsafe {
                let mut ours: libc::sigaction = std::mem::zeroed();
                ours.sa_sigaction = request_stop as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut ours.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGINT, &ours, &mut previous) != 0 {
                    return InterruptGuard { active: false };
                }
                inside.1 = Some(previous);
            }
        }
        inside.0 += 1;
        InterruptGuard { active: true }
    }

    #[cfg(not(unix))]
    fn enter() -> Self {
        InterruptGuard { active: false }
    }

    /// Restores Python's handler (when the last call leaves); true when
    /// Ctrl-C was pressed meanwhile.
    #[cfg(unix)]
    fn leave(self) -> bool {
        if !self.active {
            return false;
        }
        let Ok(mut inside) = INSIDE.lock() else {
            return false;
        };
        inside.0 -= 1;
        if inside.0 == 0
            && let Some(previous) = inside.1.take()
        {
            // SAFETY: restores the disposition saved in `enter`.
            unsafe {
                libc::sigaction(libc::SIGINT, &previous, std::ptr::null_mut());
            }
        }
        repscope::interrupt::requested()
    }

    #[cfg(not(unix))]
    fn leave(self) -> bool {
        false
    }
}
