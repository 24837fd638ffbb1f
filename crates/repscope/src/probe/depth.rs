//! Concept depth (Jin et al., 2024, *Exploring Concept Depth: How Large
//! Language Models Acquire Knowledge at Different Layers?*): where along
//! the layers a probe's accuracy curve rises.
//!
//! From the per-layer accuracies a₀ … a_{L−1} (in layer order):
//!
//! - the **threshold layer** is the first layer whose accuracy reaches
//!   `fraction` × max(a) (default fraction 0.9): the depth at which the
//!   concept has become (nearly) as decodable as it will get;
//! - the **jump layer** is the layer i ≥ 1 with the largest increase
//!   aᵢ − aᵢ₋₁ over the previous layer (the first such layer on ties;
//!   none with fewer than 2 layers or when accuracy never increases).

use crate::error::{Error, Result};

/// The default fraction of the best accuracy for the threshold layer.
pub const DEFAULT_FRACTION: f64 = 0.9;

/// Where a concept becomes decodable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConceptDepth {
    /// Index of the best layer (the first of equals) and its accuracy.
    pub best_layer: usize,
    pub best_accuracy: f64,
    /// First layer reaching `fraction` × the best accuracy.
    pub threshold_layer: usize,
    /// Layer with the largest rise over its predecessor, and that rise.
    pub jump_layer: Option<usize>,
    pub jump: Option<f64>,
    /// The fraction of the best accuracy that defines the threshold layer.
    pub fraction: f64,
}

/// The concept depth of an accuracy curve (see the module notes).
pub fn concept_depth(accuracy: &[f64], fraction: f64) -> Result<ConceptDepth> {
    let invalid = |detail: String| Error::Invalid {
        what: "concept depth".into(),
        detail,
    };
    if accuracy.is_empty() {
        return Err(invalid("the accuracy curve has no layers".into()));
    }
    if let Some(i) = accuracy.iter().position(|a| !a.is_finite()) {
        return Err(invalid(format!(
            "the accuracy of layer {i} is {}",
            accuracy[i]
        )));
    }
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(invalid(format!(
            "fraction must be in (0, 1] (got {fraction})"
        )));
    }
    let mut best_layer = 0;
    for (i, &a) in accuracy.iter().enumerate() {
        if a > accuracy[best_layer] {
            best_layer = i;
        }
    }
    let best_accuracy = accuracy[best_layer];
    let threshold_layer = accuracy
        .iter()
        .position(|&a| a >= fraction * best_accuracy)
        .unwrap_or(best_layer);
    let mut jump: Option<(usize, f64)> = None;
    for i in 1..accuracy.len() {
        let rise = accuracy[i] - accuracy[i - 1];
        if rise > 0.0 && jump.is_none_or(|(_, r)| rise > r) {
            jump = Some((i, rise));
        }
    }
    Ok(ConceptDepth {
        best_layer,
        best_accuracy,
        threshold_layer,
        jump_layer: jump.map(|j| j.0),
        jump: jump.map(|j| j.1),
        fraction,
    })
}

/// The concept depth of the task accuracies of probed layers, in order.
pub fn depth_of_probe(layers: &[super::LayerProbe], fraction: f64) -> Result<ConceptDepth> {
    let accuracy: Vec<f64> = layers.iter().map(|l| l.task.accuracy).collect();
    concept_depth(&accuracy, fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_and_jump_follow_their_definitions() {
        let d = concept_depth(&[0.3, 0.35, 0.7, 0.85, 0.9, 0.88], 0.9).unwrap();
        assert_eq!(d.best_layer, 4);
        assert_eq!(d.best_accuracy, 0.9);
        assert_eq!(d.threshold_layer, 3); // 0.85 ≥ 0.81
        assert_eq!(d.jump_layer, Some(2));
        assert!((d.jump.unwrap() - 0.35).abs() < 1e-12);
        let flat = concept_depth(&[0.5, 0.5, 0.4], 0.9).unwrap();
        assert_eq!(
            (flat.best_layer, flat.threshold_layer, flat.jump_layer),
            (0, 0, None)
        );
        assert_eq!(concept_depth(&[0.7], 0.9).unwrap().jump_layer, None);
        assert!(concept_depth(&[], 0.9).is_err());
        assert!(concept_depth(&[0.5, f64::NAN], 0.9).is_err());
        assert!(concept_depth(&[0.5], 1.5).is_err());
    }
}
