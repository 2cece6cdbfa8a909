//! The protocol-layer rules (spec 8): data sequence numbers, ACK NumP and the burst window, EOB, NRDY, ACKs
//! matching good data, halted endpoints; SETUPs that reset endpoint state.

use super::*;

impl Checker {
    pub(super) fn protocol_header(&mut self, cycle: u64, d: Dir, k: HeaderKind) {
        match (d, k) {
            (
                Dir::Down,
                HeaderKind::Tp(Tp::Ack {
                    ep,
                    dir_in: true,
                    seq,
                    nump,
                    retry,
                    ..
                }),
            ) if ep != 0 => self.host_in_ack(cycle, ep, seq, nump, retry),
            (Dir::Down, HeaderKind::Dph(dph)) if dph.ep != 0 && !dph.dir_in => {
                self.host_out_data(cycle, &dph)
            }
            (Dir::Up, HeaderKind::Dph(dph)) if dph.ep != 0 && dph.dir_in => {
                self.device_in_data(cycle, &dph)
            }
            (
                Dir::Up,
                HeaderKind::Tp(Tp::Ack {
                    ep,
                    dir_in: false,
                    seq,
                    nump,
                    retry,
                    ..
                }),
            ) if ep != 0 => self.device_out_ack(cycle, ep, seq, nump, retry),
            (Dir::Up, HeaderKind::Tp(Tp::Nrdy { ep, dir_in, .. })) if ep != 0 => {
                if dir_in {
                    let e = &mut self.ins[ep as usize];
                    if let (Some(a), Some(n)) = (e.acked, e.next_seq) {
                        if a != n {
                            let left = seq_diff(n, a);
                            self.fire(
                                cycle,
                                d,
                                RuleId::NrdyInFlight,
                                format!("NRDY on IN {ep} with {left} packets unacknowledged"),
                            );
                        }
                    }
                    let e = &mut self.ins[ep as usize];
                    e.closed = e.next_seq.or(e.acked);
                }
                self.check_not_halted(cycle, ep, dir_in, "NRDY");
            }
            (
                Dir::Up,
                HeaderKind::Tp(Tp::Erdy {
                    ep, dir_in, nump, ..
                }),
            ) if ep != 0 => {
                self.check_not_halted(cycle, ep, dir_in, "ERDY");
                if !dir_in {
                    // ERDY grants NumP packets from the sequence number the device expects (spec 8.10.3).
                    let e = &mut self.outs[ep as usize];
                    if let Some(x) = e.expected {
                        e.grant = Some((x, nump));
                    }
                }
            }
            (Dir::Up, HeaderKind::Tp(Tp::Stall { ep, dir_in, .. })) if ep != 0 => {
                if dir_in {
                    self.ins[ep as usize].halted = true;
                } else {
                    self.outs[ep as usize].halted = true;
                }
            }
            _ => {}
        }
    }

    pub(super) fn check_not_halted(&mut self, cycle: u64, ep: u8, dir_in: bool, what: &str) {
        let halted = if dir_in {
            self.ins[ep as usize].halted
        } else {
            self.outs[ep as usize].halted
        };
        if halted {
            let dn = if dir_in { "IN" } else { "OUT" };
            self.fire(
                cycle,
                Dir::Up,
                RuleId::StallHalted,
                format!("{what} on halted {dn} {ep}"),
            );
        }
    }

    pub(super) fn check_nump(&mut self, cycle: u64, d: Dir, ep: u8, dir_in: bool, nump: u8) {
        let mb = self.cfg.max_burst[ep as usize][dir_in as usize];
        if nump > mb {
            self.fire(
                cycle,
                d,
                RuleId::AckNump,
                format!("NumP {nump} > max burst {mb} (ep {ep})"),
            );
        }
    }

    pub(super) fn host_in_ack(&mut self, cycle: u64, ep: u8, seq: u8, nump: u8, retry: bool) {
        self.check_nump(cycle, Dir::Down, ep, true, nump);
        let grace = self.cfg.grace_cycles;
        let e = &mut self.ins[ep as usize];
        if let (Some(a), Some(n)) = (e.acked, e.next_seq) {
            if seq_diff(seq, a) > seq_diff(n, a) {
                return; // acknowledges packets never sent: the device ignores it (stale / babble)
            }
        }
        let adv = e.acked.map_or(0, |a| seq_diff(seq, a));
        let before = e.window.saturating_sub(adv);
        e.acked = Some(seq);
        e.window = nump;
        e.lenient = (before.max(nump), cycle + grace);
        if e.next_seq.is_none() {
            e.next_seq = Some(seq);
        }
        if retry {
            e.retry_from = Some((seq, cycle));
            e.retry_busy = 0;
            e.closed = None;
        } else if nump > 0 && e.closed == Some(seq) {
            e.closed = None;
        }
    }

