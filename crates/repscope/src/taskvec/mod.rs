//! Task vectors: what fine-tuning changed in a checkpoint, and linear
//! combinations of those changes.
//!
//! A task vector is τ_t = θ_t − θ_base, the fine-tuned weights minus the
//! weights fine-tuning started from (Ilharco et al. 2023, *Editing models
//! with task arithmetic*, ICLR). Adding scaled task vectors to the base
//! combines what the tasks taught: θ = θ_base + Σ_t λ_t τ_t. aTLAS (Zhang et
//! al. 2024, *Knowledge composition using task vectors with learned
//! anisotropic scaling*, NeurIPS) gives every parameter block its own
//! coefficient, θ_b = θ_base,b + Σ_t λ_{t,b} τ_{t,b}, where a block is one
//! tensor (a weight matrix, a bias, a convolution kernel).
//!
//! [`task_vectors`] measures them ([`TaskVectors`]): per block and task the
//! norm ‖τ_{t,b}‖ and the relative change ‖τ_{t,b}‖ / ‖θ_base,b‖, and the
//! task × task cosine similarity, per block and over the whole flattened
//! vector. [`compose`] writes θ as a new checkpoint, with one coefficient
//! per task or per block and task ([`Coefficients`]).
//!
//! Conventions:
//! - Blocks are the float tensors (float16, bfloat16, float32, float64), in
//!   natural order of names. Every other tensor (integer position ids,
//!   boolean masks, 8-bit floats) takes no part in the arithmetic: it must be
//!   equal, byte for byte, in every checkpoint and is copied from the base.
//! - A fine-tuned block may have another float type than the base's (a
//!   bfloat16 fine-tune of a float32 base): values are read exactly as f64.
//!   A composed tensor keeps the base's dtype and shape.
//! - Arithmetic and accumulation are in f64. A composed element is
//!   θ_base + ((λ_1 τ_1 + λ_2 τ_2) + …), the tasks summed in order, then
//!   rounded once to the base's dtype, to nearest with ties to even (as
//!   numpy's `astype`).
//! - The cosine of a zero vector with any vector, itself included, is 0. The
//!   relative norm of a block whose base weights are all zero is NaN.
//! - NaN or ±Inf in a float tensor of any checkpoint is an error, and so is
//!   a composed value too large for its dtype.
//!
//! Memory: every checkpoint is read one slice of one tensor at a time
//! ([`CHUNK`] elements), so checkpoints of any size need a few megabytes each.

mod compose;
mod inputs;

use std::path::Path;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

pub use compose::{Coefficients, PROVENANCE_KEY, compose};
pub use inputs::task_names;

use crate::error::Result;
use inputs::Inputs;

/// Elements of one tensor read from each checkpoint at a time.
pub const CHUNK: usize = 1 << 16;

/// One parameter block: a float tensor of the base checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub shape: Vec<usize>,
    /// numpy's name of the base tensor's element type (`float32` ...).
    pub dtype: String,
    pub numel: usize,
}

/// Norms and cosine similarities of the task vectors of several fine-tuned
/// checkpoints against one base.
#[derive(Clone, Debug)]
pub struct TaskVectors {
    /// One name per fine-tuned checkpoint, in the order given.
    pub tasks: Vec<String>,
    /// The float tensors of the base, in natural order of names.
    pub blocks: Vec<Block>,
    /// The other tensors: equal in every checkpoint, not part of τ.
    pub copied: Vec<String>,
    /// ‖τ_{t,b}‖, blocks × tasks.
    pub norms: Mat<f64>,
    /// ‖τ_{t,b}‖ / ‖θ_base,b‖, blocks × tasks (NaN where the base block is zero).
    pub relative_norms: Mat<f64>,
    /// ‖θ_base,b‖ per block.
    pub base_norms: Vec<f64>,
    /// Per block, the tasks × tasks cosine similarity of τ_{·,b}.
    pub block_cosines: Vec<Mat<f64>>,
    /// ‖τ_t‖ over every block.
    pub task_norms: Vec<f64>,
    /// ‖τ_t‖ / ‖θ_base‖ (NaN when the base is zero).
    pub task_relative_norms: Vec<f64>,
    /// ‖θ_base‖ over every block.
    pub base_norm: f64,
    /// Tasks × tasks cosine similarity of the whole flattened task vectors.
    pub cosines: Mat<f64>,
}

