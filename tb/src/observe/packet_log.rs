//! The packet log in the captures' format (`sim/tests/captures/README.md`): one line per packet, streamed to a
//! file, optionally kept in memory for comparisons with a capture.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use usb3_sim::capture::{format_event, write_header, Event, Kind};
use usb3_spec::protocol::Tp;
use usb3_spec::CYCLE_NS;

/// The packet log, in the captures' format, streamed to a writer; events also kept in memory if asked.
pub struct PacketLog {
    out: Option<BufWriter<File>>,
    keep: Option<Vec<Event>>,
    last_cycle: Option<u64>,
}

impl PacketLog {
    pub fn new(
        path: Option<&Path>,
        header: &[(&str, String)],
        keep: bool,
    ) -> std::io::Result<PacketLog> {
        let out = match path {
            Some(p) => {
                let mut w = BufWriter::new(File::create(p)?);
                w.write_all(write_header(header).as_bytes())?;
                Some(w)
            }
            None => None,
        };
        Ok(PacketLog {
            out,
            keep: keep.then(Vec::new),
            last_cycle: None,
        })
    }

    pub fn push(
        &mut self,
        cycle: u64,
        kind: Kind,
        seq: Option<u8>,
        nump: Option<u8>,
        len: Option<u32>,
    ) {
        let delta_us = self
            .last_cycle
            .map(|c| (cycle - c) as f64 * CYCLE_NS as f64 / 1000.0);
        self.last_cycle = Some(cycle);
        let e = Event {
            line: 0,
            delta_us,
            kind,
            seq,
            nump,
            len,
        };
        if let Some(w) = self.out.as_mut() {
            let _ = writeln!(w, "{}", format_event(delta_us.unwrap_or(0.0), &e));
        }
        if let Some(k) = self.keep.as_mut() {
            k.push(e);
        }
    }

    /// A transaction packet as a log line (ACK, NRDY, ERDY, STALL, PING_RESPONSE; other TPs are not logged).
    pub fn push_tp(&mut self, cycle: u64, tp: &Tp) {
        match *tp {
            Tp::Ack { seq, nump, .. } => self.push(cycle, Kind::Ack, Some(seq), Some(nump), None),
            Tp::Nrdy { .. } => self.push(cycle, Kind::Nrdy, None, None, None),
            Tp::Erdy { nump, .. } => self.push(cycle, Kind::Erdy, None, Some(nump), None),
            Tp::Stall { .. } => self.push(cycle, Kind::Stall, None, None, None),
            Tp::PingResponse { .. } => {
                self.push(cycle, Kind::Other("PING_RESPONSE".into()), None, None, None)
            }
            _ => {}
        }
    }

    pub fn events(&self) -> &[Event] {
        self.keep.as_deref().unwrap_or(&[])
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.out.as_mut() {
            w.flush()?;
        }
        Ok(())
    }
}

/// Header lines of a PIPE-level packet log.
pub fn pipe_log_header(host: &str, direction: &str, seed: u64) -> Vec<(&'static str, String)> {
    vec![
        ("host", host.to_string()),
        ("direction", direction.to_string()),
        (
            "note",
            format!(
                "simulated (seed {seed}): both directions at the device's PIPE pins (protocol monitors), times at \
                 each packet's last symbol; ACK/DATA/NRDY/ERDY/STALL of every endpoint"
            ),
        ),
    ]
}
