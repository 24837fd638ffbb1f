//! `repscope searchlight`: an RDM per sphere of a brain volume (or per disc
//! of a cortical mesh, with `--surface`), one map per model RDM (or the
//! neighbourhood RDMs when no models are given).

use std::path::{Path, PathBuf};

use crate::output::OutputFolder;
use faer::{Mat, MatRef};
use repscope::data::gifti::read_gifti;
use repscope::data::gifti_write::write_gifti_maps;
use repscope::data::labels::{check_label_count, labels_to_codes, read_labels};
use repscope::data::nifti::{read_nifti, write_nifti};
use repscope::data::surface::{gifti_maps, read_surface};
use repscope::memory::available_bytes;
use repscope::rsa::RdmSpec;
use repscope::rsa::files::load_rdms;
use repscope::rsa::searchlight::{
    Neighbourhoods, Output, Radius, Searchlight, SearchlightSpec, SurfaceSearchlight, estimate,
    masked_data, model_maps, sphere_rdms,
};
use repscope_plot::Chart;
use repscope_plot::brain::{self, SurfaceMap, VolumeMap};
use repscope_plot::report::Section;
use repscope_plot::table::{Cell, Table};
use serde_json::{Value, json};

use super::rsa::file_safe;
use crate::UsageError;
use crate::cli::{Global, SearchlightArgs};
use crate::progress::bar;

pub fn run(args: &SearchlightArgs, g: &Global) -> anyhow::Result<()> {
    if args.surface.is_empty() {
        run_volume(args, g)
    } else {
        run_surface(args, g)
    }
}

fn run_volume(args: &SearchlightArgs, g: &Global) -> anyhow::Result<()> {
    let [mask] = &args.mask[..] else {
        return Err(UsageError(format!(
            "a volume searchlight takes one --mask (a NIfTI on the volumes' grid), got {}",
            args.mask.len()
        ))
        .into());
    };
    let volumes = args
        .volumes
        .iter()
        .map(|p| Ok((p.display().to_string(), read_nifti(p)?)))
        .collect::<repscope::Result<Vec<_>>>()?;
    let mask = read_nifti(mask)?;
    let masked = masked_data(&volumes, &mask)?;
    drop(volumes);
    // Residuals on the same mask, for a noise precision per sphere.
    let noise = if args.noise.is_empty() {
        None
    } else {
        let residuals = args
            .noise
            .iter()
            .map(|p| Ok((p.display().to_string(), read_nifti(p)?)))
            .collect::<repscope::Result<Vec<_>>>()?;
        Some(masked_data(&residuals, &mask)?.data)
    };
    let radius = if args.mm {
        Radius::Millimetres(args.radius, masked.affine)
    } else {
        Radius::Voxels(args.radius)
    };
    let light = Searchlight::new(masked.shape, &masked.mask, radius)?;
    let mut sections = Vec::new();
    let write = |names: &[String], maps: &[Vec<f64>]| -> anyhow::Result<Vec<Value>> {
        let mut written = Vec::new();
        for (name, map) in names.iter().zip(maps) {
            let file = args.output.join(format!("{}.nii.gz", file_safe(name)));
            write_nifti(&file, &light.to_volume(map, masked.affine))?;
            written.push(map_summary(name, &file, map));
            if args.report.report.is_some() {
                let title = format!("{name}: searchlight map");
                let m = VolumeMap {
                    title: &title,
                    value_label: args.compare.name(),
                    values: map,
                    voxels: light.voxels(),
                    shape: masked.shape,
                    affine: masked.affine,
                };
                sections.push(map_section(
                    &title,
                    brain::volume_slices(&m),
                    brain::volume_peaks(&m, PEAKS),
                    &file,
                    name,
                    format!("{}_peaks.csv", file_safe(name)),
                ));
            }
        }
        Ok(written)
    };
    let place = |c: usize| light.voxels()[c].map(|v| v as f64).to_vec();
    let stride = args.stride as usize;
    let centres = (stride > 1).then(|| {
        (0..light.voxels().len())
            .filter(|&c| light.voxels()[c].iter().all(|v| v % stride == 0))
            .collect::<Vec<_>>()
    });
    let inputs = Inputs {
        data: masked.data.as_ref(),
        noise: noise.as_ref().map(Mat::as_ref),
    };
    let Some(outputs) = search(args, g, &light, inputs, centres, write, place)? else {
        return Ok(());
    };
    let headline = format!(
        "searchlight over {} mask voxels (spheres of up to {} voxels)",
        light.voxels().len(),
        light.sphere_size()
    );
    write_report(args, g, sections, &headline, &outputs)?;
    report(
        g,
        &headline,
        json!({
            "mask_voxels": light.voxels().len(),
            "sphere_voxels": light.sphere_size(),
            "outputs": outputs,
        }),
    )
}

