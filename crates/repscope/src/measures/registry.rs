//! The one list of measures, looked up by name.
//!
//! The CLI (`--measure`), Python (`measure=`) and the pairwise engine all go
//! through [`build`]; [`measures`] lists what exists, for `rs.measures()` and
//! `repscope similarity --help`.

use std::collections::BTreeMap;

use super::cka::{DEBIASED_CKA_INFO, DebiasedCka, LINEAR_CKA_INFO, LinearCka};
use super::rsa::{RSA_INFO, Rsa};
use super::{AnyMeasure, MeasureInfo};
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

struct Entry {
    info: &'static MeasureInfo,
    /// Names of the parameters the measure takes.
    params: &'static [&'static str],
    build: fn(&Params) -> Result<Box<dyn AnyMeasure>>,
}

const ENTRIES: &[Entry] = &[
    Entry {
        info: &LINEAR_CKA_INFO,
        params: &["form"],
        build: |p| Ok(Box::new(LinearCka::from_params(p)?)),
    },
    Entry {
        info: &DEBIASED_CKA_INFO,
        params: &["form"],
        build: |p| Ok(Box::new(DebiasedCka::from_params(p)?)),
    },
    Entry {
        info: &RSA_INFO,
        params: &["rdm_method", "compare_method"],
        build: |p| Ok(Box::new(Rsa::from_params(p)?)),
    },
];

/// Every measure the registry knows, in a stable order.
pub fn measures() -> Vec<MeasureInfo> {
    ENTRIES.iter().map(|e| e.info.clone()).collect()
}

/// The measure called `name`, configured with `params`.
pub fn build(name: &str, params: &Params) -> Result<Box<dyn AnyMeasure>> {
    let entry = ENTRIES
        .iter()
        .find(|e| e.info.name == name)
        .ok_or_else(|| Error::UnknownMeasure {
            name: name.to_string(),
            known: ENTRIES.iter().map(|e| e.info.name.to_string()).collect(),
        })?;
    if let Some(unknown) = params.keys().find(|k| !entry.params.contains(&k.as_str())) {
        let takes = if entry.params.is_empty() {
            "it takes no parameters".to_string()
        } else {
            format!("it takes {}", entry.params.join(", "))
        };
        return Err(Error::InvalidParameter {
            measure: name.to_string(),
            detail: format!("unknown parameter '{unknown}'; {takes}"),
        });
    }
    (entry.build)(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_name_and_helpful_errors() {
        assert_eq!(
            build("linear_cka", &Params::new()).unwrap().info().name,
            "linear_cka"
        );
        let e = build("cka", &Params::new()).err().unwrap();
        assert!(
            e.to_string()
                .contains("known measures: linear_cka, debiased_cka"),
            "{e}"
        );
        let mut p = Params::new();
        p.insert("sigma".into(), ParamValue::Number(1.0));
        let e = build("linear_cka", &p).err().unwrap();
        assert!(
            e.to_string()
                .contains("unknown parameter 'sigma'; it takes form"),
            "{e}"
        );
        let names: Vec<_> = measures().iter().map(|m| m.name).collect();
        assert_eq!(names, ["linear_cka", "debiased_cka", "rsa"]);
    }
}
