//! BIDS derivatives: beta series found by their BIDS entities, with the
//! conditions and runs of their `events.tsv`, ready for an RDM or a
//! searchlight.
//!
//! A *beta series* is one 4-D NIfTI per run whose volumes are the
//! estimates of that run's events, in the order of the run's
//! `events.tsv` (the layout of least-squares-all/-separate beta series):
//! `sub-<s>[_ses-<x>]_task-<t>[_run-<r>][_space-<sp>][_desc-<d>]_<suffix>.nii[.gz]`
//! under `sub-<s>/[ses-<x>/]func/`, `suffix` `beta` by default. The
//! events file of a run has the same subject, session, task and run
//! entities and the suffix `events` (`.tsv`); it is looked for beside the
//! betas, then in the raw dataset when one is given. Volume `i` of a run
//! is labelled by row `i` of its condition column (`trial_type`).
//!
//! The runs are concatenated in natural order of their run labels: the
//! result is one 4-D volume with a condition and a run (fold) per volume.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::data::nifti::{Volume, read_nifti};
use crate::error::{Error, Result};

/// What to find.
#[derive(Clone, Debug)]
pub struct BidsQuery {
    /// The derivatives folder (it holds `sub-<s>/`).
    pub root: PathBuf,
    /// The subject label, without `sub-`.
    pub subject: String,
    /// The task label, without `task-`.
    pub task: String,
    /// The `space` entity the betas must have, if any.
    pub space: Option<String>,
    /// The `desc` entity the betas must have, if any.
    pub desc: Option<String>,
    /// The `ses` entity, if any.
    pub session: Option<String>,
    /// The file suffix of the betas (`beta`).
    pub suffix: String,
    /// The raw BIDS dataset, searched for `events.tsv` when the
    /// derivatives do not have them.
    pub raw: Option<PathBuf>,
    /// The `events.tsv` column naming each event's condition.
    pub condition_column: String,
}

impl BidsQuery {
    /// A query with the defaults: suffix `beta`, column `trial_type`.
    pub fn new(root: impl Into<PathBuf>, subject: &str, task: &str) -> Self {
        Self {
            root: root.into(),
            subject: subject.trim_start_matches("sub-").into(),
            task: task.trim_start_matches("task-").into(),
            space: None,
            desc: None,
            session: None,
            suffix: "beta".into(),
            raw: None,
            condition_column: "trial_type".into(),
        }
    }
}

/// The beta series of every run, concatenated.
#[derive(Clone, Debug)]
pub struct BidsBetas {
    /// x × y × z × (all events of all runs).
    pub volume: Volume,
    /// The condition of each volume.
    pub conditions: Vec<String>,
    /// The run of each volume (its fold).
    pub runs: Vec<String>,
    /// The beta files read, one per run, in order.
    pub files: Vec<PathBuf>,
    /// The events file of each run.
    pub events: Vec<PathBuf>,
}

/// A BIDS file name split into its entities, suffix and extension.
#[derive(Clone, Debug, PartialEq)]
pub struct BidsName {
    pub entities: Vec<(String, String)>,
    pub suffix: String,
    pub extension: String,
}

impl BidsName {
    /// The value of an entity (`sub`, `task`, `run` …).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entities
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `key-value_key-value_suffix.ext`; `None` when the name does not
/// follow that pattern.
pub fn parse_name(file_name: &str) -> Option<BidsName> {
    let dot = file_name.find('.')?;
    let (stem, extension) = file_name.split_at(dot);
    let mut parts: Vec<&str> = stem.split('_').collect();
    let suffix = parts.pop()?;
    if suffix.is_empty() || suffix.contains('-') || parts.is_empty() {
        return None;
    }
    let mut entities = Vec::new();
    for p in parts {
        let (k, v) = p.split_once('-')?;
        if k.is_empty() || v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        entities.push((k.to_string(), v.to_string()));
    }
    Some(BidsName {
        entities,
        suffix: suffix.to_string(),
        extension: extension.to_string(),
    })
}

/// The files of a folder and its subfolders (depth-first, sorted).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn wrong_name(path: &Path, why: &str) -> Error {
    Error::format(
        path,
        format!("the file name does not follow BIDS ({why})"),
        "name it sub-<label>[_ses-<label>]_task-<label>[_run-<index>][_space-<label>]\
         [_desc-<label>]_<suffix>.nii.gz",
    )
}

