//! Every rule fires on a deliberately broken stream; legal streams (including retries, stale ACKs, link
//! retry and a ClearFeature) fire nothing.

use super::*;
use crate::observe::events::PipePair;
use usb3_spec::framing::{dpp, header_packet, link_command, pack_words};
use usb3_spec::header::Lcw;
use usb3_spec::symbols::{Sym, Word, SKP};

use LinkCommand::{Lbad, Lcrd, Lgood, Lrty};

fn hdr(dw: [u32; 3], hsn: u8) -> Vec<Sym> {
    header_packet(dw, Lcw::new(hsn))
}

fn lcs(cmds: &[LinkCommand]) -> Vec<Sym> {
    cmds.iter().flat_map(|&c| link_command(c)).collect()
}

fn in_ack(seq: u8, nump: u8, retry: bool) -> [u32; 3] {
    Tp::Ack {
        addr: 1,
        ep: 1,
        dir_in: true,
        seq,
        nump,
        retry,
        host_error: false,
        pp: false,
    }
    .encode()
}

fn out_ack(seq: u8, nump: u8, retry: bool) -> [u32; 3] {
    Tp::Ack {
        addr: 1,
        ep: 2,
        dir_in: false,
        seq,
        nump,
        retry,
        host_error: false,
        pp: false,
    }
    .encode()
}

fn dph(ep: u8, dir_in: bool, seq: u8, len: u16, eob: bool) -> Dph {
    Dph {
        addr: 1,
        ep,
        dir_in,
        seq,
        len,
        eob,
        ..Dph::default()
    }
}

/// A device IN DATA packet (DPH + DPP) with HSN `hsn`.
fn in_data(seq: u8, len: u16, eob: bool, hsn: u8) -> Vec<Sym> {
    let mut s = hdr(dph(1, true, seq, len, eob).encode(), hsn);
    s.extend(dpp(&vec![seq; len as usize]));
    s
}

fn out_data(seq: u8, len: u16, hsn: u8) -> Vec<Sym> {
    let mut s = hdr(dph(2, false, seq, len, false).encode(), hsn);
    s.extend(dpp(&vec![seq; len as usize]));
    s
}

fn tp(t: Tp, hsn: u8) -> Vec<Sym> {
    hdr(t.encode(), hsn)
}

/// A conversation on the device's PIPE interface, step by step (one idle cycle after each step).
#[derive(Default)]
struct Conv {
    steps: Vec<(Option<Dir>, Vec<Sym>, usize)>,
}

impl Conv {
    /// Both sides after a Hot Reset: LGOOD_7 and four credits each way.
    fn start() -> Conv {
        let advert = lcs(&[Lgood(7), Lcrd(0), Lcrd(1), Lcrd(2), Lcrd(3)]);
        Conv::default().up(advert.clone()).down(advert)
    }
    fn up(mut self, s: Vec<Sym>) -> Conv {
        self.steps.push((Some(Dir::Up), s, 1));
        self
    }
    fn down(mut self, s: Vec<Sym>) -> Conv {
        self.steps.push((Some(Dir::Down), s, 1));
        self
    }
    fn wait(mut self, cycles: usize) -> Conv {
        self.steps.push((None, vec![], cycles));
        self
    }
    /// The steps through both monitors into a checker, as a bench's `Watch` feeds it (without the Watch: it sits
    /// above the checker).
    fn run_cfg(&self, cfg: CheckerConfig) -> Checker {
        let mut c = Checker::new(cfg);
        let mut m = PipePair::default();
        c.u0_entry_at(0, true);
        let (mut cycle, mut buf) = (0, Vec::new());
        let mut tick = |c: &mut Checker, m: &mut PipePair, tx: Word, rx: Word| {
            m.push(cycle, Some(tx), Some(rx), &mut buf);
            for e in buf.drain(..) {
                c.event(&e);
            }
            cycle += 1;
        };
        for (d, syms, idle) in &self.steps {
            for word in pack_words(syms) {
                match d {
                    Some(Dir::Up) => tick(&mut c, &mut m, word, Word::IDLE),
                    _ => tick(&mut c, &mut m, Word::IDLE, word),
                }
            }
            for _ in 0..*idle {
                tick(&mut c, &mut m, Word::IDLE, Word::IDLE);
            }
        }
        c
    }
    fn run(&self) -> Vec<RuleId> {
        let c = self.run_cfg(CheckerConfig::default().with_max_burst(2, false, 4));
        for v in c.violations() {
            eprintln!("{v}");
        }
        c.fired()
    }
}

