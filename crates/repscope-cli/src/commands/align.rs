//! `repscope align A [B]`: how well every representation of A aligns with
//! every one of B, item by item.

use faer::Mat;
use repscope::alignment::{AlignOptions, MapKind, align};

use crate::cli::{AlignArgs, Global};
use crate::output::{Cell, Table, matrix_table};
use crate::progress;

const HEADER: [&str; 8] = [
    "a",
    "b",
    "paired_cosine",
    "mutual_knn",
    "linear_cka",
    "mapped_cosine",
    "top1",
    "top5",
];

pub fn run(args: &AlignArgs, g: &Global) -> anyhow::Result<()> {
    let options = AlignOptions {
        map: MapKind::new(args.map, args.alpha)?,
        test_fraction: args.test_fraction,
        seed: args.seed,
        k: args.k,
    };
    let a = repscope::load(&args.a)?;
    let b = args.b.as_deref().map(repscope::load).transpose()?;
    let b = b.as_ref().unwrap_or(&a);
    let (va, vb) = (a.views(), b.views());
    let bar = progress::bar((va.len() * vb.len()) as u64, "align", g.quiet);
    let mut table = Table::new(HEADER);
    let mut top1 = Mat::zeros(va.len(), vb.len());
    for (i, ra) in va.iter().enumerate() {
        for (j, rb) in vb.iter().enumerate() {
            let al = align(*ra, *rb, &options)
                .map_err(|e| e.context(format!("{} vs {}", ra.name, rb.name)))?;
            top1[(i, j)] = al.top1;
            table.push(vec![
                ra.name.into(),
                rb.name.into(),
                Cell::number(al.paired_cosine),
                al.mutual_knn.into(),
                al.linear_cka.into(),
                al.mapped_cosine.into(),
                al.top1.into(),
                al.top5.into(),
            ]);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if g.json {
        println!("{}", table.json());
    } else {
        print!("{}", table.text(4));
        println!(
            "held-out top-1 retrieval A -> B ({} map, {:.0}% of items held out, seed {}):",
            args.map.name(),
            100.0 * args.test_fraction,
            args.seed
        );
        let names =
            |v: &[repscope::RepRef<'_>]| v.iter().map(|r| r.name.to_string()).collect::<Vec<_>>();
        print!("{}", matrix_table(top1.as_ref(), &names(&va), &names(&vb)));
    }
    if let Some(path) = &args.output {
        table.write_csv(path)?;
    }
    if let Some(path) = &args.plot {
        let names =
            |v: &[repscope::RepRef<'_>]| v.iter().map(|r| r.name.to_string()).collect::<Vec<_>>();
        repscope_plot::heatmap(
            path,
            &repscope_plot::Heatmap {
                values: top1.as_ref(),
                row_labels: &names(&va),
                col_labels: &names(&vb),
                title: &format!("held-out top-1 retrieval A -> B ({} map)", args.map.name()),
                row_axis: "A (queries, mapped)",
                col_axis: "B (gallery)",
                value_label: "top-1 accuracy",
                range: Some((0.0, 1.0)),
                subtitle: "",
            },
        )?;
    }
    Ok(())
}
