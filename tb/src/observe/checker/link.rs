//! The link-layer rules (spec 7.2): header sequence numbers, headers outstanding, credits, LGOOD / LCRD order,
//! LRTY after LBAD, DPH -> DPP, CRCs. Header packets the receiver accepts go on to the protocol rules.

use super::*;

impl Checker {
    pub(super) fn header(&mut self, cycle: u64, d: Dir, h: &HeaderPacket) {
        let (s, r) = (d.idx(), d.other().idx());
        if self.lpm.lgo[s].is_some() || self.lpm.lau[s] {
            let after = if self.lpm.lau[s] { "LAU" } else { "LGO_Ux" };
            self.fire(
                cycle,
                d,
                RuleId::LinkLpm,
                format!("a header after its {after}, before the link was back in U0"),
            );
        }
        if let Some(c) = self.side[s].credits.as_mut() {
            *c -= 1;
        }
        if !h.good() {
            if !h.crc16_ok {
                self.fire(
                    cycle,
                    d,
                    RuleId::CrcHeader16,
                    format!("header {:08x} {:08x} {:08x}", h.dw[0], h.dw[1], h.dw[2]),
                );
            }
            if !h.crc5_ok {
                self.fire(cycle, d, RuleId::CrcLcw5, "LCW CRC-5 bad".into());
            }
            self.side[r].rx_blocked = true;
            if let HeaderKind::Dph(dph) = h.kind {
                self.side[s].after_dph = Some((dph, false, false));
            }
            return;
        }
        // The host's U2 Inactivity Timeout LMP: both ends go from U1 to U2 after it (`phy.lfps`).
        if d == Dir::Down
            && usb3_spec::protocol::lmp::subtype(h.dw[0])
                == Some(usb3_spec::protocol::lmp::U2_INACTIVITY_TIMEOUT)
        {
            self.pm.u2_timeout = usb3_spec::protocol::lmp::u2_timeout_of(h.dw[0]);
        }
        let hsn = h.hsn.unwrap_or(0);
        let grace = self.cfg.grace_cycles;
        if let Some(t) = self.side[s].lbad_at {
            if cycle > t + grace {
                self.fire(
                    cycle,
                    d,
                    RuleId::LinkLrtyAfterLbad,
                    format!("header HSN {hsn} after LBAD at cycle {t} without LRTY"),
                );
            }
        }
        if let Some(e) = self.side[s].next_hsn {
            if hsn != e {
                self.fire(
                    cycle,
                    d,
                    RuleId::LinkHsnOrder,
                    format!("HSN {hsn}, expected {e}"),
                );
            }
        }
        self.side[s].next_hsn = Some((hsn + 1) & 7);
        if !self.side[s].unacked.contains(&hsn) {
            if self.side[s].unacked.len() >= 4 {
                self.fire(
                    cycle,
                    d,
                    RuleId::LinkHeadersOutstanding,
                    format!("HSN {hsn} with 4 headers unacknowledged"),
                );
                self.side[s].unacked.pop_front();
            }
            self.side[s].unacked.push_back(hsn);
        }
        if self.side[s].credits.is_some_and(|c| c < 0) {
            // Not clamped: the receiver's LCRDs for it come back and settle the count.
            self.fire(
                cycle,
                d,
                RuleId::LinkCredit,
                format!("header HSN {hsn} sent without a credit"),
            );
        }
        let rx = &mut self.side[r];
        let accepted = !rx.rx_blocked && rx.rx_expected.is_none_or(|x| x == hsn);
        if accepted {
            rx.rx_expected = Some((hsn + 1) & 7);
            rx.lgood_owed.push_back(hsn);
            if rx.lgood_owed.len() > 8 {
                rx.lgood_owed.pop_front();
            }
        }
        if let HeaderKind::Dph(dph) = h.kind {
            self.side[s].after_dph = Some((dph, accepted, !h.delayed));
        }
        if accepted && self.cfg.protocol {
            self.protocol_header(cycle, d, h.kind);
        }
    }

    pub(super) fn payload(&mut self, cycle: u64, d: Dir, status: PayloadStatus, data: &[u8]) {
        let Some((dph, accepted, _)) = self.side[d.idx()].after_dph.take() else {
            self.fire(
                cycle,
                d,
                RuleId::DppFollowsDph,
                format!("DPP of {} bytes without a DPH", data.len()),
            );
            return;
        };
        if status == PayloadStatus::BadCrc {
            self.fire(
                cycle,
                d,
                RuleId::CrcDpp32,
                format!("DPP of DPH seq {} ep {}", dph.seq, dph.ep),
            );
        }
        if status == PayloadStatus::Good && data.len() != dph.len as usize {
            self.fire(
                cycle,
                d,
                RuleId::DppLength,
                format!("DPP of {} bytes, DPH Data Length {}", data.len(), dph.len),
            );
        }
        if accepted && self.cfg.protocol {
            self.protocol_payload(
                d,
                &dph,
                status == PayloadStatus::Good && data.len() == dph.len as usize,
                data,
            );
        }
    }

