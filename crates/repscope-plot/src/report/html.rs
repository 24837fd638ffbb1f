//! Writing the report's HTML: the page, and one section alone (the
//! notebook view of a result).

use std::fmt::Write;

use super::cluster::{leaf_order, transpose};
use super::{Provenance, Report, Section};
use crate::chart::Chart;
use crate::palette::viridis_stops;
use crate::table::{Cell, Table};
use repscope::Error;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Nothing may be fetched: only inline scripts and styles, and data: images.
const POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
                      style-src 'unsafe-inline'; img-src data:";

/// Tables longer than this show their first rows only (the CSV has all).
const MAX_ROWS: usize = 2000;

pub(super) fn page(r: &Report) -> Result<String, Error> {
    let mut out = String::with_capacity(1 << 16);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"repscope {}\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&r.provenance.version),
        esc(&r.title)
    );
    let _ = write!(out, "<header><h1>{}</h1><p class=\"meta\">", esc(&r.title));
    let mut meta = vec![format!("repscope {}", esc(&r.provenance.version))];
    if !r.provenance.created.is_empty() {
        meta.push(esc(&r.provenance.created));
    }
    if let Some(s) = r.provenance.seconds {
        meta.push(format!("{s:.2} s"));
    }
    out.push_str(&meta.join(" · "));
    out.push_str("</p></header>\n<nav>");
    for (k, s) in r.sections.iter().enumerate() {
        let _ = write!(out, "<a href=\"#s{k}\">{}</a>", esc(&s.title));
    }
    out.push_str("<a href=\"#provenance\">provenance</a></nav>\n<main>\n");
    let mut heatmaps = Vec::new();
    for (k, s) in r.sections.iter().enumerate() {
        section(&mut out, s, &format!("s{k}"), true, &mut heatmaps)?;
    }
    provenance(&mut out, &r.provenance);
    out.push_str("</main>\n<footer>Made by repscope. Everything on this page is in this file; it fetches nothing.</footer>\n<div id=\"tip\"></div>\n");
    let data = serde_json::json!({ "viridis": viridis_stops(16), "heatmaps": heatmaps });
    // "</" inside the JSON would end the script element early.
    let json = data.to_string().replace("</", "<\\/");
    let _ = write!(
        out,
        "<script type=\"application/json\" id=\"repscope-data\">{json}</script>\n\
         <script>{SCRIPT}</script>\n</body></html>\n"
    );
    Ok(out)
}

/// One section as an HTML fragment with static SVG figures (a notebook
/// cell's `_repr_html_`: no script, so it shows the same in every
/// notebook viewer).
pub fn fragment(s: &Section) -> Result<String, Error> {
    if let Some(c) = &s.chart {
        c.check()?;
    }
    let mut out = format!("<div class=\"repscope\"><style>{}</style>", FRAGMENT_STYLE);
    section(&mut out, s, "", false, &mut Vec::new())?;
    out.push_str("</div>");
    Ok(out)
}

const FRAGMENT_STYLE: &str = ".repscope table.data{border-collapse:collapse;font-size:12px}\
     .repscope table.data td,.repscope table.data th{border:1px solid #ddd;padding:2px 6px}\
     .repscope table.data td{text-align:right}.repscope svg{max-width:100%;height:auto}\
     .repscope .desc{color:#555}";

