//! `repscope demo`: the main job on bundled real data.
//!
//! The data are the mean-pooled hidden states of all-MiniLM-L6-v2
//! (embedding output and its 6 layers, 384 units) for 320 sentences on 8
//! topics (`data/corpus.tsv`), extracted by `repscope extract`
//! (`scripts/make-demo-data`) and compiled into the binary, so the demo runs
//! anywhere with no model and no network. It computes the layer × layer
//! linear and debiased CKA matrices, and how strongly each layer's geometry
//! follows the topic labels (CKA with the one-hot topic matrix, and RSA of
//! each layer's RDM against the categorical topic model RDM), and the
//! concept depth of the topics: a cross-validated probe of every layer.

use std::path::Path;

use faer::Mat;
use repscope::RepSet;
use repscope::data::safetensors_io::read_safetensors_bytes;
use repscope::measures::{Params, build};
use repscope::rsa::{CompareMethod, RdmMethod, RdmSpec, compare, rdm};

use super::report::Recorder;
use super::similarity::compute;
use crate::cli::Global;
use crate::output::{Table, matrix_json, matrix_table, write_matrix_csv};
use repscope::PairwiseOptions;
use repscope_plot::Chart;
use repscope_plot::chart::{Curve, CurveChart, MatrixChart, ScatterChart};
use repscope_plot::report::Section;

const HIDDEN_STATES: &[u8] = include_bytes!("../../../../data/minilm_corpus.safetensors");
const CORPUS: &str = include_str!("../../../../data/corpus.tsv");

