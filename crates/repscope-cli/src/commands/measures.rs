//! `repscope measures`: the registry's list, or with `--sheet` each
//! measure's property sheet.

use crate::cli::Global;

pub fn run(sheet: Option<&str>, g: &Global) -> anyhow::Result<()> {
    match sheet {
        Some(name) => sheets(name, g),
        None => list(g),
    }
}

fn list(g: &Global) -> anyhow::Result<()> {
    let list = repscope::measures();
    if g.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for m in &list {
        println!("{:16} {:?}  {}", m.name, m.kind, m.summary);
        let inv: Vec<String> = m.invariances.iter().map(|i| format!("{i:?}")).collect();
        println!(
            "{:16} invariant to: {}; {}",
            "",
            inv.join(", "),
            m.reference
        );
    }
    Ok(())
}

/// The sheet of one measure, or of all with `all`.
fn sheets(name: &str, g: &Global) -> anyhow::Result<()> {
    let sheets = if name == "all" {
        repscope::measures::sheets()
    } else {
        vec![repscope::measures::sheet(name)?]
    };
    if g.json {
        println!("{}", serde_json::to_string_pretty(&sheets)?);
        return Ok(());
    }
    for (i, s) in sheets.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let m = &s.info;
        let show = |v: Option<f64>| v.map_or("none".to_string(), |v| v.to_string());
        let inv: Vec<&str> = m.invariances.iter().map(|i| i.name()).collect();
        let rows = [
            ("measure", m.name.to_string()),
            ("kind", m.kind.name().to_string()),
            ("computes", m.summary.to_string()),
            (
                "range",
                m.range
                    .map_or("unbounded".into(), |(lo, hi)| format!("[{lo}, {hi}]")),
            ),
            ("identical inputs", show(m.identical)),
            ("axioms", s.axioms.join(", ")),
            ("invariant to", inv.join(", ")),
            ("same width needed", m.needs_same_dim.to_string()),
            ("parameters", s.params.join(", ")),
            ("cost", m.cost.to_string()),
            ("reference", m.reference.to_string()),
        ];
        for (key, value) in rows {
            println!("{key:18} {value}");
        }
    }
    Ok(())
}
