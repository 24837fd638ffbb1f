//! Any ONNX graph, run in pure Rust (tract), with any set of intermediate
//! tensors captured in one pass.
//!
//! Why tract: it reads ONNX with no native library to install or link (an
//! onnxruntime binding would download or need a shared library at build
//! time), covers the operators vision and language exports use, and lets
//! any intermediate outlet be declared a model output, so one run returns
//! every requested layer. The plan is optimised for one stimulus's concrete
//! shape and a batch's stimuli run on the worker threads side by side.
//!
//! A layer is named, in the order tried, by:
//! 1. a tensor (value) name of the graph (`/layer1/layer1.0/relu_1/Relu_output_0`);
//! 2. a node name (its first output; `/layer1/layer1.0/relu_1/Relu`);
//! 3. a PyTorch module path, as `model.named_modules()` spells it
//!    (`layer1.0`): PyTorch's exporter names each node by the scope of the
//!    modules it ran in (`/layer1/layer1.0/…`, a repeated call `relu_1`), and
//!    the module's output is the last value its scope hands to nodes
//!    outside it: what a forward hook on that module sees (on its last call).
//!
//! Exporters fold a batch norm into the convolution before it, so that
//! convolution's module has no output of its own in the graph; export with
//! `do_constant_folding=False` and `training=TrainingMode.PRESERVE` to keep
//! it, or capture the module after it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::{Error, Result};

type Plan = Arc<TypedRunnableModel>;

fn model_error(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::Model {
        detail: format!("{}: {detail}", path.display()),
    }
}

/// One input of the graph, as declared in the file.
#[derive(Clone, Debug)]
pub struct GraphInput {
    pub name: String,
    /// Dimensions; `None` for symbolic ones (a dynamic batch, say).
    pub shape: Vec<Option<usize>>,
    /// The element type (`F32`, `I64` …).
    pub dtype: String,
}

/// One capturable tensor: a node's output.
#[derive(Clone, Debug)]
pub struct GraphTensor {
    /// The tensor's name in the graph (or `node:index` when unnamed).
    pub name: String,
    pub node: String,
    pub op: String,
    /// Its shape for one stimulus (batch 1), where the graph's shapes can
    /// be inferred.
    pub shape: Option<Vec<usize>>,
    /// The PyTorch module whose scope produced it, if the names carry one.
    pub module: Option<String>,
}

/// A loaded ONNX graph.
pub struct OnnxModel {
    path: PathBuf,
    graph: InferenceModel,
    inputs: Vec<GraphInput>,
}

/// What one run feeds the graph: a tensor per graph input, in order.
pub type Feeds = Vec<Tensor>;

