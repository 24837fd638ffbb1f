//! A searchlight's peak memory and time, predicted without running it.
//!
//! The engine's blocks are replayed (every centre's neighbourhood, in the
//! engine's order, so each block's union of columns is exact) and the
//! memory each part of the engine holds is added up:
//!
//! ```text
//! peak = max over blocks b of  U_b · 8 · (rows + reduced + noise_rows + temporary)
//!      + one block of results   C_b · result · 8
//!      + threads · one sphere's scratch
//!      + the output              (maps: models · columns · 8; RDMs: centres · pairs · 8)
//!      + what the front door adds (the caller's copies, reported as parts)
//!      + a fixed allowance for the runtime (thread stacks, allocator), and
//!        with noise one for the allocator's per-thread arenas
//! ```
//!
//! with U_b the block's columns, `reduced` the rows a column is reduced to
//! (crossnobis: 2 · folds · conditions fold means; averaged methods: one
//! row per condition or cell), `temporary` what a reduction holds while it
//! runs (the per-cell sums). The time is measured on a sample of centres
//! (a contiguous run in the middle, as a real block is) and scaled to all.

use std::time::Instant;

use super::engine::{BLOCK_BYTES, BLOCK_CENTRES, run_with};
use super::{Neighbourhoods, SearchlightSpec};
use crate::error::Result;
use crate::linalg::Stored;
use crate::preflight::{RUNTIME_BYTES, check_fits, parts_report};
use crate::rsa::condensed::n_pairs;
use crate::rsa::dissimilarity::RdmMethod;
use crate::rsa::folds::cell_counts;

/// What the searchlight returns: one RDM per centre, or a map per model.
#[derive(Clone, Copy, Debug)]
pub enum Output {
    Rdms,
    Maps { models: usize },
}

/// A prediction of a searchlight's peak memory (above its inputs) and time.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The parts of the peak, in bytes.
    pub parts: Vec<(String, u64)>,
    /// Predicted seconds on this machine, when calibrated on a sample.
    pub seconds: Option<f64>,
    /// Centres that get an RDM, and the blocks they run in.
    pub centres: usize,
    pub blocks: usize,
    /// Columns of the largest block.
    pub largest_block: usize,
}

/// Per thread, what the allocator keeps of the noise path's per-sphere
/// matrices (measured: 0–12 MB per thread on this machine's glibc).
const NOISE_ARENA_BYTES: u64 = 8 << 20;

impl Estimate {
    /// Bytes at the peak.
    pub fn peak_bytes(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b).sum()
    }

    /// Adds a part the caller holds (a front door's copies).
    pub fn add(&mut self, part: impl Into<String>, bytes: u64) {
        self.parts.push((part.into(), bytes));
    }

    /// A multi-line summary (the CLI's `--dry-run`).
    pub fn report(&self) -> String {
        let mut out = parts_report(&self.parts);
        out.push_str(&format!(
            "{} centres in {} blocks (largest: {} columns)\n",
            self.centres, self.blocks, self.largest_block
        ));
        if let Some(s) = self.seconds {
            out.push_str(&format!("predicted time: {s:.1} s\n"));
        }
        out
    }

    /// Refuses a job predicted to need more than `available` bytes, with
    /// the prediction and what lowers it.
    pub fn check_fits(&self, available: Option<u64>) -> Result<()> {
        check_fits(
            "searchlight",
            self.peak_bytes(),
            available,
            "give a smaller block (block_mb / --block-mb), float32 data, fewer centres \
             (stride / centres), or ask for maps instead of every sphere's RDM; or force \
             it (force=True / --force)",
        )
    }
}

