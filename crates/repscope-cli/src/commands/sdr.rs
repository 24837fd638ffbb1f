//! `repscope sdr`: sparse distributed representation arithmetic and codes.

use faer::Mat;
use repscope::RepSet;
use repscope::data::StoreAs;

use crate::cli::{Global, SdrCommand};

pub fn run(command: &SdrCommand, g: &Global) -> anyhow::Result<()> {
    match *command {
        SdrCommand::FalseMatch { n, a, s, theta } => {
            let p = repscope::sdr::false_match(n, a, s, theta)?;
            if g.json {
                let doc =
                    serde_json::json!({"n": n, "a": a, "s": s, "theta": theta, "false_match": p});
                println!("{doc}");
            } else {
                println!("false match (n={n}, a={a}, s={s}, theta={theta}): {p:.6e}");
            }
        }
        SdrCommand::Union { n, w, m, theta } => {
            let density = repscope::sdr::union_density(n, w, m)?;
            let false_match = theta
                .map(|t| repscope::sdr::union_false_match(n, w, m, t))
                .transpose()?;
            if g.json {
                let doc = serde_json::json!({
                    "n": n, "w": w, "m": m, "theta": theta,
                    "union_density": density, "false_match": false_match,
                });
                println!("{doc}");
            } else {
                println!("union density (n={n}, w={w}, m={m}): {density:.6}");
                if let (Some(t), Some(p)) = (theta, false_match) {
                    println!("false match against the union (theta={t}): {p:.6e}");
                }
            }
        }
        SdrCommand::Encode {
            ref path,
            k,
            ref output,
        } => {
            repscope::sdr::check_active(k)?;
            let set = repscope::load(path)?;
            let mut codes = RepSet::new();
            for rep in set.views() {
                // NaN has no rank among the largest units (as in Python).
                repscope::data::check_finite(rep.name, rep.x)?;
                let on = repscope::sdr::encode(rep.x, k);
                let mut m = Mat::zeros(rep.x.nrows(), rep.x.ncols());
                for (i, row) in on.iter().enumerate() {
                    row.iter().for_each(|&j| m[(i, j as usize)] = 1.0);
                }
                codes.push(rep.name, m)?;
            }
            if let Some(stimuli) = set.stimuli() {
                codes.set_stimuli(stimuli.to_vec())?;
            }
            repscope::save(output, &codes, StoreAs::F32)?;
            if !g.quiet && !g.json {
                eprintln!(
                    "wrote {} code(s) with {k} active units per stimulus to {}",
                    codes.len(),
                    output.display()
                );
            }
        }
    }
    Ok(())
}
