//! `repscope searchlight`: an RDM per sphere of a brain volume, one NIfTI
//! map per model RDM (or the sphere RDMs when no models are given).

use std::path::Path;

use faer::Mat;
use repscope::data::labels::{check_label_count, labels_to_codes, read_labels};
use repscope::data::nifti::{read_nifti, write_nifti};
use repscope::rsa::RdmSpec;
use repscope::rsa::files::load_rdms;
use repscope::rsa::searchlight::{
    Radius, Searchlight, SearchlightSpec, masked_data, model_maps, sphere_rdms,
};
use serde_json::json;

use super::rsa::file_safe;
use crate::cli::{Global, SearchlightArgs};
use crate::progress::bar;

pub fn run(args: &SearchlightArgs, g: &Global) -> anyhow::Result<()> {
    let (method, compare) = (args.method, args.compare);
    let volumes = args
        .volumes
        .iter()
        .map(|p| Ok((p.display().to_string(), read_nifti(p)?)))
        .collect::<repscope::Result<Vec<_>>>()?;
    let masked = masked_data(&volumes, &read_nifti(&args.mask)?)?;
    drop(volumes);
    let rows = masked.data.nrows();
    let labels = |path: &Path, what: &str| -> anyhow::Result<Vec<usize>> {
        let l = read_labels(path)?;
        check_label_count(
            &format!("{what} labels in {} (one per volume)", path.display()),
            l.len(),
            rows,
        )?;
        Ok(labels_to_codes(&l).1)
    };
    let conditions = labels(&args.conditions, "condition")?;
    let folds = args
        .folds
        .as_deref()
        .map(|p| labels(p, "fold"))
        .transpose()?;
    let radius = if args.mm {
        Radius::Millimetres(args.radius, masked.affine)
    } else {
        Radius::Voxels(args.radius)
    };
    let light = Searchlight::new(masked.shape, &masked.mask, radius)?;
    let spec = SearchlightSpec {
        rdm: RdmSpec {
            conditions: Some(&conditions),
            folds: folds.as_deref(),
            ..RdmSpec::new(method)
        },
        min_voxels: args.min_voxels,
        noise: None,
    };
    let n = light.voxels().len();
    let progress = bar(n as u64, "searchlight", g.quiet);
    let tick = |done: usize, _: usize| progress.set_position(done as u64);
    std::fs::create_dir_all(&args.output).map_err(|e| repscope::Error::Io {
        path: args.output.clone(),
        source: e,
    })?;
    let mut written = Vec::new();
    match &args.models {
        Some(path) => {
            let models = load_rdms(path)?;
            let maps = model_maps(
                &light,
                masked.data.as_ref(),
                &spec,
                &models.views(),
                compare,
                &tick,
            )?;
            progress.finish_and_clear();
            for (name, map) in models.names.iter().zip(&maps) {
                let file = args.output.join(format!("{}.nii.gz", file_safe(name)));
                write_nifti(&file, &light.to_volume(map, masked.affine))?;
                let finite: Vec<f64> = map.iter().copied().filter(|v| v.is_finite()).collect();
                let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                written
                    .push(json!({"model": name, "map": file, "centres": finite.len(), "max": max}));
            }
        }
        None => {
            let out = sphere_rdms(&light, masked.data.as_ref(), &spec, &tick)?;
            progress.finish_and_clear();
            let p = out.n_pairs;
            let rdms = Mat::from_fn(out.centres.len(), p, |i, j| out.rdms[i * p + j]);
            let centres = Mat::from_fn(out.centres.len(), 3, |i, a| {
                light.voxels()[out.centres[i]][a] as f64
            });
            let mut set = repscope::RepSet::new();
            set.push("rdms", rdms)?;
            set.push("centres", centres)?;
            let file = args.output.join("sphere_rdms.npz");
            repscope::data::npy::write_npz_file(&file, &set, true)?;
            written.push(json!({"rdms": file, "centres": out.centres.len()}));
        }
    }
    let summary = json!({
        "mask_voxels": n,
        "sphere_voxels": light.sphere_size(),
        "outputs": written,
    });
    if g.json {
        println!("{summary}");
    } else {
        println!(
            "searchlight over {n} mask voxels (spheres of up to {} voxels)",
            light.sphere_size()
        );
        for w in summary["outputs"].as_array().into_iter().flatten() {
            match (w.get("map"), w.get("rdms")) {
                (Some(map), _) => println!(
                    "  {}: {} (max {:.4})",
                    w["model"].as_str().unwrap_or("?"),
                    map.as_str().unwrap_or("?"),
                    w["max"].as_f64().unwrap_or(f64::NAN)
                ),
                (_, Some(rdms)) => println!("  sphere RDMs: {}", rdms.as_str().unwrap_or("?")),
                _ => {}
            }
        }
    }
    Ok(())
}