/// One mesh and its data: maps × vertices, the vertices searched.
struct Hemisphere {
    name: String,
    mesh: repscope::data::gifti::Mesh,
    data: Mat<f64>,
    keep: Vec<bool>,
}

fn read_hemisphere(
    mesh: &Path,
    data: &Path,
    mask: Option<&PathBuf>,
    taken: &[Hemisphere],
) -> anyhow::Result<Hemisphere> {
    let surface = read_surface(mesh)?;
    let (maps, _) = gifti_maps(&read_gifti(data)?)?;
    let n = surface.0.len();
    if maps.ncols() != n {
        return Err(UsageError(format!(
            "{} holds maps of {} vertices, but the mesh {} has {n}; give each mesh its own data",
            data.display(),
            maps.ncols(),
            mesh.display()
        ))
        .into());
    }
    let keep = match mask {
        None => vec![true; n],
        Some(m) => {
            let (values, _) = gifti_maps(&read_gifti(m)?)?;
            if values.ncols() != n || values.nrows() != 1 {
                return Err(UsageError(format!(
                    "the mask {} must hold one map of {n} vertices (the mesh {}), got {} × {}",
                    m.display(),
                    mesh.display(),
                    values.nrows(),
                    values.ncols()
                ))
                .into());
            }
            values
                .row(0)
                .iter()
                .map(|&v| v != 0.0 && !v.is_nan())
                .collect()
        }
    };
    let file = mesh
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let stem = file
        .trim_end_matches(".gii")
        .trim_end_matches(".surf")
        .to_string();
    let name = if taken.iter().any(|h| h.name == stem) {
        format!("{stem}{}", taken.len())
    } else {
        stem
    };
    Ok(Hemisphere {
        name,
        mesh: surface,
        data: maps,
        keep,
    })
}

fn run_surface(args: &SearchlightArgs, g: &Global) -> anyhow::Result<()> {
    if !args.noise.is_empty() {
        return Err(UsageError(
            "--noise reads NIfTI residuals for volume searchlights; for a surface searchlight \
             with noise use rs.surface_searchlight(..., noise=residuals) in Python"
                .into(),
        )
        .into());
    }
    let n_mesh = args.surface.len();
    if args.volumes.len() != n_mesh || !(args.mask.is_empty() || args.mask.len() == n_mesh) {
        return Err(UsageError(format!(
            "a surface searchlight takes one data file (and optionally one --mask) per --surface \
             mesh: {n_mesh} meshes, {} data files, {} masks",
            args.volumes.len(),
            args.mask.len()
        ))
        .into());
    }
    if args.mm {
        eprintln!("note: a surface radius is always in mm; --mm changes nothing");
    }
    if args.stride > 1 {
        return Err(UsageError(
            "--stride is a sub-grid of a volume; a surface searchlight has no grid".into(),
        )
        .into());
    }
    let mut hemis: Vec<Hemisphere> = Vec::new();
    for (i, (mesh, data)) in args.surface.iter().zip(&args.volumes).enumerate() {
        let h = read_hemisphere(mesh, data, args.mask.get(i), &hemis)?;
        hemis.push(h);
    }
    let rows = hemis[0].data.nrows();
    if let Some(h) = hemis.iter().find(|h| h.data.nrows() != rows) {
        return Err(UsageError(format!(
            "the data of {} has {} maps, the first mesh's {rows}; every hemisphere needs the same maps",
            h.name,
            h.data.nrows()
        ))
        .into());
    }
    // One graph of all meshes (vertex numbers offset), one data column per
    // kept vertex, in mesh order.
    let (mut coords, mut faces, mut vertices, mut owner) = (vec![], vec![], vec![], vec![]);
    for (m, h) in hemis.iter().enumerate() {
        let offset = coords.len();
        coords.extend_from_slice(&h.mesh.0);
        faces.extend(h.mesh.1.iter().map(|f| f.map(|v| v + offset)));
        for v in (0..h.mesh.0.len()).filter(|&v| h.keep[v]) {
            vertices.push(offset + v);
            owner.push((m, v));
        }
    }
    let data = Mat::from_fn(rows, owner.len(), |i, c| {
        let (m, v) = owner[c];
        hemis[m].data[(i, v)]
    });
    let light = SurfaceSearchlight::new(&coords, &faces, &vertices, args.radius)?;
    let mut sections = Vec::new();
    let write = |names: &[String], maps: &[Vec<f64>]| -> anyhow::Result<Vec<Value>> {
        let mut written = Vec::new();
        for (m, h) in hemis.iter().enumerate() {
            let mut per_vertex = vec![vec![f64::NAN; h.mesh.0.len()]; maps.len()];
            for (c, &(owner_mesh, v)) in owner.iter().enumerate() {
                if owner_mesh == m {
                    for (out, map) in per_vertex.iter_mut().zip(maps) {
                        out[v] = map[c];
                    }
                }
            }
            let file = args
                .output
                .join(format!("{}.searchlight.func.gii", file_safe(&h.name)));
            write_gifti_maps(&file, names, &per_vertex)?;
            for (name, map) in names.iter().zip(&per_vertex) {
                written.push(map_summary(name, &file, map));
                if args.report.report.is_some() {
                    let title = format!("{name}: searchlight map on {}", h.name);
                    let m = SurfaceMap {
                        title: &title,
                        value_label: args.compare.name(),
                        values: map,
                        coords: &h.mesh.0,
                    };
                    sections.push(map_section(
                        &title,
                        brain::surface_views(&m),
                        brain::surface_peaks(&m, PEAKS),
                        &file,
                        name,
                        format!("{}_{}_peaks.csv", file_safe(&h.name), file_safe(name)),
                    ));
                }
            }
        }
        Ok(written)
    };
    let place = |c: usize| vec![owner[c].0 as f64, owner[c].1 as f64];
    let inputs = Inputs {
        data: data.as_ref(),
        noise: None,
    };
    let Some(outputs) = search(args, g, &light, inputs, None, write, place)? else {
        return Ok(());
    };
    let mean_disc =
        (0..owner.len()).map(|c| light.disc(c).len()).sum::<usize>() as f64 / owner.len() as f64;
    let headline = format!(
        "surface searchlight over {} vertices of {n_mesh} mesh(es) (discs of {} mm, {mean_disc:.1} \
         vertices on average; longest edge {:.2} mm)",
        owner.len(),
        args.radius,
        light.max_edge_length()
    );
    write_report(args, g, sections, &headline, &outputs)?;
    report(
        g,
        &headline,
        json!({
            "vertices": owner.len(),
            "mean_disc_vertices": mean_disc,
            "max_edge_mm": light.max_edge_length(),
            "outputs": outputs,
        }),
    )
}

