//! What a bench attaches to a device's PIPE interface: both protocol monitors ([`PipePair`]) feeding the
//! protocol checker, the PIPE-level packet log, and a tap of each cycle's events for subscribers.

use crate::observe::checker::{Checker, CheckerConfig, RULES};
use crate::observe::events::PipePair;
use crate::observe::monitor::PacketEvent;
use crate::observe::packet_log::PacketLog;

/// Two monitors and a checker: what a bench attaches to a device's PIPE interface.
pub struct Watch {
    /// The last cycle whose words were pushed.
    last_cycle: u64,
    /// The protocol monitors of both directions.
    pub monitors: PipePair,
    pub checker: Checker,
    buf: Vec<PacketEvent>,
    /// The PIPE-level packet log (captures' format, both directions at the device's pins), streamed to disk.
    log: Option<PacketLog>,
    /// The events of the last cycle, kept for subscribers when tapped ([`Watch::tap`]).
    tap: Option<Vec<PacketEvent>>,
}

impl Watch {
    pub fn new(cfg: CheckerConfig) -> Watch {
        Watch {
            last_cycle: 0,
            monitors: PipePair::default(),
            checker: Checker::new(cfg),
            buf: Vec::new(),
            log: None,
            tap: None,
        }
    }

    /// Keep each cycle's monitor events for subscribers ([`Watch::tapped`]), e.g. a test's "wait for a packet"
    /// trigger. Off by default: the benches pay nothing for it.
    pub fn tap(&mut self) {
        self.tap.get_or_insert_with(Vec::new);
    }

    /// The monitor events of the last cycle (empty unless tapped).
    pub fn tapped(&self) -> &[PacketEvent] {
        self.tap.as_deref().unwrap_or(&[])
    }

    /// Write the packet log of both directions at the device's pins to `path` (header lines `header`).
    pub fn log_to(
        &mut self,
        path: &std::path::Path,
        header: &[(&str, String)],
    ) -> std::io::Result<()> {
        self.log = Some(PacketLog::new(Some(path), header, false)?);
        Ok(())
    }

    /// Flush the PIPE-level packet log, if any.
    pub fn finish(&mut self) -> std::io::Result<()> {
        match self.log.as_mut() {
            Some(l) => l.finish(),
            None => Ok(()),
        }
    }

    /// The words on the device's `pipe_tx` and `pipe_rx` in `cycle`.
    #[inline]
    pub fn cycle(&mut self, cycle: u64, tx: usb3_spec::Word, rx: usb3_spec::Word) {
        self.cycle_words(cycle, Some(tx), Some(rx));
    }

    /// [`Watch::cycle`] for a link layer behind a physical layer: a direction without a word this cycle (`None`:
    /// the physical layer did not send the link layer's word: a SKP went instead, or the link is not in U0) is
    /// not a word of the stream. (The physical wire gives the receive side every cycle: what the engine sees.)
    #[inline]
    pub fn cycle_words(
        &mut self,
        cycle: u64,
        tx: Option<usb3_spec::Word>,
        rx: Option<usb3_spec::Word>,
    ) {
        self.last_cycle = cycle;
        self.monitors.push(cycle, tx, rx, &mut self.buf);
        if let Some(t) = self.tap.as_mut() {
            t.clear();
            t.extend(self.buf.iter().cloned());
        }
        if !self.buf.is_empty() {
            for e in self.buf.drain(..) {
                self.checker.event(&e);
                if let (Some(l), Some((kind, seq, nump, len))) =
                    (self.log.as_mut(), crate::observe::monitor::log_line(&e))
                {
                    l.push(e.cycle, kind, seq, nump, len);
                }
            }
        }
    }

    /// One cycle of a device behind its physical layer: the raw words on the wire both ways and whether each
    /// direction carries LFPS (the physical-layer rules), and for a device with a link layer the words its
    /// physical layer sent and gave it (`link`: see `PipePhyDut::link_words`). `cut_pending`: the LTSSM left U0
    /// and the link layer's words had not stopped yet; the cut ([`Watch::link_left_u0`]) comes once they have.
    pub fn phy_cycle(
        &mut self,
        cycle: u64,
        wire: (Option<usb3_spec::Word>, Option<usb3_spec::Word>),
        lfps: (bool, bool),
        link: Option<(Option<usb3_spec::Word>, usb3_spec::Word)>,
        cut_pending: &mut bool,
    ) {
        if *cut_pending && link.is_none_or(|l| l.0.is_none()) {
            self.link_left_u0();
            *cut_pending = false;
        }
        self.checker
            .phy_cycle(cycle, wire.0, wire.1, lfps.0, lfps.1);
        if let Some((tx, rx)) = link {
            self.cycle_words(cycle, tx, Some(rx));
        }
    }

    /// The device's LTSSM left U0 (Recovery, a reset) and its physical layer stopped sending the link layer's
    /// words, so a packet in progress is cut on the wire both ways. The monitors drop what they hold (a DPH whose
    /// DPP was cut counts as received with a bad payload: [`crate::observe::checker::Checker::link_cut`]). Behind
    /// the LTSSM stand-in the device's words are not judged as garbage until its next framing set (the engine
    /// alone finishes a cut packet after U0 entry); behind the physical layer they are: it never sends the tail.
    pub fn link_left_u0(&mut self) {
        self.monitors.reset();
        self.checker.link_cut();
    }

    /// Both sides entered U0 (after a Hot Reset when `hot`) and re-advertise. The monitors keep their state:
    /// the device's transmitter never stopped, and its receiver saw idle while the link was retraining.
    pub fn u0_entry(&mut self, hot: bool) {
        if hot {
            self.monitors.reset();
        }
        self.checker.u0_entry_at(self.last_cycle, hot);
    }

    /// One line: rules, events and violations (the first one named).
    pub fn summary(&self) -> String {
        let c = &self.checker;
        if c.total() == 0 {
            format!(
                "protocol checker: {} rules, {} events, 0 violations",
                RULES.len(),
                c.events
            )
        } else {
            let per: Vec<String> = c
                .counts()
                .iter()
                .map(|(r, n)| format!("{r} x{n}"))
                .collect();
            format!(
                "protocol checker: {} violations ({}); first: {}",
                c.total(),
                per.join(", "),
                c.violations()[0]
            )
        }
    }
}
