//! Charts of the core's results that more than one front door draws (the
//! CLI, the Python classes' `plot`, `_repr_html_` and `rs.report`), so each
//! is drawn one way.

use crate::chart::{BarChart, Chart, Curve, CurveChart, ReferenceLine};
use repscope::probe::depth::ConceptDepth;
use repscope::rsa::inference::EvaluationSummary;

/// A probe's accuracy per layer, for [`probe_depth`].
pub struct DepthCurve<'a> {
    pub layers: &'a [String],
    /// Accuracy of each fold, layers × folds.
    pub fold_accuracy: &'a [Vec<f64>],
    /// The mean over folds per layer.
    pub accuracy: &'a [f64],
    /// The control task's accuracy per layer, when probed.
    pub control: Option<&'a [f64]>,
    /// Accuracy of always answering the most frequent class.
    pub chance: f64,
    pub n_classes: usize,
    pub n_stimuli: usize,
}

/// The concept-depth curve: accuracy per layer (named on the axis) with
/// its spread over the folds (lowest to highest fold), the control task's
/// accuracy when probed, and the majority-class rate as chance.
pub fn probe_depth(c: &DepthCurve<'_>, depth: &ConceptDepth) -> Chart {
    let spread = |f: fn(f64, f64) -> f64, start: f64| -> Vec<f64> {
        c.fold_accuracy
            .iter()
            .map(|folds| folds.iter().copied().fold(start, f))
            .collect()
    };
    let mut series = vec![Curve {
        name: "probe accuracy (band: fold range)".into(),
        y: c.accuracy.to_vec(),
        low: Some(spread(f64::min, f64::INFINITY)),
        high: Some(spread(f64::max, f64::NEG_INFINITY)),
    }];
    if let Some(control) = c.control {
        series.push(Curve {
            name: "control accuracy (permuted labels)".into(),
            y: control.to_vec(),
            low: None,
            high: None,
        });
    }
    let name = |i: usize| c.layers.get(i).cloned().unwrap_or_default();
    let folds = c.fold_accuracy.first().map_or(0, Vec::len);
    Chart::Curves(CurveChart {
        title: format!(
            "concept depth: {:.0}% of best first at {}, largest rise at {}",
            100.0 * depth.fraction,
            name(depth.threshold_layer),
            depth.jump_layer.map_or_else(|| "none".to_string(), name)
        ),
        subtitle: format!(
            "{folds}-fold logistic-regression probe, {} classes, {} stimuli",
            c.n_classes, c.n_stimuli
        ),
        x_label: "layer".into(),
        y_label: "cross-validated accuracy".into(),
        x: (0..c.layers.len()).map(|i| i as f64).collect(),
        x_names: Some(c.layers.to_vec()),
        log_x: false,
        series,
        reference: Some(ReferenceLine {
            y: c.chance,
            label: "chance (majority class)".into(),
        }),
    })
}

/// Model evaluations as bars with their confidence intervals, the noise
/// ceiling as a band, and stars for the one-sided test against zero
/// (* p < 0.05, ** p < 0.01, *** p < 0.001).
pub fn model_evaluation(
    names: &[String],
    s: &EvaluationSummary,
    method: &str,
    n_samples: usize,
) -> Chart {
    let marks = s
        .p_zero
        .iter()
        .map(|&p| {
            match p {
                p if p < 0.001 => "***",
                p if p < 0.01 => "**",
                p if p < 0.05 => "*",
                _ => "",
            }
            .to_string()
        })
        .collect();
    Chart::Bars(BarChart {
        title: format!("model evaluation ({method})"),
        subtitle: format!(
            "mean over {n_samples} bootstrap samples, bars: percentile CI; * p < .05, ** p < .01, *** p < .001 (vs 0)"
        ),
        names: names.to_vec(),
        values: s.mean.clone(),
        low: s.ci_low.clone(),
        high: s.ci_high.clone(),
        noise_ceiling: Some(s.noise_ceiling),
        marks,
        value_label: method.into(),
        interval: "CI".into(),
    })
}

/// The share of the most frequent class among `codes` (the accuracy of
/// always answering it).
pub fn majority_rate(codes: &[usize]) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for &c in codes {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    counts.values().copied().max().unwrap_or(0) as f64 / codes.len().max(1) as f64
}
