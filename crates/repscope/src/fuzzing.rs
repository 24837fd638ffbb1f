//! Entry points for fuzzing: one per reader or parser of a file format
//! repscope reads. Each takes arbitrary bytes, runs the parser on them as
//! if they were a file's content, and drops the result: an error is a
//! correct answer, a panic, a hang or an allocation past the fuzzer's cap
//! is a bug. The cargo-fuzz targets in `fuzz/` and the seeded smoke test
//! (`tests/fuzz_smoke.rs`) call these; `FUZZING.md` says how to run them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::data;

/// A fuzz target: arbitrary bytes in, nothing out.
pub type Target = fn(&[u8]);

/// Every target, by name (the name of its cargo-fuzz target and corpus
/// folder).
pub const TARGETS: &[(&str, Target)] = &[
    ("npy", npy),
    ("npz", npz),
    ("safetensors", safetensors),
    ("nifti", nifti),
    ("gifti", gifti),
    ("cifti_xml", cifti_xml),
    ("mat_v5", mat_v5),
    ("hdf5", hdf5),
    ("labels", labels),
    ("edges", edges),
    ("coefficients", coefficients),
];

fn path(extension: &str) -> PathBuf {
    PathBuf::from(format!("/nonexistent/fuzz-input.{extension}"))
}

/// A `.npy` file, then its matrix.
pub fn npy(bytes: &[u8]) {
    if let Ok(data::npy::NpyArray::Numeric(a)) = data::npy::decode_npy(bytes, &path("npy"), "x") {
        let _ = data::npy::to_matrix(a, "x");
    }
}

/// An `.npz` archive: every entry inflated and decoded.
pub fn npz(bytes: &[u8]) {
    let _ = data::npy::decode_npz_bytes(bytes, &path("npz"));
}

/// A `.safetensors` file as a set of representations.
pub fn safetensors(bytes: &[u8]) {
    let _ = data::safetensors_io::read_safetensors_bytes(bytes, &path("safetensors"));
}

/// A NIfTI-1 or -2 file, gzipped or not, with its extensions.
pub fn nifti(bytes: &[u8]) {
    let _ = data::nifti::decode_nifti_bytes(bytes.to_vec(), &path("nii"));
}

/// A GIfTI file (external data files cannot be found: that is an error).
pub fn gifti(bytes: &[u8]) {
    let _ = data::gifti::parse_gifti(bytes, &path("gii"));
}

/// The XML of a CIFTI-2 extension.
pub fn cifti_xml(bytes: &[u8]) {
    let _ = data::cifti_xml::parse_cifti_xml(bytes, &path("dtseries.nii"));
}

/// A Level-5 MAT-file.
pub fn mat_v5(bytes: &[u8]) {
    let _ = data::mat_v5::read_mat_v5(bytes, &path("mat"));
}

/// An HDF5 file (also MAT v7.3 and rsatoolbox's files), through a file in
/// the temporary folder: the HDF5 reader opens paths.
pub fn hdf5(bytes: &[u8]) {
    thread_local! {
        static FILE: PathBuf = std::env::temp_dir()
            .join(format!("repscope-fuzz-{}-{:?}.h5", std::process::id(), std::thread::current().id()));
    }
    FILE.with(|file| {
        let written = std::fs::File::create(file).and_then(|mut f| f.write_all(bytes));
        if written.is_ok() {
            let _ = data::hdf5::load_hdf5(file, None);
        }
    });
}

/// A label file (one per line, or the first column of a TSV).
pub fn labels(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = data::labels::labels_in(&text, false);
    let _ = data::labels::labels_in(&text, true);
}

/// An edge file for 12 stimuli, by index and by label.
pub fn edges(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let names: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let _ = crate::graph::Graph::parse(&text, 12, None);
    let _ = crate::graph::Graph::parse(&text, 12, Some(&names));
}

/// A task-arithmetic coefficient table, and penalty lists.
pub fn coefficients(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = crate::taskvec::Coefficients::parse_table(&text);
    let _ = crate::encode::ridge::parse_alphas(&text);
}

/// Runs every target on one input (for a regression test of a crash).
pub fn all(bytes: &[u8]) {
    for (_, target) in TARGETS {
        target(bytes);
    }
}

/// The corpus folder of a target, under the repository's `fuzz/corpus`.
pub fn corpus_dir(root: &Path, target: &str) -> PathBuf {
    root.join("fuzz").join("corpus").join(target)
}
