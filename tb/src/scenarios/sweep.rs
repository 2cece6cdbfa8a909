//! Throughput sweeps: against TD size, against max burst and against TDs queued, for every host model and both
//! directions; CSV and an SVG chart (the `sweep` command renders the PNG from it). OUT runs are one transfer cut
//! into TDs, paced by the long-run model (`GapMode::Model`).
//!
//! Every point is one bench run with its scoreboard and protocol checker; a point that fails is kept in the CSV
//! with `ok=false` and left out of the chart.

use std::fmt::Write as _;

use usb3_hdl::device::DeviceParams;
use usb3_hdl::endpoint::BulkParams;
use usb3_sim::host::{OutPolicy, Policy};

use crate::dut::verilator::Backend;
use crate::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use crate::env::bulk_out::{run_out, OutBenchConfig};
use crate::runtime::xml;
use crate::scenarios::Direction;

/// What a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// TD size in bytes, at max burst 8 (IN: 4 TDs queued, OUT: 16).
    TdBytes,
    /// Max burst of both bulk endpoints, at TDs of [`BURST_SWEEP_TD`].
    MaxBurst,
    /// TDs software keeps queued, at TDs of [`BURST_SWEEP_TD`] and max burst 8 ([`QUEUED_SWEEP_BYTES`] each).
    TdsQueued,
}

impl Axis {
    pub fn name(self) -> &'static str {
        match self {
            Axis::TdBytes => "td_bytes",
            Axis::MaxBurst => "max_burst",
            Axis::TdsQueued => "tds_queued",
        }
    }
}

/// TD size of the max-burst and TDs-queued sweeps.
pub const BURST_SWEEP_TD: u64 = 64 * 1024;

/// Bytes of a TDs-queued point: 32 TDs of 64 KiB, so software refills the ring even at 16 queued.
pub const QUEUED_SWEEP_BYTES: u64 = 2 << 20;

/// TDs queued on the TD and burst axes: `usb3 sim`'s defaults (IN 4; OUT 16, the field's OUT setup).
pub fn default_tds_queued(dir: Direction) -> usize {
    if dir == Direction::In {
        4
    } else {
        16
    }
}

/// One point to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub axis: Axis,
    pub host: &'static str,
    /// In or Out.
    pub dir: Direction,
    pub td_bytes: u64,
    pub max_burst: u8,
    pub tds_queued: usize,
    pub bytes: u64,
}

/// A point's result.
#[derive(Clone, Debug)]
pub struct Measured {
    pub point: Point,
    pub ok: bool,
    pub throughput_mb_s: f64,
    pub sim_cycles: u64,
    pub wall_s: f64,
    pub note: String,
}

/// The hosts with an IN model and with an OUT model (the host models' own lists).
pub const IN_HOSTS: &[&str] = &usb3_sim::host::HOST_NAMES;
pub const OUT_HOSTS: &[&str] = &usb3_sim::host::OUT_HOST_NAMES;

/// The sweep: TD sizes `1 KiB << k` up to `max_td`, max bursts `bursts` and TDs queued `queued`, for `hosts`
/// (all if empty).
pub fn points(max_td: u64, bursts: &[u8], queued: &[usize], hosts: &[String]) -> Vec<Point> {
    let wanted = |h: &str| hosts.is_empty() || hosts.iter().any(|x| x == h);
    let mut v = vec![];
    let tds: Vec<u64> = (0..)
        .map(|k| 1024u64 << k)
        .take_while(|&t| t <= max_td)
        .collect();
    for (dir, list) in [(Direction::In, IN_HOSTS), (Direction::Out, OUT_HOSTS)] {
        for &host in list.iter().filter(|h| wanted(h)) {
            for &td in &tds {
                // Enough TDs that the per-TD overhead is averaged: at least 4 and at least 256 KiB.
                let bytes = (4 * td).max(256 * 1024);
                v.push(Point {
                    axis: Axis::TdBytes,
                    host,
                    dir,
                    td_bytes: td,
                    max_burst: 8,
                    tds_queued: default_tds_queued(dir),
                    bytes,
                });
            }
            for &m in bursts {
                let td = BURST_SWEEP_TD;
                v.push(Point {
                    axis: Axis::MaxBurst,
                    host,
                    dir,
                    td_bytes: td,
                    max_burst: m,
                    tds_queued: default_tds_queued(dir),
                    bytes: 4 * td,
                });
            }
            for &q in queued {
                v.push(Point {
                    axis: Axis::TdsQueued,
                    host,
                    dir,
                    td_bytes: BURST_SWEEP_TD,
                    max_burst: 8,
                    tds_queued: q,
                    bytes: QUEUED_SWEEP_BYTES,
                });
            }
        }
    }
    v
}

/// The engine of every point with `max_burst`: both bulk endpoints at that max burst (IN and OUT points share
/// one engine build).
pub fn engine_params(max_burst: u8) -> DeviceParams {
    DeviceParams {
        bulk_in: BulkParams {
            max_burst,
            ..BulkParams::default_in()
        },
        bulk_out: BulkParams {
            max_burst,
            ..BulkParams::default_out()
        },
        ..DeviceParams::default()
    }
}

