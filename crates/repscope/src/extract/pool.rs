//! How a captured tensor (batch × …) becomes one row per stimulus.
//!
//! Tensors are read in the framework's layout: channels first for feature
//! maps (batch × channels × positions…, as PyTorch and ONNX store them) and
//! batch × tokens × hidden for token sequences. The stored unit order of
//! each pooling:
//!
//! | pooling      | input            | units, in stored order                         |
//! |--------------|------------------|------------------------------------------------|
//! | `auto`       | any              | `mean` (rank ≥ 4), `token_mean` (3), as is (2) |
//! | `flatten`    | any              | every value, C order (`c·H·W + h·W + w`)       |
//! | `mean`/`max` | B × C × positions| one per channel, over all positions            |
//! | `cls`        | B × T × D        | the first token's D values                     |
//! | `token_mean` | B × T × D        | the mean over real tokens (the attention mask) |
//! | `last`       | B × T × D        | the last real token's D values                 |
//! | `project`    | any              | a seeded sparse random projection of `flatten` |
//!
//! A rank-2 tensor (batch × units) is already one row per stimulus: `mean`
//! and `max` keep it as it is. The projection is the very sparse random
//! projection of Li, Hastie & Church (2006), scikit-learn's
//! `SparseRandomProjection` default: each of the D × K entries is nonzero
//! with probability 1/√D, then ±√(√D / K); distances are preserved in
//! expectation, and the matrix (about K·√D entries) is drawn once per
//! layer from the seed, so the same seed gives the same columns.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

crate::choice! {
    /// How a captured tensor becomes one vector per stimulus.
    pub enum TensorPool: "tensor pooling" {
        /// By the tensor's rank: feature maps (rank ≥ 4) `mean`, token
        /// sequences (rank 3) `token_mean`, batch × units kept as it is.
        Auto = "auto",
        /// Every value, in C order (channel-major for feature maps).
        Flatten = "flatten",
        /// Mean over spatial positions, one unit per channel (batch × channels × …).
        Mean = "mean" | "spatial_mean" | "avg",
        /// Maximum over spatial positions, one unit per channel.
        Max = "max" | "spatial_max",
        /// The first token of a batch × tokens × hidden sequence ([CLS]).
        Cls = "cls",
        /// Mean over the real tokens (the attention mask) of a sequence.
        TokenMean = "token_mean",
        /// The last real token of a sequence (causal language models).
        Last = "last" | "last_token",
        /// A seeded sparse random projection of every value to a fixed width.
        Project = "project" | "random_projection",
    }
}

/// A captured tensor of one batch: row-major values and their shape.
pub struct Captured<'a> {
    pub values: &'a [f32],
    pub shape: &'a [usize],
}

/// Per stimulus, how many leading tokens are real (the attention mask of
/// right-padded text); `None` when every token is (images, arrays).
pub type TokenCounts<'a> = Option<&'a [usize]>;

/// The sparse random matrix of one layer, drawn once.
pub struct Projection {
    /// For each input unit, its nonzero output columns and values.
    starts: Vec<usize>,
    entries: Vec<(u32, f32)>,
    width: usize,
    input_units: usize,
}

impl Projection {
    /// The D × `width` matrix for `input_units` = D, from `seed`.
    pub fn new(input_units: usize, width: usize, seed: u64) -> Result<Self> {
        if width == 0 || width > u32::MAX as usize {
            return Err(Error::OutOfRange {
                what: "projection width".into(),
                value: width.to_string(),
                expected: "at least 1".into(),
            });
        }
        let density = 1.0 / (input_units as f64).sqrt();
        let value = ((1.0 / density) / width as f64).sqrt() as f32;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut starts = Vec::with_capacity(input_units + 1);
        let mut entries = Vec::new();
        // Gaps between nonzeros are geometric: one draw per nonzero, not
        // one per entry (D·K draws would dominate a wide layer's cost).
        let log_keep = (1.0 - density).ln();
        for _ in 0..input_units {
            starts.push(entries.len());
            let mut column = 0usize;
            loop {
                let gap = if density >= 1.0 {
                    0
                } else {
                    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                    (u.ln() / log_keep).floor() as usize
                };
                column = column.saturating_add(gap);
                if column >= width {
                    break;
                }
                let sign = if rng.random::<bool>() { value } else { -value };
                entries.push((column as u32, sign));
                column += 1;
            }
        }
        starts.push(entries.len());
        Ok(Self {
            starts,
            entries,
            width,
            input_units,
        })
    }

    /// D, the width it projects from.
    pub fn input_units(&self) -> usize {
        self.input_units
    }

    /// `rows` × D values times the matrix, appended to `out`.
    fn apply(&self, values: &[f32], rows: usize, out: &mut Vec<f32>) {
        for r in 0..rows {
            let x = &values[r * self.input_units..(r + 1) * self.input_units];
            let mut y = vec![0f32; self.width];
            for (j, &v) in x.iter().enumerate() {
                if v == 0.0 {
                    continue;
                }
                for &(k, w) in &self.entries[self.starts[j]..self.starts[j + 1]] {
                    y[k as usize] += w * v;
                }
            }
            out.extend_from_slice(&y);
        }
    }
}

/// What `auto` means for a tensor of `shape` (batch first); any other
/// pooling is itself.
pub fn resolve(pool: TensorPool, shape: &[usize]) -> TensorPool {
    match (pool, shape.len()) {
        (TensorPool::Auto, 3) => TensorPool::TokenMean,
        (TensorPool::Auto, r) if r >= 4 => TensorPool::Mean,
        (TensorPool::Auto, _) => TensorPool::Flatten,
        (p, _) => p,
    }
}

