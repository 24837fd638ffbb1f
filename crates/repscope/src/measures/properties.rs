//! Property tests over the whole registry: every declared invariance holds,
//! symmetric measures are symmetric, and every symmetric distance obeys the
//! triangle inequality.

use faer::Mat;

use super::{Invariance, Kind, Params, build, measures, similarity};
use crate::data::RepRef;
use crate::testing::{gaussian, rotation};

fn value(name: &str, x: &Mat<f64>, y: &Mat<f64>) -> f64 {
    let m = build(name, &Params::new()).unwrap();
    similarity(
        RepRef {
            name: "x",
            x: x.as_ref(),
        },
        RepRef {
            name: "y",
            x: y.as_ref(),
        },
        m.as_ref(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * (1.0 + a.abs().max(b.abs()))
}

fn related(n: usize, p: usize, q: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let x = gaussian(n, p, seed);
    let y = &x * gaussian(p, q, seed + 1) + gaussian(n, q, seed + 2) * 0.7;
    (x, y)
}

/// A related pair, of equal widths for measures that compare unit by unit.
fn related_for(
    info: &super::MeasureInfo,
    n: usize,
    p: usize,
    q: usize,
    seed: u64,
) -> (Mat<f64>, Mat<f64>) {
    related(n, p, if info.needs_same_dim { p } else { q }, seed)
}

#[test]
fn declared_invariances_hold() {
    for info in measures() {
        let (x, y) = related_for(&info, 40, 6, 9, 3);
        let q = y.ncols();
        let transforms: Vec<(Invariance, Mat<f64>)> = vec![
            (Invariance::Orthogonal, &y * rotation(q, 8)),
            (Invariance::IsotropicScaling, &y * 3.7),
            (
                Invariance::Translation,
                Mat::from_fn(40, q, |i, j| y[(i, j)] + 2.0 + j as f64),
            ),
            (
                Invariance::Permutation,
                Mat::from_fn(40, q, |i, j| y[(i, (j * 5 + 2) % q)]),
            ),
            (
                Invariance::InvertibleLinear,
                &y * (gaussian(q, q, 9) + Mat::<f64>::identity(q, q) * 3.0),
            ),
        ];
        let base = value(info.name, &x, &y);
        for (invariance, transformed) in &transforms {
            if info.invariances.contains(invariance) {
                let v = value(info.name, &x, transformed);
                assert!(
                    close(base, v),
                    "{} is not invariant to {invariance:?}: {base} vs {v}",
                    info.name
                );
            }
        }
    }
}

#[test]
fn symmetric_measures_are_symmetric() {
    for info in measures().into_iter().filter(|m| m.symmetric) {
        let (x, y) = related_for(&info, 35, 5, 8, 11);
        let (a, b) = (value(info.name, &x, &y), value(info.name, &y, &x));
        assert!(close(a, b), "{}: {a} vs {b}", info.name);
    }
}

#[test]
fn distances_obey_the_triangle_inequality() {
    for seed in 0..5 {
        let x = gaussian(30, 6, 100 + seed);
        let y = &x * gaussian(6, 6, 200 + seed) + gaussian(30, 6, 300 + seed);
        let z = gaussian(30, 6, 400 + seed);
        for info in measures()
            .into_iter()
            .filter(|m| m.kind == Kind::Distance && m.symmetric)
        {
            let (xy, yz, xz) = (
                value(info.name, &x, &y),
                value(info.name, &y, &z),
                value(info.name, &x, &z),
            );
            assert!(
                xz <= xy + yz + 1e-9,
                "{}: d(x,z) = {xz} > {xy} + {yz}",
                info.name
            );
            assert!(
                value(info.name, &x, &x).abs() < 1e-6,
                "{}: d(x,x) ≠ 0",
                info.name
            );
        }
    }
}

/// Where a measure derives resampled states from full ones (bootstrap and
/// permutation tests use that), the scores equal those of states prepared
/// from the gathered rows, for every measure and for both CKA forms.
#[test]
fn resampled_states_score_as_prepared_rows() {
    use super::PrepareContext;
    use crate::linalg::gather_rows;
    use crate::measures::ParamValue;

    let draw: Vec<usize> = (0..30).map(|i| (i * 7 + 3) % 30 / 2 * 2).collect();
    let shuffle: Vec<usize> = (0..30).map(|i| (i * 11 + 5) % 30).collect();
    let mut configs: Vec<(&str, Params)> = measures()
        .into_iter()
        .map(|m| (m.name, Params::new()))
        .collect();
    for cka in ["linear_cka", "debiased_cka"] {
        for form in ["gram", "features"] {
            let mut p = Params::new();
            p.insert("form".into(), ParamValue::Text(form.into()));
            configs.push((cka, p));
        }
    }
    let mut derived = Vec::new();
    for (name, params) in &configs {
        let m = build(name, params).unwrap();
        let (x, y) = related_for(m.info(), 30, 4, 7, 21);
        let ctx = PrepareContext::ONE_PAIR;
        let rep = |x: &Mat<f64>| {
            m.prepare(
                RepRef {
                    name: "r",
                    x: x.as_ref(),
                },
                &ctx,
            )
            .unwrap()
        };
        let (px, py) = (rep(&x), rep(&y));
        for rows in [&draw, &shuffle] {
            let (Some(rx), Some(ry)) = (m.resample(&px, rows), m.resample(&py, rows)) else {
                continue;
            };
            let got = m.score(&rx.unwrap(), &ry.unwrap(), ctx.par).unwrap();
            let (gx, gy) = (gather_rows(x.as_ref(), rows), gather_rows(y.as_ref(), rows));
            let want = m.score(&rep(&gx), &rep(&gy), ctx.par).unwrap();
            assert!(
                (got - want).abs() <= 1e-10 * (1.0 + want.abs()),
                "{name} {params:?}: resampled {got} vs prepared {want}"
            );
            derived.push(*name);
        }
    }
    for name in ["linear_cka", "debiased_cka", "procrustes"] {
        assert!(derived.contains(&name), "{name} derives no resampled state");
    }
}

/// Every sheet's value for identical inputs is what the measure gives for
/// a representation against itself, and the best value it takes: no pair
/// scores above it (similarities) or below it (distances), and bounded
/// measures stay in their range.
#[test]
fn identical_values_and_ranges_hold() {
    for info in measures() {
        let best = info
            .identical
            .unwrap_or_else(|| panic!("{}: no value for identical inputs", info.name));
        for seed in 0..3 {
            let (x, y) = related_for(&info, 40, 6, 9, 50 + seed);
            let own = value(info.name, &x, &x);
            assert!(
                (own - best).abs() <= 1e-6,
                "{}: itself gives {own}, the sheet says {best}",
                info.name
            );
            let other = value(info.name, &x, &y);
            let better = match info.kind {
                Kind::Similarity => other > best + 1e-9,
                Kind::Distance => other < best - 1e-9,
            };
            assert!(
                !better,
                "{}: a pair scores {other}, beyond {best}",
                info.name
            );
            if let Some((low, high)) = info.range {
                assert!(
                    (low - 1e-9..=high + 1e-9).contains(&other),
                    "{}: {other} outside [{low}, {high}]",
                    info.name
                );
            }
        }
        assert!(!info.cost.is_empty(), "{}: no cost", info.name);
    }
}