/// Runs one point on `backend` with `seed`.
pub fn run_point(p: &Point, backend: Backend, seed: u64) -> Result<Measured, String> {
    let start = std::time::Instant::now();
    let err = |e: std::io::Error| format!("{} {} {}: {e}", p.dir, p.host, p.td_bytes);
    let t = if p.dir == Direction::In {
        let policy = Policy::by_name(p.host, p.max_burst)
            .ok_or_else(|| format!("no IN model of {}", p.host))?;
        let mut c = InBenchConfig::new(policy, p.td_bytes, p.bytes, p.max_burst, seed);
        c.xhci.tds_queued = p.tds_queued;
        let e = engine_params(p.max_burst);
        (c.bulk_in, c.bulk_out) = (e.bulk_in, e.bulk_out);
        c.backend = backend;
        c.max_cycles = c.max_cycles.max(p.bytes / 2);
        run_in(c, &mut InOutputs::default())
            .map_err(err)?
            .0
            .transfer
    } else {
        let policy = OutPolicy::by_name(p.host, p.max_burst)
            .ok_or_else(|| format!("no OUT model of {}", p.host))?;
        let mut c = OutBenchConfig::new(policy, p.bytes, p.max_burst, seed);
        let e = engine_params(p.max_burst);
        (c.bulk_in, c.bulk_out) = (e.bulk_in, e.bulk_out);
        (c.td_bytes, c.tds_queued) = (p.td_bytes, p.tds_queued);
        c.backend = backend;
        c.max_cycles += c.td_budget_cycles();
        run_out(&c, None, false, None).map_err(err)?.0.transfer
    };
    let ok = t.completed && t.integrity_ok && t.protocol_violations == 0;
    Ok(Measured {
        point: p.clone(),
        ok,
        throughput_mb_s: t.throughput_mb_s,
        sim_cycles: t.sim_cycles,
        wall_s: start.elapsed().as_secs_f64(),
        note: if ok {
            String::new()
        } else {
            format!(
                "integrity {} violations {}",
                t.integrity_ok, t.protocol_violations
            )
        },
    })
}

/// The CSV: one row per point.
pub fn csv(rows: &[Measured]) -> String {
    let mut s = String::from("axis,direction,host,td_bytes,max_burst,tds_queued,bytes,throughput_mb_s,efficiency,sim_cycles,wall_s,ok,note\n");
    for r in rows {
        let p = &r.point;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{:.2},{:.4},{},{:.2},{},{}",
            p.axis.name(),
            p.dir,
            p.host,
            p.td_bytes,
            p.max_burst,
            p.tds_queued,
            p.bytes,
            r.throughput_mb_s,
            r.throughput_mb_s / crate::env::report::MAX_MB_S,
            r.sim_cycles,
            r.wall_s,
            r.ok,
            r.note
        );
    }
    s
}

const COLORS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
];

