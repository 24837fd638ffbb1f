//! Measure parameters as they arrive from the CLI (`--param k=10`) and
//! Python (`k=10`): named numbers, texts and flags, read by each measure's
//! `from_params` with the helpers here.

use std::collections::BTreeMap;

use crate::choice::Choice;
use crate::error::{Error, Result};

/// A parameter value as given on the command line or from Python.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParamValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

/// Named parameters for a measure (`sigma=0.5`, `k=10` …).
pub type Params = BTreeMap<String, ParamValue>;

/// A number parameter: `default` when absent, the value when `valid`
/// accepts it, otherwise an error saying the parameter must be `expected`.
pub(crate) fn number_param(
    params: &Params,
    measure: &str,
    key: &str,
    default: f64,
    valid: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<f64> {
    match params.get(key) {
        None => Ok(default),
        Some(ParamValue::Number(v)) if valid(*v) => Ok(*v),
        Some(other) => Err(Error::InvalidParameter {
            measure: measure.into(),
            detail: format!("{key} must be {expected}, not {other:?}"),
        }),
    }
}

/// A text parameter naming an option of `T`: `default` when absent,
/// otherwise the named option or an error listing the names.
pub(crate) fn choice_param<T: Choice>(
    params: &Params,
    measure: &str,
    key: &str,
    default: T,
) -> Result<T> {
    let Some(given) = params.get(key) else {
        return Ok(default);
    };
    if let ParamValue::Text(t) = given
        && let Ok(value) = T::from_name(t)
    {
        return Ok(value);
    }
    let names: Vec<String> = T::names().iter().map(|name| format!("'{name}'")).collect();
    let listed = match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(Error::InvalidParameter {
        measure: measure.into(),
        detail: format!("{key} must be {listed}, not {given:?}"),
    })
}

/// The largest whole number an f64 parameter holds exactly (2⁵³).
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A whole-number parameter of at least `min`: `default` when absent.
pub(crate) fn count_param(
    params: &Params,
    measure: &str,
    key: &str,
    default: usize,
    min: usize,
) -> Result<usize> {
    let v = number_param(
        params,
        measure,
        key,
        default as f64,
        |v| v.fract() == 0.0 && v >= min as f64 && v <= MAX_EXACT_INTEGER,
        &format!("a whole number ≥ {min}"),
    )?;
    Ok(v as usize)
}

/// Fails when `params` names a parameter outside `known` (what `measure`,
/// an analysis or a method, takes).
pub(crate) fn check_known(params: &Params, measure: &str, known: &[&str]) -> Result<()> {
    if let Some(unknown) = params.keys().find(|k| !known.contains(&k.as_str())) {
        let takes = if known.is_empty() {
            "it takes no parameters".to_string()
        } else {
            format!("it takes {}", known.join(", "))
        };
        return Err(Error::InvalidParameter {
            measure: measure.into(),
            detail: format!("unknown parameter '{unknown}'; {takes}"),
        });
    }
    Ok(())
}