/// The beta files of the query, by run label.
fn find_betas(q: &BidsQuery) -> Result<BTreeMap<String, (PathBuf, BidsName)>> {
    let subject_dir = q.root.join(format!("sub-{}", q.subject));
    if !subject_dir.is_dir() {
        return Err(Error::UnsupportedFile {
            path: subject_dir,
            detail: format!(
                "no folder for subject '{}' in the derivatives folder",
                q.subject
            ),
        });
    }
    let mut files = Vec::new();
    files_under(&subject_dir, &mut files)?;
    let prefix = format!("sub-{}_", q.subject);
    let mut runs: BTreeMap<String, (PathBuf, BidsName)> = BTreeMap::new();
    let mut near_misses = Vec::new();
    for f in files {
        let name = file_name(&f);
        let is_nifti = name.ends_with(".nii") || name.ends_with(".nii.gz");
        if !is_nifti || !name.starts_with(&prefix) {
            continue;
        }
        let looks_relevant = name.contains(&format!("_task-{}_", q.task))
            && name.contains(&format!("_{}.nii", q.suffix));
        let Some(parsed) = parse_name(&name) else {
            if looks_relevant {
                return Err(wrong_name(
                    &f,
                    "every part before the suffix must be key-value",
                ));
            }
            continue;
        };
        let wanted = |key: &str, value: &Option<String>| {
            value.as_deref().is_none_or(|v| parsed.get(key) == Some(v))
        };
        if parsed.get("task") != Some(q.task.as_str())
            || parsed.suffix != q.suffix
            || !wanted("space", &q.space)
            || !wanted("desc", &q.desc)
            || !wanted("ses", &q.session)
        {
            if parsed.get("task") == Some(q.task.as_str()) && parsed.suffix == q.suffix {
                near_misses.push(name);
            }
            continue;
        }
        let run = format!(
            "{}{}",
            parsed
                .get("ses")
                .map(|s| format!("ses-{s}_"))
                .unwrap_or_default(),
            parsed.get("run").unwrap_or("1")
        );
        if let Some((other, _)) = runs.get(&run) {
            return Err(Error::Invalid {
                what: "BIDS betas".into(),
                detail: format!(
                    "two files for run {run}: {} and {}; choose with --space, --desc or --session",
                    other.display(),
                    f.display()
                ),
            });
        }
        runs.insert(run, (f, parsed));
    }
    if runs.is_empty() {
        return Err(Error::UnsupportedFile {
            path: subject_dir,
            detail: format!(
                "no *_task-{}_*_{}.nii[.gz] file{}{}",
                q.task,
                q.suffix,
                [("space", &q.space), ("desc", &q.desc), ("ses", &q.session)]
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!(" with {k}-{v}")))
                    .collect::<String>(),
                if near_misses.is_empty() {
                    String::new()
                } else {
                    format!(" (other files of the task: {})", near_misses.join(", "))
                }
            ),
        });
    }
    Ok(runs)
}

/// The events file of a beta file: same subject, session, task and run.
fn find_events(q: &BidsQuery, betas: &Path, name: &BidsName) -> Result<PathBuf> {
    let mut wanted = format!("sub-{}", q.subject);
    for key in ["ses", "task", "acq", "run"] {
        if let Some(v) = name.get(key) {
            wanted.push_str(&format!("_{key}-{v}"));
        }
    }
    wanted.push_str("_events.tsv");
    let mut places = vec![betas.parent().unwrap_or(Path::new(".")).to_path_buf()];
    if let Some(raw) = &q.raw {
        let mut dir = raw.join(format!("sub-{}", q.subject));
        if let Some(s) = name.get("ses") {
            dir = dir.join(format!("ses-{s}"));
        }
        places.push(dir.join("func"));
        places.push(raw.to_path_buf());
    }
    for dir in &places {
        let candidate = dir.join(&wanted);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(Error::UnsupportedFile {
        path: betas.to_path_buf(),
        detail: format!(
            "no {wanted} beside it{}; each run's betas need its events",
            if q.raw.is_some() {
                " or in the raw dataset"
            } else {
                " (give the raw dataset to look there too)"
            }
        ),
    })
}

/// The condition column of an events file.
fn read_conditions(path: &Path, column: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let Some(at) = header.iter().position(|h| h.trim() == column) else {
        return Err(Error::format(
            path,
            format!("no '{column}' column (columns: {})", header.join(", ")),
            "name the condition column, or add it",
        ));
    };
    lines
        .enumerate()
        .map(|(i, line)| {
            line.split('\t')
                .nth(at)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && v != "n/a")
                .ok_or_else(|| {
                    Error::format(
                        path,
                        format!("row {} has no '{column}' value", i + 2),
                        "give every event a condition",
                    )
                })
        })
        .collect()
}