/// An SVG with three charts: throughput against TD size (log scale), against max burst and against TDs queued
/// (log scale); one line per host and direction (solid IN, dashed OUT); the 484.8 MB/s wire ceiling dotted.
pub fn svg(rows: &[Measured], title: &str) -> String {
    let (w, h) = (1770.0, 560.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="28" font-size="18" text-anchor="middle">{}</text>"#,
        w / 2.0,
        xml::escape(title)
    );
    let series: Vec<(Direction, &str)> = {
        let mut v: Vec<(Direction, &str)> =
            rows.iter().map(|r| (r.point.dir, r.point.host)).collect();
        v.dedup();
        let mut seen = vec![];
        v.retain(|x| {
            if seen.contains(x) {
                false
            } else {
                seen.push(*x);
                true
            }
        });
        v
    };
    for (panel, axis) in [
        (0usize, Axis::TdBytes),
        (1, Axis::MaxBurst),
        (2, Axis::TdsQueued),
    ] {
        let (x0, y0, pw, ph) = (70.0 + panel as f64 * 570.0, 60.0, 480.0, 380.0);
        let pts: Vec<&Measured> = rows
            .iter()
            .filter(|r| r.point.axis == axis && r.ok)
            .collect();
        let xv = |r: &Measured| match axis {
            Axis::TdBytes => (r.point.td_bytes as f64 / 1024.0).log2(),
            Axis::MaxBurst => r.point.max_burst as f64,
            Axis::TdsQueued => (r.point.tds_queued as f64).log2(),
        };
        let (xmin, xmax) = pts
            .iter()
            .map(|r| xv(r))
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        let (xmin, xmax) = if xmin > xmax {
            (0.0, 1.0)
        } else if xmin == xmax {
            (xmin - 1.0, xmax + 1.0)
        } else {
            (xmin, xmax)
        };
        let ymax = 500.0;
        let px = |x: f64| x0 + (x - xmin) / (xmax - xmin) * pw;
        let py = |y: f64| y0 + ph - y / ymax * ph;
        let _ = writeln!(
            s,
            r##"<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
        );
        for k in 0..=5 {
            let y = k as f64 * 100.0;
            let _ = writeln!(
                s,
                r##"<line x1="{x0}" y1="{0}" x2="{1}" y2="{0}" stroke="#ddd"/><text x="{2}" y="{3}" font-size="12" text-anchor="end">{y}</text>"##,
                py(y),
                x0 + pw,
                x0 - 6.0,
                py(y) + 4.0
            );
        }
        let ceiling = crate::env::report::MAX_MB_S;
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{0}" x2="{1}" y2="{0}" stroke="#888" stroke-dasharray="2,3"/><text x="{1}" y="{2}" font-size="11" text-anchor="end" fill="#666">wire limit {ceiling:.1} MB/s</text>"##,
            py(ceiling),
            x0 + pw,
            py(ceiling) - 4.0
        );
        let ticks: Vec<(f64, String)> = match axis {
            Axis::TdBytes => (xmin as i64..=xmax as i64)
                .map(|k| (k as f64, kib_label(1u64 << k)))
                .collect(),
            Axis::MaxBurst => (xmin as i64..=xmax as i64)
                .map(|m| (m as f64, m.to_string()))
                .collect(),
            Axis::TdsQueued => (xmin as i64..=xmax as i64)
                .map(|k| (k as f64, (1u64 << k).to_string()))
                .collect(),
        };
        for (x, label) in ticks {
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{label}</text>"#,
                px(x),
                y0 + ph + 16.0
            );
        }
        let xlabel = match axis {
            Axis::TdBytes => "TD size, max burst 8",
            Axis::MaxBurst => "max burst (TDs of 64 KiB)",
            Axis::TdsQueued => "TDs queued (TDs of 64 KiB, max burst 8)",
        };
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" font-size="13" text-anchor="middle">{xlabel}</text>"#,
            x0 + pw / 2.0,
            y0 + ph + 36.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" font-size="13" text-anchor="middle" transform="rotate(-90 {} {})">MB/s</text>"#,
            x0 - 48.0,
            y0 + ph / 2.0,
            x0 - 48.0,
            y0 + ph / 2.0
        );
        for (i, (dir, host)) in series.iter().enumerate() {
            let mut line: Vec<&&Measured> = pts
                .iter()
                .filter(|r| r.point.dir == *dir && r.point.host == *host)
                .collect();
            line.sort_by(|a, b| xv(a).total_cmp(&xv(b)));
            if line.is_empty() {
                continue;
            }
            let path: Vec<String> = line
                .iter()
                .map(|r| format!("{:.1},{:.1}", px(xv(r)), py(r.throughput_mb_s)))
                .collect();
            let dash = if *dir == Direction::Out {
                r#" stroke-dasharray="6,4""#
            } else {
                ""
            };
            let color = COLORS[i % COLORS.len()];
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
                path.join(" ")
            );
            for r in &line {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#,
                    px(xv(r)),
                    py(r.throughput_mb_s)
                );
            }
        }
    }
    for (i, (dir, host)) in series.iter().enumerate() {
        let (x, y) = (
            80.0 + (i % 4) as f64 * 280.0,
            h - 56.0 + (i / 4) as f64 * 20.0,
        );
        let color = COLORS[i % COLORS.len()];
        let dash = if *dir == Direction::Out {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2"{dash}/><text x="{}" y="{}" font-size="12">{} {host}</text>"#,
            x + 28.0,
            x + 34.0,
            y + 4.0,
            dir.name().to_uppercase()
        );
    }
    s.push_str("</svg>\n");
    s
}

fn kib_label(kib: u64) -> String {
    if kib >= 1024 {
        format!("{}M", kib / 1024)
    } else {
        format!("{kib}K")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_cover_every_host_and_direction() {
        let p = points(
            4 * 1024 * 1024,
            &(1..=16).collect::<Vec<_>>(),
            &[1, 2, 4],
            &[],
        );
        assert_eq!(p.iter().filter(|p| p.axis == Axis::TdBytes).count(), 13 * 7);
        assert_eq!(
            p.iter().filter(|p| p.axis == Axis::MaxBurst).count(),
            16 * 7
        );
        assert_eq!(
            p.iter().filter(|p| p.axis == Axis::TdsQueued).count(),
            3 * 7
        );
        let only = points(2048, &[1], &[2], &["ideal".to_string()]);
        assert_eq!(only.len(), 2 * (2 + 1 + 1));
    }

    #[test]
    fn csv_and_svg_have_every_point() {
        let p = Point {
            axis: Axis::TdBytes,
            host: "ideal",
            dir: Direction::In,
            td_bytes: 1024,
            max_burst: 8,
            tds_queued: 4,
            bytes: 4096,
        };
        let r = Measured {
            point: p,
            ok: true,
            throughput_mb_s: 400.0,
            sim_cycles: 10,
            wall_s: 0.1,
            note: String::new(),
        };
        let c = csv(&[r.clone()]);
        assert_eq!(c.lines().count(), 2);
        assert!(c
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("td_bytes,in,ideal,1024,8,4,4096,400.00,"));
        let s = svg(&[r], "t");
        assert!(s.contains("<polyline") && s.contains("IN ideal") && s.ends_with("</svg>\n"));
    }
}
