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
    ExitCode::from(repscope_cli::run_from_args(std::env::args_os()))
}
