//! Charts drawn on the server as SVG: a watch's stories (or negative stories) per bucket against its usual
//! band (median ± spread), readable in the page, printable, and downloadable for a slide. No script, no
//! external font: plain shapes, and text only from the voice (escaped).

use std::fmt::Write as _;

use crate::i18n::Voice;
use crate::views::WatchSeries;

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 24.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of `series`: its stories, or its negative stories when `negative`.
pub(crate) fn svg(series: &WatchSeries, v: &Voice, negative: bool) -> String {
    let pts = &series.points;
    let count = |i: usize| {
        if negative {
            f64::from(pts[i].negative)
        } else {
            f64::from(pts[i].stories)
        }
    };
    let level = |i: usize| {
        if negative {
            pts[i].usual_negative
        } else {
            pts[i].usual
        }
    };
    let top = (0..pts.len())
        .map(|i| count(i).max(level(i).median + level(i).spread))
        .fold(0.0_f64, f64::max);
    // Headroom, and a floor so that a quiet watch's single mention does not fill the whole height.
    let top = (top * 1.15).max(4.0).ceil();
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = pts.len().max(1) as f64;
    let bw = plot_w / n;
    let x = |i: usize| LEFT + bw * i as f64;
    let y = |value: f64| TOP + plot_h * (1.0 - (value / top).clamp(0.0, 1.0));
    let title = v.say(
        if negative {
            "web-chart-negative"
        } else {
            "web-chart-stories"
        },
        &[("watch", series.name.as_str().into())],
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         font-family=\"system-ui, sans-serif\" font-size=\"12\"><title>{}</title>\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>",
        esc(&title)
    );
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"16\" fill=\"#1d2330\" font-weight=\"600\">{}</text>",
        esc(&title)
    );
    // The usual band, then the bars, then the usual median over them.
    if !pts.is_empty() {
        let mut band = String::new();
        for i in 0..pts.len() {
            let l = level(i);
            let _ = write!(band, "{:.1},{:.1} ", x(i), y(l.median + l.spread));
            let _ = write!(band, "{:.1},{:.1} ", x(i) + bw, y(l.median + l.spread));
        }
        for i in (0..pts.len()).rev() {
            let l = level(i);
            let low = (l.median - l.spread).max(0.0);
            let _ = write!(band, "{:.1},{:.1} ", x(i) + bw, y(low));
            let _ = write!(band, "{:.1},{:.1} ", x(i), y(low));
        }
        let _ = write!(
            out,
            "<polygon points=\"{}\" fill=\"#c7d7fe\" fill-opacity=\"0.7\"/>",
            band.trim_end()
        );
        let fill = if negative { "#b42318" } else { "#5b6475" };
        for i in 0..pts.len() {
            let c = count(i);
            if c > 0.0 {
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>",
                    x(i) + bw * 0.15,
                    y(c),
                    (bw * 0.7).max(1.0),
                    (TOP + plot_h - y(c)).max(0.5)
                );
            }
        }
        let mut line = String::new();
        for i in 0..pts.len() {
            let m = level(i).median;
            let _ = write!(
                line,
                "{:.1},{:.1} {:.1},{:.1} ",
                x(i),
                y(m),
                x(i) + bw,
                y(m)
            );
        }
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1a56db\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
            line.trim_end()
        );
        let first = v.moment(pts[0].start);
        let last = v.moment(pts[pts.len() - 1].start + series.bucket);
        let _ = write!(
            out,
            "<text x=\"{LEFT}\" y=\"{}\" fill=\"#5b6475\">{}</text>\
             <text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"end\">{}</text>",
            H - 6.0,
            esc(&first),
            W - RIGHT,
            H - 6.0,
            esc(&last)
        );
    } else {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            H / 2.0,
            esc(&v.word("web-chart-empty"))
        );
    }
    // The axis: zero and the top.
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d9dde5\"/>\
         <text x=\"{}\" y=\"{:.1}\" fill=\"#5b6475\" text-anchor=\"end\">0</text>\
         <text x=\"{}\" y=\"{:.1}\" fill=\"#5b6475\" text-anchor=\"end\">{}</text>",
        TOP + plot_h,
        W - RIGHT,
        TOP + plot_h,
        LEFT - 6.0,
        TOP + plot_h,
        LEFT - 6.0,
        TOP + 10.0,
        esc(&v.integer(top as u64))
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::baseline::Level;
    use crate::views::SeriesPoint;

    fn level(median: f64, spread: f64) -> Level {
        Level {
            median,
            mad: spread,
            spread,
            samples: 10,
        }
    }

    #[test]
    fn a_surge_draws_above_its_band_and_names_are_escaped() {
        let t0 = chrono::DateTime::from_timestamp(1_773_000_000, 0).unwrap();
        let series = WatchSeries {
            watch: "w".into(),
            name: "A&B <script>".into(),
            bucket: chrono::TimeDelta::hours(1),
            points: (0..24)
                .map(|h| SeriesPoint {
                    start: t0 + chrono::TimeDelta::hours(h),
                    stories: if h == 23 { 40 } else { 4 },
                    negative: if h == 23 { 30 } else { 1 },
                    usual: level(4.0, 2.0),
                    usual_negative: level(1.0, 1.0),
                })
                .collect(),
            negative_share: Some(0.3),
            usual_negative_share: Some(0.1),
        };
        let svg = svg(&series, &Voice::french(), true);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("A&amp;B &lt;script&gt;"));
        assert_eq!(svg.matches("<rect x=").count(), 24, "one bar per bucket");
        assert!(
            svg.contains(">35</text>"),
            "the top of the axis is above the surge: {svg}"
        );
        assert!(svg.contains("<polygon"), "the usual band is drawn");
    }
}