pub fn run(out: &Path, report: Option<&Path>, g: &Global) -> anyhow::Result<()> {
    let mut recorder = Recorder::new();
    recorder.input_bytes("<bundled minilm_corpus.safetensors>", HIDDEN_STATES);
    recorder.input_bytes("<bundled corpus.tsv>", CORPUS.as_bytes());
    let reps = read_safetensors_bytes(
        HIDDEN_STATES,
        Path::new("<bundled minilm_corpus.safetensors>"),
    )?;
    let topics = topic_labels(CORPUS);
    let folder = crate::output::OutputFolder::create(out)?;
    let n = reps.n_stimuli().unwrap_or(0);
    let (topic_names, one_hot) = one_hot(&topics);
    if !g.json {
        println!(
            "repscope demo: all-MiniLM-L6-v2, {} hidden states x {n} sentences x 384 units, {} topics\n",
            reps.len(),
            topic_names.len()
        );
    }
    let options = PairwiseOptions::default();
    let mut json = serde_json::Map::new();
    let mut written = Vec::new();
    for measure_name in ["linear_cka", "debiased_cka"] {
        let measure = build(measure_name, &Params::new())?;
        let result = compute(&reps, None, measure.as_ref(), &options, g)?;
        let csv = out.join(format!("{measure_name}.csv"));
        let png = out.join(format!("{measure_name}.png"));
        write_matrix_csv(
            &csv,
            measure_name,
            result.values.as_ref(),
            &result.names_a,
            &result.names_b,
        )?;
        let chart = Chart::pairwise(&result, "layer", "layer").with_subtitle(format!(
            "{measure_name} between the {} hidden states of all-MiniLM-L6-v2, {n} sentences",
            reps.len()
        ));
        chart.write(&png)?;
        recorder.add(
            Section::of_chart(
                format!("layer × layer {measure_name}"),
                format!(
                    "{measure_name} between every pair of layers' mean-pooled hidden states \
                     (384 units) over the same {n} sentences; 1 is identical geometry."
                ),
                chart,
            )
            .csv(format!("{measure_name}.csv")),
        );
        written.extend([csv, png]);
        if g.json {
            json.insert(
                measure_name.into(),
                matrix_json(result.values.as_ref(), &result.names_a, &result.names_b),
            );
        } else {
            println!("layer x layer {measure_name}");
            println!(
                "{}",
                matrix_table(result.values.as_ref(), &result.names_a, &result.names_b)
            );
        }
    }

    // How much of each layer's geometry the topics explain.
    let mut labels = RepSet::new();
    labels.push("topic", one_hot)?;
    let columns = ["linear_cka", "debiased_cka"].map(|m| -> anyhow::Result<Vec<f64>> {
        let measure = build(m, &Params::new())?;
        let r = compute(&reps, Some(&labels), measure.as_ref(), &options, g)?;
        Ok((0..reps.len()).map(|i| r.values[(i, 0)]).collect())
    });
    let [linear, debiased] = columns;
    let (linear, debiased) = (linear?, debiased?);
    // RSA against the categorical topic model (0 within a topic, 1 across),
    // with Kendall's tau-a, which handles a model's tied dissimilarities
    // (Nili et al. 2014).
    let (_, topic_codes) = repscope::data::labels::labels_to_codes(&topics);
    let topic_model = repscope::rsa::models::categorical(&topic_codes);
    let layer_rdms = reps
        .views()
        .iter()
        .map(|r| rdm(r.x, &RdmSpec::new(RdmMethod::Correlation)))
        .collect::<repscope::Result<Vec<_>>>()?;
    let layer_refs: Vec<&[f64]> = layer_rdms.iter().map(Vec::as_slice).collect();
    let tau = compare(&layer_refs, &[&topic_model], CompareMethod::KendallA, None)?;
    let alignment = Mat::from_fn(reps.len(), 3, |i, j| match j {
        0 => linear[i],
        1 => debiased[i],
        _ => tau[(i, 0)],
    });
    let cols = vec![
        "linear_cka".to_string(),
        "debiased_cka".to_string(),
        "rsa_kendall_a".to_string(),
    ];
    let csv = out.join("topic_alignment.csv");
    write_matrix_csv(&csv, "layer", alignment.as_ref(), reps.names(), &cols)?;
    written.push(csv);
    recorder.add(
        Section::of_chart(
            "Topic structure per layer",
            "How much of each layer's geometry the 8 topic labels explain: CKA with the \
             one-hot topic matrix, and Kendall's tau-a between the layer's correlation-distance \
             RDM and the categorical topic model RDM.",
            per_layer_chart(reps.names(), &alignment, &cols, n),
        )
        .with_table(Table::from_matrix(
            "layer",
            alignment.as_ref(),
            reps.names(),
            &cols,
        ))
        .csv("topic_alignment.csv"),
    );
    topic_geometry(&reps, &topics, out, &mut written, &mut recorder)?;
    let compression = compression_table(&reps, &topics, out, &mut written, &mut recorder)?;
    let (depth_table, depth_line) = depth_probe(&reps, &topics, out, &mut written, &mut recorder)?;
    let report_path = report.map_or_else(|| out.join("report.html"), Path::to_path_buf);
    recorder.parameter("measures", "linear_cka, debiased_cka");
    recorder.parameter(
        "rsa",
        "correlation RDMs, Kendall tau-a against the topic model",
    );
    recorder.parameter(
        "retrieval",
        "cosine, Matryoshka prefixes 16..384, float32/int8/binary, k = 1, 10",
    );
    recorder.parameter(
        "probe",
        "5-fold stratified logistic regression, C = 1, control = permuted topics",
    );
    recorder.seed(0);
    recorder.write(
        &report_path,
        "repscope demo: all-MiniLM-L6-v2 on 320 sentences",
        g,
    )?;
    written.push(report_path);
    folder.keep();
    if g.json {
        json.insert(
            "topic_alignment".into(),
            matrix_json(alignment.as_ref(), reps.names(), &cols),
        );
        json.insert("concept_depth".into(), depth_table.json());
        json.insert(
            "files".into(),
            written.iter().map(|p| p.display().to_string()).collect(),
        );
        println!("{}", serde_json::Value::Object(json));
    } else {
        println!(
            "CKA of each layer with the one-hot topic labels ({} topics)",
            topic_names.len()
        );
        println!("{}", matrix_table(alignment.as_ref(), reps.names(), &cols));
        println!(
            "Topic retrieval with the last layer's sentence embeddings, smaller \
             (Matryoshka prefix x precision; each sentence queries the other 319)"
        );
        println!("{compression}");
        println!(
            "Topic probe of every layer (5-fold logistic regression; control = permuted topics)"
        );
        println!("{}", depth_table.text(4));
        println!("{depth_line}\n");
        println!("wrote:");
        for p in &written {
            println!("  {}", p.display());
        }
    }
    Ok(())
}