/// A correct bulk IN exchange: ACK NumP 2, two DATA, the final ACK.
fn good_in() -> Conv {
    Conv::start()
        .down(hdr(in_ack(0, 2, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .up(in_data(1, 1024, false, 1))
        .down(lcs(&[Lgood(0), Lcrd(0), Lgood(1), Lcrd(1)]))
        .down(hdr(in_ack(2, 0, false), 1))
        .up(lcs(&[Lgood(1), Lcrd(1)]))
}

/// A correct bulk OUT exchange: one DATA, the device's ACK.
fn good_out() -> Conv {
    Conv::start()
        .down(out_data(0, 100, 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(hdr(out_ack(1, 4, false), 0))
        .down(lcs(&[Lgood(0), Lcrd(0)]))
}

#[test]
fn every_rule_is_listed_once_with_a_spec_section() {
    for (i, r) in RULES.iter().enumerate() {
        assert!(!r.spec.is_empty() && !r.what.is_empty());
        assert!(
            RULES[i + 1..].iter().all(|o| o.name != r.name),
            "{} twice",
            r.name
        );
    }
}

#[test]
fn legal_streams_fire_nothing() {
    assert_eq!(good_in().run(), Vec::<RuleId>::new());
    assert_eq!(good_out().run(), Vec::<RuleId>::new());
    // Retry: the host asks again from 0 (Rty); a stale ACK (acknowledging nothing sent) is ignored.
    let retry = Conv::start()
        .down(hdr(in_ack(0, 2, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .down(hdr(in_ack(0, 2, true), 1))
        .down(hdr(in_ack(9, 4, false), 2))
        .up(lcs(&[Lgood(1), Lcrd(1), Lgood(2), Lcrd(2)]))
        .wait(20)
        .up(in_data(0, 1024, false, 1))
        .up(in_data(1, 1024, false, 2));
    assert_eq!(retry.run(), Vec::<RuleId>::new());
    // Link retry: LBAD -> LRTY -> the unacknowledged headers again, credits restored.
    let link_retry = Conv::start()
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            0,
        ))
        .down(lcs(&[Lbad]))
        .up(lcs(&[Lrty]))
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            0,
        ))
        .down(lcs(&[Lgood(0), Lcrd(0)]));
    assert_eq!(link_retry.run(), Vec::<RuleId>::new());
    // ClearFeature(ENDPOINT_HALT) on IN 1 resets its sequence: DATA 0 again after DATA 0..1.
    let clear = Setup {
        request_type: 0x02,
        request: request::CLEAR_FEATURE,
        value: 0,
        index: 0x81,
        length: 0,
    };
    let mut setup = hdr(
        Dph {
            addr: 1,
            ep: 0,
            setup: true,
            len: 8,
            ..Dph::default()
        }
        .encode(),
        2,
    );
    setup.extend(dpp(&clear.to_bytes()));
    let after_clear = good_in()
        .down(setup)
        .up(lcs(&[Lgood(2), Lcrd(2)]))
        .down(hdr(in_ack(0, 1, false), 3))
        .up(lcs(&[Lgood(3), Lcrd(3)]))
        .up(in_data(0, 1024, false, 2));
    assert_eq!(after_clear.run(), Vec::<RuleId>::new());
}

fn fires(c: Conv, rule: RuleId) {
    let got = c.run();
    assert!(got.contains(&rule), "{rule} did not fire: {got:?}");
}

#[test]
fn framing_garbage() {
    fires(
        good_in().up(vec![Sym::d(0x55), Sym::d(0x66), Sym::IDLE]),
        RuleId::FramingGarbage,
    );
}

#[test]
fn framing_skp_in_packet() {
    let mut s = in_data(0, 1024, false, 0);
    s.insert(40, Sym::k(SKP));
    fires(
        Conv::start().down(hdr(in_ack(0, 2, false), 0)).up(s),
        RuleId::FramingSkpInPacket,
    );
}

#[test]
fn crc_header16_and_lcw5() {
    let mut s = tp(
        Tp::Nrdy {
            addr: 1,
            ep: 1,
            dir_in: true,
        },
        0,
    );
    s[4 + 5].byte ^= 0x10;
    fires(Conv::start().up(s), RuleId::CrcHeader16);
    let mut s = tp(
        Tp::Nrdy {
            addr: 1,
            ep: 1,
            dir_in: true,
        },
        0,
    );
    s[4 + 15].byte ^= 0x01;
    fires(Conv::start().up(s), RuleId::CrcLcw5);
}

#[test]
fn crc_link_command() {
    let mut s = lcs(&[Lgood(0)]);
    s[6].byte ^= 0x02;
    fires(good_in().up(s), RuleId::CrcLinkCommand);
}

#[test]
fn crc_dpp32() {
    let mut s = in_data(0, 1024, false, 0);
    s[20 + 4 + 100].byte ^= 0x80;
    fires(
        Conv::start()
            .down(hdr(in_ack(0, 2, false), 0))
            .up(lcs(&[Lgood(0), Lcrd(0)]))
            .up(s),
        RuleId::CrcDpp32,
    );
}

#[test]
fn link_hsn_order() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 2, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .up(in_data(1, 1024, false, 2));
    fires(c, RuleId::LinkHsnOrder);
}

#[test]
fn link_headers_outstanding() {
    let mut c = Conv::start().down(lcs(&[Lcrd(0), Lcrd(1)]));
    for h in 0..5 {
        c = c.up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            h,
        ));
    }
    fires(c, RuleId::LinkHeadersOutstanding);
}

#[test]
fn link_credit() {
    let c = Conv::default()
        .up(lcs(&[Lgood(7), Lcrd(0), Lcrd(1), Lcrd(2), Lcrd(3)]))
        .down(lcs(&[Lgood(7), Lcrd(0)]))
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            0,
        ))
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            1,
        ));
    fires(c, RuleId::LinkCredit);
}