impl OnnxModel {
    /// Reads `path`; an unreadable or unsupported file is an error naming
    /// the reason.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such ONNX file"),
            ));
        }
        let graph = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| model_error(path, format!("not a readable ONNX graph ({e})")))?;
        let mut inputs = Vec::new();
        for (i, outlet) in graph
            .input_outlets()
            .map_err(|e| model_error(path, e))?
            .iter()
            .enumerate()
        {
            let fact = graph.input_fact(i).map_err(|e| model_error(path, e))?;
            let shape = fact
                .shape
                .dims()
                .map(|d| {
                    d.concretize()
                        .and_then(|d| d.to_i64().ok())
                        .map(|d| d as usize)
                })
                .collect();
            inputs.push(GraphInput {
                name: graph.node(outlet.node).name.clone(),
                shape,
                dtype: fact
                    .datum_type
                    .concretize()
                    .map_or("?".into(), |t| format!("{t:?}")),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            graph,
            inputs,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn inputs(&self) -> &[GraphInput] {
        &self.inputs
    }

    /// The inputs' shapes for one stimulus: batch 1, and 1 for any other
    /// symbolic dimension (a text's length, say): what [`Self::tensors`]
    /// lists shapes for by default.
    pub fn one_stimulus_shapes(&self) -> Vec<Vec<usize>> {
        self.inputs
            .iter()
            .map(|i| {
                let mut s: Vec<usize> = i.shape.iter().map(|d| d.unwrap_or(1)).collect();
                if let Some(first) = s.first_mut() {
                    *first = 1;
                }
                s
            })
            .collect()
    }

    /// Every node output with its per-stimulus shape, inferred for
    /// `input_shapes` (batch 1; the graph's own where it has fixed ones).
    pub fn tensors(&self, input_shapes: &[Vec<usize>]) -> Result<Vec<GraphTensor>> {
        let typed = self.typed(input_shapes, None)?;
        let live = self.fed_by_inputs();
        let mut out = Vec::new();
        for node in self.graph.nodes() {
            if !live[node.id] || node.op.name() == "Source" {
                continue;
            }
            for ix in 0..node.outputs.len() {
                let outlet = OutletId::new(node.id, ix);
                let name = self.outlet_name(outlet);
                let shape = typed
                    .find_outlet_label(&name)
                    .or_else(|| {
                        typed
                            .node_id_by_name(&node.name)
                            .ok()
                            .map(|id| OutletId::new(id, ix))
                    })
                    .and_then(|o| typed.outlet_fact(o).ok())
                    .and_then(|f| f.shape.as_concrete().map(|s| s.to_vec()));
                out.push(GraphTensor {
                    name,
                    node: node.name.clone(),
                    op: node.op.name().to_string(),
                    shape,
                    module: module_of(&node.name),
                });
            }
        }
        Ok(out)
    }

    /// Which nodes depend on a graph input (the rest are weights and
    /// constants, not activations).
    fn fed_by_inputs(&self) -> Vec<bool> {
        let g = &self.graph;
        let mut live = vec![false; g.nodes().len()];
        let mut stack: Vec<usize> = g
            .input_outlets()
            .map(|o| o.iter().map(|o| o.node).collect())
            .unwrap_or_default();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut live[id], true) {
                continue;
            }
            for output in &g.node(id).outputs {
                stack.extend(output.successors.iter().map(|s| s.node));
            }
        }
        live
    }

    fn outlet_name(&self, outlet: OutletId) -> String {
        self.graph
            .outlet_label(outlet)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}:{}", self.graph.node(outlet.node).name, outlet.slot))
    }

    /// The graph's declared outputs, by tensor name.
    pub fn output_names(&self) -> Vec<String> {
        self.graph
            .output_outlets()
            .map(|o| o.iter().map(|&o| self.outlet_name(o)).collect())
            .unwrap_or_default()
    }

    /// The outlet a layer name refers to (see the module documentation);
    /// an unknown name lists the valid ones.
    fn resolve(&self, layer: &str) -> Result<OutletId> {
        let g = &self.graph;
        if let Some(o) = g.find_outlet_label(layer) {
            return Ok(o);
        }
        if let Ok(id) = g.node_id_by_name(layer) {
            return Ok(OutletId::new(id, 0));
        }
        if let Some((node, slot)) = layer.rsplit_once(':')
            && let (Ok(id), Ok(slot)) = (g.node_id_by_name(node), slot.parse::<usize>())
            && slot < g.node(id).outputs.len()
        {
            return Ok(OutletId::new(id, slot));
        }
        if let Some(o) = self.module_output(layer) {
            return Ok(o);
        }
        let mut modules: Vec<String> = g
            .nodes()
            .iter()
            .filter_map(|n| module_of(&n.name))
            .collect();
        let mut seen = std::collections::HashSet::new();
        modules.retain(|m| seen.insert(m.clone()));
        let tensors: Vec<String> = g
            .nodes()
            .iter()
            .filter(|n| n.op.name() != "Source" && n.op.name() != "Const")
            .map(|n| self.outlet_name(OutletId::new(n.id, 0)))
            .collect();
        let listing = if modules.is_empty() {
            tensors.join(", ")
        } else {
            format!("modules: {}", modules.join(", "))
        };
        Err(Error::Invalid {
            what: format!("layer '{layer}'"),
            detail: format!(
                "{} has no such tensor, node or module; valid names ({}): {listing} \
                 (`repscope extract MODEL --list` shows every tensor)",
                self.path.display(),
                if modules.is_empty() {
                    "tensors"
                } else {
                    "or any tensor or node name"
                }
            ),
        })
    }

    /// The output of PyTorch module `path` (`layer1.0`): the last value its
    /// scope's nodes hand to a node outside the scope or to the graph's
    /// outputs.
    fn module_output(&self, path: &str) -> Option<OutletId> {
        let g = &self.graph;
        let parts: Vec<&str> = path.split('.').collect();
        let inside: Vec<bool> = g
            .nodes()
            .iter()
            .map(|n| scope_matches(&n.name, &parts))
            .collect();
        if !inside.iter().any(|&b| b) {
            return None;
        }
        let graph_outputs: Vec<OutletId> = g.output_outlets().ok()?.to_vec();
        let order = g.eval_order().ok()?;
        order
            .iter()
            .rev()
            .filter(|&&id| inside[id])
            .find_map(|&id| {
                let node = g.node(id);
                (0..node.outputs.len()).find_map(|slot| {
                    let outlet = OutletId::new(id, slot);
                    let leaves = node.outputs[slot]
                        .successors
                        .iter()
                        .any(|s| !inside[s.node])
                        || graph_outputs.contains(&outlet);
                    leaves.then_some(outlet)
                })
            })
    }

    /// The graph typed for concrete `input_shapes`, with `outputs` (when
    /// given) as its outputs.
    fn typed(
        &self,
        input_shapes: &[Vec<usize>],
        outputs: Option<&[OutletId]>,
    ) -> Result<TypedModel> {
        let mut g = self.graph.clone();
        if input_shapes.len() != self.inputs.len() {
            return Err(model_error(
                &self.path,
                format!(
                    "the graph has {} inputs ({}), {} were given",
                    self.inputs.len(),
                    self.inputs
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    input_shapes.len()
                ),
            ));
        }
        // Exporters record symbolic shapes of intermediate values (Paddle's
        // `DynamicDimension.0`); they would clash with the concrete batch,
        // so every shape past the inputs is inferred afresh.
        for id in 0..g.nodes().len() {
            if matches!(g.node(id).op.name().as_ref(), "Source" | "Const") {
                continue;
            }
            for slot in 0..g.node(id).outputs.len() {
                if let Ok(fact) = g.outlet_fact_mut(OutletId::new(id, slot)) {
                    fact.shape = Default::default();
                }
            }
        }
        for (i, shape) in input_shapes.iter().enumerate() {
            let dt = g
                .input_fact(i)
                .ok()
                .and_then(|f| f.datum_type.concretize())
                .unwrap_or(DatumType::F32);
            g.set_input_fact(i, InferenceFact::dt_shape(dt, shape.clone()))
                .map_err(|e| model_error(&self.path, e))?;
        }
        if let Some(outputs) = outputs {
            g.select_output_outlets(outputs)
                .map_err(|e| model_error(&self.path, e))?;
        }
        g.into_typed().map_err(|e| {
            model_error(
                &self.path,
                format!("cannot infer the shapes for inputs {input_shapes:?} ({e:#})"),
            )
        })
    }

    /// A runnable capture of `layers`: one pass returns them all.
    pub fn capture(&self, layers: &[String]) -> Result<Capture<'_>> {
        let outlets = layers
            .iter()
            .map(|l| self.resolve(l))
            .collect::<Result<Vec<_>>>()?;
        Ok(Capture {
            model: self,
            layers: layers.to_vec(),
            outlets,
            plans: std::sync::Mutex::new(HashMap::new()),
            pool: std::sync::OnceLock::new(),
        })
    }
}

