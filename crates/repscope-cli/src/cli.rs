//! Command-line arguments (clap). Only parsing lives here; validation and
//! work happen in `commands`.
//!
//! Choice flags take the core's option enums through [`pick`], so `--help`
//! lists the names the core knows (with a line each) and a typo gets a
//! suggestion. One spelling per parameter across the CLI and Python:
//! `--n-boot`, `--n-permutations`, `--seed`, `--threads`, `--alphas`
//! (always penalties); the old spellings are hidden flags that still work
//! for one release and print a deprecation warning.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use repscope::Choice;
use repscope::alignment::MapMethod;
use repscope::compress::evaluate::Precision;
use repscope::compress::metrics::ApNormalisation;
use repscope::compress::search::Metric;
use repscope::encode::ridge::{Score, Solver};
use repscope::rsa::{CompareMethod, RdmMethod};
use repscope::stats::covariance::CovarianceMethod;
use repscope::units::Method;

/// The value parser of a choice flag: the core's names (and aliases) of
/// `T`, listed in `--help` with their one-line help.
pub fn pick<T: Choice + Send + Sync>() -> impl TypedValueParser<Value = T> {
    let values = T::OPTIONS.iter().map(|o| {
        PossibleValue::new(o.name)
            .aliases(o.aliases.iter().copied())
            .help(o.help())
    });
    PossibleValuesParser::new(values).try_map(|s| T::from_name(&s))
}

/// Measure, compare, probe and compress neural representations.
#[derive(Debug, Parser)]
#[command(name = "repscope", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// No progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Print machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Worker threads (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
}

/// The report flag of the analysis commands.
#[derive(Debug, Args, Clone)]
pub struct ReportFlag {
    /// Also write a one-page HTML report of the analysis (figures with
    /// hover and sorting, tables as CSV downloads, provenance); it
    /// fetches nothing and opens offline.
    #[arg(long, value_name = "PATH.html")]
    pub report: Option<PathBuf>,
}

/// `repscope report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Tables (.csv) and figures (.png, .svg) written by repscope, or
    /// folders of them (e.g. a `repscope demo` folder), in page order.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short, long, default_value = "report.html")]
    pub output: PathBuf,
    /// The page's title.
    #[arg(long)]
    pub title: Option<String>,
}

