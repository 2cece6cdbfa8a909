//! The physical layer's times (spec 6.9 Tables 6-29 / 6-30 for LFPS, 7.5 Table 7-12 for the LTSSM), in real time
//! units, and their cycle counts at the PIPE clock.
//!
//! Every value is the spec's unless marked **unverified** (one source only, or a choice where the spec leaves
//! one). Simulations may divide the long timeouts (`timeout_div`: everything of a millisecond or more, and the
//! TSEQ count) to keep run times short; the LFPS burst and repeat windows are never scaled, they are what the
//! partner's PHY really sends. The device's blocks (`usb3_hdl::phy`) and the host port model (`usb3_sim::phy`) take
//! the same values; `hdl/tests/phy_timing.rs` proves the generated Verilog carries them unscaled.

/// Nanoseconds.
pub type Ns = u64;

pub const US: Ns = 1_000;
pub const MS: Ns = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhyTiming {
    /// The PIPE word clock (PCLK geared to 32 bits): 125 MHz.
    pub clock_hz: u64,
    /// Divides every timeout of 1 ms or more, and the TSEQ count (1: the spec's values).
    pub timeout_div: u64,
    /// Polling.LFPS as sent: tBurst 1.0 us, tRepeat 10 us (Table 6-30, nominal).
    pub polling_burst: Ns,
    pub polling_repeat: Ns,
    /// Polling.LFPS as accepted: tBurst 0.6 .. 1.4 us, tRepeat 6 .. 14 us (Table 6-30, min / max).
    pub polling_burst_min: Ns,
    pub polling_burst_max: Ns,
    pub polling_repeat_min: Ns,
    pub polling_repeat_max: Ns,
    /// A Warm Reset as a host sends it: LFPS for tReset, 100 ms nominal (80 .. 120 ms, Table 6-30).
    pub warm_reset_burst: Ns,
    /// tReset's window as a checker judges a Warm Reset on the wire: 80 .. 120 ms (Table 6-30), divided like
    /// the timeouts.
    pub warm_reset_min: Ns,
    pub warm_reset_max: Ns,
    /// An LFPS longer than this is a Warm Reset. **Unverified**: tReset is 80 .. 120 ms (Table 6-30); 30 ms is
    /// Daisho's choice, longer than any other LFPS (U3 wake-up is at most 10 ms), well inside tReset.
    pub warm_reset_detect: Ns,
    /// Rx.Detect.Quiet (device): 12 ms between receiver detections.
    pub rx_detect_quiet: Ns,
    /// tPollingLFPSTimeout 360 ms.
    pub polling_lfps_timeout: Ns,
    /// Polling.Active / Configuration 12 ms, Polling.Idle 2 ms.
    pub polling_active_timeout: Ns,
    pub polling_config_timeout: Ns,
    pub polling_idle_timeout: Ns,
    /// tU0RecoveryTimeout 1 ms: nothing received in U0 -> Recovery. Never divided ([`PhyTiming::u0_timeout`]).
    pub u0_recovery_timeout: Ns,
    /// Recovery.Active 12 ms, Recovery.Configuration 6 ms, Recovery.Idle 2 ms.
    pub recovery_active_timeout: Ns,
    pub recovery_config_timeout: Ns,
    pub recovery_idle_timeout: Ns,
    /// Hot Reset.Active 12 ms, Hot Reset.Exit 2 ms.
    pub hot_reset_active_timeout: Ns,
    pub hot_reset_exit_timeout: Ns,
    /// SS.Inactive.Quiet 12 ms.
    pub ss_inactive_quiet: Ns,
    /// PHY reset held this long after the engine's reset (PIPE 3 leaves it to the PHY; **unverified** for the
    /// TUSB1310A, whose data sheet gives no minimum we could check).
    pub phy_reset_hold: Ns,
    /// A PhyStatus answer (end of reset, a PowerDown change, a receiver detection) that has not come after this is
    /// a PHY fault (**unverified**: PIPE 3 gives no bound; generous so a slow PLL lock is not a fault).
    pub phy_status_timeout: Ns,
    /// Polling.RxEQ: TSEQ ordered sets sent (65,536), a count, divided like the timeouts.
    pub tseq_count: u64,
    /// Receiver detections before SS.Disabled (8), a count, never divided.
    pub rx_detect_attempts: u64,
    /// The LFPS a port sends to leave U1 (as initiator or responder): 1.0 us, inside the U1 exit tBurst of
    /// 0.6 us .. 2 ms (Table 6-29) and the 0.9 .. 1.2 us the USB 3.1 link-layer compliance tests expect of a
    /// device (TD 7.18; **unverified**, one source).
    pub u1_exit_burst: Ns,
    /// The LFPS a port sends to leave U2 or U3: 100 us, inside U2 exit 80 us .. 2 ms and U3 wake-up 80 us ..
    /// 10 ms (Table 6-29). Divided like the timeouts, by 40 at most ([`PhyTiming::lfps_long`]).
    pub u23_exit_burst: Ns,
    /// The LFPS handshake (spec 6.9.2): the partner's LFPS is valid once seen for 300 ns (which also tells a
    /// U1 exit from a Ping.LFPS of at most 200 ns), and the initiator keeps sending 600 ns after that.
    pub ux_lfps_valid: Ns,
    pub ux_lfps_after: Ns,
    /// tNoLFPSResponseTimeout: U1 and U2 2 ms, U3 10 ms (Table 7-12); divided by 40 at most
    /// ([`PhyTiming::lfps_long`]).
    pub no_lfps_response_u12: Ns,
    pub no_lfps_response_u3: Ns,
    /// Ping.LFPS, sent by the device in U1 (spec 7.5.7): tBurst 40 .. 200 ns (100 ns sent), tRepeat 160 .. 240 ms
    /// (200 ms sent; Table 6-29); the host's tU1PingTimeout 300 ms (Table 7-12).
    pub ping_burst: Ns,
    pub ping_repeat: Ns,
    pub u1_ping_timeout: Ns,
    /// tU3WakeupRetryDelay 100 ms: a remote wake that found no answer is tried again after it (Table 7-12).
    pub u3_wakeup_retry: Ns,
    /// Loopback.Exit 2 ms (Table 7-12); bounds an LFPS handshake, so divided like one ([`PhyTiming::lfps_long`]).
    pub loopback_exit_timeout: Ns,
    /// The U2 inactivity timer's unit: the host's U2 Inactivity Timeout LMP gives 1 .. 254 of them (256 us; hub
    /// spec 10.14.2.9, PORT_U2_TIMEOUT). Divided like a long LFPS ([`PhyTiming::u2_unit`]): the time in U1 before
    /// U2 stays longer than a U1 exit handshake.
    pub u2_inactivity_unit: Ns,
    /// Ux_EXIT_TIMER 6 ms: a U1 / U2 exit not back in U0 this long after it began -> SS.Inactive (Table 7-12).
    /// It bounds an LFPS handshake and the Recovery after it, so divided like one ([`PhyTiming::lfps_long`]).
    pub ux_exit_timer: Ns,
}

