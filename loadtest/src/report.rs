//! The run's outputs: the one-second progress line, the summary table on stdout, the JSON
//! report, and a self-contained HTML page (inline SVG, no scripts, no external files)
//! charting latency percentiles and throughput over time.

use std::fmt::Write as _;

use serde_json::{json, Value};

/// One second of the run.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub t_s: f64,
    pub connected: usize,
    pub messages_per_s: f64,
    pub events_per_s: f64,
    pub bets_per_s: f64,
    pub push_p50_ms: f64,
    pub push_p99_ms: f64,
    pub push_p999_ms: f64,
    pub push_max_ms: f64,
    pub ack_p99_ms: f64,
    pub errors: u64,
    pub missed: u64,
    pub server_cpu_pct: Option<f64>,
    pub server_rss_mib: Option<f64>,
    pub client_cpu_pct: Option<f64>,
}

impl Sample {
    pub fn progress_line(&self, players: usize) -> String {
        let mut line = format!(
            "[{:>5.0}s] players {}/{} | msgs {:.0}/s | bets {:.0}/s | push p50 {:.2} p99 {:.2} p99.9 {:.2} max {:.1} ms | ack p99 {:.2} ms | missed {} | errors {}",
            self.t_s,
            self.connected,
            players,
            self.messages_per_s,
            self.bets_per_s,
            self.push_p50_ms,
            self.push_p99_ms,
            self.push_p999_ms,
            self.push_max_ms,
            self.ack_p99_ms,
            self.missed,
            self.errors
        );
        if let (Some(cpu), Some(rss)) = (self.server_cpu_pct, self.server_rss_mib) {
            let _ = write!(line, " | server cpu {cpu:.0}% rss {rss:.0} MiB");
        }
        if let Some(cpu) = self.client_cpu_pct {
            let _ = write!(line, " | loadtest cpu {cpu:.0}%");
        }
        line
    }

    pub fn to_json(&self) -> Value {
        json!({
            "t_s": self.t_s,
            "connected": self.connected,
            "messages_per_s": self.messages_per_s,
            "events_per_s": self.events_per_s,
            "bets_per_s": self.bets_per_s,
            "push_p50_ms": self.push_p50_ms,
            "push_p99_ms": self.push_p99_ms,
            "push_p999_ms": self.push_p999_ms,
            "push_max_ms": self.push_max_ms,
            "ack_p99_ms": self.ack_p99_ms,
            "errors": self.errors,
            "missed": self.missed,
            "server_cpu_pct": self.server_cpu_pct,
            "server_rss_mib": self.server_rss_mib,
            "client_cpu_pct": self.client_cpu_pct,
        })
    }
}

