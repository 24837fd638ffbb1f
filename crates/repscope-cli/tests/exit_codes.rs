//! The CLI's contract: exit status 0 on success, 2 with a one-line reason on
//! stderr for bad input.

use std::path::Path;
use std::process::Command;

use faer::Mat;

fn repscope(args: &[&Path]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_repscope"))
        .args(args)
        .output()
        .expect("the repscope binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, x: Mat<f64>) -> std::path::PathBuf {
    let path = dir.join(name);
    repscope::data::npy::write_npy_file(&path, x.as_ref()).unwrap();
    path
}

#[test]
fn success_and_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write(
        dir.path(),
        "ok.npy",
        Mat::from_fn(12, 3, |i, j| ((i * 7 + j * 3) % 5) as f64),
    );
    let (code, stdout, _) = repscope(&[Path::new("similarity"), &ok]);
    assert_eq!(code, 0);
    assert!(stdout.contains("linear_cka"), "{stdout}");

    let mut with_nan = Mat::from_fn(12, 3, |i, j| (i + j) as f64);
    with_nan[(5, 2)] = f64::NAN;
    let cases = [
        (
            write(dir.path(), "nan.npy", with_nan),
            "NaN at row 5, column 2 of 'nan'",
        ),
        (
            write(dir.path(), "short.npy", Mat::zeros(11, 3)),
            "'ok' has 12 stimuli but 'short' has 11",
        ),
        (dir.path().join("absent.npy"), "absent.npy"),
    ];
    for (path, fragment) in cases {
        let (code, _, stderr) = repscope(&[Path::new("similarity"), &ok, &path]);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(fragment),
            "{stderr}"
        );
    }
}