/// Rows of the peaks table under each map in the report.
const PEAKS: usize = 10;

/// A model's map in the report: its slices (or mesh views) and its peaks.
fn map_section(
    title: &str,
    chart: Option<Chart>,
    peaks: Table,
    file: &Path,
    model: &str,
    csv: String,
) -> Section {
    let description = format!(
        "RDM of each searchlight compared with the model RDM '{model}'; the whole map is {}. \
         The table lists its {PEAKS} largest values.",
        file.display()
    );
    Section::of_map(title, description, chart)
        .with_table(peaks)
        .csv(csv)
}

/// The `--report` page: the maps' sections, the files written, and the
/// inputs and parameters.
fn write_report(
    args: &SearchlightArgs,
    g: &Global,
    sections: Vec<Section>,
    headline: &str,
    outputs: &[Value],
) -> anyhow::Result<()> {
    let Some(path) = &args.report.report else {
        return Ok(());
    };
    let mut recorder = super::report::Recorder::new();
    recorder.inputs(
        args.volumes
            .iter()
            .chain(&args.surface)
            .chain(&args.mask)
            .chain(&args.noise)
            .chain([&args.conditions])
            .chain(&args.folds)
            .chain(&args.models),
    )?;
    recorder.parameter(
        "geometry",
        if args.surface.is_empty() {
            "volume"
        } else {
            "surface"
        },
    );
    recorder.parameter("method", args.method.name());
    recorder.parameter("compare", args.compare.name());
    recorder.parameter("radius", args.radius);
    recorder.parameter("radius_in_mm", args.mm || !args.surface.is_empty());
    recorder.parameter("min_voxels", args.min_voxels);
    recorder.parameter("stride", args.stride);
    if !args.noise.is_empty() {
        recorder.parameter("noise_method", args.noise_method.name());
    }
    for s in sections {
        recorder.add(s);
    }
    let mut files = Table::new(["output", "file", "centres", "max"]);
    for o in outputs {
        let name = o.get("model").or(o.get("rdms").map(|_| &Value::Null));
        files.push(vec![
            Cell::from(name.and_then(Value::as_str).unwrap_or("sphere RDMs")),
            Cell::from(
                o.get("map")
                    .or(o.get("rdms"))
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            ),
            Cell::count(o["centres"].as_u64().map(|n| n as usize)),
            o.get("max")
                .and_then(Value::as_f64)
                .map_or(Cell::Empty, Cell::from),
        ]);
    }
    recorder.add(Section {
        title: "files written".into(),
        description: headline.to_string(),
        table: Some(files),
        csv_name: "searchlight_outputs.csv".into(),
        ..Section::default()
    });
    recorder.write(path, "repscope searchlight", g)?;
    Ok(())
}

