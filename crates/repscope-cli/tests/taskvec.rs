//! `repscope taskvec`: a composition written as a checkpoint, and exit
//! status 2 with a one-line reason for checkpoints that do not fit.

use std::path::{Path, PathBuf};
use std::process::Command;

use repscope::data::checkpoint::{Checkpoint, Dtype, TensorSpec, write_checkpoint};

fn repscope(args: &[&str]) -> (i32, String, String) {
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

/// A float32 checkpoint of named tensors.
fn save(dir: &Path, file: &str, tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> String {
    let path = dir.join(file);
    let specs: Vec<TensorSpec> = tensors
        .iter()
        .map(|(name, shape, _)| TensorSpec {
            name: name.to_string(),
            dtype: Dtype::F32,
            shape: shape.clone(),
        })
        .collect();
    write_checkpoint(&path, &specs, None, |i, w| {
        let bytes: Vec<u8> = tensors[i].2.iter().flat_map(|v| v.to_le_bytes()).collect();
        w.write_all(&bytes).map_err(|e| repscope::Error::Io {
            path: PathBuf::new(),
            source: e,
        })
    })
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn composes_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = save(
        d,
        "base.safetensors",
        &[
            ("w", vec![2, 2], vec![1., 2., 3., 4.]),
            ("b", vec![2], vec![0., 0.]),
        ],
    );
    let math = save(
        d,
        "math.safetensors",
        &[
            ("w", vec![2, 2], vec![2., 2., 3., 4.]),
            ("b", vec![2], vec![1., 0.]),
        ],
    );
    let code = save(
        d,
        "code.safetensors",
        &[
            ("w", vec![2, 2], vec![1., 4., 3., 4.]),
            ("b", vec![2], vec![0., 0.]),
        ],
    );
    let out = d.join("composed.safetensors");
    let table = d.join("blocks.csv");
    let coef_file = d.join("blocks.tsv");
    std::fs::write(&coef_file, "block\tmath\tcode\nb\t2\t0\n").unwrap();
    let plot = d.join("cos.svg");
    let (code_, stdout, stderr) = repscope(&[
        "taskvec",
        &base,
        &math,
        &code,
        "--coef",
        "0.5,-0.25",
        "--coef-file",
        coef_file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--table",
        table.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(code_, 0, "{stderr}");
    assert!(
        stdout.contains("2 tasks, 2 blocks (6 parameters)") && stdout.contains("cosine similarity"),
        "{stdout}"
    );
    let c = Checkpoint::open(&out).unwrap();
    // w: base + 0.5 τ_math − 0.25 τ_code; b (from the file): base + 2 τ_math.
    assert_eq!(c.read_f64("w", 0..4).unwrap(), [1.5, 1.5, 3.0, 4.0]);
    assert_eq!(c.read_f64("b", 0..2).unwrap(), [2.0, 0.0]);
    let csv = std::fs::read_to_string(&table).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "block,task,numel,norm,relative_norm,cos_math,cos_code"
    );
    // b: τ_math = (1, 0), the base is zero (relative norm undefined), τ_code = 0.
    assert_eq!(lines[1], "b,math,2,1,NaN,1,0");
    assert_eq!(lines[2], "b,code,2,0,NaN,0,0");
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));

    let (code_, stdout, _) =
        repscope(&["taskvec", &base, &math, &code, "--json", "--names", "m,c"]);
    assert_eq!(code_, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["tasks"], serde_json::json!(["m", "c"]));
    assert_eq!(doc["blocks"][1]["name"], "w");
    assert_eq!(
        doc["blocks"][0]["relative_norms"][0],
        serde_json::Value::Null
    );
    assert_eq!(doc["cosines"]["values"][0][1], 0.0);
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = save(
        d,
        "base.safetensors",
        &[("w", vec![2, 3], vec![0.; 6]), ("b", vec![3], vec![0.; 3])],
    );
    let renamed = save(
        d,
        "renamed.safetensors",
        &[
            ("w", vec![2, 3], vec![0.; 6]),
            ("bias", vec![3], vec![0.; 3]),
        ],
    );
    let transposed = save(
        d,
        "transposed.safetensors",
        &[("w", vec![3, 2], vec![0.; 6]), ("b", vec![3], vec![0.; 3])],
    );
    let out = d.join("out.safetensors");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![&base, &renamed],
            "renamed.safetensors: 1 tensor of the base is missing ('b') and 1 tensor is not in the base ('bias')",
        ),
        (vec![&base, &transposed], "tensor 'w' has shape [3, 2] in "),
        (
            vec![&base, &transposed, "--coef", "1", "-o", out],
            "but [2, 3] in the base",
        ),
        (
            vec![&base, &base, "--coef", "1,2", "-o", out],
            "2 coefficients for 1 tasks",
        ),
        (
            vec![&base, &base, "--coef", "1,x", "-o", out],
            "--coef '1,x': 'x' is not a number",
        ),
        (
            vec![&base, &base, "--coef", "1"],
            "add -o composed.safetensors",
        ),
        // An output over an input is refused before anything else (every
        // command checks this on its arguments).
        (
            vec![&base, &base, "-o", &base],
            "is also an input of this command",
        ),
        (
            vec![&base, &base, "--coef", "1", "-o", &base],
            "is also an input of this command",
        ),
    ];
    for (args, fragment) in cases {
        let mut argv = vec!["taskvec"];
        argv.extend(args);
        let (code, _, stderr) = repscope(&argv);
        assert_eq!(code, 2, "{argv:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(fragment),
            "{argv:?}: {stderr}"
        );
    }
    assert!(!Path::new(out).exists());
}
