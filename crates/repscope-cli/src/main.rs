//! The `repscope` binary: see the library (lib.rs) for the command itself.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(repscope_cli::run_from_args(std::env::args_os()))
}
