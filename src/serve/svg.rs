//! Server-side SVG line charts for `hwinv serve`, written by hand (see the README's dependency notes:
//! a few polylines and axis labels do not need a plotting crate). Pure: series in, SVG text out.

use super::html::esc;
use std::fmt::Write as _;

/// One line of a chart: a name and (µs since the epoch, value) points in time order.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// Line colours, in series order.
const COLORS: [&str; 4] = ["#2f6fdf", "#d9480f", "#2b8a3e", "#862e9c"];
const W: f64 = 600.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 26.0;

/// At most this many points per line are drawn (the rest are averaged into them), so a week of
/// 10-second samples stays a small SVG.
pub const MAX_POINTS: usize = 400;

/// Average consecutive points down to at most `max`.
#[must_use]
pub fn downsample(points: &[(i64, f64)], max: usize) -> Vec<(i64, f64)> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|c| {
            #[allow(clippy::cast_precision_loss)] // chunk lengths are tiny
            let n = c.len() as f64;
            let t = c[c.len() / 2].0;
            (t, c.iter().map(|p| p.1).sum::<f64>() / n)
        })
        .collect()
}

/// A chart of `series` over `[start, end]` (µs). `y_max` fixes the top of the axis (100 for
/// percentages); otherwise it follows the data. `None` when no series has a point: the caller says
/// "not available" instead of drawing an empty chart.
#[must_use]
#[allow(clippy::cast_precision_loss)] // timestamps as f64 lose sub-µs precision only
pub fn line_chart(
    title: &str,
    unit: &str,
    series: &[Series],
    start: i64,
    end: i64,
    y_max: Option<f64>,
) -> Option<String> {
    let finite = |v: &f64| v.is_finite();
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(finite)
        .collect();
    if all.is_empty() || end <= start {
        return None;
    }
    let data_max = all.iter().copied().fold(f64::MIN, f64::max);
    let data_min = all.iter().copied().fold(f64::MAX, f64::min);
    let (lo, hi) = match y_max {
        Some(m) => (0.0, m.max(data_max)),
        None => {
            let lo = if data_min >= 0.0 { 0.0 } else { data_min };
            let hi = if data_max <= lo {
                lo + 1.0
            } else {
                data_max * 1.1
            };
            (lo, hi)
        }
    };
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |t: i64| LEFT + (t - start) as f64 / (end - start) as f64 * pw;
    let y = |v: f64| TOP + ph - (v - lo) / (hi - lo) * ph;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\" class=\"hwinv-chart\">\
         <rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>\
         <text x=\"{LEFT}\" y=\"15\" font-size=\"13\" font-weight=\"600\" fill=\"#1b1f24\">{t}</text>",
        t = esc(title)
    );
    // Horizontal grid with labels at 0, 25, 50, 75 and 100 % of the axis.
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e6e8eb\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6e7781\">{}{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            yy + 3.0,
            short(v),
            esc(unit)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"{:.1}\" font-size=\"10\" fill=\"#6e7781\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6e7781\">{}</text>",
        H - 8.0,
        esc(&clock(start)),
        W - RIGHT,
        H - 8.0,
        esc(&clock(end))
    );
    let mut legend_x = LEFT + 200.0;
    for (i, se) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<String> = downsample(&se.points, MAX_POINTS)
            .iter()
            .filter(|p| p.1.is_finite() && p.0 >= start && p.0 <= end)
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{}\"/>\
             <rect x=\"{legend_x:.1}\" y=\"7\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"16\" font-size=\"11\" fill=\"#1b1f24\">{}</text>",
            pts.join(" "),
            legend_x + 13.0,
            esc(&se.name)
        );
        #[allow(clippy::cast_precision_loss)] // legend names are short
        let width = se.name.chars().count() as f64;
        legend_x += 24.0 + width * 6.5;
    }
    s.push_str("</svg>");
    Some(s)
}

/// A compact axis number: `12`, `3.5`, `1.2k`, `4.0M`.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `MM-DD HH:MM` UTC of a µs timestamp.
fn clock(us: i64) -> String {
    let t = crate::telemetry::model::format_micros(us);
    // 2026-12-01T10:15:00Z -> 12-01 10:15
    match (t.get(5..10), t.get(11..16)) {
        (Some(d), Some(h)) => format!("{d} {h} UTC"),
        _ => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_series_give_no_chart_and_names_are_escaped() {
        assert!(line_chart("cpu", "%", &[], 0, 10, Some(100.0)).is_none());
        let s = Series {
            name: "<b>".into(),
            points: vec![(1, 5.0), (5, 50.0), (9, f64::NAN)],
        };
        let svg = line_chart("t<", "%", &[s], 0, 10, Some(100.0)).unwrap();
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("<polyline") && !svg.contains("NaN"));
    }

    #[test]
    fn downsampling_bounds_points() {
        let pts: Vec<(i64, f64)> = (0..10_000).map(|i| (i, 1.0)).collect();
        let d = downsample(&pts, 400);
        assert!(d.len() <= 400 && d.iter().all(|p| (p.1 - 1.0).abs() < 1e-9));
    }
}