fn section(
    out: &mut String,
    s: &Section,
    id: &str,
    interactive: bool,
    heatmaps: &mut Vec<serde_json::Value>,
) -> Result<(), Error> {
    let kind = s.chart.as_ref().map_or("table", |c| match c {
        Chart::Matrix(_) => "matrix",
        Chart::Bars(_) => "bars",
        Chart::Curves(_) => "curves",
        Chart::Scatter(_) => "scatter",
        Chart::Maps(_) => "maps",
    });
    let id_attr = if id.is_empty() {
        String::new()
    } else {
        format!(" id=\"{id}\"")
    };
    let _ = write!(
        out,
        "<section class=\"result\"{id_attr} data-kind=\"{kind}\"><h2>{}</h2>",
        esc(&s.title)
    );
    if !s.description.is_empty() {
        let _ = write!(out, "<p class=\"desc\">{}</p>", esc(&s.description));
    }
    let table = s.shown_table();
    match &s.chart {
        Some(Chart::Matrix(m)) if interactive => {
            let host = format!("{id}-map");
            let _ = write!(out, "<div class=\"figure\" id=\"{host}\"></div>");
            heatmaps.push(serde_json::json!({
                "id": host,
                "title": m.title,
                "subtitle": m.subtitle,
                "rows": m.rows,
                "cols": m.cols,
                "values": m.values,
                "value_label": m.value_label,
                "range": m.range,
                "row_order": leaf_order(&m.values),
                "col_order": leaf_order(&transpose(&m.values)),
                "square": m.rows == m.cols,
            }));
        }
        Some(Chart::Maps(m)) => {
            let _ = write!(
                out,
                "<div class=\"figure\"><img alt=\"{}: {}\" src=\"{}\"></div>",
                esc(&m.title),
                esc(&m.subtitle),
                super::data_url("image/png", &m.png()?)
            );
        }
        Some(chart) => {
            let svg = chart.svg()?;
            let _ = write!(
                out,
                "<div class=\"figure\">{}</div>",
                strip_xml_declaration(&svg)
            );
        }
        None => {}
    }
    if let Some(url) = &s.image {
        if url.starts_with("data:image/") {
            let _ = write!(
                out,
                "<div class=\"figure\"><img alt=\"{}\" src=\"{}\"></div>",
                esc(&s.title),
                esc(url)
            );
        }
    }
    if let Some(t) = table {
        let name = if s.csv_name.is_empty() {
            format!("{}.csv", file_stem(&s.title))
        } else {
            s.csv_name.clone()
        };
        if interactive {
            let _ = write!(
                out,
                "<div class=\"tools\"><a download=\"{}\" href=\"data:text/csv;charset=utf-8,{}\">download {} (CSV)</a></div>",
                esc(&name),
                percent_encode(&t.csv()),
                esc(&name)
            );
        }
        let open = if interactive { "" } else { " open" };
        let _ = write!(
            out,
            "<details{open}><summary>table: {} rows × {} columns</summary><div class=\"scroll\">",
            t.rows.len(),
            t.header.len()
        );
        html_table(out, &t, &name);
        out.push_str("</div></details>");
    }
    out.push_str("</section>\n");
    Ok(())
}

/// A table whose every cell carries its exact value in `data-value`; a
/// first text column is written as row headers.
fn html_table(out: &mut String, t: &Table, csv: &str) {
    let _ = write!(
        out,
        "<table class=\"data\" data-csv=\"{}\"><thead><tr>",
        esc(csv)
    );
    for h in &t.header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    let row_heads = !t.rows.is_empty()
        && t.rows
            .iter()
            .all(|r| matches!(r.first(), Some(Cell::Text(_))));
    for r in t.rows.iter().take(MAX_ROWS) {
        out.push_str("<tr>");
        for (c, cell) in r.iter().enumerate() {
            let tag = if c == 0 && row_heads { "th" } else { "td" };
            let exact = cell.exact();
            let _ = write!(
                out,
                "<{tag} data-value=\"{}\">{}</{tag}>",
                esc(&exact),
                esc(&cell.shown(4))
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    if t.rows.len() > MAX_ROWS {
        let _ = write!(
            out,
            "<p class=\"desc\">The first {MAX_ROWS} of {} rows; the CSV has them all.</p>",
            t.rows.len()
        );
    }
}

fn provenance(out: &mut String, p: &Provenance) {
    out.push_str(
        "<section class=\"result\" id=\"provenance\"><h2>Provenance</h2><table class=\"kv\">",
    );
    let mut row = |k: &str, v: String| {
        if !v.is_empty() {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
    };
    row("repscope version", p.version.clone());
    row("command", p.command.clone());
    row("created (UTC)", p.created.clone());
    row(
        "time taken",
        p.seconds.map(|s| format!("{s:.3} s")).unwrap_or_default(),
    );
    row("seed", p.seed.map(|s| s.to_string()).unwrap_or_default());
    row(
        "threads",
        p.threads.map(|t| t.to_string()).unwrap_or_default(),
    );
    row("machine", p.machine.clone());
    for (k, v) in &p.parameters {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        row(&format!("parameter: {k}"), text);
    }
    out.push_str("</table>");
    if !p.inputs.is_empty() {
        out.push_str("<h3>Inputs</h3><table class=\"kv\"><tr><th>path</th><th>size</th><th>SHA-256</th></tr>");
        for f in &p.inputs {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.path),
                esc(&human_bytes(f.bytes)),
                esc(&f.sha256)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>\n");
}

/// Bytes as "12.3 MB" (powers of 1000), exact below a kilobyte.
pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if b < 1000 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// HTML-escaped text (for element content and quoted attributes).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encoding for a data: URL (everything but unreserved ASCII).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches('_').to_string();
    if stem.is_empty() {
        "table".into()
    } else {
        stem
    }
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