/// Finds and reads the beta series of every run (see the module doc).
pub fn load_betas(q: &BidsQuery) -> Result<BidsBetas> {
    let mut runs: Vec<(String, (PathBuf, BidsName))> = find_betas(q)?.into_iter().collect();
    runs.sort_by(|a, b| natord::compare(&a.0, &b.0));
    let mut out = BidsBetas {
        volume: Volume {
            shape: Vec::new(),
            affine: [[0.0; 4]; 4],
            data: Vec::new(),
        },
        conditions: Vec::new(),
        runs: Vec::new(),
        files: Vec::new(),
        events: Vec::new(),
    };
    let mut spatial: Option<[usize; 3]> = None;
    for (run, (file, name)) in runs {
        let events = find_events(q, &file, &name)?;
        let conditions = read_conditions(&events, &q.condition_column)?;
        let v = read_nifti(&file)?;
        if v.n_volumes() != conditions.len() {
            return Err(Error::Invalid {
                what: format!("{}", file.display()),
                detail: format!(
                    "{} volumes but {} events in {}; a beta series has one volume per event",
                    v.n_volumes(),
                    conditions.len(),
                    events.display()
                ),
            });
        }
        match spatial {
            None => {
                spatial = Some(v.spatial_shape());
                out.volume.affine = v.affine;
            }
            Some(s) if s != v.spatial_shape() => {
                return Err(Error::Invalid {
                    what: format!("{}", file.display()),
                    detail: format!(
                        "volumes of {:?} voxels, but the first run's are {s:?}; resample the \
                         runs to one space",
                        v.spatial_shape()
                    ),
                });
            }
            Some(_) => {}
        }
        out.runs
            .extend(std::iter::repeat_n(run.clone(), conditions.len()));
        out.conditions.extend(conditions);
        out.volume.data.extend(v.data);
        out.files.push(file);
        out.events.push(events);
    }
    let [x, y, z] = spatial.unwrap_or([0, 0, 0]);
    out.volume.shape = vec![x, y, z, out.conditions.len()];
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::nifti::write_nifti;

    #[test]
    fn names_parse_into_entities() {
        let n = parse_name("sub-01_task-faces_run-2_space-MNI_desc-lss_beta.nii.gz").unwrap();
        assert_eq!(n.get("run"), Some("2"));
        assert_eq!(n.suffix, "beta");
        assert_eq!(n.extension, ".nii.gz");
        assert!(parse_name("sub01_task-x_beta.nii").is_none());
    }

    #[test]
    fn runs_concatenate_with_their_events() {
        let dir = tempfile::tempdir().unwrap();
        let func = dir.path().join("sub-01").join("func");
        std::fs::create_dir_all(&func).unwrap();
        for run in 1..=2 {
            let v = Volume {
                shape: vec![2, 2, 1, 3],
                affine: [
                    [2.0, 0.0, 0.0, 0.0],
                    [0.0, 2.0, 0.0, 0.0],
                    [0.0, 0.0, 2.0, 0.0],
                    [0.0, 0.0, 0.0, 1.0],
                ],
                data: (0..12).map(|i| (run * 100 + i) as f64).collect(),
            };
            write_nifti(
                &func.join(format!("sub-01_task-x_run-{run}_space-T1w_beta.nii.gz")),
                &v,
            )
            .unwrap();
            std::fs::write(
                func.join(format!("sub-01_task-x_run-{run}_events.tsv")),
                "onset\tduration\ttrial_type\n0\t1\tb\n2\t1\ta\n4\t1\tc\n",
            )
            .unwrap();
        }
        let got = load_betas(&BidsQuery::new(dir.path(), "01", "x")).unwrap();
        assert_eq!(got.volume.shape, [2, 2, 1, 6]);
        assert_eq!(got.conditions, ["b", "a", "c", "b", "a", "c"]);
        assert_eq!(got.runs, ["1", "1", "1", "2", "2", "2"]);
        assert_eq!(got.volume.data[12], 200.0);
        let mut q = BidsQuery::new(dir.path(), "01", "x");
        q.space = Some("MNI".into());
        let e = load_betas(&q).unwrap_err().to_string();
        assert!(e.contains("space-MNI") && e.contains("space-T1w"), "{e}");
        std::fs::write(func.join("sub-01_task-x_run-3_space-T1w_beta.nii.gz"), b"").unwrap();
        let e = load_betas(&BidsQuery::new(dir.path(), "01", "x")).unwrap_err();
        assert!(e.to_string().contains("run-3"), "{e}");
    }
}