/// Retrieval quality of the last layer against the topics for every
/// prefix dimension × precision: compression.csv and compression.png.
fn compression_table(
    reps: &repscope::RepSet,
    topics: &[String],
    out: &Path,
    written: &mut Vec<std::path::PathBuf>,
    recorder: &mut Recorder,
) -> anyhow::Result<String> {
    use repscope::compress::evaluate::{EvalOptions, Funnel, Precision, evaluate_compression};
    use repscope::compress::metrics::{ApNormalisation, relevant_by_label};
    use repscope::compress::search::Metric;
    let last = last_layer(reps)?;
    let (_, codes) = repscope::data::labels::labels_to_codes(topics);
    let own: Vec<usize> = (0..last.nrows()).collect();
    let relevant = relevant_by_label(&codes, &codes, Some(&own));
    let options = EvalOptions {
        dims: vec![16, 32, 64, 128, last.ncols()],
        precisions: vec![Precision::Float32, Precision::Int8, Precision::Binary],
        ks: vec![1, 10],
        metric: Metric::Cosine,
        ap: ApNormalisation::default(),
        funnel: Some(Funnel::mrl()),
    };
    let rows = evaluate_compression(last, last, &relevant, Some(&own), &options)?;
    let (csv, png) = (out.join("compression.csv"), out.join("compression.png"));
    let table = super::compress::table(&rows, &options.ks);
    table.write_csv(&csv)?;
    let chart = super::compress::chart(&rows, &options, "MiniLM last layer");
    chart.write(&png)?;
    recorder.add(
        Section::of_chart(
            "Retrieval quality vs dimensions and precision",
            "Topic retrieval with the last layer's sentence embeddings cut to a Matryoshka \
             prefix and stored as float32, int8 or binary codes: each sentence queries the \
             other 319, and a hit shares its topic.",
            chart,
        )
        .with_table(table)
        .csv("compression.csv"),
    );
    written.extend([csv, png]);
    Ok(super::compress::summary_table(&rows, &options))
}

/// The concept-depth probe of the topics over the layers: probe_depth.csv
/// and probe_depth.png; returns the table and the depth summary.
fn depth_probe(
    reps: &repscope::RepSet,
    topics: &[String],
    out: &Path,
    written: &mut Vec<std::path::PathBuf>,
    recorder: &mut Recorder,
) -> anyhow::Result<(crate::output::Table, String)> {
    use repscope::probe::depth::{DEFAULT_FRACTION, depth_of_probe};
    use repscope::probe::{CrossValidation, ProbeOptions, probe};
    let (classes, codes) = repscope::data::labels::labels_to_codes(topics);
    let options = ProbeOptions {
        control: true,
        ..ProbeOptions::default()
    };
    let layers = probe(
        &reps.views(),
        &codes,
        classes.len(),
        &CrossValidation::Stratified(5),
        &options,
    )?;
    let depth = depth_of_probe(&layers, DEFAULT_FRACTION)?;
    let (csv, png) = (out.join("probe_depth.csv"), out.join("probe_depth.png"));
    let table = super::probe::table(&layers, &depth);
    table.write_csv(&csv)?;
    let chart = super::probe::chart(&layers, &depth, &codes, classes.len())?;
    chart.write(&png)?;
    recorder.add(
        Section::of_chart(
            "Concept depth of the topics",
            super::probe::describe_depth(&depth, &layers),
            chart,
        )
        .with_table(table.clone())
        .csv("probe_depth.csv"),
    );
    written.extend([csv, png]);
    Ok((table, super::probe::describe_depth(&depth, &layers)))
}

/// Per-layer scores as curves over the named layers.
fn per_layer_chart(layers: &[String], values: &Mat<f64>, cols: &[String], n: usize) -> Chart {
    Chart::Curves(CurveChart {
        title: "topic structure per layer".into(),
        subtitle: format!(
            "{n} sentences, 8 topics; CKA with the one-hot labels, RSA with the topic model"
        ),
        x_label: "layer".into(),
        y_label: "alignment with the topics".into(),
        x: (0..layers.len()).map(|i| i as f64).collect(),
        x_names: Some(layers.to_vec()),
        log_x: false,
        series: cols
            .iter()
            .enumerate()
            .map(|(j, name)| Curve {
                name: name.clone(),
                y: (0..layers.len()).map(|i| values[(i, j)]).collect(),
                low: None,
                high: None,
            })
            .collect(),
        reference: None,
    })
}

