//! The `repscope` command as a library: parse, call the core, present.
//! The binary (main.rs) and the Python package (`python -m repscope`) both
//! run [`run_from_args`], so they are one command.
//!
//! Exit status: 0 on success, 2 when the input is at fault (one line on
//! stderr saying why), 1 when repscope itself failed, 130 when stopped by
//! Ctrl-C or SIGTERM (the binary's handler asks the core to stop).

mod cli;
mod commands;
mod output;
pub mod progress;

use std::ffi::OsString;

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

/// Runs the command line `args` (the first item is the program name) and
/// returns the exit status. `--help`, `--version` and usage errors print
/// as clap prints them (status 0 or 2).
pub fn run_from_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let raw: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let args = match cli::Cli::try_parse_from(&raw) {
        Ok(args) => args,
        Err(e) => {
            // Printing help or a usage error can only fail on a closed pipe.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    commands::report::mark_start();
    if let Err(e) = output_is_not_an_input(&raw) {
        eprintln!("error: {e}");
        return 2;
    }
    match commands::run(args) {
        Ok(()) => 0,
        Err(e) => {
            let (code, message) = classify(&e);
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            code
        }
    }
}

/// Refuses an output path (`-o`/`--output`) that names one of the command's
/// existing input files: the input would be replaced before, or while, it
/// is read, and lost. Checked on the raw arguments, so every command is
/// covered the same way.
fn output_is_not_an_input(raw: &[OsString]) -> Result<(), UsageError> {
    let mut outputs = Vec::new();
    let mut others = Vec::new();
    let mut iter = raw.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "-o" || text == "--output" {
            if let Some(value) = iter.next() {
                outputs.push(std::path::PathBuf::from(value));
            }
        } else if let Some(value) = text.strip_prefix("--output=") {
            outputs.push(std::path::PathBuf::from(value));
        } else {
            others.push(std::path::PathBuf::from(arg));
        }
    }
    for output in outputs {
        let Ok(out) = output.canonicalize() else {
            continue; // a new file cannot be an input
        };
        if others
            .iter()
            .filter(|p| p.is_file())
            .any(|p| p.canonicalize().is_ok_and(|p| p == out))
        {
            return Err(UsageError(format!(
                "the output {} is also an input of this command; writing it would destroy the \
                 input: choose another output path",
                output.display()
            )));
        }
    }
    Ok(())
}

/// Exit status and one-line message for an error.
fn classify(e: &anyhow::Error) -> (u8, String) {
    let one_line = |s: String| s.replace('\n', " ");
    if let Some(core) = e.downcast_ref::<repscope::Error>() {
        if core.is_interrupt() {
            // The shell's status for a command stopped by SIGINT.
            return (130, "interrupted; no output was written".into());
        }
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
