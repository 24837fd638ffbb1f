//! The `repscope` command: parse, call the core, present.
//!
//! Exit status: 0 on success, 2 when the input is at fault (one line on
//! stderr saying why), 1 when repscope itself failed.

mod cli;
mod commands;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// A problem with what the user asked for, found by the CLI itself.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let (code, message) = classify(&e);
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// Exit status and one-line message for an error.
fn classify(e: &anyhow::Error) -> (u8, String) {
    let one_line = |s: String| s.replace('\n', " ");
    if let Some(core) = e.downcast_ref::<repscope::Error>() {
        let code = if core.is_input_error() { 2 } else { 1 };
        return (code, one_line(core.to_string()));
    }
    if let Some(usage) = e.downcast_ref::<UsageError>() {
        return (2, one_line(usage.to_string()));
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && io.kind() == std::io::ErrorKind::BrokenPipe
    {
        return (0, String::new());
    }
    (1, one_line(format!("{e:#} (please report this as a bug)")))
}