/// The last layer's topic geometry: the RDM of the 8 topic-mean patterns
/// (correlation distance) and its classical MDS, as topic_rdm.csv and
/// topic_mds.csv.
fn topic_geometry(
    reps: &RepSet,
    topics: &[String],
    out: &Path,
    written: &mut Vec<std::path::PathBuf>,
    recorder: &mut Recorder,
) -> anyhow::Result<()> {
    let last = last_layer(reps)?;
    let (names, codes) = repscope::data::labels::labels_to_codes(topics);
    let mut means = Mat::<f64>::zeros(names.len(), last.ncols());
    let mut counts = vec![0.0; names.len()];
    for (i, &c) in codes.iter().enumerate() {
        counts[c] += 1.0;
        for j in 0..last.ncols() {
            means[(c, j)] += last[(i, j)];
        }
    }
    for (c, &k) in counts.iter().enumerate() {
        for j in 0..last.ncols() {
            means[(c, j)] /= k;
        }
    }
    let condensed = rdm(means.as_ref(), &RdmSpec::new(RdmMethod::Correlation))?;
    let square = repscope::rsa::condensed::to_square(&condensed)?;
    let layer = reps.names().last().cloned().unwrap_or_default();
    let matrix = Chart::Matrix(MatrixChart {
        title: format!("{layer}: RDM of the topic means"),
        subtitle: format!(
            "correlation distance between the 8 topic-mean patterns ({} units)",
            last.ncols()
        ),
        rows: names.clone(),
        cols: names.clone(),
        values: (0..names.len())
            .map(|i| (0..names.len()).map(|j| square[(i, j)]).collect())
            .collect(),
        value_label: "correlation distance".into(),
        row_axis: "topic".into(),
        col_axis: "topic".into(),
        range: None,
    });
    let coords = repscope::rsa::mds::classical_mds(&condensed, 2)?;
    let scatter = Chart::Scatter(ScatterChart {
        title: format!("{layer}: MDS of the topic RDM"),
        subtitle: "classical (Torgerson) MDS, 2 dimensions".into(),
        x: (0..names.len()).map(|i| coords[(i, 0)]).collect(),
        y: (0..names.len()).map(|i| coords[(i, 1)]).collect(),
        labels: names.clone(),
        groups: Some((0..names.len()).collect()),
    });
    for (chart, stem, title, description) in [
        (
            matrix,
            "topic_rdm",
            "RDM of the topics (last layer)",
            "Dissimilarity (1 − Pearson r) between the mean sentence embeddings of each topic.",
        ),
        (
            scatter,
            "topic_mds",
            "MDS of the topic RDM",
            "The topic RDM laid out in two dimensions: nearby topics have similar mean embeddings.",
        ),
    ] {
        let (csv, png) = (
            out.join(format!("{stem}.csv")),
            out.join(format!("{stem}.png")),
        );
        chart.table().write_csv(&csv)?;
        chart.write(&png)?;
        recorder.add(Section::of_chart(title, description, chart).csv(format!("{stem}.csv")));
        written.extend([csv, png]);
    }
    Ok(())
}

/// The last hidden state of the bundled data.
fn last_layer(reps: &RepSet) -> repscope::Result<faer::MatRef<'_, f64>> {
    reps.views()
        .last()
        .map(|r| r.x)
        .ok_or_else(|| repscope::Error::NoRepresentations {
            what: "the bundled data".into(),
        })
}

/// The `topic` column of the corpus, in order.
fn topic_labels(corpus: &str) -> Vec<String> {
    repscope::data::labels::labels_in(corpus, true)
}

/// Topic names (sorted, as every other use of the labels orders them) and
/// the stimuli × topics indicator matrix.
fn one_hot(labels: &[String]) -> (Vec<String>, Mat<f64>) {
    let (names, codes) = repscope::data::labels::labels_to_codes(labels);
    let x = Mat::from_fn(labels.len(), names.len(), |i, j| {
        f64::from(u8::from(codes[i] == j))
    });
    (names, x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_and_corpus_agree() {
        let reps = read_safetensors_bytes(HIDDEN_STATES, Path::new("bundled")).unwrap();
        let topics = topic_labels(CORPUS);
        assert_eq!(reps.len(), 7);
        assert_eq!(reps.n_stimuli(), Some(topics.len()));
        let sentences: Vec<&str> = CORPUS
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(1).unwrap())
            .collect();
        assert_eq!(reps.stimuli().unwrap(), sentences.as_slice());
        let (names, x) = one_hot(&topics);
        assert_eq!(names.len(), 8);
        assert_eq!(x.ncols(), 8);
    }
}