/// A convolutional network's stages: the last feature map (batch ×
/// channels × H × W) at each spatial resolution, in graph order, from
/// [`OnnxModel::tensors`]' listing. Any CNN's stage outputs, whatever its
/// exporter named them.
pub fn stage_outputs(tensors: &[GraphTensor]) -> Vec<String> {
    let mut stages: Vec<(Vec<usize>, String)> = Vec::new();
    for t in tensors {
        let Some(shape) = &t.shape else { continue };
        if shape.len() != 4 {
            continue;
        }
        let size = shape[2..].to_vec();
        match stages.iter_mut().find(|(s, _)| *s == size) {
            Some(stage) => stage.1 = t.name.clone(),
            None => stages.push((size, t.name.clone())),
        }
    }
    stages.into_iter().map(|(_, name)| name).collect()
}

/// The PyTorch module path a node name's scope spells, if any
/// (`/layer1/layer1.0/relu_1/Relu` → `layer1.0.relu_1`: the exporter's
/// name for the module's second call, which [`OnnxModel::capture`] takes
/// too; `layer1.0.relu` is its last call).
fn module_of(node: &str) -> Option<String> {
    let mut parts: Vec<&str> = node.strip_prefix('/')?.split('/').collect();
    parts.pop();
    if parts.is_empty() {
        return None;
    }
    Some(
        parts
            .iter()
            .map(|c| scope_component(c).0)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A scope component's own name (`layer1.0` → `0`, `relu_1` → (`relu`,
/// repeated)), as `named_modules()` has it; the exporter writes an indexed
/// child as `parent.index` and a module's k-th extra call as `name_k`.
fn scope_component(c: &str) -> (&str, Option<&str>) {
    let own = c.rsplit_once('.').map_or(c, |(_, last)| last);
    (
        own,
        own.rsplit_once('_')
            .and_then(|(base, k)| k.parse::<usize>().is_ok().then_some(base)),
    )
}

/// Whether node name `node` lies in the scope of module path `parts`.
fn scope_matches(node: &str, parts: &[&str]) -> bool {
    let Some(rest) = node.strip_prefix('/') else {
        return false;
    };
    let comps: Vec<&str> = rest.split('/').collect();
    // The last component is the op's own name, not a scope.
    if comps.len() <= parts.len() {
        return false;
    }
    comps.iter().zip(parts).enumerate().all(|(i, (c, p))| {
        let (own, repeated_base) = scope_component(c);
        own == *p || (i == parts.len() - 1 && repeated_base == Some(*p))
    })
}

/// A set of layers of one graph, ready to run.
pub struct Capture<'m> {
    model: &'m OnnxModel,
    layers: Vec<String>,
    outlets: Vec<OutletId>,
    /// Plans by input shapes (one stimulus; a text batch's length).
    plans: std::sync::Mutex<HashMap<Vec<Vec<usize>>, Plan>>,
    pool: std::sync::OnceLock<rayon::ThreadPool>,
}

/// One layer's output for a batch: row-major values and shape.
pub struct LayerOutput {
    pub values: Vec<f32>,
    pub shape: Vec<usize>,
}

impl Capture<'_> {
    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// A pool of `threads` workers, made once (when the caller asks for
    /// another number of threads than rayon's global pool has).
    fn pool(&self, threads: usize) -> Result<&rayon::ThreadPool> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::internal(format!("starting {threads} threads: {e}")))?;
        Ok(self.pool.get_or_init(|| pool))
    }

    fn plan(&self, shapes: Vec<Vec<usize>>) -> Result<Plan> {
        let mut plans = self
            .plans
            .lock()
            .map_err(|_| Error::internal("the plan cache was poisoned"))?;
        if let Some(p) = plans.get(&shapes) {
            return Ok(p.clone());
        }
        let path = &self.model.path;
        let plan = self
            .model
            .typed(&shapes, Some(&self.outlets))?
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| model_error(path, format!("cannot prepare the graph ({e:#})")))?;
        plans.insert(shapes, plan.clone());
        Ok(plan)
    }

    /// Runs one batch (every feed has the batch first) and returns each
    /// captured layer, in order. The graph runs one stimulus at a time
    /// (tract's kernels are fastest on a single image: ResNet-18 took 3.7 s
    /// for 128 images one by one against 6.2 s in batches of 32, on one
    /// thread), the stimuli spread over `threads` threads.
    pub fn run(&self, feeds: &[Tensor], threads: usize) -> Result<Vec<LayerOutput>> {
        let batch = feeds
            .first()
            .map_or(0, |t| t.shape().first().copied().unwrap_or(0));
        let stimuli: Vec<usize> = (0..batch).collect();
        // Each worker keeps its running state (the plan's buffers) from one
        // stimulus to the next; a new input shape spawns a new one.
        type Worker = Option<(Vec<Vec<usize>>, TypedSimpleState)>;
        let run_one = |worker: &mut Worker, i: usize| -> Result<Vec<LayerOutput>> {
            let part: Vec<Tensor> = feeds
                .iter()
                .map(|t| t.slice(0, i, i + 1))
                .collect::<TractResult<_>>()
                .map_err(|e| Error::internal(format!("slicing a batch: {e}")))?;
            let shapes: Vec<Vec<usize>> = part.iter().map(|t| t.shape().to_vec()).collect();
            if worker.as_ref().is_none_or(|(s, _)| *s != shapes) {
                let state = self.plan(shapes.clone())?.spawn().map_err(|e| {
                    model_error(&self.model.path, format!("preparing a run ({e:#})"))
                })?;
                *worker = Some((shapes, state));
            }
            let Some((_, state)) = worker.as_mut() else {
                return Err(Error::internal("no running state"));
            };
            let outputs = state
                .run(part.into_iter().map(TValue::from).collect())
                .map_err(|e| model_error(&self.model.path, format!("running the graph ({e:#})")))?;
            outputs
                .into_iter()
                .zip(&self.layers)
                .map(|(t, layer)| to_layer_output(&t, layer))
                .collect()
        };
        let results: Vec<Result<Vec<LayerOutput>>> = if threads <= 1 || batch == 1 {
            let mut worker = None;
            stimuli.iter().map(|&i| run_one(&mut worker, i)).collect()
        } else {
            use rayon::prelude::*;
            let run_all = || {
                stimuli
                    .par_iter()
                    .map_init(|| None, |worker, &i| run_one(worker, i))
                    .collect()
            };
            if threads == rayon::current_num_threads() {
                run_all()
            } else {
                self.pool(threads)?.install(run_all)
            }
        };
        let mut merged: Option<Vec<LayerOutput>> = None;
        for r in results {
            let part = r?;
            match &mut merged {
                None => {
                    // Room for the whole batch, so each stimulus is copied once.
                    let mut first = part;
                    for layer in &mut first {
                        layer
                            .values
                            .reserve(layer.values.len() * (batch.max(1) - 1));
                    }
                    merged = Some(first);
                }
                Some(m) => {
                    for (acc, p) in m.iter_mut().zip(part) {
                        acc.shape[0] += p.shape[0];
                        acc.values.extend_from_slice(&p.values);
                    }
                }
            }
        }
        merged.ok_or_else(|| Error::internal("an empty batch"))
    }
}