    pub(super) fn link_command(&mut self, cycle: u64, d: Dir, c: LinkCommand) {
        let (s, p) = (d.idx(), d.other().idx());

        match c {
            LinkCommand::Lgood(n) => {
                let side = &mut self.side[s];
                let advert = std::mem::take(&mut side.advert);
                let advert_ok = advert && side.rx_expected.is_none_or(|x| (x + 7) & 7 == n);
                if side.lgood_owed.front() == Some(&n) {
                    side.lgood_owed.pop_front();
                } else if !advert_ok && (self.from_start || !side.lgood_owed.is_empty()) {
                    let owed = side.lgood_owed.front().copied();
                    self.fire(
                        cycle,
                        d,
                        RuleId::LinkLgoodOrder,
                        format!("LGOOD_{n}, next header to acknowledge {owed:?}"),
                    );
                }
                let peer = &mut self.side[p];
                if let Some(pos) = peer.unacked.iter().position(|&x| x == n) {
                    peer.unacked.drain(..=pos);
                }
            }
            LinkCommand::Lcrd(x) => {
                let side = &mut self.side[s];
                if side.lcrd_old == Some(x) && side.lcrd_next != Some(x) {
                    side.lcrd_old = None;
                    return;
                }
                side.lcrd_old = None;
                if let Some(e) = side.lcrd_next {
                    if x != e {
                        self.fire(
                            cycle,
                            d,
                            RuleId::LinkLcrdOrder,
                            format!("LCRD_{}, expected LCRD_{}", letter(x), letter(e)),
                        );
                    }
                }
                self.side[s].lcrd_next = Some((x + 1) & 3);
                if let Some(c) = self.side[p].credits.as_mut() {
                    *c += 1;
                    if *c > 4 {
                        *c = 4;
                        if self.cfg.check_host {
                            self.fire(
                                cycle,
                                d,
                                RuleId::LinkLcrdOrder,
                                "more than 4 credits outstanding".into(),
                            );
                        }
                    }
                }
            }
            LinkCommand::Lrty => {
                let side = &mut self.side[s];
                side.lbad_at = None;
                let n = side.unacked.len() as i32;
                if let Some(c) = side.credits.as_mut() {
                    *c = (*c + n).min(4);
                }
                if let Some(&f) = side.unacked.front() {
                    side.next_hsn = Some(f);
                }
                self.side[p].rx_blocked = false;
            }
            LinkCommand::Lbad => {
                self.side[p].lbad_at.get_or_insert(cycle);
            }
            LinkCommand::LgoU(x) => {
                self.lpm.lgo[s] = Some(x);
                // From the device: U1 / U2 only, and only when the host enabled it (spec 9.4.9, 7.2.4.2).
                if d == Dir::Up {
                    let enabled = match x {
                        1 => self.pm.u1_enable,
                        2 => self.pm.u2_enable,
                        _ => false,
                    };
                    if !enabled {
                        self.fire(
                            cycle,
                            d,
                            RuleId::LinkLpm,
                            if x == 3 {
                                "LGO_U3 from the device: only the host suspends the link".into()
                            } else {
                                format!("LGO_U{x} from the device without the host's U{x}_ENABLE")
                            },
                        );
                    }
                }
                // The initiator has every header acknowledged and every credit back (7.2.4.2).
                let owed = self.side[s].unacked.len();
                let credits = self.side[s].credits;
                if owed > 0 || credits.is_some_and(|c| c < 4) {
                    self.fire(
                        cycle,
                        d,
                        RuleId::LinkLpm,
                        format!(
                            "LGO_U{x} with {owed} headers unacknowledged and {} credits of 4",
                            credits.unwrap_or(4)
                        ),
                    );
                }
            }
            LinkCommand::Lau | LinkCommand::Lxu => {
                let lau = c == LinkCommand::Lau;
                match self.lpm.lgo[p].take() {
                    None => self.fire(
                        cycle,
                        d,
                        RuleId::LinkLpm,
                        format!(
                            "{} with no LGO_Ux to answer",
                            if lau { "LAU" } else { "LXU" }
                        ),
                    ),
                    Some(3) if !lau => self.fire(
                        cycle,
                        d,
                        RuleId::LinkLpm,
                        "LXU to LGO_U3: a port may not refuse U3 (7.2.4.2.2)".into(),
                    ),
                    Some(_) => self.lpm.lau[s] = lau,
                }
            }
            _ => {}
        }
    }
}

fn letter(x: u8) -> char {
    (b'A' + (x & 3)) as char
}