impl Default for PhyTiming {
    fn default() -> Self {
        PhyTiming {
            clock_hz: 125_000_000,
            timeout_div: 1,
            polling_burst: US,
            polling_repeat: 10 * US,
            polling_burst_min: 600,
            polling_burst_max: 1_400,
            polling_repeat_min: 6 * US,
            polling_repeat_max: 14 * US,
            warm_reset_burst: 100 * MS,
            warm_reset_min: 80 * MS,
            warm_reset_max: 120 * MS,
            warm_reset_detect: 30 * MS,
            rx_detect_quiet: 12 * MS,
            polling_lfps_timeout: 360 * MS,
            polling_active_timeout: 12 * MS,
            polling_config_timeout: 12 * MS,
            polling_idle_timeout: 2 * MS,
            u0_recovery_timeout: MS,
            recovery_active_timeout: 12 * MS,
            recovery_config_timeout: 6 * MS,
            recovery_idle_timeout: 2 * MS,
            hot_reset_active_timeout: 12 * MS,
            hot_reset_exit_timeout: 2 * MS,
            ss_inactive_quiet: 12 * MS,
            phy_reset_hold: 10 * US,
            phy_status_timeout: 10 * MS,
            tseq_count: 65_536,
            rx_detect_attempts: 8,
            u1_exit_burst: US,
            u23_exit_burst: 100 * US,
            ux_lfps_valid: 300,
            ux_lfps_after: 600,
            no_lfps_response_u12: 2 * MS,
            no_lfps_response_u3: 10 * MS,
            ping_burst: 100,
            ping_repeat: 200 * MS,
            u1_ping_timeout: 300 * MS,
            u3_wakeup_retry: 100 * MS,
            loopback_exit_timeout: 2 * MS,
            u2_inactivity_unit: 256 * US,
            ux_exit_timer: 6 * MS,
        }
    }
}

