//! `--dry-run` and `--force`: what the commands that predict their peak
//! (`rdm`, `similarity`, `encode`, `extract`, `searchlight`) do with the
//! prediction before any work starts.

use repscope::memory::available_bytes;
use repscope::preflight::{Estimate, f64s};
use serde_json::{Value, json};

use crate::cli::{Global, Preflight};

/// The parts as JSON: `[{"part": …, "bytes": …}]`.
pub(super) fn parts_json(parts: &[(String, u64)]) -> Vec<Value> {
    parts
        .iter()
        .map(|(part, bytes)| json!({"part": part, "bytes": bytes}))
        .collect()
}

/// With `--dry-run`, prints the prediction (timed on this machine) and
/// returns `true`: the command stops there, writing nothing. Otherwise a
/// job predicted past the memory available is refused unless `--force`.
pub(super) fn gate(mut estimate: Estimate, flags: Preflight, g: &Global) -> anyhow::Result<bool> {
    if flags.dry_run {
        estimate.calibrate();
        if g.json {
            println!(
                "{}",
                json!({"dry_run": {
                    "what": estimate.what,
                    "peak_bytes": estimate.peak_bytes(),
                    "seconds": estimate.seconds,
                    "flops": estimate.flops,
                    "parts": parts_json(&estimate.parts),
                }})
            );
        } else {
            print!("{}", estimate.report());
        }
        return Ok(true);
    }
    if !flags.force {
        estimate.check_fits(available_bytes())?;
    }
    Ok(false)
}

/// The representations a command reads, held whole as float64.
pub(super) fn inputs_part(
    estimate: &mut Estimate,
    what: &str,
    shapes: &[(String, (usize, usize))],
) {
    let floats = shapes.iter().map(|(_, (n, d))| n * d).sum();
    estimate.add(format!("{what}, as read (float64)"), f64s(floats));
}