    pub(super) fn device_in_data(&mut self, cycle: u64, dph: &Dph) {
        let (ep, seq) = (dph.ep as usize, dph.seq);
        let grace = self.cfg.grace_cycles;
        let from_start = self.from_start;
        let mut fired: Vec<(RuleId, String)> = vec![];
        let e = &mut self.ins[ep];
        if e.halted {
            fired.push((
                RuleId::StallHalted,
                format!("DATA seq {seq} on halted IN {ep}"),
            ));
        }
        // A packet committed just before an ACK with Rty arrived: the host drops it; it changes no state. It may
        // reach the wire up to `grace` cycles after that ACK, plus the time the transmitter spent on the header
        // packets and link commands queued before it (`retry_busy`; this DPH's own header is not yet counted).
        let mut discarded = false;
        match (e.retry_from, e.next_seq) {
            (Some((r, _)), _) if seq == r => e.retry_from = None,
            (Some((r, rc)), n) => {
                if cycle <= rc + grace + e.retry_busy && n.is_none_or(|n| n == seq) {
                    discarded = true;
                } else {
                    fired.push((
                        RuleId::SeqOrder,
                        format!("DATA seq {seq} after an ACK with Rty asked for {r} at cycle {rc}"),
                    ));
                    e.retry_from = None;
                }
            }
            (None, Some(n)) if n != seq => {
                fired.push((RuleId::SeqOrder, format!("DATA seq {seq}, expected {n}")))
            }
            _ => {}
        }
        e.next_seq = Some((seq + 1) & 31);
        match e.acked {
            Some(a) => {
                let win = if cycle <= e.lenient.1 {
                    e.lenient.0.max(e.window)
                } else {
                    e.window
                };
                let off = seq_diff(seq, a);
                if off >= win && off < 16 {
                    fired.push((
                        RuleId::FlowWindow,
                        format!("DATA seq {seq}: host granted {win} after seq {a}"),
                    ));
                }
            }
            None if from_start => {
                fired.push((RuleId::FlowWindow, format!("DATA seq {seq} before any ACK")))
            }
            None => {}
        }
        if let Some(c) = e.closed {
            fired.push((
                RuleId::EobBurstEnd,
                format!("DATA seq {seq} while the burst is closed (waiting for ACK seq {c})"),
            ));
        }
        if (dph.eob || (dph.len as usize) < MAX_PACKET) && !discarded {
            e.closed = Some((seq + 1) & 31);
        }
        for (r, m) in fired {
            self.fire(cycle, Dir::Up, r, m);
        }
    }

    pub(super) fn host_out_data(&mut self, cycle: u64, dph: &Dph) {
        let mb = self.cfg.max_burst[dph.ep as usize & 15][0];
        let e = &mut self.outs[dph.ep as usize];
        let seq = dph.seq;
        let mut fired: Vec<(RuleId, String)> = vec![];
        if let Some(n) = e.host_next {
            if seq != n && Some(seq) != e.expected {
                fired.push((
                    RuleId::SeqOrder,
                    format!(
                        "host DATA seq {seq}, expected {n} or a retry from {:?}",
                        e.expected
                    ),
                ));
            }
        }
        e.host_next = Some((seq + 1) & 31);
        // The captured Intel and Renesas hosts start a transfer with a burst of up to max burst + 1 packets
        // whatever the endpoint granted last (into NumP 0 it answers NRDY: intel-b150-out-nrdy.txt, four packets
        // with max burst 3): a burst that begins with everything acknowledged is not charged for its first
        // max burst + 1 packets, until the device's next ACK.
        if e.sent_since_ack == 0 && Some(seq) == e.expected {
            e.burst_start = Some(seq);
        }
        e.sent_since_ack = e.sent_since_ack.saturating_add(1);
        let in_start_burst = e
            .burst_start
            .is_some_and(|s| u16::from(seq_diff(seq, s)) <= u16::from(mb));
        if let Some((base, win)) = e.grant.filter(|g| g.1 > 0 && !in_start_burst) {
            let off = seq_diff(seq, base);
            if off >= win && off < 16 {
                fired.push((
                    RuleId::FlowWindow,
                    format!("host DATA seq {seq}: device granted {win} after seq {base}"),
                ));
            }
        }
        for (r, m) in fired {
            self.fire(cycle, Dir::Down, r, m);
        }
    }