/// Predicts the peak memory of a searchlight over `light` with `spec` and
/// `output`, and with `calibrate` its time from a timed sample of centres.
pub fn estimate<'d>(
    light: &dyn Neighbourhoods,
    data: impl Into<Stored<'d>>,
    spec: &SearchlightSpec<'_>,
    output: Output,
    calibrate: bool,
) -> Result<Estimate> {
    let data = data.into();
    let rows = data.nrows();
    let k = spec
        .rdm
        .conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1));
    let noise_rows = spec.noise.map_or(0, |(r, _)| r.nrows());
    let sizes = RowSizes::new(spec, rows, k);
    let per_column = 8 * (rows + sizes.reduced + noise_rows);
    let block_bytes = spec.block_bytes.unwrap_or(BLOCK_BYTES);
    let max_columns = (block_bytes / per_column).max(1);
    let every: Vec<usize>;
    let centres = match spec.centres {
        Some(c) => c,
        None => {
            every = (0..light.n_columns()).collect();
            &every
        }
    };
    // Replay the engine's blocks.
    let mut seen = vec![false; light.n_columns()];
    let (mut blocks, mut largest, mut largest_centres, mut widest, mut valid) = (0, 0, 0, 0, 0);
    let mut members = Vec::new();
    let mut next = 0;
    while next < centres.len() {
        let mut union: Vec<usize> = Vec::new();
        let mut in_block = 0;
        while next < centres.len() && in_block < BLOCK_CENTRES && union.len() < max_columns {
            light.members(centres[next], &mut members);
            next += 1;
            if members.len() < spec.min_voxels.max(1) {
                continue;
            }
            in_block += 1;
            widest = widest.max(members.len());
            for &g in &members {
                if !seen[g] {
                    seen[g] = true;
                    union.push(g);
                }
            }
        }
        for &g in &union {
            seen[g] = false;
        }
        valid += in_block;
        blocks += 1;
        largest = largest.max(union.len());
        largest_centres = largest_centres.max(in_block);
    }
    let result = match output {
        Output::Rdms => n_pairs(k),
        Output::Maps { models } => models,
    };
    let threads = rayon::current_num_threads() as u64;
    let bytes = |n: usize| 8 * n as u64;
    let mut parts = vec![
        (
            "one block of shared rows".to_string(),
            bytes(largest * (rows + sizes.reduced + noise_rows + sizes.temporary)),
        ),
        (
            "one block of results".to_string(),
            bytes(largest_centres * (result + 3)),
        ),
        (
            "sphere scratch (all threads)".to_string(),
            threads * bytes(sizes.scratch(widest, noise_rows)),
        ),
        (
            "output".to_string(),
            match output {
                Output::Rdms => bytes(valid * result),
                Output::Maps { models } => bytes(models * light.n_columns()),
            },
        ),
        ("runtime".to_string(), RUNTIME_BYTES),
    ];
    if noise_rows > 0 {
        // Each sphere's factorisation allocates and frees a few p × p
        // matrices per thread; the allocator's per-thread arenas keep about
        // this much of them (measured here, glibc).
        parts.push((
            "per-thread allocator arenas (noise factorisations)".to_string(),
            threads * NOISE_ARENA_BYTES,
        ));
    }
    let seconds = if calibrate && valid > 0 {
        Some(time_sample(light, data, spec, centres, valid)?)
    } else {
        None
    };
    Ok(Estimate {
        parts,
        seconds,
        centres: valid,
        blocks,
        largest_block: largest,
    })
}

/// Seconds for all `valid` centres, from a contiguous run of centres in
/// the middle of `centres`, timed: 16 centres first, four times as many
/// while a run takes under 0.2 s (up to 1,024), so the calibration stays
/// short whatever a sphere costs.
fn time_sample(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    centres: &[usize],
    valid: usize,
) -> Result<f64> {
    let mut n = 16;
    loop {
        let n_now = n.min(centres.len());
        let start = (centres.len() - n_now) / 2;
        let sample_spec = SearchlightSpec {
            centres: Some(&centres[start..start + n_now]),
            ..*spec
        };
        let mut done = 0usize;
        let clock = Instant::now();
        run_with(
            light,
            data,
            &sample_spec,
            &|_, _| {},
            |_| Ok(()),
            |_, ()| {
                done += 1;
                Ok(())
            },
        )?;
        let seconds = clock.elapsed().as_secs_f64();
        if seconds >= 0.2 || n_now == centres.len() || n >= 1024 {
            return Ok(seconds * valid as f64 / done.max(1) as f64);
        }
        n *= 4;
    }
}

/// Rows per column of a block, and a sphere's scratch, by plan.
struct RowSizes {
    /// Rows a block column is reduced to.
    reduced: usize,
    /// Rows held while reducing (per-cell sums).
    temporary: usize,
    rows: usize,
    k: usize,
    folds: usize,
}

impl RowSizes {
    fn new(spec: &SearchlightSpec<'_>, rows: usize, k: usize) -> Self {
        let with_noise = spec.noise.is_some();
        let (cells, used) = match (spec.rdm.conditions, spec.rdm.folds) {
            (Some(c), Some(f)) if c.len() == f.len() => {
                let (counts, _, used) = cell_counts(c, f, k);
                (counts.len(), used.len())
            }
            _ => (0, 0),
        };
        let (reduced, temporary) = match spec.rdm.method {
            RdmMethod::Crossnobis if !with_noise => (2 * used * k, cells),
            RdmMethod::Crossnobis => (used * k, used * k),
            _ if spec.rdm.conditions.is_some() && k < rows => (k, k),
            _ => (0, 0),
        };
        Self {
            reduced,
            temporary,
            rows,
            k,
            folds: used.max(1),
        }
    }

    /// Floats one sphere of `p` columns holds while it is computed.
    fn scratch(&self, p: usize, noise_rows: usize) -> usize {
        let kernels = 2 * self.k * self.folds * p + self.k * self.k;
        let plain = self.rows * p * 3 + kernels;
        if noise_rows == 0 {
            plain
        } else {
            noise_rows * p + 3 * p * p + plain
        }
    }
}
