//! One error type for the whole core.
//!
//! Every variant carries the offending values (shapes, positions, names) so
//! its message can say *what* is wrong, *where*, and *how to fix it*. Context
//! such as the file or the layer is added by wrapping ([`Error::Context`]),
//! not by flattening the error into a string early.
//!
//! [`Error::is_input_error`] separates problems with the user's input (the
//! CLI exits with status 2, Python raises `InputError`/`FormatError`) from
//! failures inside repscope (status 1).

use std::path::{Path, PathBuf};

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in repscope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file exists but its contents are not what its format promises
    /// (truncated, corrupt, or not that format at all).
    #[error("{}: {detail}; {hint}", path.display())]
    Format {
        path: PathBuf,
        detail: String,
        hint: String,
    },

    /// The file extension (or folder contents) is not a format repscope reads.
    #[error("{}: {detail}", path.display())]
    UnsupportedFile { path: PathBuf, detail: String },

    /// An array's element type cannot be read as numbers.
    #[error(
        "array '{array}' has element type {dtype}, which repscope cannot read; \
         store it as float16, bfloat16, float32, float64 or an integer type"
    )]
    UnsupportedDtype { array: String, dtype: String },

    /// A representation must be a 2-D stimuli × units matrix.
    #[error(
        "array '{array}' has shape {shape:?} ({} dimensions) but a representation must be 2-D \
         (stimuli × units){}",
        shape.len(),
        reshape_hint(shape)
    )]
    NotTwoDimensional { array: String, shape: Vec<usize> },

    /// An array with no stimuli or no units.
    #[error(
        "array '{array}' is empty (shape {rows} × {cols}); a representation needs at least \
         one stimulus and one unit"
    )]
    Empty {
        array: String,
        rows: usize,
        cols: usize,
    },

    /// NaN or ±Inf inside a representation.
    #[error(
        "{value} at row {row}, column {col} of '{array}'; remove or impute non-finite \
         values first"
    )]
    NonFinite {
        array: String,
        row: usize,
        col: usize,
        value: f64,
    },

    /// Two representations that must describe the same stimuli do not.
    #[error(
        "'{a}' has {a_rows} stimuli but '{b}' has {b_rows}; representations compared with each \
         other must have one row per stimulus, in the same order"
    )]
    StimulusMismatch {
        a: String,
        a_rows: usize,
        b: String,
        b_rows: usize,
    },

    /// A vector that should be a condensed RDM is not one, or RDMs that are
    /// compared do not fit together.
    #[error("{detail}")]
    InvalidRdm { detail: String },

    /// An array or label list of the wrong length.
    #[error("{what} should have {expected} entries but has {found}")]
    ShapeMismatch {
        what: String,
        expected: usize,
        found: usize,
    },

    /// A fine-tuned checkpoint that does not hold exactly the tensors of its
    /// base checkpoint (task vectors subtract them name by name).
    #[error(
        "{checkpoint}: {}; a fine-tuned checkpoint must hold exactly the tensors of the base, \
         under the same names",
        tensor_set_difference(missing, extra)
    )]
    TensorsDiffer {
        checkpoint: String,
        missing: Vec<String>,
        extra: Vec<String>,
    },

    /// A tensor whose shape differs from the base checkpoint's.
    #[error(
        "tensor '{tensor}' has shape {shape:?} in {checkpoint} but {base_shape:?} in the base; \
         task vectors subtract tensors element by element, so every shape must match the base"
    )]
    TensorShapeMismatch {
        tensor: String,
        checkpoint: String,
        base_shape: Vec<usize>,
        shape: Vec<usize>,
    },

    /// A tensor that task arithmetic cannot combine: not a float type (or a
    /// float in one checkpoint and not in the other), and not equal to the
    /// base's tensor, which is all that lets it be copied unchanged.
    #[error(
        "tensor '{tensor}' {}; task arithmetic combines float16, bfloat16, float32 and float64 \
         tensors and copies every other tensor from the base, so those must be equal in every \
         checkpoint",
        if base_dtype == dtype {
            format!("({dtype}) differs between {checkpoint} and the base")
        } else {
            format!("is {dtype} in {checkpoint} but {base_dtype} in the base")
        }
    )]
    NotArithmetic {
        tensor: String,
        checkpoint: String,
        base_dtype: String,
        dtype: String,
    },

    /// NaN or ±Inf inside a tensor of a checkpoint (any rank).
    #[error(
        "{value} at index {index:?} of tensor '{tensor}' in {checkpoint}; task vectors need \
         finite weights (repair or re-export that checkpoint)"
    )]
    NonFiniteTensor {
        tensor: String,
        checkpoint: String,
        index: Vec<usize>,
        value: f64,
    },

    /// A computed value beyond the range of the element type it is stored in.
    #[error(
        "the composed value {value:e} at index {index:?} of tensor '{tensor}' does not fit \
         {dtype} (largest finite value {max:e}); use smaller coefficients"
    )]
    Overflow {
        tensor: String,
        index: Vec<usize>,
        value: f64,
        dtype: String,
        max: f64,
    },

    /// Task-vector coefficients or task names that do not fit the checkpoints.
    #[error("{detail}")]
    TaskVectorInput { detail: String },

    /// Two arrays in one RepSet share a name.
    #[error("the name '{name}' is used twice; names in a RepSet must be unique")]
    DuplicateName { name: String },

    /// A representation asked for by name that the set does not hold.
    #[error("{set} has no representation named '{name}'; it has: {}", known.join(", "))]
    UnknownRepresentation {
        set: String,
        name: String,
        known: Vec<String>,
    },

    /// A RepSet or list of representations with nothing in it.
    #[error("{what} holds no representations")]
    NoRepresentations { what: String },

    /// The measure registry has no measure of that name.
    #[error("unknown measure '{name}'; known measures: {}", known.join(", "))]
    UnknownMeasure { name: String, known: Vec<String> },

    /// A parameter that the measure does not take or whose value is invalid.
    #[error("measure '{measure}': {detail}")]
    InvalidParameter { measure: String, detail: String },

    /// The input is well formed but the measure is undefined on it.
    #[error("{measure} is undefined for '{array}': {detail}")]
    Undefined {
        measure: String,
        array: String,
        detail: String,
    },

    /// A name that is not one of the options of a choice (an RDM method,
    /// a search metric …).
    #[error("unknown {what} '{given}'; use one of: {}", known.join(", "))]
    UnknownChoice {
        what: &'static str,
        given: String,
        known: Vec<&'static str>,
    },

    /// A number outside the values an argument can take.
    #[error("{what} must be {expected}, got {value}")]
    OutOfRange {
        what: String,
        value: String,
        expected: String,
    },

    /// Too few items (stimuli, folds, conditions …) for a computation.
    #[error("{what} needs at least {needed}, got {found}")]
    TooFew {
        what: String,
        needed: usize,
        found: usize,
    },

    /// A job predicted to need more memory than the machine has left
    /// (a preflight check, before anything runs).
    #[error(
        "{what} would need about {needed} of memory at its peak, but {available} is available; {how}"
    )]
    TooLarge {
        what: String,
        needed: String,
        available: String,
        how: String,
    },

    /// The computation was stopped on request (Ctrl-C) before it finished;
    /// see [`crate::interrupt`].
    #[error("interrupted before the computation finished")]
    Interrupted,

    /// Input to an analysis (matching, graphs, maps, …) that it cannot use:
    /// `what` names the analysis or argument, `detail` says why and how to fix it.
    #[error("{what}: {detail}")]
    Invalid { what: String, detail: String },

    /// A model folder (for `extract`) is missing a file or has an unexpected layout.
    #[error("model: {detail}")]
    Model { detail: String },

    /// A failure inside repscope or a library it calls, not caused by the input.
    #[error("internal error: {detail} (please report this as a bug)")]
    Internal { detail: String },

    /// Another error, with where it happened (a file, a layer).
    #[error("{context}: {source}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

