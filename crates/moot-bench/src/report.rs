//! The report: one row per figure, printed as a table and written as Markdown and JSON.

use std::path::Path;

use serde_json::json;

/// One figure: moot's number, the anchor measured in the same run, their ratio, the target,
/// and whether the target is met (None where there is nothing to compare).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: &'static str,
    pub figure: String,
    pub moot: String,
    pub anchor: String,
    pub ratio: String,
    pub target: String,
    pub met: Option<bool>,
}

impl Row {
    pub fn new(id: &'static str, figure: impl Into<String>) -> Self {
        Row {
            id,
            figure: figure.into(),
            moot: String::new(),
            anchor: "—".into(),
            ratio: "—".into(),
            target: "—".into(),
            met: None,
        }
    }
    pub fn moot(mut self, v: impl Into<String>) -> Self {
        self.moot = v.into();
        self
    }
    pub fn anchor(mut self, v: impl Into<String>) -> Self {
        self.anchor = v.into();
        self
    }
    pub fn ratio(mut self, r: f64) -> Self {
        self.ratio = format!("{r:.2}×");
        self
    }
    pub fn target(mut self, v: impl Into<String>, met: bool) -> Self {
        self.target = v.into();
        self.met = Some(met);
        self
    }
    fn verdict(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        }
    }
}

/// A row that could not be measured, and why (so no figure is silently missing).
pub fn failed(id: &'static str, figure: &str, why: &anyhow::Error) -> Row {
    Row::new(id, figure).moot(format!("not measured: {why:#}"))
}

pub fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn bytes(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} B")
}

/// The rows alone, as Markdown table lines (no header).
pub fn rows_markdown(rows: &[Row]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                r.id,
                r.figure,
                r.moot,
                r.anchor,
                r.ratio,
                r.target,
                r.verdict()
            )
        })
        .collect()
}

pub fn markdown(rows: &[Row], header: &str) -> String {
    format!(
        "{header}\n\n| # | Figure | moot | Anchor (same run) | Ratio | Target | |\n|---|---|---|---|---|---|---|\n{}",
        rows_markdown(rows)
    )
}

pub fn print(rows: &[Row]) {
    let w = |f: fn(&Row) -> &str, min: usize| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let (wf, wm, wa, wr, wt) = (
        w(|r| &r.figure, 6),
        w(|r| &r.moot, 4),
        w(|r| &r.anchor, 6),
        w(|r| &r.ratio, 5),
        w(|r| &r.target, 6),
    );
    println!(
        "{:<3}  {:<wf$}  {:<wm$}  {:<wa$}  {:<wr$}  {:<wt$}",
        "#", "figure", "moot", "anchor", "ratio", "target"
    );
    for r in rows {
        println!(
            "{:<3}  {:<wf$}  {:<wm$}  {:<wa$}  {:<wr$}  {:<wt$}  {}",
            r.id,
            r.figure,
            r.moot,
            r.anchor,
            r.ratio,
            r.target,
            r.verdict()
        );
    }
}

pub fn write(dir: &Path, rows: &[Row], header: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("report.md"), markdown(rows, header))?;
    let json = json!({
        "header": header,
        "rows": rows.iter().map(|r| json!({
            "id": r.id, "figure": r.figure, "moot": r.moot, "anchor": r.anchor,
            "ratio": r.ratio, "target": r.target, "met": r.met,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    Ok(())
}