impl PhyTiming {
    /// The spec's values with the long timeouts and the TSEQ count divided by `div` (for simulation).
    pub fn scaled(div: u64) -> Self {
        PhyTiming {
            timeout_div: div.max(1),
            ..Self::default()
        }
    }

    /// Cycles of the PIPE clock in `t` (rounded to nearest), unscaled.
    pub fn cycles(&self, t: Ns) -> u64 {
        ((t as u128 * self.clock_hz as u128 + 500_000_000) / 1_000_000_000) as u64
    }

    /// Cycles in a timeout: `t` divided by `timeout_div` when it is 1 ms or more, never below 1.
    pub fn timeout(&self, t: Ns) -> u64 {
        let t = if t >= MS { t / self.timeout_div } else { t };
        self.cycles(t).max(1)
    }

    /// Cycles of tU0RecoveryTimeout, never divided: it guards the link's keep-alive (a link command at least
    /// every 10 us, spec 7.5.6.1, LUP when there is nothing else), which is not scaled; divided by 1000 it would be
    /// shorter than one DATA packet (2.1 us) and a busy link would go to Recovery.
    pub fn u0_timeout(&self) -> u64 {
        self.cycles(self.u0_recovery_timeout).max(1)
    }

    /// Cycles of a long LFPS or a time that bounds one (the U2 / U3 exit burst, tNoLFPSResponseTimeout): divided
    /// by `timeout_div` like the timeouts, but by 40 at most, so that divided by 1000 a U2 / U3 exit (80 us ..)
    /// stays longer than the handshake's 300 + 600 ns and shorter than the divided Warm Reset detection (30 us),
    /// and the time the initiator waits for an answer stays longer than the answer, as with the spec's values.
    pub fn lfps_long(&self, t: Ns) -> u64 {
        self.cycles(t / self.timeout_div.clamp(1, 40))
    }

    /// Cycles of one unit of the U2 inactivity timer (divided like [`PhyTiming::lfps_long`]).
    pub fn u2_unit(&self) -> u64 {
        self.lfps_long(self.u2_inactivity_unit).max(1)
    }

    /// TSEQ sets to send in Polling.RxEQ.
    pub fn tseq_sets(&self) -> u64 {
        (self.tseq_count / self.timeout_div).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_at_125_mhz() {
        let t = PhyTiming::default();
        assert_eq!(
            (t.cycles(t.polling_burst), t.cycles(t.polling_repeat)),
            (125, 1250)
        );
        assert_eq!(
            (t.cycles(t.polling_burst_min), t.cycles(t.polling_burst_max)),
            (75, 175)
        );
        assert_eq!(t.timeout(t.polling_lfps_timeout), 45_000_000);
        assert_eq!(PhyTiming::scaled(1000).u0_timeout(), 125_000);
        assert_eq!(t.timeout(t.warm_reset_detect), 3_750_000);
        let s = PhyTiming::scaled(1000);
        assert_eq!(
            (
                s.timeout(s.rx_detect_quiet),
                s.cycles(s.polling_burst),
                s.tseq_sets()
            ),
            (1_500, 125, 65)
        );
    }
}