fn reshape_hint(shape: &[usize]) -> String {
    match shape {
        [n] => format!("; to use it as {n} stimuli × 1 unit, reshape it to ({n}, 1)"),
        [] => "; it holds a single number".to_string(),
        [first, rest @ ..] => {
            let units: usize = rest.iter().product();
            format!(
                "; to flatten every dimension after the first, reshape it to ({first}, {units})"
            )
        }
    }
}

/// "2 tensors of the base are missing ('a', 'b') and 1 is extra ('c')",
/// listing at most a few names of each.
fn tensor_set_difference(missing: &[String], extra: &[String]) -> String {
    const SHOWN: usize = 5;
    let list = |names: &[String]| {
        let mut shown: Vec<String> = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
        if names.len() > SHOWN {
            shown.push(format!("and {} more", names.len() - SHOWN));
        }
        shown.join(", ")
    };
    let count = |n: usize| {
        if n == 1 {
            "1 tensor".to_string()
        } else {
            format!("{n} tensors")
        }
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "is" } else { "are" };
        parts.push(format!(
            "{} of the base {verb} missing ({})",
            count(missing.len()),
            list(missing)
        ));
    }
    if !extra.is_empty() {
        let verb = if extra.len() == 1 { "is" } else { "are" };
        parts.push(format!(
            "{} {verb} not in the base ({})",
            count(extra.len()),
            list(extra)
        ));
    }
    parts.join(" and ")
}

