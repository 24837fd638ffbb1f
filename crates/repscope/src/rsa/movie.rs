//! Time-resolved RSA: an RDM per time point, or per window of time points,
//! of measurements × channels × time data (MEG/EEG, electrophysiology,
//! network activations over tokens).
//!
//! A window of w time points starting at t averages the patterns over
//! t..t+w before the RDM (rsatoolbox's `bin_time`, so `step = window`
//! gives its binned `calc_rdm_movie`); windows start every `step` points
//! and the last one ends at or before the final time point. The temporal
//! generalisation matrix (RDM at t against RDM at t′) is the movie compared
//! with itself ([`super::compare`]).

use faer::Mat;
use rayon::prelude::*;

use super::dissimilarity::{RdmSpec, rdm};
use crate::error::{Error, Result, ResultExt};

/// The RDM of every window: a (windows × pairs) matrix. `data` holds
/// `shape = [measurements, channels, times]` values in C order (time
/// fastest, as a numpy array of that shape).
pub fn rdm_movie(
    data: &[f64],
    shape: [usize; 3],
    spec: &RdmSpec<'_>,
    window: usize,
    step: usize,
) -> Result<Mat<f64>> {
    let [n, c, t] = shape;
    if data.len() != n * c * t {
        return Err(Error::ShapeMismatch {
            what: format!("data of shape {n} × {c} × {t}"),
            expected: n * c * t,
            found: data.len(),
        });
    }
    let bad = |detail: String| Error::Invalid {
        what: "rdm movie".into(),
        detail,
    };
    if window == 0 || step == 0 {
        return Err(bad(format!(
            "window ({window}) and step ({step}) must be at least 1 time point"
        )));
    }
    if window > t {
        return Err(bad(format!(
            "the window of {window} time points is longer than the data's {t}"
        )));
    }
    let starts: Vec<usize> = (0..=t - window).step_by(step).collect();
    let rdms: Vec<Vec<f64>> = starts
        .par_iter()
        .map(|&s| {
            let x = Mat::from_fn(n, c, |i, j| {
                let base = (i * c + j) * t + s;
                data[base..base + window].iter().sum::<f64>() / window as f64
            });
            rdm(x.as_ref(), spec).with_context(|| format!("time window starting at {s}"))
        })
        .collect::<Result<_>>()?;
    let pairs = rdms.first().map_or(0, Vec::len);
    Ok(Mat::from_fn(rdms.len(), pairs, |w, p| rdms[w][p]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::RdmMethod;
    use crate::testing::gaussian;

    #[test]
    fn each_window_is_the_rdm_of_its_averaged_patterns() {
        let (n, c, t) = (6, 4, 7);
        let flat = gaussian(1, n * c * t, 3);
        let data: Vec<f64> = (0..n * c * t).map(|i| flat[(0, i)]).collect();
        let spec = RdmSpec::new(RdmMethod::Correlation);
        let movie = rdm_movie(&data, [n, c, t], &spec, 3, 2).unwrap();
        assert_eq!(movie.nrows(), 3); // windows at 0, 2, 4
        for (w, s) in [0, 2, 4].into_iter().enumerate() {
            let x = Mat::from_fn(n, c, |i, j| {
                (s..s + 3).map(|u| data[(i * c + j) * t + u]).sum::<f64>() / 3.0
            });
            let direct = rdm(x.as_ref(), &spec).unwrap();
            for (p, d) in direct.iter().enumerate() {
                assert!((movie[(w, p)] - d).abs() < 1e-12);
            }
        }
        let e = rdm_movie(&data, [n, c, t], &spec, 8, 1).unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");
        let e = rdm_movie(&data[1..], [n, c, t], &spec, 1, 1).unwrap_err();
        assert!(e.to_string().contains("should have"), "{e}");
    }
}