/// Units per stimulus that `pool` gives for a tensor of `shape` (batch
/// first); an error names the layer when the pooling does not fit it.
pub fn pooled_units(
    layer: &str,
    pool: TensorPool,
    shape: &[usize],
    projection_width: usize,
) -> Result<usize> {
    let misfit = |expected: &str| Error::Invalid {
        what: format!(
            "pooling '{}' for layer '{layer}'",
            crate::choice::Choice::name(pool)
        ),
        detail: format!(
            "the layer's output is {} (batch first); {expected}",
            format_shape(shape)
        ),
    };
    if shape.len() < 2 {
        return Err(misfit("it needs at least batch × units"));
    }
    let per_stimulus: usize = shape[1..].iter().product();
    Ok(match resolve(pool, shape) {
        TensorPool::Auto => per_stimulus,
        TensorPool::Flatten => per_stimulus,
        TensorPool::Project => projection_width,
        TensorPool::Mean | TensorPool::Max => shape[1],
        TensorPool::Cls | TensorPool::TokenMean | TensorPool::Last => {
            if shape.len() != 3 {
                return Err(misfit(
                    "token pooling needs batch × tokens × hidden; use mean, max or flatten",
                ));
            }
            shape[2]
        }
    })
}

pub(crate) fn format_shape(shape: &[usize]) -> String {
    shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Pools one batch's tensor into rows (row-major, batch × units), appended
/// to `out`.
pub fn pool_batch(
    t: &Captured,
    pool: TensorPool,
    tokens: TokenCounts,
    projection: Option<&Projection>,
    out: &mut Vec<f32>,
) {
    let batch = t.shape[0];
    let per: usize = t.shape[1..].iter().product();
    let pool = resolve(pool, t.shape);
    match pool {
        TensorPool::Auto => {}
        TensorPool::Flatten => out.extend_from_slice(&t.values[..batch * per]),
        TensorPool::Project => {
            if let Some(p) = projection {
                p.apply(t.values, batch, out);
            }
        }
        TensorPool::Mean | TensorPool::Max => {
            let channels = t.shape[1];
            let positions = per / channels.max(1);
            for b in 0..batch {
                for c in 0..channels {
                    let start = (b * channels + c) * positions;
                    let v = &t.values[start..start + positions];
                    out.push(if pool == TensorPool::Mean {
                        (v.iter().map(|&x| f64::from(x)).sum::<f64>() / positions as f64) as f32
                    } else {
                        v.iter().copied().fold(f32::NEG_INFINITY, f32::max)
                    });
                }
            }
        }
        TensorPool::Cls | TensorPool::TokenMean | TensorPool::Last => {
            let (n_tokens, hidden) = (t.shape[1], t.shape[2]);
            for b in 0..batch {
                let real = tokens.map_or(n_tokens, |c| c[b].clamp(1, n_tokens));
                let token = |i: usize| {
                    let start = (b * n_tokens + i) * hidden;
                    &t.values[start..start + hidden]
                };
                match pool {
                    TensorPool::Cls => out.extend_from_slice(token(0)),
                    TensorPool::Last => out.extend_from_slice(token(real - 1)),
                    _ => {
                        let mut sum = vec![0f64; hidden];
                        for i in 0..real {
                            for (s, &v) in sum.iter_mut().zip(token(i)) {
                                *s += f64::from(v);
                            }
                        }
                        out.extend(sum.iter().map(|s| (s / real as f64) as f32));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spatial_and_token_pooling() {
        // 1 × 2 channels × 2 positions.
        let v = [1.0, 3.0, -1.0, 5.0];
        let t = Captured {
            values: &v,
            shape: &[1, 2, 2],
        };
        let mut out = vec![];
        pool_batch(&t, TensorPool::Mean, None, None, &mut out);
        assert_eq!(out, [2.0, 2.0]);
        out.clear();
        pool_batch(&t, TensorPool::Max, None, None, &mut out);
        assert_eq!(out, [3.0, 5.0]);
        // The same values as 1 × 2 tokens × 2 hidden, one real token.
        out.clear();
        pool_batch(&t, TensorPool::TokenMean, Some(&[1]), None, &mut out);
        assert_eq!(out, [1.0, 3.0]);
        out.clear();
        pool_batch(&t, TensorPool::Last, None, None, &mut out);
        assert_eq!(out, [-1.0, 5.0]);
        out.clear();
        pool_batch(&t, TensorPool::Cls, None, None, &mut out);
        assert_eq!(out, [1.0, 3.0]);
        assert!(pooled_units("x", TensorPool::Cls, &[1, 2, 2, 2], 8).is_err());
        assert_eq!(
            pooled_units("x", TensorPool::Flatten, &[1, 2, 3, 4], 8).unwrap(),
            24
        );
    }

    #[test]
    fn projection_is_seeded_and_preserves_norms_on_average() {
        let d = 400;
        let a = Projection::new(d, 256, 7).unwrap();
        let b = Projection::new(d, 256, 7).unwrap();
        assert_eq!(a.entries, b.entries);
        let nonzeros = a.entries.len() as f64 / (d * 256) as f64;
        assert!((nonzeros - 0.05).abs() < 0.01, "density {nonzeros}");
        let x: Vec<f32> = (0..d).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
        let mut y = vec![];
        a.apply(&x, 1, &mut y);
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>();
        let ratio = norm(&y) / norm(&x);
        assert!((0.7..1.3).contains(&ratio), "norm ratio {ratio}");
    }
}