impl Error {
    /// True when the input (files, arrays, parameters) is at fault: the user
    /// can fix it. False for failures inside repscope.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Internal { .. } | Error::Interrupted => false,
            Error::Context { source, .. } => source.is_input_error(),
            _ => true,
        }
    }

    /// True when the computation was stopped on request (Ctrl-C).
    pub fn is_interrupt(&self) -> bool {
        matches!(self.root(), Error::Interrupted)
    }

    /// The name of the variant (below any [`Error::Context`]), e.g.
    /// `"StimulusMismatch"`: what the Python exceptions are chosen by.
    pub fn kind(&self) -> &'static str {
        match self.root() {
            Error::Io { .. } => "Io",
            Error::Format { .. } => "Format",
            Error::UnsupportedFile { .. } => "UnsupportedFile",
            Error::UnsupportedDtype { .. } => "UnsupportedDtype",
            Error::NotTwoDimensional { .. } => "NotTwoDimensional",
            Error::Empty { .. } => "Empty",
            Error::NonFinite { .. } => "NonFinite",
            Error::StimulusMismatch { .. } => "StimulusMismatch",
            Error::InvalidRdm { .. } => "InvalidRdm",
            Error::ShapeMismatch { .. } => "ShapeMismatch",
            Error::TensorsDiffer { .. } => "TensorsDiffer",
            Error::TensorShapeMismatch { .. } => "TensorShapeMismatch",
            Error::NotArithmetic { .. } => "NotArithmetic",
            Error::NonFiniteTensor { .. } => "NonFiniteTensor",
            Error::Overflow { .. } => "Overflow",
            Error::TaskVectorInput { .. } => "TaskVectorInput",
            Error::DuplicateName { .. } => "DuplicateName",
            Error::UnknownRepresentation { .. } => "UnknownRepresentation",
            Error::NoRepresentations { .. } => "NoRepresentations",
            Error::UnknownMeasure { .. } => "UnknownMeasure",
            Error::InvalidParameter { .. } => "InvalidParameter",
            Error::Undefined { .. } => "Undefined",
            Error::UnknownChoice { .. } => "UnknownChoice",
            Error::OutOfRange { .. } => "OutOfRange",
            Error::TooFew { .. } => "TooFew",
            Error::TooLarge { .. } => "TooLarge",
            Error::Interrupted => "Interrupted",
            Error::Invalid { .. } => "Invalid",
            Error::Model { .. } => "Model",
            Error::Internal { .. } => "Internal",
            Error::Context { .. } => "Context",
        }
    }

    /// The values the error carries (below any [`Error::Context`]), by
    /// field name: counts and positions as numbers, names as text. Python
    /// exceptions expose them as attributes (`e.a_rows`, `e.b_rows` …).
    pub fn fields(&self) -> Vec<(&'static str, Field)> {
        use Field::{Count, Counts, Number, Text, Texts};
        let text = |s: &str| Text(s.to_string());
        let path = |p: &Path| Text(p.display().to_string());
        match self.root() {
            Error::Io { path: p, .. } | Error::UnsupportedFile { path: p, .. } => {
                vec![("path", path(p))]
            }
            Error::Format {
                path: p, detail, ..
            } => {
                vec![("path", path(p)), ("detail", text(detail))]
            }
            Error::UnsupportedDtype { array, dtype } => {
                vec![("array", text(array)), ("dtype", text(dtype))]
            }
            Error::NotTwoDimensional { array, shape } => {
                vec![("array", text(array)), ("shape", Counts(shape.clone()))]
            }
            Error::Empty { array, rows, cols } => vec![
                ("array", text(array)),
                ("rows", Count(*rows)),
                ("cols", Count(*cols)),
            ],
            Error::NonFinite {
                array,
                row,
                col,
                value,
            } => vec![
                ("array", text(array)),
                ("row", Count(*row)),
                ("col", Count(*col)),
                ("value", Number(*value)),
            ],
            Error::StimulusMismatch {
                a,
                a_rows,
                b,
                b_rows,
            } => vec![
                ("a", text(a)),
                ("a_rows", Count(*a_rows)),
                ("b", text(b)),
                ("b_rows", Count(*b_rows)),
            ],
            Error::ShapeMismatch {
                what,
                expected,
                found,
            } => vec![
                ("what", text(what)),
                ("expected", Count(*expected)),
                ("found", Count(*found)),
            ],
            Error::TensorsDiffer {
                checkpoint,
                missing,
                extra,
            } => vec![
                ("checkpoint", text(checkpoint)),
                ("missing", Texts(missing.clone())),
                ("extra", Texts(extra.clone())),
            ],
            Error::TensorShapeMismatch {
                tensor,
                checkpoint,
                base_shape,
                shape,
            } => vec![
                ("tensor", text(tensor)),
                ("checkpoint", text(checkpoint)),
                ("base_shape", Counts(base_shape.clone())),
                ("shape", Counts(shape.clone())),
            ],
            Error::NonFiniteTensor {
                tensor,
                checkpoint,
                index,
                value,
            } => vec![
                ("tensor", text(tensor)),
                ("checkpoint", text(checkpoint)),
                ("index", Counts(index.clone())),
                ("value", Number(*value)),
            ],
            Error::DuplicateName { name } => vec![("name", text(name))],
            Error::UnknownRepresentation { set, name, known } => vec![
                ("set", text(set)),
                ("name", text(name)),
                ("known", Texts(known.clone())),
            ],
            Error::UnknownMeasure { name, known } => {
                vec![("name", text(name)), ("known", Texts(known.clone()))]
            }
            Error::InvalidParameter { measure, .. } => vec![("measure", text(measure))],
            Error::TooLarge {
                what,
                needed,
                available,
                ..
            } => vec![
                ("what", text(what)),
                ("needed", text(needed)),
                ("available", text(available)),
            ],
            Error::Undefined { measure, array, .. } => {
                vec![("measure", text(measure)), ("array", text(array))]
            }
            Error::UnknownChoice { what, given, known } => vec![
                ("what", text(what)),
                ("given", text(given)),
                (
                    "known",
                    Texts(known.iter().map(|k| k.to_string()).collect()),
                ),
            ],
            Error::OutOfRange {
                what,
                value,
                expected,
            } => vec![
                ("what", text(what)),
                ("value", text(value)),
                ("expected", text(expected)),
            ],
            Error::TooFew {
                what,
                needed,
                found,
            } => vec![
                ("what", text(what)),
                ("needed", Count(*needed)),
                ("found", Count(*found)),
            ],
            Error::Invalid { what, .. } => vec![("what", text(what))],
            _ => Vec::new(),
        }
    }

    /// True when the problem is with a file (missing, unreadable, corrupt),
    /// which Python reports as `FormatError(OSError)`.
    pub fn is_file_error(&self) -> bool {
        match self {
            Error::Io { .. } | Error::Format { .. } | Error::UnsupportedFile { .. } => true,
            Error::Context { source, .. } => source.is_file_error(),
            _ => false,
        }
    }

    /// The innermost error, below any [`Error::Context`] wrappers.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            other => other,
        }
    }

    /// Wraps `self` with a note on where it happened.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn format(path: &Path, detail: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Format {
            path: path.to_path_buf(),
            detail: detail.into(),
            hint: hint.into(),
        }
    }

    pub fn internal(detail: impl Into<String>) -> Error {
        Error::Internal {
            detail: detail.into(),
        }
    }
}

