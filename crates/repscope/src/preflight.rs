//! A job's peak memory and time, predicted before it runs.
//!
//! Each job that can outgrow the machine (`rdm`, `pairwise`, `encode`,
//! `extract`; the searchlight has its own replay of blocks in
//! `rsa::searchlight::preflight`) adds up the memory its code holds at its
//! worst moment, part by part, from the work sizes alone (no data is
//! touched), and counts its floating-point work. The time is that work
//! divided by this machine's rate for dense products, measured once per
//! thread count by timing a small product ([`flop_rate`]): a prediction of
//! the compute, not of reading the files.
//!
//! The parts are bytes above the inputs as the caller holds them; where a
//! front end has not read its inputs yet (the CLI), it adds them as a part
//! of their own, so a refusal compares everything the process will hold
//! with the memory available ([`crate::memory::available_bytes`]).

use std::sync::Mutex;
use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat};

use crate::error::{Error, Result};

/// Bytes of `n` float64 values.
pub fn f64s(n: usize) -> u64 {
    8 * n as u64
}

/// Memory the runtime holds whatever the job (thread stacks touched, the
/// allocator's arenas, the thread pool): measured on this machine.
pub const RUNTIME_BYTES: u64 = 24 << 20;

/// A prediction of a job's peak memory and time.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The job, as the refusal names it (`"rdm (correlation)"`).
    pub what: String,
    /// The parts of the peak, in bytes.
    pub parts: Vec<(String, u64)>,
    /// Floating-point operations, to leading order.
    pub flops: f64,
    /// Predicted seconds of compute on this machine ([`Estimate::calibrate`]).
    pub seconds: Option<f64>,
    /// What lowers the peak, for the refusal's message.
    pub lower: String,
}

impl Estimate {
    /// An estimate with the runtime's allowance as its first part.
    pub fn new(what: impl Into<String>, lower: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            parts: vec![("runtime".into(), RUNTIME_BYTES)],
            flops: 0.0,
            seconds: None,
            lower: lower.into(),
        }
    }

    /// Bytes at the peak.
    pub fn peak_bytes(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b).sum()
    }

    /// Adds a part of the peak.
    pub fn add(&mut self, part: impl Into<String>, bytes: u64) {
        self.parts.push((part.into(), bytes));
    }

    /// Sets the time from the work and this machine's measured rate for
    /// dense products, unless the job timed a sample of its own work.
    pub fn calibrate(&mut self) {
        if self.seconds.is_none() {
            self.seconds = Some(self.flops / flop_rate());
        }
    }

    /// A multi-line summary (the CLI's `--dry-run`).
    pub fn report(&self) -> String {
        let mut out = format!("{}\n", self.what);
        out.push_str(&parts_report(&self.parts));
        if let Some(s) = self.seconds {
            out.push_str(&format!(
                "predicted time: {s:.1} s ({:.2} GFLOP)\n",
                self.flops / 1e9
            ));
        }
        out
    }

    /// Refuses a job predicted to need more than `available` bytes, with
    /// the prediction and what lowers it.
    pub fn check_fits(&self, available: Option<u64>) -> Result<()> {
        check_fits(&self.what, self.peak_bytes(), available, &self.lower)
    }
}

/// The peak and its parts, one line each.
pub fn parts_report(parts: &[(String, u64)]) -> String {
    let total = parts.iter().map(|(_, b)| b).sum();
    let mut out = format!("predicted peak memory above the inputs: {}\n", human(total));
    for (part, bytes) in parts {
        out.push_str(&format!("  {part}: {}\n", human(*bytes)));
    }
    out
}

/// `Error::TooLarge` when `needed` exceeds `available` (nothing is refused
/// where the system does not say what is available).
pub fn check_fits(what: &str, needed: u64, available: Option<u64>, lower: &str) -> Result<()> {
    match available {
        Some(available) if needed > available => Err(Error::TooLarge {
            what: what.into(),
            needed: human(needed),
            available: human(available),
            how: lower.into(),
        }),
        _ => Ok(()),
    }
}

/// The most resamples (bootstrap draws, permutations, random splits) one
/// call takes: 10⁸ already resolves p-values to 1e-8, and a larger count is
/// a typo that would run for days or ask for terabytes.
pub const MAX_RESAMPLES: usize = 100_000_000;

/// Refuses `count` resamples whose kept results (`values_each` float64 per
/// resample) are more than [`MAX_RESAMPLES`] or would not fit in memory:
/// an error in microseconds rather than an allocation failure.
pub fn check_resamples(what: &str, count: usize, values_each: usize) -> Result<()> {
    if count > MAX_RESAMPLES {
        return Err(Error::OutOfRange {
            what: format!("{what}: the number of resamples"),
            value: count.to_string(),
            expected: format!("at most {MAX_RESAMPLES} (p-values resolved to 1e-8)"),
        });
    }
    let needed = f64s(values_each).saturating_mul(count as u64);
    check_fits(
        what,
        needed,
        crate::memory::available_bytes(),
        "draw fewer resamples",
    )
}

/// Bytes as MB or GB.
pub fn human(bytes: u64) -> String {
    let mb = bytes as f64 / (1u64 << 20) as f64;
    if mb >= 1024.0 {
        format!("{:.2} GB", mb / 1024.0)
    } else if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// Floating-point operations per second of a dense product on the current
/// thread pool, measured once per pool size (the best of three 256³
/// products, about 34 MFLOP each, a few milliseconds).
pub fn flop_rate() -> f64 {
    static RATES: Mutex<Vec<(usize, f64)>> = Mutex::new(Vec::new());
    let threads = rayon::current_num_threads();
    if let Ok(rates) = RATES.lock()
        && let Some(&(_, rate)) = rates.iter().find(|(t, _)| *t == threads)
    {
        return rate;
    }
    let n = 256;
    let a = Mat::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let mut c = Mat::<f64>::zeros(n, n);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let clock = Instant::now();
        matmul(
            c.as_mut(),
            Accum::Replace,
            a.as_ref(),
            a.as_ref(),
            1.0,
            crate::parallel::current(),
        );
        best = best.min(clock.elapsed().as_secs_f64());
    }
    std::hint::black_box(&c);
    let rate = 2.0 * (n * n * n) as f64 / best.max(1e-9);
    if let Ok(mut rates) = RATES.lock() {
        rates.push((threads, rate));
    }
    rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_and_a_job_past_the_memory_available_is_refused() {
        let mut e = Estimate::new("rdm (euclidean)", "use fewer conditions");
        e.add("output", 3 << 30);
        assert_eq!(e.peak_bytes(), RUNTIME_BYTES + (3 << 30));
        assert!(e.check_fits(None).is_ok());
        assert!(e.check_fits(Some(4 << 30)).is_ok());
        let message = e.check_fits(Some(1 << 30)).unwrap_err().to_string();
        assert!(
            message.contains("3.02 GB") && message.contains("1.00 GB"),
            "{message}"
        );
        assert!(message.contains("fewer conditions"), "{message}");
        e.flops = 1e9;
        e.calibrate();
        assert!(e.seconds.is_some_and(|s| s > 0.0 && s.is_finite()));
        assert!(e.report().contains("predicted time"));
    }
}