/// The preflight flags of the commands that can outgrow the machine.
#[derive(Debug, Args, Clone, Copy)]
pub struct Preflight {
    /// Print the predicted peak memory and time (from the work sizes and a
    /// quick calibration on this machine) and stop, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run even when the predicted peak exceeds the memory available.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe the arrays in a file or folder: names, shapes, value ranges.
    Info {
        /// A .npy, .npz or .safetensors file, or a folder of them.
        path: PathBuf,
    },
    /// Compare every representation of A with every one of B (or of A).
    Similarity(SimilarityArgs),
    /// Pooled hidden states of a BERT-family model for a list of texts.
    Extract(ExtractArgs),
    /// Run the main job on bundled real data (MiniLM on 320 sentences).
    Demo {
        /// Folder for the tables and figures.
        #[arg(short, long, default_value = "repscope-demo")]
        out: PathBuf,
        /// Where to write the HTML report [default: OUT/report.html].
        #[arg(long, value_name = "PATH.html")]
        report: Option<PathBuf>,
        /// Run a vision network (.onnx) on the 13 bundled images instead:
        /// its stages' layer × layer CKA and an RDM per layer
        /// (`scripts/demo-vision` fetches a pretrained one).
        #[arg(long, value_name = "MODEL.onnx")]
        vision: Option<PathBuf>,
        /// With --vision: feed channels in BGR order (OpenCV-trained models).
        #[arg(long, requires = "vision")]
        bgr: bool,
    },
    /// One self-contained HTML page of tables and figures that repscope
    /// wrote (heatmaps with hover and sorting, CSV downloads).
    Report(ReportArgs),
    /// List the similarity measures, or show property sheets (--sheet).
    Measures {
        /// Show the property sheet of one measure (or `all`): kind, range,
        /// value for identical inputs, axioms, invariances, parameters, cost,
        /// reference.
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
    },
    /// RDMs (condensed, scipy pdist order) of every representation.
    Rdm(RdmArgs),
    /// Compare RDMs: every RDM of A against every RDM of B (or of A).
    Compare(CompareArgs),
    /// Searchlight RSA over brain volumes (NIfTI): an RDM per sphere, one
    /// map per model RDM.
    Searchlight(SearchlightArgs),
    /// Beta series from BIDS derivatives: every run of a subject and task,
    /// concatenated, with condition and run labels for `searchlight`.
    Bids(BidsArgs),
    /// Match the units of one representation to those of another
    /// (one-to-one, best partner, sparse prediction or spectral groups).
    Match(MatchArgs),
    /// Dirichlet energy of every representation on a graph over the stimuli,
    /// and the PCA of each drawn with the graph.
    Graph(GraphArgs),
    /// Alignment of two representations of the same items: paired cosine,
    /// mutual kNN, CKA, and a learned map's held-out retrieval accuracy.
    Align(AlignArgs),
    /// Linear probe of every layer (cross-validated logistic regression):
    /// accuracy, macro-F1, ROC-AUC, control-task selectivity and concept depth.
    Probe(ProbeArgs),
    /// Smaller embeddings: quantise them, and measure retrieval quality,
    /// memory and search time per Matryoshka dimension and precision.
    Compress(CompressArgs),
    /// Sparse distributed representations: false-match probabilities,
    /// union density, top-k codes.
    #[command(subcommand)]
    Sdr(SdrCommand),
    /// Task vectors of fine-tuned checkpoints: norms, cosines, composition.
    Taskvec(TaskvecArgs),
    /// Encoding models: cross-validated ridge from every representation of
    /// FEATURES to every target (voxel, unit) of TARGETS, the penalty
    /// chosen per target.
    Encode(EncodeArgs),
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Features (rows = stimuli): a file or folder; every representation in
    /// it (e.g. every layer) is fitted in turn.
    pub features: PathBuf,
    /// Measured responses (rows = the same stimuli, columns = targets).
    pub targets: PathBuf,
    /// Only these feature representations (repeatable).
    #[arg(long, value_name = "NAME")]
    pub layer: Vec<String>,
    /// Only these target representations (repeatable).
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// Candidate penalties: LOW:HIGH:N (N log-spaced values) or a
    /// comma-separated list (default: 15 log-spaced from 1e-2 to 1e5, as
    /// Python's RidgeCV).
    #[arg(long)]
    pub alphas: Option<String>,
    /// Number of contiguous folds (scikit-learn's KFold, no shuffling).
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Score that selects the penalty and is reported.
    #[arg(long, value_parser = pick::<Score>(), default_value_t = Score::default())]
    pub score: Score,
    /// One penalty shared by all targets instead of one per target.
    #[arg(long)]
    pub shared_alpha: bool,
    /// Fit without an intercept (features and targets must be centred).
    #[arg(long)]
    pub no_intercept: bool,
    /// How the ridge problems are solved.
    #[arg(long, value_parser = pick::<Solver>(), default_value = "auto")]
    pub solver: Solver,
    /// Per-target results (.npz: FEATURES/TARGETS/cv_score and /best_alpha
    /// vectors; .csv: one row per target).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Mean CV score per feature representation, one line per target set.
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub preflight: Preflight,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct TaskvecArgs {
    /// The base checkpoint (.safetensors) the fine-tunes started from.
    pub base: PathBuf,
    /// Fine-tuned checkpoints (.safetensors), one per task.
    #[arg(required = true, value_name = "FT")]
    pub finetuned: Vec<PathBuf>,
    /// Task names, comma-separated (default: the file names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub names: Option<Vec<String>>,
    /// Composition coefficients, one per task (comma-separated) or one for
    /// all tasks; with --coef-file, they apply to the blocks the file does
    /// not name.
    #[arg(long, value_name = "L1,L2,...", allow_hyphen_values = true)]
    pub coef: Option<String>,
    /// Per-block coefficients: one line per block, `block,L1,L2,...` (comma-
    /// or tab-separated; `#` starts a comment; a first line starting with
    /// `block` is a header).
    #[arg(long, value_name = "FILE")]
    pub coef_file: Option<PathBuf>,
    /// Write the composed checkpoint θ_base + Σ λ τ (.safetensors).
    #[arg(short, long, value_name = "SAFETENSORS")]
    pub output: Option<PathBuf>,
    /// Write the per-block table as CSV: block, task, numel, norm,
    /// relative_norm, then the cosine with each task.
    #[arg(long, value_name = "CSV")]
    pub table: Option<PathBuf>,
    /// Draw the task × task cosine similarity as a heatmap (.png or .svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Representations A (file or folder).
    pub a: PathBuf,
    /// Representations B; A's file again when absent.
    pub b: Option<PathBuf>,
    /// The representation of A to use (needed when A holds several).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Deprecated spelling of --layer.
    #[arg(long, value_name = "NAME", hide = true)]
    pub layer_a: Option<String>,
    /// The representation of B to use.
    #[arg(long, value_name = "NAME")]
    pub layer_b: Option<String>,
    /// How units are matched.
    #[arg(short, long, value_parser = pick::<Method>(), default_value = "hungarian")]
    pub method: Method,
    /// Groups for --method spectral.
    #[arg(long, default_value_t = 8)]
    pub groups: usize,
    /// Penalties on the lasso path for --method sparse (a count).
    #[arg(long, default_value_t = 20)]
    pub n_alphas: usize,
    /// Deprecated: the count of penalties, now --n-alphas (--alphas names
    /// penalties, as in `encode`).
    #[arg(long, value_name = "N", hide = true)]
    pub alphas: Option<usize>,
    /// Fraction of stimuli held out to score --method sparse (0: in-sample).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Seed of the held-out split (sparse) or the k-means restarts (spectral).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the per-unit table as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw the sorted correlations, the lasso path, or the groups (.png/.svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Representations (file or folder).
    pub path: PathBuf,
    /// Edge list: `i j [weight]` per line; endpoints are stimulus labels or
    /// 0-based row indices.
    #[arg(long, value_name = "FILE")]
    pub edges: PathBuf,
    /// Write the energies as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw each representation's first two principal components with the
    /// graph's edges (one file per representation when there are several).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AlignArgs {
    /// Representations A (file or folder); row i is item i.
    pub a: PathBuf,
    /// Representations B of the same items; A against itself when absent.
    pub b: Option<PathBuf>,
    /// The map learned from A to B.
    #[arg(long, value_parser = pick::<MapMethod>(), default_value = "procrustes")]
    pub map: MapMethod,
    /// Ridge penalty for --map ridge.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Fraction of items held out to score the map.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Seed of the held-out split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Neighbours for mutual kNN.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Write every pair as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw the held-out top-1 retrieval accuracy as a heatmap (.png/.svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Representations (one per layer, in layer order): file or folder.
    pub path: PathBuf,
    /// One class label per stimulus (a text file, one per line, or a .tsv
    /// whose first column is the label).
    #[arg(long, value_name = "LABELS")]
    pub labels: PathBuf,
    /// Stratified folds (seeded; every class needs at least this many members).
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Seed of the folds and of the control permutation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also probe permuted labels and report selectivity (task − control accuracy).
    #[arg(long)]
    pub control: bool,
    /// Inverse regularisation strength (scikit-learn's C).
    #[arg(short = 'C', long = "C", default_value_t = 1.0)]
    pub c: f64,
    /// Candidate Cs, comma-separated, chosen per fold by inner cross-validation.
    #[arg(long = "Cs", value_delimiter = ',', value_name = "C,C,...")]
    pub cs: Vec<f64>,
    /// Inner folds for choosing C.
    #[arg(long, default_value_t = 3)]
    pub inner_cv: usize,
    /// Use the features as they are (default: standardise with the training fold's mean and sd).
    #[arg(long)]
    pub no_standardize: bool,
    /// L-BFGS gradient tolerance.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// L-BFGS iteration limit.
    #[arg(long, default_value_t = 1000)]
    pub max_iter: usize,
    /// Concept depth: the fraction of the best accuracy that marks the threshold layer.
    #[arg(long, default_value_t = 0.9)]
    pub fraction: f64,
    /// Write the per-layer table as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw the depth curve (accuracy per layer) (.png/.svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct CompressArgs {
    /// Embeddings (rows = items): file or folder.
    pub path: PathBuf,
    /// The representation to use (needed when the file holds several).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Precisions, comma-separated.
    #[arg(long, value_parser = pick::<Precision>(), default_value = "float32,int8,binary", value_delimiter = ',')]
    pub precision: Vec<Precision>,
    /// Matryoshka prefix dimensions, comma-separated (`full` = all).
    #[arg(long, default_value = "16,32,64,128,full", value_delimiter = ',')]
    pub dims: Vec<String>,
    /// Evaluate retrieval: one label per item (a text file, one per line, or
    /// a .tsv whose first column is the label). Every item queries all the
    /// others; items with its label are relevant.
    #[arg(long, value_name = "LABELS")]
    pub eval: Option<PathBuf>,
    /// Metric cut-offs, comma-separated.
    #[arg(short, long, default_value = "1,10", value_delimiter = ',')]
    pub k: Vec<usize>,
    /// Similarity of a query and a corpus vector.
    #[arg(long, value_parser = pick::<Metric>(), default_value = "cosine")]
    pub metric: Metric,
    /// mAP@k normalisation.
    #[arg(long, value_parser = pick::<ApNormalisation>(), default_value = "standard")]
    pub map: ApNormalisation,
    /// Also evaluate Matryoshka adaptive retrieval (one more row): shortlist
    /// at low dimensions, rerank at higher ones. Alone: MRL's cascade
    /// 16:200,32:100,64:50,128:25,full:10; or stages DIM:SHORTLIST,...
    #[arg(long, value_name = "STAGES", num_args = 0..=1, default_missing_value = "mrl")]
    pub funnel: Option<String>,
    /// Write the evaluation table as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw quality against dimension, one line per precision (.png/.svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    /// Write the 8-bit codes of the full-width embeddings (.npy; needs one
    /// --precision of int8 or uint8).
    #[arg(long, value_name = "NPY")]
    pub codes: Option<PathBuf>,
    /// Calibration ranges (.npy, 2 × dims: minima then maxima) to quantise
    /// with; without it the embeddings' own ranges are used (and written
    /// next to --codes as NAME.ranges.npy).
    #[arg(long, value_name = "NPY")]
    pub ranges: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Subcommand)]