#[test]
fn link_lcrd_order() {
    let c = Conv::default().up(lcs(&[Lgood(7), Lcrd(0), Lcrd(2)]));
    fires(c, RuleId::LinkLcrdOrder);
}

#[test]
fn link_lgood_order() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 2, false), 0))
        .up(lcs(&[Lgood(1)]));
    fires(c, RuleId::LinkLgoodOrder);
}

#[test]
fn link_lrty_after_lbad() {
    let c = Conv::start()
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            0,
        ))
        .down(lcs(&[Lbad]))
        .wait(20)
        .up(tp(
            Tp::Erdy {
                addr: 1,
                ep: 1,
                dir_in: true,
                nump: 1,
            },
            1,
        ));
    fires(c, RuleId::LinkLrtyAfterLbad);
}

#[test]
fn dpp_follows_dph() {
    let mut s = hdr(dph(1, true, 0, 16, false).encode(), 0);
    s.extend(lcs(&[Lgood(0)]));
    s.extend(dpp(&[0; 16]));
    let c = Conv::start().down(hdr(in_ack(0, 2, false), 0)).up(s);
    fires(c, RuleId::DppFollowsDph);
    fires(Conv::start().up(dpp(&[1, 2, 3])), RuleId::DppFollowsDph);
}

#[test]
fn dpp_length() {
    let mut s = hdr(dph(1, true, 0, 100, false).encode(), 0);
    s.extend(dpp(&[0; 90]));
    let c = Conv::start()
        .down(hdr(in_ack(0, 2, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(s);
    fires(c, RuleId::DppLength);
}

#[test]
fn seq_order() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .up(in_data(2, 1024, false, 1));
    fires(c, RuleId::SeqOrder);
    // Continuing after an ACK with Rty instead of restarting at its sequence number.
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .down(hdr(in_ack(0, 4, true), 1))
        .up(lcs(&[Lgood(1), Lcrd(1)]))
        .wait(20)
        .up(in_data(1, 1024, false, 1));
    fires(c, RuleId::SeqOrder);
}

/// A DPH committed before an ACK with Rty arrived, sent after the link commands answering that ACK and another
/// header packet (a duplex run's OUT ACK): the grace covers the transmitter's time on them, not more.
#[test]
fn seq_order_grace_covers_what_the_transmitter_sent_first() {
    let committed = |extra_wait: usize| {
        Conv::start()
            .down(out_data(0, 100, 0))
            .up(lcs(&[Lgood(0), Lcrd(0)]))
            .down(hdr(in_ack(0, 4, false), 1))
            .up(lcs(&[Lgood(1), Lcrd(1)]))
            .up(in_data(0, 1024, false, 0))
            .down(hdr(in_ack(0, 4, true), 2))
            .up(lcs(&[Lgood(2), Lcrd(2)]))
            .up(hdr(out_ack(1, 4, false), 1))
            .wait(extra_wait)
            .up(in_data(1, 1024, false, 2))
            .up(in_data(0, 1024, false, 3))
    };
    assert_eq!(committed(0).run(), Vec::<RuleId>::new());
    fires(committed(3), RuleId::SeqOrder);
}

#[test]
fn ack_nump() {
    let c = Conv::start()
        .down(out_data(0, 100, 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(hdr(out_ack(1, 8, false), 0));
    fires(c, RuleId::AckNump);
}

#[test]
fn ack_matches_data() {
    let c = Conv::start().up(hdr(out_ack(1, 4, false), 0));
    fires(c, RuleId::AckMatchesData);
    let c = Conv::start()
        .down(out_data(0, 100, 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(hdr(out_ack(0, 4, true), 0));
    fires(c, RuleId::AckMatchesData);
}

#[test]
fn flow_window() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 1, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .wait(20)
        .up(in_data(0, 1024, false, 0))
        .up(in_data(1, 1024, false, 1));
    fires(c, RuleId::FlowWindow);
    // Before any ACK at all.
    fires(
        Conv::start().up(in_data(0, 1024, false, 0)),
        RuleId::FlowWindow,
    );
}

#[test]
fn eob_burst_end() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, true, 0))
        .up(in_data(1, 1024, false, 1));
    fires(c, RuleId::EobBurstEnd);
    // A short packet ends the burst too.
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 100, false, 0))
        .up(in_data(1, 1024, false, 1));
    fires(c, RuleId::EobBurstEnd);
}