/// Norms and cosines of the task vectors of `finetuned` against `base`.
///
/// `names` names the tasks (one per fine-tuned checkpoint); by default they
/// are named after their files ([`task_names`]).
pub fn task_vectors<P: AsRef<Path>>(
    base: &Path,
    finetuned: &[P],
    names: Option<&[String]>,
) -> Result<TaskVectors> {
    let inputs = Inputs::open(base, finetuned, names)?;
    let n_tasks = inputs.tasks.len();
    let mut blocks = Vec::new();
    let mut copied = Vec::new();
    let mut grams = Vec::new();
    for info in inputs.base.tensors() {
        if !info.is_float() {
            inputs.copy_checked(info, |_| Ok(()))?;
            copied.push(info.name.clone());
            continue;
        }
        // Gram matrix of [τ_1 … τ_T θ_base]: dot products, norms, cosines.
        let mut gram = Mat::<f64>::zeros(n_tasks + 1, n_tasks + 1);
        inputs.for_each_chunk(info, |_, base, tuned| {
            let x = Mat::from_fn(base.len(), n_tasks + 1, |i, j| match tuned.get(j) {
                Some(t) => t[i] - base[i],
                None => base[i],
            });
            matmul(
                gram.as_mut(),
                Accum::Add,
                x.transpose(),
                x.as_ref(),
                1.0,
                Par::Seq,
            );
            Ok(())
        })?;
        blocks.push(Block {
            name: info.name.clone(),
            shape: info.shape.clone(),
            dtype: info.dtype_name(),
            numel: info.numel(),
        });
        grams.push(gram);
    }
    Ok(summarize(inputs.tasks, blocks, copied, &grams))
}

fn summarize(
    tasks: Vec<String>,
    blocks: Vec<Block>,
    copied: Vec<String>,
    grams: &[Mat<f64>],
) -> TaskVectors {
    let n_tasks = tasks.len();
    let mut total = Mat::<f64>::zeros(n_tasks + 1, n_tasks + 1);
    for g in grams {
        total += g;
    }
    let norm = |g: &Mat<f64>, t: usize| g[(t, t)].sqrt();
    let relative = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { f64::NAN };
    let base_norms: Vec<f64> = grams.iter().map(|g| norm(g, n_tasks)).collect();
    let norms = Mat::from_fn(grams.len(), n_tasks, |b, t| norm(&grams[b], t));
    let relative_norms = Mat::from_fn(grams.len(), n_tasks, |b, t| {
        relative(norms[(b, t)], base_norms[b])
    });
    let base_norm = norm(&total, n_tasks);
    let task_norms: Vec<f64> = (0..n_tasks).map(|t| norm(&total, t)).collect();
    TaskVectors {
        task_relative_norms: task_norms.iter().map(|&n| relative(n, base_norm)).collect(),
        block_cosines: grams.iter().map(|g| cosines(g.as_ref(), n_tasks)).collect(),
        cosines: cosines(total.as_ref(), n_tasks),
        tasks,
        blocks,
        copied,
        norms,
        relative_norms,
        base_norms,
        task_norms,
        base_norm,
    }
}