pub enum SdrCommand {
    /// Probability that a dendritic segment of s synapses with threshold
    /// theta matches a random code of a active bits out of n.
    FalseMatch {
        #[arg(long)]
        n: u64,
        #[arg(long)]
        a: u64,
        #[arg(long)]
        s: u64,
        #[arg(long)]
        theta: u64,
    },
    /// Expected density of the union of m codes of w active bits out of n,
    /// and (with --theta) the probability that a new random code overlaps
    /// the union in at least theta bits.
    Union {
        #[arg(long)]
        n: u64,
        #[arg(long)]
        w: u64,
        #[arg(long)]
        m: u64,
        #[arg(long)]
        theta: Option<u64>,
    },
    /// Top-k binary codes of every representation (k active units per stimulus).
    Encode {
        /// Representations (file or folder).
        path: PathBuf,
        /// Active units per stimulus.
        #[arg(short, long)]
        k: usize,
        /// Output: .npz or .safetensors of 0/1 codes.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RdmArgs {
    /// Representations (rows = measurements or conditions): file or folder.
    pub path: PathBuf,
    /// Dissimilarity.
    #[arg(short, long, value_parser = pick::<RdmMethod>(), default_value = "correlation")]
    pub method: RdmMethod,
    /// Condition label of each row, one per line (rows of a condition are averaged).
    #[arg(long, value_name = "FILE")]
    pub conditions: Option<PathBuf>,
    /// Fold (run) label of each row, one per line (crossnobis).
    #[arg(long, value_name = "FILE")]
    pub folds: Option<PathBuf>,
    /// Noise precision matrix (channels × channels, .npy) for mahalanobis/crossnobis.
    #[arg(long, value_name = "NPY")]
    pub noise: Option<PathBuf>,
    /// Write the RDMs as .npz.
    #[arg(short, long, value_name = "NPZ")]
    pub output: Option<PathBuf>,
    /// Draw each RDM (.png/.svg; one file per representation when there are several).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    /// Draw the classical MDS of each RDM (.png/.svg).
    #[arg(long, value_name = "IMAGE")]
    pub mds: Option<PathBuf>,
    /// Time-resolved: PATH is a .npy of measurements × channels × time; one
    /// RDM per time window (-o writes them, one array per window start).
    #[arg(long)]
    pub time: bool,
    /// With --time: time points per window (patterns averaged over it).
    #[arg(long, default_value_t = 1, requires = "time")]
    pub window: usize,
    /// With --time: time points between window starts.
    #[arg(long, default_value_t = 1, requires = "time")]
    pub step: usize,
    /// With --time: model RDMs (.npz) compared with every window's RDM
    /// (--plot draws the time courses).
    #[arg(long, value_name = "NPZ", requires = "time")]
    pub models: Option<PathBuf>,
    /// With --models: the RDM comparison.
    #[arg(long, value_parser = pick::<CompareMethod>(), default_value = "corr", requires = "models")]
    pub compare: CompareMethod,
    /// With --models: write the model × time table as CSV.
    #[arg(long, value_name = "CSV", requires = "models")]
    pub table: Option<PathBuf>,
    #[command(flatten)]
    pub preflight: Preflight,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct SearchlightArgs {
    /// Beta maps: one 4-D series or several 3-D volumes (.nii, .nii.gz), in
    /// order; with --surface, one GIfTI of maps (.func.gii) per mesh.
    #[arg(required = true, value_name = "BETAS")]
    pub volumes: Vec<PathBuf>,
    /// Mask on the volumes' grid: searchlight centres and sphere voxels are
    /// its non-zero voxels. With --surface (optional): one GIfTI per mesh,
    /// non-zero for vertices searched (e.g. zero on the medial wall).
    #[arg(long, value_name = "NIFTI")]
    pub mask: Vec<PathBuf>,
    /// A cortical mesh (.surf.gii), once per hemisphere: discs of --radius
    /// mm along the mesh instead of spheres in a volume.
    #[arg(long, value_name = "GIFTI")]
    pub surface: Vec<PathBuf>,
    /// Condition label of each volume, one per line.
    #[arg(long, value_name = "FILE")]
    pub conditions: PathBuf,
    /// Run (fold) label of each volume, one per line (crossnobis).
    #[arg(long, value_name = "FILE")]
    pub folds: Option<PathBuf>,
    /// Model RDMs (.npz, condensed, one array per model); without them the sphere RDMs are written.
    #[arg(long, value_name = "NPZ")]
    pub models: Option<PathBuf>,
    /// Dissimilarity.
    #[arg(short, long, value_parser = pick::<RdmMethod>(), default_value = "correlation")]
    pub method: RdmMethod,
    /// RDM comparison.
    #[arg(long, value_parser = pick::<CompareMethod>(), default_value = "corr")]
    pub compare: CompareMethod,
    /// Sphere radius (voxels, or mm with --mm); spheres hold voxels at distance <= radius.
    #[arg(short, long, default_value_t = 3.0)]
    pub radius: f64,
    /// The radius is in mm (through the mask's affine).
    #[arg(long)]
    pub mm: bool,
    /// Centres whose sphere has fewer mask voxels get NaN.
    #[arg(long, default_value_t = 1)]
    pub min_voxels: usize,
    /// Centres only on the sub-grid of voxels whose indices are multiples of
    /// this (volumes; spheres still hold every mask voxel, maps are NaN between).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub stride: u32,
    /// Residuals (a 4-D NIfTI series, or 3-D maps) on the volumes' grid, for
    /// a noise precision per sphere (mahalanobis, crossnobis; volumes only).
    #[arg(long, value_name = "NIFTI")]
    pub noise: Vec<PathBuf>,
    /// The covariance estimator of the per-sphere noise precision.
    #[arg(long, value_parser = pick::<CovarianceMethod>(), default_value = "shrinkage_diag")]
    pub noise_method: CovarianceMethod,
    #[command(flatten)]
    pub preflight: Preflight,
    /// The most shared rows one block of centres holds, in MB (default 256):
    /// lower it to lower the peak.
    #[arg(long, value_name = "MB", value_parser = positive_mb)]
    pub block_mb: Option<f64>,
    /// Output folder: MODEL.nii.gz per model (with --surface: MESH.searchlight.func.gii
    /// per mesh, one map per model), or sphere_rdms.npz.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// RDMs A (.npz/.npy: condensed vectors, one per row or array).
    pub a: PathBuf,
    /// RDMs B; compare A with itself when absent.
    pub b: Option<PathBuf>,
    /// RDM comparison.
    #[arg(long, value_parser = pick::<CompareMethod>(), default_value = "spearman")]
    pub compare: CompareMethod,
    /// Deprecated spelling of --compare.
    #[arg(short, long, value_parser = pick::<CompareMethod>(), hide = true)]
    pub method: Option<CompareMethod>,
    /// Write the matrix as CSV.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw the matrix as a heatmap (.png or .svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct SimilarityArgs {
    /// Representations A (file or folder).
    pub a: PathBuf,
    /// Representations B; compare A with itself when absent.
    pub b: Option<PathBuf>,
    /// Measure name (see `repscope measures`).
    #[arg(short, long, default_value = "linear_cka")]
    pub measure: String,
    /// A measure parameter, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Write every pair as CSV, long format: a, b, measure, value, ci_low, ci_high, p,
    /// calibrated, threshold.
    #[arg(short, long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    /// Draw the matrix as a heatmap (.png or .svg).
    #[arg(long, value_name = "IMAGE")]
    pub plot: Option<PathBuf>,
    /// Bootstrap samples over stimuli for a confidence interval per cell.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub n_boot: usize,
    /// Deprecated spelling of --n-boot.
    #[arg(long, value_name = "N", hide = true)]
    pub boot: Option<usize>,
    /// Permutations for a p-value and a calibrated score per cell (the stimuli
    /// of B shuffled; the calibrated score is 0 at or below the null's
    /// 1 − alpha order statistic and 1 at the value of identical inputs).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub n_permutations: usize,
    /// Deprecated spelling of --n-permutations.
    #[arg(long, value_name = "N", hide = true)]
    pub permutations: Option<usize>,
    /// The calibration threshold's level: a null pair scores above it with
    /// probability at most alpha.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05)]
    pub calibration_alpha: f64,
    /// Seed of the bootstrap and permutation draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Confidence level of the bootstrap intervals.
    #[arg(long, default_value_t = 0.95)]
    pub ci: f64,
    /// Load representations one at a time (a folder of array files, a
    /// .safetensors file or an HDF5 file): memory stays at two prepared representations per
    /// worker, at the cost of preparing each row's partners again.
    #[arg(long)]
    pub stream: bool,
    #[command(flatten)]
    pub preflight: Preflight,
    #[command(flatten)]
    pub report: ReportFlag,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The model: an .onnx graph (any framework's export), or a Hugging
    /// Face BERT folder (config.json, model.safetensors, tokenizer.json).
    pub model: PathBuf,
    /// Texts: one per line, or a .tsv with a `sentence` or `text` column.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["images", "arrays"])]
    pub texts: Option<PathBuf>,
    /// Images (ONNX): a folder of .png/.jpg/.jpeg (sorted by file name) or
    /// a list file (one path per line, relative to the list).
    #[arg(long, value_name = "DIR|FILE", conflicts_with = "arrays")]
    pub images: Option<PathBuf>,
    /// Inputs (ONNX) as one .npy array, stimuli first: audio, precomputed
    /// features, token ids, anything the graph takes.
    #[arg(long, value_name = "FILE")]
    pub arrays: Option<PathBuf>,
    /// Output: .safetensors (float32; an ONNX run is streamed to it batch by
    /// batch), or .npz (float64, BERT folders).
    #[arg(short, long, value_name = "FILE", required_unless_present = "list")]
    pub output: Option<PathBuf>,
    /// List the graph's inputs and every capturable tensor with its shape
    /// and PyTorch module, then stop.
    #[arg(long)]
    pub list: bool,
    /// Layers to capture in one pass (ONNX): tensor, node or PyTorch module
    /// names (`layer1.0`), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub layers: Vec<String>,
    /// Pooling: one for every layer, or LAYER=POOL for one. ONNX: auto,
    /// flatten, mean, max, cls, token_mean, last, project (auto: mean for
    /// feature maps, token_mean for sequences). BERT folders: mean, cls.
    #[arg(long, value_name = "POOL", default_value = "auto")]
    pub pool: Vec<String>,
    /// Image preprocessing preset: imagenet (torchvision's: resize 256,
    /// crop 224, ImageNet mean/std) or none (pixels / 255 at their size).
    #[arg(long, default_value = "imagenet", value_parser = ["imagenet", "none"])]
    pub preset: String,
    /// Resize the short side to N pixels (Pillow's bilinear, as torchvision).
    #[arg(long, value_name = "N")]
    pub resize: Option<usize>,
    /// Centre crop: N or HxW pixels.
    #[arg(long, value_name = "N|HxW")]
    pub crop: Option<String>,
    /// Channel means subtracted (after / 255): R,G,B.
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "R,G,B")]
    pub mean: Option<Vec<f32>>,
    /// Channel standard deviations divided by: R,G,B.
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "R,G,B")]
    pub std: Option<Vec<f32>>,
    /// Feed channels in blue, green, red order (OpenCV-trained models).
    #[arg(long)]
    pub bgr: bool,
    /// tokenizer.json for texts into an ONNX graph (inputs input_ids,
    /// attention_mask, token_type_ids).
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,
    /// Width of `project` pooling.
    #[arg(long, default_value_t = 1024)]
    pub projection_width: usize,
    /// Seed of `project` pooling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stimuli per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[command(flatten)]
    pub preflight: Preflight,
}

