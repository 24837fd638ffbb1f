//! Bindings of `repscope::extract`: an ONNX graph's layers on images,
//! arrays or texts streamed to disk; the streamed writer PyTorch's forward
//! hooks feed (so both paths pool and store alike); torchvision's image
//! preprocessing; and a BERT folder's hidden states.

use std::path::PathBuf;
use std::sync::Mutex;

use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::errors::enter_core;
use repscope::extract::activations::{
    ActivationSink, CaptureOptions, Written, extract_to_file, pools_for,
};
use repscope::extract::image::{ImagePrep, preprocess_files};
use repscope::extract::onnx::{LayerOutput, OnnxModel};
use repscope::extract::stimuli::Stimuli;
use repscope::extract::{ExtractOptions, Extractor, Pooling};

/// `(preset, resize, crop, mean, std, bgr)` as Python passes them.
type PrepArgs = (
    String,
    Option<usize>,
    Option<(usize, usize)>,
    Option<[f32; 3]>,
    Option<[f32; 3]>,
    bool,
);

fn prep(args: PrepArgs) -> repscope::Result<ImagePrep> {
    let (preset, resize, crop, mean, std, bgr) = args;
    ImagePrep::from_preset(&preset, resize, crop, mean, std, bgr)
}

/// What an extraction wrote: (stimuli, [(layer, units)], forward passes).
type WrittenTuple = (usize, Vec<(String, usize)>, usize);

fn written(w: Written) -> WrittenTuple {
    (w.stimuli, w.layers, w.passes)
}

/// The graph's inputs `(name, shape, dtype)` (None for symbolic
/// dimensions) and every capturable tensor `(name, node, op, shape,
/// module)`, shapes for one stimulus.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn onnx_graph(
    py: Python<'_>,
    path: PathBuf,
) -> PyResult<(
    Vec<(String, Vec<Option<usize>>, String)>,
    Vec<(String, String, String, Option<Vec<usize>>, Option<String>)>,
)> {
    enter_core(py, move || {
        let model = OnnxModel::load(&path)?;
        let shapes = model.one_stimulus_shapes();
        let tensors = model.tensors(&shapes)?;
        Ok((
            model
                .inputs()
                .iter()
                .map(|i| (i.name.clone(), i.shape.clone(), i.dtype.clone()))
                .collect(),
            tensors
                .into_iter()
                .map(|t| (t.name, t.node, t.op, t.shape, t.module))
                .collect(),
        ))
    })
}

/// Runs an ONNX graph on one kind of stimuli and streams the pooled layers
/// to `out` (.safetensors).
#[pyfunction]
#[pyo3(signature = (model, out, layers, pools, batch_size, projection_width, seed, threads,
    images=None, image_list=None, prep_args=None, arrays_path=None, arrays=None, texts=None,
    tokenizer=None))]
#[allow(clippy::too_many_arguments)]
fn extract_onnx(
    py: Python<'_>,
    model: PathBuf,
    out: PathBuf,
    layers: Vec<String>,
    pools: Vec<String>,
    batch_size: usize,
    projection_width: usize,
    seed: u64,
    threads: usize,
    images: Option<PathBuf>,
    image_list: Option<Vec<PathBuf>>,
    prep_args: Option<PrepArgs>,
    arrays_path: Option<PathBuf>,
    arrays: Option<PyReadonlyArrayDyn<'_, f32>>,
    texts: Option<Vec<String>>,
    tokenizer: Option<PathBuf>,
) -> PyResult<WrittenTuple> {
    let memory = arrays.map(|a| {
        (
            a.as_array().iter().copied().collect::<Vec<f32>>(),
            a.as_array().shape().to_vec(),
        )
    });
    enter_core(py, move || {
        let prep_for = |p: Option<PrepArgs>| match p {
            Some(p) => prep(p),
            None => Ok(ImagePrep::imagenet()),
        };
        let mut stimuli = if let Some(source) = images {
            Stimuli::Images {
                paths: repscope::extract::stimuli::image_paths(&source)?,
                prep: prep_for(prep_args)?,
            }
        } else if let Some(paths) = image_list {
            Stimuli::Images {
                paths,
                prep: prep_for(prep_args)?,
            }
        } else if let Some(path) = arrays_path {
            Stimuli::Arrays(repscope::data::npy::NpyRows::open(&path)?)
        } else if let Some((values, shape)) = memory {
            Stimuli::Memory { values, shape }
        } else if let (Some(texts), Some(tokenizer)) = (texts, tokenizer) {
            Stimuli::texts(texts, &tokenizer)?
        } else {
            return Err(repscope::Error::Invalid {
                what: "inputs".into(),
                detail: "give images, arrays, or texts with their tokenizer".into(),
            });
        };
        let options = CaptureOptions {
            pools: pools_for(&layers, &pools)?,
            layers,
            batch_size,
            projection_width,
            seed,
            threads: threads.max(1),
        };
        let model = OnnxModel::load(&model)?;
        extract_to_file(&model, &mut stimuli, &options, &out, &|_, _| {}).map(written)
    })
}