/// The summary table printed at the end (from the JSON report, so both always agree).
pub fn summary_table(report: &Value) -> String {
    let f = |key: &str| report[key].as_f64().map_or("-".to_owned(), |v| format!("{v:.3}"));
    let n = |key: &str| report[key].as_u64().map_or("-".to_owned(), |v| v.to_string());
    let server = &report["server"];
    let s = |key: &str| server[key].as_f64().map_or("-".to_owned(), |v| format!("{v:.2}"));
    let rows: Vec<(&str, String)> = vec![
        (
            "players / joined / connected at peak",
            format!(
                "{} / {} / {}",
                n("players"),
                n("players_joined"),
                n("players_connected_peak")
            ),
        ),
        ("tables", n("tables")),
        ("steady state (s)", f("steady_s")),
        (
            "push latency p50 / p99 / p99.9 / max (ms)",
            format!(
                "{} / {} / {} / {}",
                f("push_p50_ms"),
                f("push_p99_ms"),
                f("push_p999_ms"),
                f("push_max_ms")
            ),
        ),
        (
            "bet ack p50 / p99 / p99.9 / max (ms)",
            format!(
                "{} / {} / {} / {}",
                f("ack_p50_ms"),
                f("ack_p99_ms"),
                f("ack_p999_ms"),
                f("ack_max_ms")
            ),
        ),
        (
            "connect p50 / p99 (ms)",
            format!("{} / {}", f("connect_p50_ms"), f("connect_p99_ms")),
        ),
        (
            "resume p50 / p99 (ms), resumes",
            format!("{} / {}, {}", f("resume_p50_ms"), f("resume_p99_ms"), n("resumes")),
        ),
        ("messages/s (steady)", f("messages_per_s")),
        ("bets/s (acked, steady)", f("bets_per_s")),
        ("bets acked / sent", format!("{} / {}", n("bets_acked"), n("bets_sent"))),
        (
            "missed events / out of order",
            format!("{} / {}", n("missed_events"), n("out_of_order")),
        ),
        ("resumes answered by snapshot", n("resume_snapshots")),
        (
            "mass resume: players back / all back after (ms)",
            format!("{} / {}", n("mass_resume_players"), f("mass_resume_all_ms")),
        ),
        ("errors (by code)", report["errors"].to_string()),
        ("unexpected errors", n("unexpected_errors")),
        ("late bets (betting_closed, wrong_round)", n("late_bets")),
        ("server closes (by code)", report["server_closes"].to_string()),
        ("unanswered at end", n("unanswered")),
        ("money conserved", report["conserved"].to_string()),
        (
            "server CPU (s) / per message (µs)",
            format!("{} / {}", s("cpu_s"), s("cpu_us_per_message")),
        ),
        (
            "server RSS baseline / all joined / peak (MiB)",
            format!(
                "{} / {} / {}",
                s("rss_baseline_mib"),
                s("rss_all_joined_mib"),
                s("rss_peak_mib")
            ),
        ),
        (
            "server RSS per player (KiB), growth in steady state (MiB/s)",
            format!(
                "{}, {}",
                s("rss_per_player_kib"),
                s("rss_growth_during_steady_mib_per_s")
            ),
        ),
        (
            "loadtest CPU (s)",
            format!("{:.2}", report["client_cpu_s"].as_f64().unwrap_or(0.0)),
        ),
        ("verdict", report["verdict"].as_str().unwrap_or("-").to_owned()),
    ];
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "{}", "-".repeat(width + 40));
    for (key, value) in rows {
        let _ = writeln!(out, "{key:<width$}  {value}");
    }
    let _ = writeln!(out, "{}", "-".repeat(width + 40));
    out
}

/// One line series for a chart.
struct Series<'a> {
    name: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An inline SVG line chart.
fn chart(title: &str, unit: &str, series: &[Series<'_>]) -> String {
    let (w, h, left, right, top, bottom) = (900.0, 260.0, 60.0, 20.0, 30.0, 30.0);
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0_f64, f64::max);
    let y_raw = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let y_max = nice_ceiling(y_raw);
    let px = |x: f64| left + x / x_max * (w - left - right);
    let py = |y: f64| top + (1.0 - y / y_max) * (h - top - bottom);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11"><rect width="{w}" height="{h}" fill="#fff"/><text x="{left}" y="18" font-size="13" font-weight="bold">{}</text>"##,
        escape(title)
    );
    for i in 0..=4 {
        let y = y_max * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{label} {unit}</text>"##,
            x2 = w - right,
            yy = py(y),
            tx = left - 4.0,
            ty = py(y) + 4.0,
            label = trim_number(y)
        );
    }
    for i in 0..=5 {
        let x = x_max * f64::from(i) / 5.0;
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{:.0} s</text>"##,
            px(x),
            h - 10.0,
            x
        );
    }
    // Legends sit at the top right, clear of the title.
    let mut legend_x = w - right - 105.0 * series.len() as f64;
    for s in series {
        if !s.points.is_empty() {
            let points: Vec<String> = s
                .points
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(y.min(y_max))))
                .collect();
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"##,
                s.color,
                points.join(" ")
            );
        }
        let _ = write!(
            svg,
            r##"<rect x="{legend_x}" y="9" width="12" height="3" fill="{}"/><text x="{}" y="14">{}</text>"##,
            s.color,
            legend_x + 16.0,
            escape(s.name)
        );
        legend_x += 105.0;
    }
    svg.push_str("</svg>");
    svg
}

fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn trim_number(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The HTML page: headline figures, then the charts.
pub fn html(report: &Value, samples: &[Sample]) -> String {
    let pick = |f: fn(&Sample) -> f64| samples.iter().map(|s| (s.t_s, f(s))).collect::<Vec<_>>();
    let latency = chart(
        "Push latency per second (server ts to client receipt)",
        "ms",
        &[
            Series {
                name: "p50",
                color: "#2b8a3e",
                points: pick(|s| s.push_p50_ms),
            },
            Series {
                name: "p99",
                color: "#e67700",
                points: pick(|s| s.push_p99_ms),
            },
            Series {
                name: "p99.9",
                color: "#c92a2a",
                points: pick(|s| s.push_p999_ms),
            },
            Series {
                name: "bet ack p99",
                color: "#1864ab",
                points: pick(|s| s.ack_p99_ms),
            },
        ],
    );
    let messages = chart(
        "Messages received per second",
        "",
        &[
            Series {
                name: "all frames",
                color: "#1864ab",
                points: pick(|s| s.messages_per_s),
            },
            Series {
                name: "table events",
                color: "#862e9c",
                points: pick(|s| s.events_per_s),
            },
        ],
    );
    let bets = chart(
        "Bets acknowledged per second, players connected",
        "",
        &[
            Series {
                name: "bets/s",
                color: "#2b8a3e",
                points: pick(|s| s.bets_per_s),
            },
            Series {
                name: "players",
                color: "#868e96",
                points: pick(|s| s.connected as f64),
            },
        ],
    );
    let server = chart(
        "Server CPU (% of one core) and RSS (MiB)",
        "",
        &[
            Series {
                name: "cpu %",
                color: "#c92a2a",
                points: samples
                    .iter()
                    .filter_map(|s| s.server_cpu_pct.map(|v| (s.t_s, v)))
                    .collect(),
            },
            Series {
                name: "rss MiB",
                color: "#1864ab",
                points: samples
                    .iter()
                    .filter_map(|s| s.server_rss_mib.map(|v| (s.t_s, v)))
                    .collect(),
            },
            Series {
                name: "loadtest cpu %",
                color: "#e67700",
                points: samples
                    .iter()
                    .filter_map(|s| s.client_cpu_pct.map(|v| (s.t_s, v)))
                    .collect(),
            },
        ],
    );
    let mut headline = String::new();
    for key in [
        "players",
        "tables",
        "push_p50_ms",
        "push_p99_ms",
        "push_p999_ms",
        "push_max_ms",
        "ack_p99_ms",
        "messages_per_s",
        "bets_per_s",
        "missed_events",
        "out_of_order",
        "errors",
        "unexpected_errors",
        "late_bets",
        "conserved",
        "verdict",
    ] {
        let value = match report[key].as_f64() {
            Some(v) if !report[key].is_u64() => format!("{v:.3}"),
            _ => report[key].to_string(),
        };
        let _ = write!(headline, "<tr><th>{key}</th><td>{}</td></tr>", escape(&value));
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Croupier loadtest report</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}th,td{{border:1px solid #ccc;padding:3px 8px;text-align:left}}th{{background:#f4f4f4}}svg{{display:block;margin:1em 0;border:1px solid #eee}}pre{{background:#f8f8f8;padding:1em;overflow:auto}}</style>
</head><body>
<h1>Croupier loadtest</h1>
<table>{headline}</table>
{latency}
{messages}
{bets}
{server}
<h2>Configuration</h2>
<pre>{}</pre>
</body></html>
"#,
        escape(&serde_json::to_string_pretty(&report["config"]).unwrap_or_default())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_self_contained() {
        let samples: Vec<Sample> = (0..5)
            .map(|i| Sample {
                t_s: f64::from(i),
                push_p99_ms: f64::from(i) * 1.5,
                ..Sample::default()
            })
            .collect();
        let page = html(&json!({"players": 3, "config": {"a": 1}}), &samples);
        assert!(page.contains("<svg"));
        assert!(!page.contains("<script"));
        assert!(!page.contains("src="));
    }

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(0.07), 0.1);
        assert_eq!(nice_ceiling(1200.0), 2000.0);
    }
}