/// `repscope bids`: beta series from BIDS derivatives.
#[derive(Debug, Args)]
pub struct BidsArgs {
    /// The derivatives folder (it holds sub-<label>/).
    pub root: PathBuf,
    /// Subject label (with or without sub-).
    #[arg(long)]
    pub subject: String,
    /// Task label (with or without task-).
    #[arg(long)]
    pub task: String,
    /// The space entity the betas must have.
    #[arg(long)]
    pub space: Option<String>,
    /// The desc entity the betas must have.
    #[arg(long)]
    pub desc: Option<String>,
    /// The session (ses entity).
    #[arg(long)]
    pub session: Option<String>,
    /// The betas' file suffix.
    #[arg(long, default_value = "beta")]
    pub suffix: String,
    /// The raw BIDS dataset, searched for events.tsv files.
    #[arg(long)]
    pub raw: Option<PathBuf>,
    /// The events.tsv column with each event's condition.
    #[arg(long, default_value = "trial_type")]
    pub condition_column: String,
    /// The concatenated 4-D beta series (.nii or .nii.gz).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Condition labels, one per volume (default: beside the output, .conditions.txt).
    #[arg(long)]
    pub conditions_out: Option<PathBuf>,
    /// Run labels, one per volume, for --folds (default: beside the output, .runs.txt).
    #[arg(long)]
    pub folds_out: Option<PathBuf>,
}

/// A positive number of MB.
fn positive_mb(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("expected a positive number of MB, got {s:?}")),
    }
}