/// Cosine similarities of the first `n` vectors of a Gram matrix; 0 where
/// either vector is zero.
fn cosines(gram: MatRef<'_, f64>, n: usize) -> Mat<f64> {
    Mat::from_fn(n, n, |s, t| {
        let (a, b) = (gram[(s, s)].sqrt(), gram[(t, t)].sqrt());
        if a > 0.0 && b > 0.0 {
            (gram[(s, t)] / a / b).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::inputs::unravel;
    use super::*;
    use crate::data::checkpoint::Checkpoint;
    use crate::data::safetensors_io::encode_le;
    use crate::error::Error;
    use std::collections::HashMap;
    use std::path::PathBuf;

    use safetensors::Dtype;
    use safetensors::tensor::TensorView;

    /// (name, dtype, shape, values); integer values are stored as i64.
    type Tensor<'a> = (&'a str, Dtype, Vec<usize>, Vec<f64>);

    fn save(dir: &Path, file: &str, tensors: &[Tensor<'_>]) -> PathBuf {
        let path = dir.join(file);
        let data: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, dtype, _, values)| match dtype {
                Dtype::I64 => values
                    .iter()
                    .flat_map(|&v| (v as i64).to_le_bytes())
                    .collect(),
                _ => encode_le(*dtype, values).unwrap(),
            })
            .collect();
        let views: Vec<(&str, TensorView<'_>)> = tensors
            .iter()
            .zip(&data)
            .map(|((name, dtype, shape, _), bytes)| {
                (
                    *name,
                    TensorView::new(*dtype, shape.clone(), bytes).unwrap(),
                )
            })
            .collect();
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        std::fs::write(&path, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
        path
    }

    /// A base with a 2-D weight (f32), a bias (f16), a 4-D kernel (f64)
    /// and integer position ids, and three fine-tunes of it:
    /// τ_1 = e_w0, τ_2 = e_w1 + e_b0 + (3, 4) on the kernel, τ_3 = 2 e_w0 + 2 e_w1.
    fn fixture(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
        let ids = ("ids", Dtype::I64, vec![3], vec![0.0, 1.0, 2.0]);
        let ckpt = |file: &str, w: [f64; 4], b: [f64; 2], k: [f64; 2]| {
            save(
                dir,
                file,
                &[
                    ("w", Dtype::F32, vec![2, 2], w.to_vec()),
                    ("b", Dtype::F16, vec![2], b.to_vec()),
                    ("k", Dtype::F64, vec![1, 1, 1, 2], k.to_vec()),
                    ids.clone(),
                ],
            )
        };
        let base = ckpt("base.safetensors", [1., 2., 3., 4.], [0.5, -1.], [1., 1.]);
        let fts = vec![
            ckpt("t1.safetensors", [2., 2., 3., 4.], [0.5, -1.], [1., 1.]),
            ckpt("t2.safetensors", [1., 3., 3., 4.], [1.5, -1.], [4., 5.]),
            ckpt("t3.safetensors", [3., 4., 3., 4.], [0.5, -1.], [1., 1.]),
        ];
        (base, fts)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * b.abs().max(1.0)
    }

    #[test]
    fn norms_and_cosines_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let (base, fts) = fixture(dir.path());
        let r = task_vectors(&base, &fts, None).unwrap();
        assert_eq!(r.tasks, ["t1", "t2", "t3"]);
        let names: Vec<&str> = r.blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["b", "k", "w"]);
        assert_eq!(r.copied, ["ids"]);
        assert_eq!(r.blocks[1].shape, [1, 1, 1, 2]);
        assert_eq!(r.blocks[0].dtype, "float16");
        let s2 = 2f64.sqrt();
        // Blocks b, k, w (rows) × tasks (columns).
        let norms = [[0.0, 1.0, 0.0], [0.0, 5.0, 0.0], [1.0, 1.0, 2.0 * s2]];
        for (b, row) in norms.iter().enumerate() {
            for (t, &n) in row.iter().enumerate() {
                assert!(close(r.norms[(b, t)], n), "{b} {t}: {}", r.norms[(b, t)]);
            }
        }
        let base_norms = [1.25f64.sqrt(), s2, 30f64.sqrt()];
        for (b, &n) in base_norms.iter().enumerate() {
            assert!(close(r.base_norms[b], n));
            assert!(close(r.relative_norms[(b, 1)], norms[b][1] / n));
        }
        let w = &r.block_cosines[2];
        assert!(close(w[(0, 1)], 0.0) && close(w[(0, 2)], 1.0 / s2) && close(w[(1, 2)], 1.0 / s2));
        assert!(close(w[(2, 2)], 1.0));
        // τ_1 is zero on the bias: cosine 0, with itself too.
        let b = &r.block_cosines[0];
        assert_eq!((b[(0, 0)], b[(0, 1)], b[(1, 1)]), (0.0, 0.0, 1.0));
        let task_norms = [1.0, 27f64.sqrt(), 2.0 * s2];
        for (t, &n) in task_norms.iter().enumerate() {
            assert!(close(r.task_norms[t], n));
        }
        assert!(close(r.base_norm, (1.25f64 + 2.0 + 30.0).sqrt()));
        assert!(close(r.task_relative_norms[0], 1.0 / r.base_norm));
        let c = &r.cosines;
        assert!(close(c[(0, 1)], 0.0) && close(c[(0, 2)], 1.0 / s2));
        assert!(close(c[(1, 2)], 1.0 / 54f64.sqrt()) && close(c[(2, 1)], c[(1, 2)]));

        let named = task_vectors(&base, &fts[..1], Some(&["math".to_string()])).unwrap();
        assert_eq!(named.tasks, ["math"]);
    }

    #[test]
    fn blocks_larger_than_a_chunk_accumulate_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let n = CHUNK * 2 + 3;
        let base = save(
            dir.path(),
            "base.safetensors",
            &[("w", Dtype::F32, vec![n], vec![1.0; n])],
        );
        let ft = save(
            dir.path(),
            "ft.safetensors",
            &[("w", Dtype::F32, vec![n], vec![3.0; n])],
        );
        let r = task_vectors(&base, &[&ft], None).unwrap();
        assert_eq!(r.norms[(0, 0)], (4.0 * n as f64).sqrt());
        assert_eq!(r.relative_norms[(0, 0)], 2.0);
        let out = dir.path().join("out.safetensors");
        compose(&base, &[&ft], &Coefficients::per_task(vec![0.25]), &out).unwrap();
        let c = Checkpoint::open(&out).unwrap();
        assert_eq!(c.read_f64("w", n - 2..n).unwrap(), [1.5, 1.5]);
    }

    #[test]
    fn composition_keeps_dtypes_shapes_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let (base, fts) = fixture(dir.path());
        let out = dir.path().join("composed.safetensors");
        let coefficients = Coefficients {
            default_per_task: Some(vec![0.5, 1.0, 0.0]),
            per_block: vec![("b".into(), vec![0.0, 0.5, 0.0])],
        };
        compose(&base, &fts, &coefficients, &out).unwrap();
        let c = Checkpoint::open(&out).unwrap();
        let t = |name: &str| c.get(name).unwrap().clone();
        assert_eq!(
            (t("w").dtype, t("w").shape.clone()),
            (Dtype::F32, vec![2, 2])
        );
        assert_eq!(
            (t("b").dtype, t("k").dtype, t("ids").dtype),
            (Dtype::F16, Dtype::F64, Dtype::I64)
        );
        assert_eq!(t("k").shape, [1, 1, 1, 2]);
        assert_eq!(c.read_f64("w", 0..4).unwrap(), [1.5, 3.0, 3.0, 4.0]);
        assert_eq!(c.read_f64("b", 0..2).unwrap(), [1.0, -1.0]);
        assert_eq!(c.read_f64("k", 0..2).unwrap(), [4.0, 5.0]);
        assert_eq!(c.read_f64("ids", 0..3).unwrap(), [0.0, 1.0, 2.0]);
        assert_eq!(c.metadata()["format"], "pt");
        let made: serde_json::Value = serde_json::from_str(&c.metadata()[PROVENANCE_KEY]).unwrap();
        assert_eq!(made["finetuned"][1], "t2.safetensors");
        assert_eq!(made["per_block"]["b"][1], 0.5);
        // The safetensors crate reads it too.
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(
            safetensors::SafeTensors::deserialize(&bytes).unwrap().len(),
            4
        );
    }

    #[test]
    fn bfloat16_and_float16_round_once_to_nearest_even() {
        let dir = tempfile::tempdir().unwrap();
        let p = |e: i32| 2f64.powi(e);
        let one = |file: &str, dtype: Dtype, v: f64| {
            save(dir.path(), file, &[("x", dtype, vec![1], vec![v])])
        };
        let base = one("base.safetensors", Dtype::BF16, 1.0);
        // A bfloat16 fine-tune with τ = 2^-7, the spacing of bfloat16 at 1.
        let ft = one("ft.safetensors", Dtype::BF16, 1.0 + p(-7));
        let out = dir.path().join("out.safetensors");
        let compose_with = |l: f64| {
            compose(&base, &[&ft], &Coefficients::per_task(vec![l]), &out).unwrap();
            Checkpoint::open(&out).unwrap().read_f64("x", 0..1).unwrap()[0]
        };
        // 1 + 2^-8 is a tie: it goes to the even neighbour, 1.
        assert_eq!(compose_with(0.5), 1.0);
        // Just above the tie (by 2^-30, beyond f32's reach from 1): up.
        assert_eq!(compose_with(0.5 + p(-23)), 1.0 + p(-7));
        assert_eq!(compose_with(-1.5), 1.0 - p(-7) - p(-8));

        // float16 base, float32 fine-tune: τ is exact in f64.
        let base = one("base16.safetensors", Dtype::F16, 1.0);
        let ft = one("ft32.safetensors", Dtype::F32, 1.0 + p(-11) + p(-20));
        compose(&base, &[&ft], &Coefficients::per_task(vec![1.0]), &out).unwrap();
        let c = Checkpoint::open(&out).unwrap();
        assert_eq!(c.get("x").unwrap().dtype, Dtype::F16);
        assert_eq!(c.read_f64("x", 0..1).unwrap(), [1.0 + p(-10)]);
        let r = task_vectors(&base, &[&ft], None).unwrap();
        assert_eq!(r.norms[(0, 0)], p(-11) + p(-20));
    }

    #[test]
    fn mismatched_checkpoints_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f32s = |file: &str, tensors: &[(&str, Vec<usize>)]| {
            let t: Vec<Tensor<'_>> = tensors
                .iter()
                .map(|(n, s)| (*n, Dtype::F32, s.clone(), vec![0.0; s.iter().product()]))
                .collect();
            save(dir.path(), file, &t)
        };
        let base = f32s("base.safetensors", &[("a", vec![2, 3]), ("b", vec![3])]);
        let renamed = f32s("renamed.safetensors", &[("a", vec![2, 3]), ("c", vec![3])]);
        let e = task_vectors(&base, &[&renamed], None).unwrap_err();
        assert!(matches!(e, Error::TensorsDiffer { .. }) && e.is_input_error());
        let msg = e.to_string();
        assert!(
            msg.contains("renamed.safetensors: 1 tensor of the base is missing ('b')"),
            "{msg}"
        );
        assert!(msg.contains("1 tensor is not in the base ('c')"), "{msg}");

        let transposed = f32s(
            "transposed.safetensors",
            &[("a", vec![3, 2]), ("b", vec![3])],
        );
        let e = task_vectors(&base, &[&transposed], None).unwrap_err();
        assert!(
            e.to_string().starts_with("tensor 'a' has shape [3, 2] in ")
                && e.to_string().contains("but [2, 3] in the base"),
            "{e}"
        );

        let ids = |file: &str, v: f64, dtype: Dtype| {
            save(
                dir.path(),
                file,
                &[
                    ("a", Dtype::F32, vec![1], vec![1.0]),
                    ("ids", dtype, vec![2], vec![v, 1.0]),
                ],
            )
        };
        let base = ids("ibase.safetensors", 0.0, Dtype::I64);
        let moved = ids("moved.safetensors", 5.0, Dtype::I64);
        let e = task_vectors(&base, &[&moved], None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("tensor 'ids' (int64) differs between "),
            "{e}"
        );
        let e = compose(
            &base,
            &[&moved],
            &Coefficients::per_task(vec![1.0]),
            &dir.path().join("o.safetensors"),
        )
        .unwrap_err();
        assert!(matches!(e, Error::NotArithmetic { .. }), "{e}");
        assert!(!dir.path().join("o.safetensors").exists());
        let floated = ids("floated.safetensors", 0.0, Dtype::F32);
        let e = task_vectors(&base, &[&floated], None).unwrap_err();
        assert!(
            e.to_string().contains("is float32 in ")
                && e.to_string().contains("but int64 in the base"),
            "{e}"
        );
    }

    #[test]
    fn non_finite_weights_and_overflow_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let one = |file: &str, dtype: Dtype, v: Vec<f64>| {
            save(dir.path(), file, &[("x", dtype, vec![2, 2], v)])
        };
        let base = one("base.safetensors", Dtype::F16, vec![0.0, 1.0, 2.0, 3.0]);
        let bad = one("bad.safetensors", Dtype::F32, vec![0.0, 1.0, f64::NAN, 3.0]);
        let e = task_vectors(&base, &[&bad], None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("NaN at index [1, 0] of tensor 'x' in "),
            "{e}"
        );
        let big = one("big.safetensors", Dtype::F16, vec![0.0, 1.0, 2.0, 60000.0]);
        let out = dir.path().join("out.safetensors");
        let e = compose(&base, &[&big], &Coefficients::per_task(vec![1.1]), &out).unwrap_err();
        assert!(
            e.to_string().starts_with("the composed value 6.5999")
                && e.to_string().contains("at index [1, 1] of tensor 'x'")
                && e.to_string()
                    .contains("does not fit float16 (largest finite value 6.5504e4)"),
            "{e}"
        );
        assert!(!out.exists());
    }

    #[test]
    fn coefficient_tables_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (base, fts) = fixture(dir.path());
        let out = dir.path().join("out.safetensors");
        let run = |c: Coefficients| compose(&base, &fts[..2], &c, &out).unwrap_err().to_string();
        let table = |rows: Vec<(&str, Vec<f64>)>, default: Option<Vec<f64>>| Coefficients {
            default_per_task: default,
            per_block: rows.into_iter().map(|(b, l)| (b.to_string(), l)).collect(),
        };
        let msg = run(Coefficients::per_task(vec![1.0]));
        assert!(
            msg.starts_with("per-task coefficients: 1 coefficients for 2 tasks (t1, t2)"),
            "{msg}"
        );
        let msg = run(table(
            vec![("w.weight", vec![1.0, 1.0])],
            Some(vec![1.0, 1.0]),
        ));
        assert!(msg.contains("names block 'w.weight', which the base does not hold; its 3 float blocks are 'b', 'k', 'w'"), "{msg}");
        let msg = run(table(vec![("ids", vec![1.0, 1.0])], Some(vec![1.0, 1.0])));
        assert!(
            msg.contains("'ids', which is copied from the base unchanged (int64, "),
            "{msg}"
        );
        let msg = run(table(
            vec![("w", vec![1.0, 1.0, 1.0])],
            Some(vec![1.0, 1.0]),
        ));
        assert!(
            msg.starts_with("coefficients of block 'w': 3 coefficients for 2 tasks"),
            "{msg}"
        );
        let msg = run(table(vec![("w", vec![1.0, f64::INFINITY])], None));
        assert!(msg.contains("the coefficient of task 't2' is inf"), "{msg}");
        let msg = run(table(vec![("w", vec![1.0, 1.0])], None));
        assert!(
            msg.contains("no row for 2 of the 3 blocks ('b', 'k') and no default"),
            "{msg}"
        );
        let msg = run(table(
            vec![("w", vec![1.0, 1.0]), ("w", vec![0.0, 0.0])],
            Some(vec![1.0, 1.0]),
        ));
        assert!(msg.contains("names block 'w' twice"), "{msg}");
        assert!(!out.exists());
        let e = task_vectors::<&Path>(&base, &[], None).unwrap_err();
        assert!(
            e.to_string().contains("at least one fine-tuned checkpoint"),
            "{e}"
        );
        let e = task_vectors(
            &base,
            &fts,
            Some(&["a".to_string(), "a".into(), "b".into()]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("'a' is given twice"), "{e}");
    }

    #[test]
    fn task_names_fall_back_to_folders_then_paths() {
        assert_eq!(
            task_names(&["x/math.safetensors", "y/code.safetensors"]),
            ["math", "code"]
        );
        assert_eq!(
            task_names(&["math/model.safetensors", "code/model.safetensors"]),
            ["math", "code"]
        );
        assert_eq!(
            task_names(&["a/m/model.safetensors", "b/m/model.safetensors"]),
            ["a/m/model.safetensors", "b/m/model.safetensors"]
        );
        assert_eq!(unravel(5, &[2, 3]), [1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }
}
