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

use super::similarity::compute;
use crate::cli::Global;
use crate::output::{matrix_json, matrix_table, write_matrix_csv};
use repscope::PairwiseOptions;

const HIDDEN_STATES: &[u8] = include_bytes!("../../../../data/minilm_corpus.safetensors");
const CORPUS: &str = include_str!("../../../../data/corpus.tsv");

pub fn run(out: &Path, g: &Global) -> anyhow::Result<()> {
    let reps = read_safetensors_bytes(
        HIDDEN_STATES,
        Path::new("<bundled minilm_corpus.safetensors>"),
    )?;
    let topics = topic_labels(CORPUS);
    std::fs::create_dir_all(out).map_err(|e| repscope::Error::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
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
        repscope_plot::pairwise_heatmap(&png, &result, "layer", "layer")?;
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
    let compression = compression_table(&reps, &topics, out, &mut written)?;
    let (depth_table, depth_line) = depth_probe(&reps, &topics, out, &mut written)?;
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
) -> anyhow::Result<String> {
    use repscope::compress::evaluate::{EvalOptions, Funnel, Precision, evaluate_compression};
    use repscope::compress::metrics::{ApNormalisation, relevant_by_label};
    use repscope::compress::search::Metric;
    let last =
        reps.views()
            .last()
            .map(|r| r.x)
            .ok_or_else(|| repscope::Error::NoRepresentations {
                what: "the bundled data".into(),
            })?;
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
    super::compress::write_table(&csv, &rows, &options.ks)?;
    super::compress::plot(&png, &rows, &options, "MiniLM last layer")?;
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
    super::probe::plot(&png, &layers, &depth)?;
    written.extend([csv, png]);
    Ok((table, super::probe::describe_depth(&depth, &layers)))
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
