//! `RepSet`: an ordered set of named representations of one stimulus set.
//!
//! A representation is a stimuli × units matrix (a model layer, a brain
//! region). Every matrix in a RepSet has one row per stimulus, in the same
//! order; the number of units may differ. Values are stored as `f64` whatever
//! the file held, so every computation accumulates in double precision.

use faer::{Mat, MatRef};

use crate::error::{Error, Result};

/// A borrowed, named representation: what the measures and the pairwise
/// engine consume, whether it lives in a [`RepSet`] or in a numpy array.
#[derive(Clone, Copy, Debug)]
pub struct RepRef<'a> {
    pub name: &'a str,
    pub x: MatRef<'a, f64>,
}

/// An ordered mapping name → stimuli × units matrix over the same stimuli.
#[derive(Clone, Debug, Default)]
pub struct RepSet {
    names: Vec<String>,
    mats: Vec<Mat<f64>>,
    stimuli: Option<Vec<String>>,
}

impl RepSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a representation. Fails when the name is already used, the
    /// matrix is empty, or its number of rows differs from the others'.
    pub fn push(&mut self, name: impl Into<String>, x: Mat<f64>) -> Result<()> {
        let name = name.into();
        if self.names.contains(&name) {
            return Err(Error::DuplicateName { name });
        }
        check_not_empty(&name, x.as_ref())?;
        if let Some(first) = self.mats.first()
            && first.nrows() != x.nrows()
        {
            return Err(Error::StimulusMismatch {
                a: self.names[0].clone(),
                a_rows: first.nrows(),
                b: name,
                b_rows: x.nrows(),
            });
        }
        if let Some(stimuli) = &self.stimuli
            && stimuli.len() != x.nrows()
        {
            return Err(Error::StimulusMismatch {
                a: "the stimulus labels".into(),
                a_rows: stimuli.len(),
                b: name,
                b_rows: x.nrows(),
            });
        }
        self.names.push(name);
        self.mats.push(x);
        Ok(())
    }

    /// Attaches one label per stimulus (row).
    pub fn set_stimuli(&mut self, stimuli: Vec<String>) -> Result<()> {
        if let Some(n) = self.n_stimuli()
            && n != stimuli.len()
        {
            return Err(Error::StimulusMismatch {
                a: "the stimulus labels".into(),
                a_rows: stimuli.len(),
                b: self.names[0].clone(),
                b_rows: n,
            });
        }
        self.stimuli = Some(stimuli);
        Ok(())
    }

    /// The stimulus labels, when the file carried them.
    pub fn stimuli(&self) -> Option<&[String]> {
        self.stimuli.as_deref()
    }

    /// Number of representations.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the set holds no representation.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Number of stimuli (rows), or `None` for an empty set.
    pub fn n_stimuli(&self) -> Option<usize> {
        self.mats.first().map(|m| m.nrows())
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The representation called `name`.
    pub fn get(&self, name: &str) -> Option<MatRef<'_, f64>> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.mats[i].as_ref())
    }

    /// Borrowed views of every representation, in order.
    pub fn views(&self) -> Vec<RepRef<'_>> {
        self.names
            .iter()
            .zip(&self.mats)
            .map(|(name, x)| RepRef {
                name,
                x: x.as_ref(),
            })
            .collect()
    }

    /// Consumes the set into its names, matrices and stimulus labels.
    pub fn into_parts(self) -> (Vec<String>, Vec<Mat<f64>>, Option<Vec<String>>) {
        (self.names, self.mats, self.stimuli)
    }
}

/// Fails with [`Error::Empty`] when `x` has no rows or no columns.
pub fn check_not_empty(name: &str, x: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::Empty {
            array: name.to_string(),
            rows: x.nrows(),
            cols: x.ncols(),
        });
    }
    Ok(())
}

/// Fails with [`Error::NonFinite`] at the first NaN or ±Inf, scanning row by
/// row so the reported position is the first in reading order.
pub fn check_finite<T: Copy + Into<f64> + Sync>(name: &str, x: MatRef<'_, T>) -> Result<()> {
    use rayon::prelude::*;
    let finite = |i: usize, j: usize| x[(i, j)].into().is_finite();
    // Detect in memory order (numpy arrays are usually row-major: a column
    // walk over them is strided and as slow as a search over them), in
    // parallel when the matrix is large.
    let row_major = x.col_stride().unsigned_abs() <= x.row_stride().unsigned_abs();
    let (outer, inner) = if row_major {
        (x.nrows(), x.ncols())
    } else {
        (x.ncols(), x.nrows())
    };
    let line_finite = |a: usize| {
        (0..inner).all(|b| {
            if row_major {
                finite(a, b)
            } else {
                finite(b, a)
            }
        })
    };
    let all_finite = if outer * inner >= 1 << 16 {
        (0..outer).into_par_iter().all(line_finite)
    } else {
        (0..outer).all(line_finite)
    };
    if all_finite {
        return Ok(());
    }
    // Name the first bad value in row-major order.
    for row in 0..x.nrows() {
        for col in 0..x.ncols() {
            let value = x[(row, col)].into();
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    array: name.to_string(),
                    row,
                    col,
                    value,
                });
            }
        }
    }
    Ok(())
}

/// Fails with [`Error::StimulusMismatch`] unless every representation in
/// `reps` has the same number of rows as the first one of `reference`.
pub fn check_same_stimuli(reference: &[RepRef<'_>], reps: &[RepRef<'_>]) -> Result<()> {
    let Some(first) = reference.first() else {
        return Ok(());
    };
    for r in reps {
        if r.x.nrows() != first.x.nrows() {
            return Err(Error::StimulusMismatch {
                a: first.name.to_string(),
                a_rows: first.x.nrows(),
                b: r.name.to_string(),
                b_rows: r.x.nrows(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_checks_names_rows_and_emptiness() {
        let mut set = RepSet::new();
        set.push("a", Mat::zeros(3, 2)).unwrap();
        let e = set.push("a", Mat::zeros(3, 2)).unwrap_err();
        assert!(matches!(e, Error::DuplicateName { .. }));
        let e = set.push("b", Mat::zeros(4, 2)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "'a' has 3 stimuli but 'b' has 4; representations compared with each other must \
             have one row per stimulus, in the same order"
        );
        let e = set.push("c", Mat::zeros(3, 0)).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }));
        assert_eq!(set.len(), 1);
        assert!(set.set_stimuli(vec!["x".into()]).is_err());
        set.set_stimuli(vec!["x".into(), "y".into(), "z".into()])
            .unwrap();
    }

    #[test]
    fn finite_check_reports_first_position_in_reading_order() {
        let mut x = Mat::<f64>::zeros(5, 10);
        x[(4, 2)] = f64::INFINITY;
        x[(3, 9)] = f64::NAN;
        let e = check_finite("layer", x.as_ref()).unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 3, col: 9, .. }), "{e}");
    }
}