#[test]
fn nrdy_in_flight() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(in_data(0, 1024, false, 0))
        .up(tp(
            Tp::Nrdy {
                addr: 1,
                ep: 1,
                dir_in: true,
            },
            1,
        ));
    fires(c, RuleId::NrdyInFlight);
}

#[test]
fn stall_halted() {
    let c = Conv::start()
        .down(hdr(in_ack(0, 4, false), 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(tp(
            Tp::Stall {
                addr: 1,
                ep: 1,
                dir_in: true,
            },
            0,
        ))
        .up(in_data(0, 1024, false, 1));
    fires(c, RuleId::StallHalted);
    let c = Conv::start()
        .up(tp(
            Tp::Stall {
                addr: 1,
                ep: 2,
                dir_in: false,
            },
            0,
        ))
        .down(out_data(0, 100, 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(hdr(out_ack(1, 4, false), 1));
    fires(c, RuleId::StallHalted);
}

#[test]
fn host_rules_are_not_charged_when_the_host_is_not_checked() {
    // The host sends DATA beyond the grant (and beyond a transfer-start burst of max burst + 1): fires with
    // check_host, silent without.
    let mut c = Conv::start()
        .down(out_data(0, 100, 0))
        .up(lcs(&[Lgood(0), Lcrd(0)]))
        .up(hdr(out_ack(1, 1, false), 0))
        .down(lcs(&[Lgood(0), Lcrd(0)]));
    for k in 1..=6u8 {
        c = c
            .down(out_data(k, 100, k & 7))
            .up(lcs(&[Lgood(k & 7), Lcrd(k & 3)]));
    }
    assert!(c.run().contains(&RuleId::FlowWindow));
    let quiet = c.run_cfg(CheckerConfig {
        check_host: false,
        ..CheckerConfig::default().with_max_burst(2, false, 4)
    });
    assert_eq!(quiet.total(), 0, "{:?}", quiet.violations());
}

/// The captured hosts' transfer-start burst (up to max burst + 1 packets, whatever the last grant) is not
/// charged when it begins with everything acknowledged; a longer one is.
#[test]
fn flow_window_transfer_start_burst() {
    // Max burst 4 on OUT endpoint 2 (Conv::run): the device's last ACK granted 1.
    let start = || {
        Conv::start()
            .down(out_data(0, 1024, 0))
            .up(lcs(&[Lgood(0), Lcrd(0)]))
            .up(hdr(out_ack(1, 1, false), 0))
            .down(lcs(&[Lgood(0), Lcrd(0)]))
            .wait(20)
    };
    let burst = |n: u8| {
        let mut c = start();
        for k in 0..n {
            c = c
                .down(out_data(1 + k, 1024, (1 + k) & 7))
                .up(lcs(&[Lgood((1 + k) & 7), Lcrd((1 + k) & 3)]));
        }
        c
    };
    let fired = burst(5).run();
    assert!(
        !fired.contains(&RuleId::FlowWindow),
        "a start burst of max burst + 1: {fired:?}"
    );
    fires(burst(6), RuleId::FlowWindow);
}

#[test]
fn every_rule_id_indexes_its_own_entry() {
    for (i, r) in RULES.iter().enumerate() {
        assert_eq!(r.id as usize, i, "{} out of order in RULES", r.name);
        assert_eq!(RuleId::by_name(r.name), Some(r.id));
        assert_eq!(r.id.to_string(), r.name);
    }
}

/// A SETUP packet from the host to endpoint 0 with `setup`.
fn setup_packet(setup: usb3_spec::control::Setup, hsn: u8) -> Vec<Sym> {
    let d = Dph {
        setup: true,
        ..dph(0, false, 0, 8, false)
    };
    let mut s = hdr(d.encode(), hsn);
    s.extend(dpp(&setup.to_bytes()));
    s
}

#[test]
fn link_lpm_device_initiated_entry_only_as_the_host_enabled_it() {
    use usb3_spec::control::{request, Setup};
    use LinkCommand::{Lau, LgoU, Lpma};
    // The device's LGO_U1 without U1_ENABLE; its LGO_U3 ever.
    fires(Conv::start().up(lcs(&[LgoU(1)])), RuleId::LinkLpm);
    fires(Conv::start().up(lcs(&[LgoU(3)])), RuleId::LinkLpm);
    // With SET_FEATURE(U1_ENABLE): LGO_U1, the host's LAU, the device's LPMA, silent; U2 still not enabled.
    let enabled = || {
        Conv::start()
            .down(setup_packet(
                Setup::device_feature(request::U1_ENABLE, true),
                0,
            ))
            .up(lcs(&[Lgood(0), Lcrd(0)]))
    };
    let ok = enabled()
        .up(lcs(&[LgoU(1)]))
        .down(lcs(&[Lau]))
        .up(lcs(&[Lpma]));
    assert_eq!(ok.run(), vec![]);
    fires(enabled().up(lcs(&[LgoU(2)])), RuleId::LinkLpm);
    // CLEAR_FEATURE takes it back.
    fires(
        enabled()
            .down(setup_packet(
                Setup::device_feature(request::U1_ENABLE, false),
                1,
            ))
            .up(lcs(&[Lgood(1), Lcrd(1), LgoU(1)])),
        RuleId::LinkLpm,
    );
}
