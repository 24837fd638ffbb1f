//! `repscope similarity A [B]`: the A × B matrix of one measure.

use repscope::data::source::{open_source, shapes};
use repscope::pairwise::estimate_pairwise;
use repscope::pairwise::{PairwiseMatrix, PairwiseOptions};
use repscope::pairwise_streaming;
use repscope::{RepSet, measures::AnyMeasure};

use super::{deprecated, parse_params};
use crate::cli::{Global, SimilarityArgs};
use crate::output::{long_table, matrix_json, matrix_table};
use crate::progress;

pub fn run(args: &SimilarityArgs, g: &Global) -> anyhow::Result<()> {
    let measure = repscope::measures::build(&args.measure, &parse_params(&args.params)?)?;
    let n_boot = match args.boot {
        Some(n) => {
            deprecated("--boot", "--n-boot");
            n
        }
        None => args.n_boot,
    };
    let n_permutations = match args.permutations {
        Some(n) => {
            deprecated("--permutations", "--n-permutations");
            n
        }
        None => args.n_permutations,
    };
    let options = PairwiseOptions {
        n_boot,
        n_permutations,
        alpha: args.calibration_alpha,
        seed: args.seed,
        ci: args.ci,
        ..PairwiseOptions::default()
    };
    let shapes_a = shapes(&args.a)?;
    let shapes_b = args.b.as_deref().map(shapes).transpose()?;
    let sizes =
        |s: &[(String, (usize, usize))]| s.iter().map(|(_, shape)| *shape).collect::<Vec<_>>();
    let sizes_b = shapes_b.as_deref().map(sizes);
    let mut prediction = estimate_pairwise(
        &sizes(&shapes_a),
        sizes_b.as_deref(),
        measure.as_ref(),
        &options,
        args.stream,
    );
    if !args.stream {
        let read: Vec<_> = shapes_a
            .iter()
            .chain(shapes_b.iter().flatten())
            .cloned()
            .collect();
        super::preflight::inputs_part(&mut prediction, "representations", &read);
    }
    if super::preflight::gate(prediction, args.preflight, g)? {
        return Ok(());
    }
    let result = if args.stream {
        let a = open_source(&args.a)?;
        let b = args.b.as_deref().map(open_source).transpose()?;
        let bar = progress::bar(1, measure.info().name, g.quiet);
        let result =
            pairwise_streaming(a.as_ref(), b.as_deref(), measure.as_ref(), &options, &|p| {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64)
            });
        bar.finish_and_clear();
        result?
    } else {
        let a = repscope::load(&args.a)?;
        let b = args.b.as_deref().map(repscope::load).transpose()?;
        compute(&a, b.as_ref(), measure.as_ref(), &options, g)?
    };
    if !g.json {
        for w in &result.warnings {
            eprintln!("warning: {w}");
        }
    }
    present(&result, g)?;
    if let Some(path) = &args.output {
        long_table(&result).write_csv(path)?;
    }
    if let Some(path) = &args.plot {
        repscope_plot::pairwise_heatmap(path, &result, "A", "B")?;
    }
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.inputs(std::iter::once(&args.a).chain(&args.b))?;
        recorder.parameter("measure", args.measure.as_str());
        recorder.parameter("params", args.params.join(" "));
        recorder.parameter("n_boot", n_boot);
        recorder.parameter("n_permutations", n_permutations);
        recorder.parameter("calibration_alpha", args.calibration_alpha);
        recorder.parameter("ci", args.ci);
        recorder.seed(args.seed);
        let chart = repscope_plot::Chart::pairwise(&result, "A", "B");
        recorder.add(
            repscope_plot::report::Section::of_chart(
                format!("pairwise {}", result.measure),
                format!(
                    "{} between every pair of representations ({} × {}).",
                    result.measure,
                    result.names_a.len(),
                    result.names_b.len()
                ),
                chart,
            )
            .with_table(long_table(&result))
            .csv("pairwise.csv"),
        );
        recorder.write(path, &format!("repscope similarity: {}", result.measure), g)?;
    }
    Ok(())
}

/// Runs the pairwise engine with a progress bar.
pub fn compute(
    a: &RepSet,
    b: Option<&RepSet>,
    measure: &dyn AnyMeasure,
    options: &PairwiseOptions,
    g: &Global,
) -> repscope::Result<PairwiseMatrix> {
    let (va, vb) = (a.views(), b.map(RepSet::views));
    let bar = progress::bar(1, measure.info().name, g.quiet);
    let result = repscope::pairwise(&va, vb.as_deref(), measure, options, &|p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64)
    });
    bar.finish_and_clear();
    result
}

/// Prints the matrix (or its JSON) on stdout.
pub fn present(result: &PairwiseMatrix, g: &Global) -> anyhow::Result<()> {
    if g.json {
        let mut doc = matrix_json(result.values.as_ref(), &result.names_a, &result.names_b);
        doc["measure"] = serde_json::Value::from(result.measure.clone());
        let optional = |m: &Option<faer::Mat<f64>>| {
            m.as_ref().map(|m| {
                matrix_json(m.as_ref(), &result.names_a, &result.names_b)["values"].clone()
            })
        };
        doc["ci_low"] = optional(&result.ci_low).into();
        doc["ci_high"] = optional(&result.ci_high).into();
        doc["p"] = optional(&result.p_values).into();
        doc["calibrated"] = optional(&result.calibrated).into();
        doc["threshold"] = optional(&result.thresholds).into();
        doc["warnings"] = result.warnings.clone().into();
        println!("{}", serde_json::to_string(&doc)?);
    } else {
        println!("{}", result.measure);
        print!(
            "{}",
            matrix_table(result.values.as_ref(), &result.names_a, &result.names_b)
        );
        if let Some(calibrated) = &result.calibrated {
            println!("\ncalibrated (0: no better than the permutation null, 1: identical)");
            print!(
                "{}",
                matrix_table(calibrated.as_ref(), &result.names_a, &result.names_b)
            );
        }
    }
    Ok(())
}
