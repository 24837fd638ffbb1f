//! Scalar quantisation of embeddings to 8 bits per dimension, with
//! per-dimension calibration ranges.
//!
//! The definitions are sentence-transformers' (`quantize_embeddings`):
//! for dimension j with calibration range [lo_j, hi_j] the step is
//! `(hi_j − lo_j) / 255`, and a value x becomes
//!
//! ```text
//! uint8: q = floor((x − lo_j) / step_j)        int8: q − 128
//! ```
//!
//! computed in the input's precision (a float32 embedding is quantised in
//! float32 arithmetic, as numpy does), so the codes are the same bytes.
//! Two cases where sentence-transformers' result is undefined are defined
//! here: values outside the calibration range are clipped to [0, 255]
//! (numpy's float → uint8 cast of them is platform-dependent), and a
//! dimension with hi = lo (a single embedding, or a constant dimension)
//! quantises to 0 instead of dividing by zero. Quantising a single
//! embedding without given ranges is refused: its own range is empty, which
//! is the case sentence-transformers gets wrong; pass the ranges of a
//! calibration set instead.

use faer::{Mat, MatRef};

use super::search::Real;
use crate::data::check_finite;
use crate::error::{Error, Result};

/// Per-dimension calibration ranges: `lo[j]..=hi[j]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranges<T> {
    pub lo: Vec<T>,
    pub hi: Vec<T>,
}

impl<T: Real> Ranges<T> {
    /// Column minima and maxima of a calibration set (rows = embeddings).
    pub fn calibrate(x: MatRef<'_, T>) -> Result<Ranges<T>> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(invalid("the calibration set is empty".into()));
        }
        check_finite("calibration embeddings", x)?;
        let fold = |pick: fn(T, T) -> T| -> Vec<T> {
            (0..x.ncols())
                .map(|j| (1..x.nrows()).fold(x[(0, j)], |m, i| pick(m, x[(i, j)])))
                .collect()
        };
        Ok(Ranges {
            lo: fold(|a, b| if b < a { b } else { a }),
            hi: fold(|a, b| if b > a { b } else { a }),
        })
    }

    fn check(&self, dims: usize) -> Result<()> {
        if self.lo.len() != dims || self.hi.len() != dims {
            return Err(invalid(format!(
                "the ranges cover {} dimensions but the embeddings have {dims}",
                self.lo.len()
            )));
        }
        if let Some(j) = (0..dims).find(|&j| {
            let (lo, hi) = (self.lo[j].to_f64(), self.hi[j].to_f64());
            !(lo.is_finite() && hi.is_finite() && lo <= hi)
        }) {
            return Err(invalid(format!(
                "range of dimension {j} is empty or not finite: [{}, {}]",
                self.lo[j].to_f64(),
                self.hi[j].to_f64()
            )));
        }
        Ok(())
    }
}

fn invalid(detail: String) -> Error {
    Error::Invalid {
        what: "quantize".into(),
        detail,
    }
}

crate::choice! {
    /// Eight-bit codes.
    pub enum Precision8: "8-bit precision" {
        /// 0..=255.
        Uint8 = "uint8",
        /// -128..=127 (the uint8 level minus 128).
        Int8 = "int8",
    }
}

/// The uint8 levels (0..=255) of `x` under `ranges`, row by row.
fn levels<T: Real>(x: MatRef<'_, T>, ranges: &Ranges<T>) -> Vec<u8> {
    let (n, d) = (x.nrows(), x.ncols());
    let divisor = T::from_f64_lossy(255.0);
    let steps: Vec<T> = (0..d)
        .map(|j| (ranges.hi[j] - ranges.lo[j]) / divisor)
        .collect();
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            let level = if steps[j] > T::ZERO {
                ((x[(i, j)] - ranges.lo[j]) / steps[j]).to_f64().floor()
            } else {
                0.0
            };
            out.push(level.clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// Quantises the rows of `x` to 8 bits per dimension: row-major bytes
/// (`u8` levels, or for int8 the levels − 128 as two's-complement bytes),
/// and the ranges used (`ranges` if given, else the rows' own).
pub fn quantize8<T: Real>(
    x: MatRef<'_, T>,
    precision: Precision8,
    ranges: Option<&Ranges<T>>,
) -> Result<(Vec<u8>, Ranges<T>)> {
    check_finite("embeddings", x)?;
    let ranges = match ranges {
        Some(r) => r.clone(),
        None if x.nrows() < 2 => {
            return Err(invalid(format!(
                "quantising {} embedding(s) without calibration ranges would give each dimension \
                 an empty range; pass ranges from a calibration set (e.g. the corpus)",
                x.nrows()
            )));
        }
        None => Ranges::calibrate(x)?,
    };
    ranges.check(x.ncols())?;
    let mut bytes = levels(x, &ranges);
    if precision == Precision8::Int8 {
        bytes
            .iter_mut()
            .for_each(|b| *b = (*b as i16 - 128) as i8 as u8);
    }
    Ok((bytes, ranges))
}

/// Decodes 8-bit codes to the lower edge of each level, `lo + q · step`
/// (rows of `d` bytes), in f64.
pub fn dequantize8<T: Real>(
    codes: &[u8],
    d: usize,
    precision: Precision8,
    ranges: &Ranges<T>,
) -> Result<Mat<f64>> {
    ranges.check(d)?;
    if d == 0 || codes.len() % d != 0 {
        return Err(invalid(format!(
            "{} bytes are not rows of {d} codes",
            codes.len()
        )));
    }
    let n = codes.len() / d;
    Ok(Mat::from_fn(n, d, |i, j| {
        let b = codes[i * d + j];
        let level = match precision {
            Precision8::Uint8 => b as f64,
            Precision8::Int8 => (b as i8) as f64 + 128.0,
        };
        let (lo, hi) = (ranges.lo[j].to_f64(), ranges.hi[j].to_f64());
        lo + level * (hi - lo) / 255.0
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_by_hand_with_clipping_and_constant_dimensions() {
        let x = Mat::from_fn(3, 2, |i, j| [[0.0, 5.0], [1.0, 5.0], [0.5, 5.0]][i][j]);
        let (u, r) = quantize8(x.as_ref(), Precision8::Uint8, None).unwrap();
        assert_eq!(u, vec![0, 0, 255, 0, 127, 0]);
        assert_eq!(r.lo, vec![0.0, 5.0]);
        let (i8s, _) = quantize8(x.as_ref(), Precision8::Int8, None).unwrap();
        assert_eq!(
            i8s.iter().map(|&b| b as i8).collect::<Vec<_>>(),
            vec![-128, -128, 127, -128, -1, -128]
        );
        let outside = Mat::from_fn(1, 2, |_, j| [2.0, -1.0][j]);
        let (u, _) = quantize8(outside.as_ref(), Precision8::Uint8, Some(&r)).unwrap();
        assert_eq!(u, vec![255, 0]);
        let back = dequantize8(&[255, 0], 2, Precision8::Uint8, &r).unwrap();
        assert_eq!(back[(0, 0)], 1.0);
    }

    #[test]
    fn one_embedding_needs_ranges_and_ranges_must_fit() {
        let one = Mat::from_fn(1, 3, |_, j| j as f32);
        let e = quantize8(one.as_ref(), Precision8::Int8, None).unwrap_err();
        assert!(e.to_string().contains("calibration"), "{e}");
        let r = Ranges {
            lo: vec![0.0f32; 2],
            hi: vec![1.0f32; 2],
        };
        assert!(quantize8(one.as_ref(), Precision8::Int8, Some(&r)).is_err());
    }
}