    pub(super) fn protocol_payload(&mut self, d: Dir, dph: &Dph, good: bool, data: &[u8]) {
        if d != Dir::Down {
            return;
        }
        if dph.ep == 0 && dph.setup && good && data.len() == 8 {
            let mut b = [0u8; 8];
            b.copy_from_slice(data);
            self.setup(Setup::from_bytes(&b));
        } else if dph.ep != 0 && !dph.dir_in {
            let e = &mut self.outs[dph.ep as usize];
            if good {
                e.good_rx.push_back(dph.seq);
                if e.good_rx.len() > 32 {
                    e.good_rx.pop_front();
                }
            } else {
                e.bad_rx = Some(dph.seq);
            }
        }
    }

    pub(super) fn device_out_ack(&mut self, cycle: u64, ep: u8, seq: u8, nump: u8, retry: bool) {
        self.check_nump(cycle, Dir::Up, ep, false, nump);
        self.check_not_halted(cycle, ep, false, "ACK");
        if retry {
            // The host's DPH whose DPP has not come (yet): the device has declared it missing.
            if let Some((dph, true, _)) = self.side[Dir::Down.idx()].after_dph {
                if dph.ep == ep && !dph.dir_in {
                    self.side[Dir::Down.idx()].after_dph = None;
                    self.outs[ep as usize].bad_rx = Some(dph.seq);
                }
            }
        }
        let e = &mut self.outs[ep as usize];
        let mut fired: Vec<(RuleId, String)> = vec![];
        if retry {
            if e.bad_rx.take().is_none() {
                fired.push((
                    RuleId::AckMatchesData,
                    format!("ACK Rty seq {seq} on OUT {ep} without a bad packet"),
                ));
            }
            if e.expected.is_some_and(|x| x != seq) {
                fired.push((
                    RuleId::SeqOrder,
                    format!("ACK Rty seq {seq} on OUT {ep}, expected {:?}", e.expected),
                ));
            }
        } else {
            // An ACK acknowledges every packet before its sequence number: the engine answers a packet that
            // arrived while its transmitter was busy together with the next one (README: noticed).
            let acked = (seq + 31) & 31;
            match e.good_rx.iter().position(|&x| x == acked) {
                Some(pos) => {
                    e.good_rx.drain(..=pos);
                }
                None => fired.push((
                    RuleId::AckMatchesData,
                    format!("ACK seq {seq} on OUT {ep}: no good DATA seq {acked}"),
                )),
            }
            if let Some(x) = e.expected {
                if !(1..=16).contains(&seq_diff(seq, x)) {
                    fired.push((
                        RuleId::SeqOrder,
                        format!("ACK seq {seq} on OUT {ep} after ACK seq {x}"),
                    ));
                }
            }
            if e.bad_rx
                .is_some_and(|b| (1..=16).contains(&seq_diff(seq, b)))
            {
                e.bad_rx = None;
            }
        }
        e.expected = Some(seq);
        e.sent_since_ack = 0;
        e.burst_start = None;
        // The host learns of this ACK a channel latency later: it may still use the furthest window it was
        // given before, so the host's window only ever extends (a smaller NumP is not held against it).
        let win = match e.grant {
            Some((base, w)) if !retry => nump.max(w.saturating_sub(seq_diff(seq, base))),
            _ => nump,
        };
        e.grant = Some((seq, win));
        for (r, m) in fired {
            self.fire(cycle, Dir::Up, r, m);
        }
    }

    /// Standard requests that reset an endpoint's sequence and halt (spec 9.4.1 ClearFeature(ENDPOINT_HALT),
    /// 9.4.7 SetConfiguration).
    pub(super) fn setup(&mut self, s: Setup) {
        let reset_in = |e: &mut InEp| {
            *e = InEp {
                next_seq: Some(0),
                acked: Some(0),
                ..InEp::default()
            }
        };
        let reset_out = |e: &mut OutEp| {
            *e = OutEp {
                expected: Some(0),
                host_next: Some(0),
                ..OutEp::default()
            }
        };
        match (s.request_type, s.request) {
            (0x02, request::CLEAR_FEATURE) if s.value == 0 => {
                let ep = (s.index & 0xF) as usize;
                if s.index & 0x80 != 0 {
                    reset_in(&mut self.ins[ep]);
                } else {
                    reset_out(&mut self.outs[ep]);
                }
            }
            (0x00, request::SET_CONFIGURATION) => {
                self.ins.iter_mut().for_each(reset_in);
                self.outs.iter_mut().for_each(reset_out);
            }
            // SET_FEATURE / CLEAR_FEATURE(U1_ENABLE, U2_ENABLE), device recipient: `link.lpm`.
            (0x00, request::SET_FEATURE | request::CLEAR_FEATURE)
                if matches!(s.value, request::U1_ENABLE | request::U2_ENABLE) =>
            {
                let on = s.request == request::SET_FEATURE;
                if s.value == request::U1_ENABLE {
                    self.pm.u1_enable = on;
                } else {
                    self.pm.u2_enable = on;
                }
            }
            _ => {}
        }
    }
}