fn to_layer_output(t: &TValue, layer: &str) -> Result<LayerOutput> {
    let t = t.cast_to::<f32>().map_err(|e| {
        Error::internal(format!(
            "layer '{layer}' is {:?}, not numbers ({e})",
            t.datum_type()
        ))
    })?;
    let view = t
        .to_plain_array_view::<f32>()
        .map_err(|e| Error::internal(format!("reading layer '{layer}': {e}")))?;
    // A contiguous output (the usual case) is one copy of memory.
    let values = match view.as_slice() {
        Some(slice) => slice.to_vec(),
        None => view.iter().copied().collect(),
    };
    Ok(LayerOutput {
        shape: t.shape().to_vec(),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_from_scopes() {
        // The listing keeps the exporter's name for a second call
        // (`relu_1`), which also works as a layer name.
        assert_eq!(
            module_of("/layer1/layer1.0/relu_1/Relu").as_deref(),
            Some("layer1.0.relu_1")
        );
        assert_eq!(
            module_of("/encoder/layers/encoder_layer_0/mlp/mlp.0/MatMul").as_deref(),
            Some("encoder.layers.encoder_layer_0.mlp.0")
        );
        assert_eq!(module_of("/Flatten"), None);
        assert_eq!(module_of("Identity_0"), None);
        let parts = |p: &'static str| p.split('.').collect::<Vec<_>>();
        assert!(scope_matches(
            "/layer1/layer1.0/relu_1/Relu",
            &parts("layer1.0.relu")
        ));
        assert!(scope_matches(
            "/layer1/layer1.0/relu_1/Relu",
            &parts("layer1.0")
        ));
        assert!(scope_matches(
            "/layer1/layer1.0/relu_1/Relu",
            &parts("layer1")
        ));
        assert!(!scope_matches(
            "/layer1/layer1.0/relu_1/Relu",
            &parts("layer1.1")
        ));
        assert!(!scope_matches(
            "/layer1/layer1.0/Add",
            &parts("layer1.0.relu")
        ));
        // A name that ends in _0 is itself, not a repeated call.
        assert!(scope_matches(
            "/encoder/layers/encoder_layer_0/Add",
            &parts("encoder.layers.encoder_layer_0")
        ));
    }
}