fn map_summary(name: &str, file: &Path, map: &[f64]) -> Value {
    let finite: Vec<f64> = map.iter().copied().filter(|v| v.is_finite()).collect();
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({"model": name, "map": file, "centres": finite.len(), "max": max})
}

/// The measurements (rows × columns) and any noise residuals (rows ×
/// the same columns).
#[derive(Clone, Copy)]
struct Inputs<'a> {
    data: MatRef<'a, f64>,
    noise: Option<MatRef<'a, f64>>,
}

/// The labels, the spec and the run shared by both geometries: model maps
/// handed to `write_maps`, or the neighbourhood RDMs written with each
/// centre's place (`place(column)`: grid indices, or mesh and vertex).
/// First the preflight: with `--dry-run` its prediction is printed and
/// nothing runs (`None`); a job predicted past the memory available is
/// refused unless `--force`.
fn search(
    args: &SearchlightArgs,
    g: &Global,
    light: &dyn Neighbourhoods,
    inputs: Inputs<'_>,
    centres: Option<Vec<usize>>,
    write_maps: impl FnOnce(&[String], &[Vec<f64>]) -> anyhow::Result<Vec<Value>>,
    place: impl Fn(usize) -> Vec<f64>,
) -> anyhow::Result<Option<Vec<Value>>> {
    let Inputs { data, noise } = inputs;
    let rows = data.nrows();
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
    let spec = SearchlightSpec {
        rdm: RdmSpec {
            conditions: Some(&conditions),
            folds: folds.as_deref(),
            ..RdmSpec::new(args.method)
        },
        min_voxels: args.min_voxels,
        noise: noise.map(|n| (n.into(), args.noise_method)),
        centres: centres.as_deref(),
        block_bytes: args.block_mb.map(|mb| (mb * (1u64 << 20) as f64) as usize),
    };
    let models = args.models.as_deref().map(load_rdms).transpose()?;
    let output = match &models {
        Some(m) => Output::Maps {
            models: m.names.len(),
        },
        None => Output::Rdms,
    };
    let prediction = estimate(light, data, &spec, output, args.preflight.dry_run)?;
    if args.preflight.dry_run {
        if g.json {
            let parts = super::preflight::parts_json(&prediction.parts);
            println!(
                "{}",
                json!({"dry_run": {
                    "peak_bytes": prediction.peak_bytes(),
                    "seconds": prediction.seconds,
                    "centres": prediction.centres,
                    "blocks": prediction.blocks,
                    "parts": parts,
                }})
            );
        } else {
            print!("{}", prediction.report());
        }
        return Ok(None);
    }
    if !args.preflight.force {
        prediction.check_fits(available_bytes())?;
    }
    let n = light.n_columns();
    let progress = bar(n as u64, "searchlight", g.quiet);
    let tick = |done: usize, _: usize| progress.set_position(done as u64);
    // The output folder appears only once the maps are computed, and goes
    // again if writing them fails (when this run made it): a failed run
    // leaves nothing behind.
    match models {
        Some(models) => {
            let maps = model_maps(light, data, &spec, &models.views(), args.compare, &tick)?;
            progress.finish_and_clear();
            let folder = OutputFolder::create(&args.output)?;
            let written = write_maps(&models.names, &maps)?;
            folder.keep();
            Ok(Some(written))
        }
        None => {
            let out = sphere_rdms(light, data, &spec, &tick)?;
            progress.finish_and_clear();
            let folder = OutputFolder::create(&args.output)?;
            let p = out.n_pairs;
            let rdms = Mat::from_fn(out.centres.len(), p, |i, j| out.rdms[i * p + j]);
            let places: Vec<Vec<f64>> = out.centres.iter().map(|&c| place(c)).collect();
            let width = places.first().map_or(0, Vec::len);
            let centres = Mat::from_fn(places.len(), width, |i, a| places[i][a]);
            let mut set = repscope::RepSet::new();
            set.push("rdms", rdms)?;
            set.push("centres", centres)?;
            let file = args.output.join("sphere_rdms.npz");
            repscope::data::npy::write_npz_file(&file, &set, true)?;
            folder.keep();
            Ok(Some(vec![
                json!({"rdms": file, "centres": out.centres.len()}),
            ]))
        }
    }
}

fn report(g: &Global, headline: &str, summary: Value) -> anyhow::Result<()> {
    if g.json {
        println!("{summary}");
        return Ok(());
    }
    println!("{headline}");
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
    Ok(())
}
