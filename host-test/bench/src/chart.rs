//! The chart of docs/BENCHMARKS.md, drawn from a run: one bar per ratio target (the measured
//! ratio), a tick at its limit and a line at 1x, green where the target is met and red where
//! it is not. Plain SVG, no dependency: a reader sees at a glance where the component stands.

use std::fmt::Write as _;

use crate::Report;

/// Pixels: the label column, the bar area, one row, the margins.
const LABEL_WIDTH: f64 = 470.0;
const BAR_WIDTH: f64 = 360.0;
const ROW: f64 = 22.0;
const MARGIN: f64 = 12.0;

/// The ratio targets of `report` as an SVG bar chart.
pub fn ratios_svg(report: &Report) -> String {
    let rows: Vec<_> = report
        .targets
        .iter()
        .filter(|t| t.unit == "x" && t.value.is_finite())
        .collect();
    // The scale: the largest value or limit, at least 1x, so that 1x is always on the chart.
    let top = rows
        .iter()
        .flat_map(|t| [t.value, t.limit])
        .fold(1.0_f64, f64::max)
        * 1.05;
    let x = |ratio: f64| LABEL_WIDTH + ratio / top * BAR_WIDTH;
    let height = MARGIN * 2.0 + ROW * (rows.len() as f64 + 1.5);
    let width = LABEL_WIDTH + BAR_WIDTH + 70.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="{MARGIN}" y="{:.0}" font-weight="bold">Ratios of one run (bar: measured; tick: target; line: 1x)</text>"##,
        MARGIN + 12.0
    );
    for (i, target) in rows.iter().enumerate() {
        let y = MARGIN + ROW * (i as f64 + 1.5);
        let colour = if target.met() { "#2e7d32" } else { "#c62828" };
        let _ = writeln!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="end">{}</text><rect x="{LABEL_WIDTH:.0}" y="{:.0}" width="{:.1}" height="{:.0}" fill="{colour}"/><line x1="{:.1}" x2="{:.1}" y1="{:.0}" y2="{:.0}" stroke="#000" stroke-width="2"/><text x="{:.1}" y="{:.0}">{:.2}x</text>"##,
            LABEL_WIDTH - 6.0,
            y + 13.0,
            escape(&target.what),
            y + 3.0,
            x(target.value) - LABEL_WIDTH,
            ROW - 6.0,
            x(target.limit),
            x(target.limit),
            y,
            y + ROW - 2.0,
            x(target.value.max(target.limit)) + 4.0,
            y + 13.0,
            target.value,
        );
    }
    let one = x(1.0);
    let _ = writeln!(
        svg,
        r##"<line x1="{one:.1}" x2="{one:.1}" y1="{:.0}" y2="{:.0}" stroke="#555" stroke-dasharray="4 3"/><text x="{one:.1}" y="{:.0}" text-anchor="middle" fill="#555">1x</text>"##,
        MARGIN + ROW * 1.2,
        height - MARGIN,
        height - 2.0,
    );
    svg.push_str("</svg>\n");
    svg
}

/// `text` with the characters XML gives meaning escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test")]

    use super::*;
    use crate::{Settings, Target};

    #[test]
    fn each_ratio_target_is_one_bar_coloured_by_whether_it_is_met() {
        let target = |what: &str, value, limit, unit| Target {
            what: what.into(),
            value,
            limit,
            at_least: true,
            unit,
        };
        let report = Report {
            settings: Settings::quick(),
            figures: Vec::new(),
            component_bytes: 1,
            targets: vec![
                target("met <&>", 0.7, 0.5, "x"),
                target("missed", 0.2, 0.5, "x"),
                target("a size", 5.0, 1.0, "bytes"),
            ],
        };
        let svg = ratios_svg(&report);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 2, "{svg}");
        assert!(svg.contains("met &lt;&amp;&gt;") && svg.contains("0.70x"));
        assert!(svg.contains("#2e7d32") && svg.contains("#c62828"));
        assert!(!svg.contains("a size"));
    }
}
