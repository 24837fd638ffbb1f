//! `repscope measures`: the registry's list.

use crate::cli::Global;

pub fn run(g: &Global) -> anyhow::Result<()> {
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
