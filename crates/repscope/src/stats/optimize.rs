//! Derivative-free minimisation: Nelder–Mead in any dimension and
//! golden-section search on an interval. For objectives that are not
//! smooth (comparisons of ranks are piecewise constant in the weights) or
//! whose derivatives would cost more than a few evaluations.

/// Settings of [`nelder_mead`]; the default is scipy's (`minimize(method=
/// "Nelder-Mead")` coefficients and first simplex) to 1e-10 in x and 1e-14
/// in f.
#[derive(Clone, Copy, Debug)]
pub struct NelderMead {
    /// Each coordinate of the first simplex moves by this much; `None`:
    /// scipy's 5% (0.00025 for a zero coordinate).
    pub initial_step: Option<f64>,
    /// Stop when every vertex is within `xatol` of the best, coordinate by
    /// coordinate, and within `fatol` of its value.
    pub xatol: f64,
    pub fatol: f64,
    pub max_iterations: usize,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead {
            initial_step: None,
            xatol: 1e-10,
            fatol: 1e-14,
            max_iterations: 4000,
        }
    }
}

/// The best point found by Nelder–Mead (Nelder & Mead 1965, with the
/// standard reflection 1, expansion 2, contraction ½ and shrink ½) from
/// `start`, and its value.
pub fn nelder_mead(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    settings: &NelderMead,
) -> (Vec<f64>, f64) {
    let n = start.len();
    let (rho, chi, psi, shrink) = (1.0, 2.0, 0.5, 0.5);
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|k| {
            let mut x = start.to_vec();
            if k > 0 {
                let c = &mut x[k - 1];
                *c = match settings.initial_step {
                    Some(step) => *c + step,
                    None if *c == 0.0 => 0.00025,
                    None => *c * 1.05,
                };
            }
            let v = f(&x);
            (x, v)
        })
        .collect();
    // x = a + t·(b − a)
    let along = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(a, b)| a + t * (b - a)).collect()
    };
    for _ in 0..settings.max_iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].clone();
        let spread_x = simplex[1..]
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&best.0).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        let spread_f = simplex[1..]
            .iter()
            .map(|(_, v)| (v - best.1).abs())
            .fold(0.0, f64::max);
        if spread_x <= settings.xatol && spread_f <= settings.fatol {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|i| simplex[..n].iter().map(|(x, _)| x[i]).sum::<f64>() / n as f64)
            .collect();
        let (worst, worst_value) = simplex[n].clone();
        let reflected = along(&centroid, &worst, -rho);
        let fr = f(&reflected);
        if fr < best.1 {
            let expanded = along(&centroid, &worst, -rho * chi);
            let fe = f(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
            continue;
        }
        if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
            continue;
        }
        // Contraction, outside or inside.
        let (point, limit) = if fr < worst_value {
            (along(&centroid, &worst, -rho * psi), fr)
        } else {
            (along(&centroid, &worst, psi), worst_value)
        };
        let fc = f(&point);
        if fc <= limit {
            simplex[n] = (point, fc);
            continue;
        }
        for vertex in simplex.iter_mut().skip(1) {
            let x = along(&best.0, &vertex.0, shrink);
            let v = f(&x);
            *vertex = (x, v);
        }
    }
    simplex
        .into_iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_else(|| (start.to_vec(), f64::NAN))
}

/// The minimum of `f` on [lo, hi]: the best of `grid` + 1 evenly spaced
/// points, refined by golden-section search between its neighbours to
/// `xtol` (the grid guards against the local minima a bracket alone would
/// settle in). Returns the point and its value; the ends are candidates.
pub fn bounded_minimum(
    f: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    grid: usize,
    xtol: f64,
) -> (f64, f64) {
    let grid = grid.max(2);
    let step = (hi - lo) / grid as f64;
    let (mut best_x, mut best_v) = (lo, f(lo));
    for i in 1..=grid {
        let x = if i == grid { hi } else { lo + step * i as f64 };
        let v = f(x);
        if v < best_v {
            (best_x, best_v) = (x, v);
        }
    }
    let (mut a, mut b) = ((best_x - step).max(lo), (best_x + step).min(hi));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > xtol {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    for (x, v) in [(c, fc), (d, fd)] {
        if v < best_v {
            (best_x, best_v) = (x, v);
        }
    }
    (best_x, best_v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_a_bowl() {
        let bowl = |x: &[f64]| (x[0] - 1.0).powi(2) + 3.0 * (x[1] + 2.0).powi(2) + 0.5;
        let (x, v) = nelder_mead(bowl, &[0.0, 0.0], &NelderMead::default());
        assert!((v - 0.5).abs() < 1e-12);
        assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] + 2.0).abs() < 1e-6);
        // Three dimensions, a large first simplex.
        let settings = NelderMead {
            initial_step: Some(0.5),
            ..NelderMead::default()
        };
        let (x, _) = nelder_mead(
            |x: &[f64]| {
                x.iter()
                    .enumerate()
                    .map(|(i, v)| (v - i as f64).powi(2))
                    .sum()
            },
            &[3.0, 3.0, 3.0],
            &settings,
        );
        assert!(
            x.iter()
                .enumerate()
                .all(|(i, v)| (v - i as f64).abs() < 1e-6)
        );
    }

    #[test]
    fn bounded_minimum_finds_interior_and_end_minima_past_a_local_one() {
        let (x, v) = bounded_minimum(|x| (x - 0.3).powi(2), 0.0, 1.0, 20, 1e-12);
        assert!((x - 0.3).abs() < 1e-9 && v < 1e-18);
        let (x, _) = bounded_minimum(|x| -x, 0.0, 1.0, 20, 1e-12);
        assert_eq!(x, 1.0);
        // A shallow local minimum at 0.2 and the global one at 0.8.
        let two_wells = |x: f64| {
            -(-((x - 0.2) / 0.05).powi(2)).exp() - 2.0 * (-((x - 0.8) / 0.05).powi(2)).exp()
        };
        let (x, _) = bounded_minimum(two_wells, 0.0, 1.0, 50, 1e-12);
        assert!((x - 0.8).abs() < 1e-6, "{x}");
    }
}