/// One value an error carries (see [`Error::fields`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Field {
    Text(String),
    Texts(Vec<String>),
    Count(usize),
    Counts(Vec<usize>),
    Number(f64),
}

/// Adds context to the error of a `Result`.
pub trait ResultExt<T> {
    /// Wraps an error with where it happened; the closure runs only on error.
    fn with_context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn with_context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.context(context()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_where_and_how() {
        let e = Error::NonFinite {
            array: "layer3".into(),
            row: 4,
            col: 9,
            value: f64::NAN,
        };
        assert_eq!(
            e.to_string(),
            "NaN at row 4, column 9 of 'layer3'; remove or impute non-finite values first"
        );
        let e = Error::NotTwoDimensional {
            array: "x".into(),
            shape: vec![10],
        };
        assert!(e.to_string().contains("reshape it to (10, 1)"), "{e}");
        let e = Error::NotTwoDimensional {
            array: "x".into(),
            shape: vec![10, 3, 4],
        };
        assert!(e.to_string().contains("reshape it to (10, 12)"), "{e}");
    }

    #[test]
    fn checkpoint_differences_list_a_few_names_and_the_count() {
        let names = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        let e = Error::TensorsDiffer {
            checkpoint: "ft.safetensors".into(),
            missing: names(7),
            extra: names(1),
        };
        assert_eq!(
            e.to_string(),
            "ft.safetensors: 7 tensors of the base are missing ('t0', 't1', 't2', 't3', 't4', \
             and 2 more) and 1 tensor is not in the base ('t0'); a fine-tuned checkpoint must \
             hold exactly the tensors of the base, under the same names"
        );
    }

    #[test]
    fn context_keeps_the_classification() {
        let e = Error::internal("boom").context("layer1");
        assert!(!e.is_input_error());
        assert!(matches!(e.root(), Error::Internal { .. }));
        let e = Error::format(Path::new("a.npy"), "truncated", "re-save it").context("loading");
        assert!(e.is_input_error());
        assert!(e.is_file_error());
        assert_eq!(e.to_string(), "loading: a.npy: truncated; re-save it");
    }
}
