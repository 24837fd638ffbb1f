//! One module per verb.

mod align;
mod bids;
mod compress;
mod demo;
#[cfg(feature = "extract")]
mod demo_vision;
mod encode;
#[cfg(feature = "extract")]
mod extract;
mod graph;
mod info;
mod measures;
mod movie;
mod preflight;
mod probe;
pub(crate) mod report;
mod rsa;
mod sdr;
mod searchlight;
mod similarity;
mod taskvec;
mod units;

use faer::MatRef;
use repscope::RepSet;
use repscope::measures::{ParamValue, Params};

use crate::UsageError;
use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // `--threads` bounds every parallel loop of the command: it runs on a
    // pool of that size (the one way threads are set; see repscope::parallel).
    let threads = cli.global.threads;
    repscope::parallel::install(threads, move || dispatch(cli))?
}

/// A warning that a flag is an old spelling (it still works, for one release).
pub fn deprecated(old: &str, new: &str) {
    eprintln!("warning: {old} is deprecated and will be removed in the next release; use {new}");
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Info { path } => info::run(&path, g),
        Command::Similarity(args) => similarity::run(&args, g),
        #[cfg(feature = "extract")]
        Command::Extract(args) => extract::run(&args, g),
        #[cfg(not(feature = "extract"))]
        Command::Extract(_) => Err(UsageError(
            "this repscope was built without the `extract` feature; rebuild with \
             `cargo install repscope-cli --features extract`"
                .into(),
        )
        .into()),
        #[cfg(feature = "extract")]
        Command::Demo {
            out,
            report,
            vision: Some(model),
            bgr,
        } => demo_vision::run(&model, bgr, &out, report.as_deref(), g),
        #[cfg(not(feature = "extract"))]
        Command::Demo {
            vision: Some(_), ..
        } => Err(UsageError(
            "--vision runs a model: build repscope with the `extract` feature \
             (`cargo build --release -p repscope-cli`)"
                .into(),
        )
        .into()),
        Command::Demo { out, report, .. } => demo::run(&out, report.as_deref(), g),
        Command::Report(args) => report::run(&args, g),
        Command::Measures { sheet } => measures::run(sheet.as_deref(), g),
        Command::Rdm(args) if args.time => movie::run(&args, g),
        Command::Rdm(args) => rsa::run_rdm(&args, g),
        Command::Compare(args) => rsa::run_compare(&args, g),
        Command::Searchlight(args) => searchlight::run(&args, g),
        Command::Bids(args) => bids::run(&args, g),
        Command::Match(args) => units::run(&args, g),
        Command::Graph(args) => graph::run(&args, g),
        Command::Align(args) => align::run(&args, g),
        Command::Sdr(command) => sdr::run(&command, g),
        Command::Compress(args) => compress::run(&args, g),
        Command::Probe(args) => probe::run(&args, g),
        Command::Taskvec(args) => taskvec::run(&args, g),
        Command::Encode(args) => encode::run(&args, g),
    }
}

/// The representation `name` of `set` (`which` says which argument it came
/// from); without a name the set must hold exactly one.
pub fn pick<'a>(
    set: &'a RepSet,
    name: Option<&str>,
    which: &str,
    option: &str,
) -> anyhow::Result<(String, MatRef<'a, f64>)> {
    match name {
        Some(n) => set.get(n).map(|x| (n.to_string(), x)).ok_or_else(|| {
            repscope::Error::UnknownRepresentation {
                set: which.to_string(),
                name: n.to_string(),
                known: set.names().to_vec(),
            }
            .into()
        }),
        None if set.len() == 1 => Ok((set.names()[0].clone(), set.views()[0].x)),
        None => Err(UsageError(format!(
            "{which} holds {} representations ({}); choose one with {option} NAME",
            set.len(),
            set.names().join(", ")
        ))
        .into()),
    }
}

/// Parses `--param NAME=VALUE` options: numbers, `true`/`false`, or text.
pub fn parse_params(raw: &[String]) -> Result<Params, UsageError> {
    let mut params = Params::new();
    for item in raw {
        let (name, value) = item.split_once('=').ok_or_else(|| {
            UsageError(format!(
                "--param '{item}' is not NAME=VALUE (e.g. --param sigma=0.8)"
            ))
        })?;
        let value = match value {
            "true" => ParamValue::Bool(true),
            "false" => ParamValue::Bool(false),
            v => v
                .parse::<f64>()
                .map(ParamValue::Number)
                .unwrap_or_else(|_| ParamValue::Text(v.to_string())),
        };
        if params.insert(name.trim().to_string(), value).is_some() {
            return Err(UsageError(format!("--param {name} is given twice")));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_by_type() {
        let p =
            parse_params(&["k=10".into(), "kind=yanai".into(), "debiased=true".into()]).unwrap();
        assert_eq!(p["k"], ParamValue::Number(10.0));
        assert_eq!(p["kind"], ParamValue::Text("yanai".into()));
        assert_eq!(p["debiased"], ParamValue::Bool(true));
        assert!(parse_params(&["k".into()]).is_err());
        assert!(parse_params(&["k=1".into(), "k=2".into()]).is_err());
    }
}