/// The streamed writer PyTorch's hooks feed: ``write(arrays, tokens)`` per
/// forward pass (one float32 array per layer, batch first), ``finish()``
/// publishes the file. Dropped unfinished, it leaves nothing.
#[pyclass(name = "ActivationWriter", module = "repscope.extract")]
pub struct PyActivationWriter(Mutex<Option<ActivationSink>>);

#[pymethods]
impl PyActivationWriter {
    #[new]
    #[pyo3(signature = (out, layers, pools, labels, projection_width, seed))]
    fn new(
        py: Python<'_>,
        out: PathBuf,
        layers: Vec<String>,
        pools: Vec<String>,
        labels: Vec<String>,
        projection_width: usize,
        seed: u64,
    ) -> PyResult<Self> {
        let sink = enter_core(py, move || {
            let options = CaptureOptions {
                pools: pools_for(&layers, &pools)?,
                layers,
                batch_size: 1,
                projection_width,
                seed,
                threads: 1,
            };
            ActivationSink::new(&out, options, labels)
        })?;
        Ok(Self(Mutex::new(Some(sink))))
    }

    #[pyo3(signature = (arrays, tokens=None))]
    fn write(
        &self,
        py: Python<'_>,
        arrays: Vec<PyReadonlyArrayDyn<'_, f32>>,
        tokens: Option<Vec<usize>>,
    ) -> PyResult<()> {
        let outputs: Vec<LayerOutput> = arrays
            .iter()
            .map(|a| LayerOutput {
                values: a.as_array().iter().copied().collect(),
                shape: a.as_array().shape().to_vec(),
            })
            .collect();
        let mut guard = self
            .0
            .lock()
            .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the writer is in use"))?;
        let Some(sink) = guard.as_mut() else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the writer is finished",
            ));
        };
        enter_core(py, move || sink.write_batch(&outputs, tokens.as_deref()))
    }

    fn finish(&self, py: Python<'_>) -> PyResult<WrittenTuple> {
        let sink = self
            .0
            .lock()
            .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the writer is in use"))?
            .take()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the writer is finished"))?;
        enter_core(py, move || sink.finish().map(written))
    }

    /// Drops the partial file (an error or interruption in the caller).
    fn abort(&self) {
        if let Ok(mut guard) = self.0.lock() {
            guard.take();
        }
    }
}

/// Images as torchvision's transforms give them: (n, 3, H, W) float32.
#[pyfunction]
fn preprocess_images<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    prep_args: PrepArgs,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let (values, shape) = enter_core(py, move || {
        let (values, (h, w)) = preprocess_files(&paths, &prep(prep_args)?)?;
        Ok((values, vec![paths.len(), 3, h, w]))
    })?;
    let array = numpy::ndarray::ArrayD::from_shape_vec(shape, values)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py))
}

/// The images of a folder (sorted by file name) or a list file, in the
/// order the ONNX path takes them.
#[pyfunction]
fn image_paths(py: Python<'_>, source: PathBuf) -> PyResult<Vec<PathBuf>> {
    enter_core(py, move || repscope::extract::stimuli::image_paths(&source))
}

/// Every hidden state of a BERT folder's model per text, saved to `out`.
#[pyfunction]
fn extract_bert(
    py: Python<'_>,
    model_dir: PathBuf,
    texts: Vec<String>,
    out: PathBuf,
    pool: String,
    batch_size: usize,
) -> PyResult<WrittenTuple> {
    enter_core(py, move || {
        let pooling = Pooling::from_name(&pool)?;
        let extractor = Extractor::load(&model_dir)?;
        let options = ExtractOptions {
            pooling,
            batch_size: batch_size.max(1),
        };
        let set = extractor.extract(&texts, &options, &|_, _| {})?;
        repscope::save(&out, &set, repscope::data::StoreAs::F32)?;
        let layers = set
            .views()
            .iter()
            .map(|r| (r.name.to_string(), r.x.ncols()))
            .collect();
        Ok((
            texts.len(),
            layers,
            texts.len().div_ceil(options.batch_size),
        ))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyActivationWriter>()?;
    m.add_function(wrap_pyfunction!(onnx_graph, m)?)?;
    m.add_function(wrap_pyfunction!(extract_onnx, m)?)?;
    m.add_function(wrap_pyfunction!(preprocess_images, m)?)?;
    m.add_function(wrap_pyfunction!(image_paths, m)?)?;
    m.add_function(wrap_pyfunction!(extract_bert, m)?)?;
    Ok(())
}
