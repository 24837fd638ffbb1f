//! The `repscope` binary: see the library (lib.rs) for the command itself.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so `repscope info x | head` would make println!
    // panic once head exits. A command-line tool should just stop, as
    // coreutils do; only the binary does this, not the Python package,
    // whose process keeps Python's own signal settings.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any
    // thread starts has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(unix)]
    // SAFETY: as above; the handler only touches atomics and `_exit`, which
    // are async-signal-safe.
    unsafe {
        let handler = on_interrupt as extern "C" fn(libc::c_int);
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
    ExitCode::from(repscope_cli::run_from_args(std::env::args_os()))
}

/// Ctrl-C or SIGTERM: ask the running computation to stop at its next
/// check, so it unwinds, removes its temporary files and exits with 130
/// (no output appears: outputs are written atomically at the end). A
/// second signal exits at once.
#[cfg(unix)]
extern "C" fn on_interrupt(_signal: libc::c_int) {
    if repscope::interrupt::requested() {
        // SAFETY: `_exit` is async-signal-safe and ends the process.
        unsafe { libc::_exit(130) };
    }
    repscope::interrupt::request();
}
