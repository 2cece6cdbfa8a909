//! The pins of the `stratix10-gx-devkit` board: the kit's own (Intel's user guide 683674 unless marked), and the
//! TUSB1310A card's PIPE signals by FMC LA position, whose FPGA pins the user supplies in a CSV (`--fmc-pins`).
//!
//! The kit's pins are public; the FPGA pin behind each FMCA LA position is not (the kit's schematic has it): the
//! board's PIPE ports are mapped to LA positions here (the HiTech Global HTG-FMC-USB3.0 pin-out), and the CSV maps
//! LA positions to FPGA pins once. Every check names the file, the line and the problem.

use std::collections::BTreeMap;

/// One pin of the kit that the board top uses: its port (a bit of it), pin, I/O standard, the kit's signal name,
/// its source, and whether that source is Intel's own table (`verified`) or a community file only.
pub struct KitPin {
    pub port: &'static str,
    pub pin: &'static str,
    pub standard: &'static str,
    pub signal: &'static str,
    pub source: &'static str,
    pub verified: bool,
}

const UG: &str = "Intel UG 683674";

const fn kit(
    port: &'static str,
    pin: &'static str,
    standard: &'static str,
    signal: &'static str,
    source: &'static str,
    verified: bool,
) -> KitPin {
    KitPin {
        port,
        pin,
        standard,
        signal,
        source,
        verified,
    }
}

/// The kit's pins the board top assigns. Differential clocks: the P pin (Quartus places the N pin with it).
pub const KIT_PINS: &[KitPin] = &[
    kit(
        "clk_50m",
        "BH33",
        "1.8 V",
        "CLK_FPGA_50M (50 MHz)",
        "4.7.1 On-board oscillators",
        true,
    ),
    kit(
        "clk_100m",
        "J20",
        "LVDS",
        "CLK_FPGA_B3L_P (100 MHz; N: J19)",
        "4.7.1 On-board oscillators",
        true,
    ),
    kit(
        "clk_125m",
        "AN27",
        "LVDS",
        "CLK_ENET_P (125 MHz; N: AN28)",
        "4.7.1 On-board oscillators",
        true,
    ),
    kit(
        "user_led_g[0]",
        "B19",
        "1.8 V",
        "USER_LED_G0 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_g[1]",
        "E17",
        "1.8 V",
        "USER_LED_G1 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_g[2]",
        "D18",
        "1.8 V",
        "USER_LED_G2 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_g[3]",
        "D19",
        "1.8 V",
        "USER_LED_G3 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_r[0]",
        "B18",
        "1.8 V",
        "USER_LED_R0 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_r[1]",
        "F17",
        "1.8 V",
        "USER_LED_R1 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_r[2]",
        "E18",
        "1.8 V",
        "USER_LED_R2 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_led_r[3]",
        "E19",
        "1.8 V",
        "USER_LED_R3 (lit when low)",
        "4.5.3 User LEDs",
        true,
    ),
    kit(
        "user_dipsw[0]",
        "H18",
        "1.8 V",
        "USER_DIPSW0",
        "4.5.2 User DIP switches",
        true,
    ),
    kit(
        "user_dipsw[1]",
        "G18",
        "1.8 V",
        "USER_DIPSW1",
        "4.5.2 User DIP switches",
        true,
    ),
    kit(
        "user_dipsw[2]",
        "H20",
        "1.8 V",
        "USER_DIPSW2",
        "4.5.2 User DIP switches",
        true,
    ),
    kit(
        "user_dipsw[3]",
        "G20",
        "1.8 V",
        "USER_DIPSW3",
        "4.5.2 User DIP switches",
        true,
    ),
    kit(
        "cpu_resetn",
        "A20",
        "1.8 V",
        "CPU_RESETn (push button S4, low when pressed)",
        "olofk/corescore data/intel_s10gx_devkit.tcl",
        false,
    ),
    kit(
        "user_pb[0]",
        "B20",
        "1.8 V",
        "USER_PB0 (S7, low when pressed)",
        "unattributed Verilog in a public index",
        false,
    ),
    kit(
        "user_pb[1]",
        "A19",
        "1.8 V",
        "USER_PB1 (S6, low when pressed)",
        "unattributed Verilog in a public index",
        false,
    ),
    kit(
        "user_pb[2]",
        "B17",
        "1.8 V",
        "USER_PB2 (S5, low when pressed)",
        "unattributed Verilog in a public index",
        false,
    ),
    kit(
        "fmca_clk_m2c[0]",
        "AU17",
        "1.8 V",
        "FMCA_CLK_M2C_P0 (N: AT17; VADJ bank, single-ended here)",
        "4.6.4 FMC",
        true,
    ),
    kit(
        "fmca_clk_m2c[1]",
        "AT19",
        "1.8 V",
        "FMCA_CLK_M2C_P1 (N: AR19; VADJ bank, single-ended here)",
        "4.6.4 FMC",
        true,
    ),
];

/// The source of `p` as a comment's words.
pub fn kit_source(p: &KitPin) -> String {
    if p.verified {
        format!("{UG} {}", p.source)
    } else {
        format!("{} (unverified: not Intel's own table)", p.source)
    }
}

/// The TUSB1310A card's PIPE signals by FMC LA position (HiTech Global HTG-FMC-USB3.0, as LUNA's former
/// `nexys_video.py` platform gives them, LVCMOS 1.8 V): the board top's port and its positions, bit 0 first (the
/// order of that platform's pin lists; **unverified** against the card's schematic).
pub const FMC_PIPE: &[(&str, &[&str])] = &[
    ("pipe_pclk", &["LA01_CC_P"]),
    ("pipe_tx_clk", &["LA20_P"]),
    ("pipe_clkout", &["LA00_CC_P"]),
    (
        "pipe_tx_data",
        &[
            "LA24_N",
            "LA26_N",
            "LA24_P",
            "LA26_P",
            "LA25_N",
            "LA21_N",
            "LA25_P",
            "LA21_P",
            "LA22_P",
            "LA22_N",
            "LA19_N",
            "LA23_N",
            "LA23_P",
            "LA18_CC_P",
            "LA19_P",
            "LA20_N",
        ],
    ),
    ("pipe_tx_datak", &["LA18_CC_N", "LA17_CC_P"]),
    (
        "pipe_rx_data",
        &[
            "LA10_N", "LA10_P", "LA09_N", "LA09_P", "LA07_N", "LA08_N", "LA05_N", "LA03_N",
            "LA06_N", "LA02_P", "LA06_P", "LA04_P", "LA03_P", "LA08_P", "LA07_P", "LA04_N",
        ],
    ),
    ("pipe_rx_datak", &["LA02_N", "LA05_P"]),
    ("pipe_rx_valid", &["LA11_P"]),
    ("pipe_rx_status", &["LA14_P", "LA15_P", "LA14_N"]),
    ("pipe_rx_elecidle", &["LA11_N"]),
    ("pipe_rx_polarity", &["LA16_N"]),
    ("pipe_rx_termination", &["LA13_N"]),
    ("pipe_tx_oneszeros", &["LA27_N"]),
    ("pipe_tx_deemph", &["LA31_P", "LA28_N"]),
    ("pipe_tx_margin", &["LA30_P", "LA30_N"]),
    ("pipe_tx_swing", &["LA29_P"]),
    ("pipe_tx_detrx_lpbk", &["LA29_N"]),
    ("pipe_tx_elecidle", &["LA27_P"]),
    ("pipe_phy_reset_n", &["LA12_P"]),
    ("pipe_power_down", &["LA12_N", "LA13_P"]),
    ("pipe_rate", &["LA28_P"]),
    ("pipe_elas_buf_mode", &["LA15_N"]),
    ("pipe_phy_status", &["LA16_P"]),
    ("pipe_pwr_present", &["LA32_P"]),
    ("pipe_reset_n", &["LA32_N"]),
];

/// The FMC pins' I/O standard: the card runs at VADJ = 1.8 V.
pub const FMC_STANDARD: &str = "1.8 V";

/// Every FMC-side bit: (port bit as the .qsf names it, LA position).
pub fn fmc_bits() -> Vec<(String, &'static str)> {
    let mut v = Vec::new();
    for (port, positions) in FMC_PIPE {
        if positions.len() == 1 {
            v.push((port.to_string(), positions[0]));
        } else {
            for (i, p) in positions.iter().enumerate() {
                v.push((format!("{port}[{i}]"), *p));
            }
        }
    }
    v
}

/// Whether `s` is a VITA 57.1 LA position: `LA00_CC_P` .. `LA33_N`, `_CC` exactly on LA00, LA01, LA17, LA18.
pub fn is_la_position(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("LA") else {
        return false;
    };
    let (num, tail) = rest.split_at(rest.len().min(2));
    let Ok(n) = num.parse::<u8>() else {
        return false;
    };
    if num.len() != 2 || n > 33 {
        return false;
    }
    let cc = matches!(n, 0 | 1 | 17 | 18);
    match tail {
        "_CC_P" | "_CC_N" => cc,
        "_P" | "_N" => !cc,
        _ => false,
    }
}

/// `s` as a Quartus pin name (`PIN_AB12`; `AB12` is accepted too), or `None` when malformed: one or two letters
/// and one or two digits.
pub fn pin_name(s: &str) -> Option<String> {
    let u = s.to_ascii_uppercase();
    let body = u.strip_prefix("PIN_").unwrap_or(&u);
    let letters = body.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = &body[letters..];
    let ok = (1..=2).contains(&letters)
        && (1..=2).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit());
    ok.then(|| format!("PIN_{body}"))
}

/// The FPGA pin of every LA position the card uses, read from the `--fmc-pins` CSV `text` (named `file` in
/// messages): `position,pin` lines, an optional header line `position,pin`, blank lines and `#` comments
/// ignored; positions the card does not use accepted (their pins still checked). Refused, with the line: a
/// malformed line, position or pin name; a position or an FPGA pin given twice; a pin the kit's own signals
/// take; and any position the card uses missing.
pub fn parse_fmc_pins(text: &str, file: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let mut by_pos: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut by_pin: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let header = first && line.replace(' ', "").eq_ignore_ascii_case("position,pin");
        first = false;
        if header {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [pos, pin] = fields[..] else {
            return Err(format!(
                "{file} line {n}: '{line}' is not `position,pin` (two fields, e.g. LA02_P,PIN_AB12)"
            ));
        };
        let pos = pos.to_ascii_uppercase();
        if !is_la_position(&pos) {
            return Err(format!(
                "{file} line {n}: '{pos}' is not an FMC LA position (VITA 57.1: LA00_CC_P .. LA33_N, _CC on \
                 LA00, LA01, LA17, LA18)"
            ));
        }
        let Some(pin) = pin_name(pin) else {
            return Err(format!(
                "{file} line {n}: pin '{pin}' is malformed (a Quartus pin name such as PIN_AB12)"
            ));
        };
        if let Some(k) = KIT_PINS.iter().find(|k| format!("PIN_{}", k.pin) == pin) {
            return Err(format!(
                "{file} line {n}: {pin} is the kit's {} (port {}), which the project assigns",
                k.signal, k.port
            ));
        }
        if let Some((_, m)) = by_pos.get(&pos) {
            return Err(format!(
                "{file} line {n}: {pos} is given twice (line {m} and line {n})"
            ));
        }
        if let Some((other, m)) = by_pin.get(&pin) {
            return Err(format!(
                "{file} line {n}: {pin} is given to {pos} and, on line {m}, to {other}: an FPGA pin can take one \
                 position"
            ));
        }
        by_pin.insert(pin.clone(), (pos.clone(), n));
        by_pos.insert(pos, (pin, n));
    }
    let mut pins = BTreeMap::new();
    let mut missing = Vec::new();
    for (_, pos) in fmc_bits() {
        match by_pos.get(pos) {
            Some((pin, _)) => {
                pins.insert(pos, pin.clone());
            }
            None => missing.push(pos),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "{file}: {} of the card's {} LA positions have no pin: {}",
            missing.len(),
            fmc_bits().len(),
            missing.join(", ")
        ));
    }
    Ok(pins)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete CSV: every position the card uses, pins made up (`PIN_A1` .. in a grid the kit does not use).
    fn complete() -> String {
        let mut s = String::from("position,pin\n");
        for (i, (_, pos)) in fmc_bits().iter().enumerate() {
            s.push_str(&format!("{pos},PIN_K{}\n", i + 10));
        }
        s
    }

    #[test]
    fn positions_and_pin_names() {
        for ok in [
            "LA00_CC_P",
            "LA01_CC_N",
            "LA17_CC_P",
            "LA18_CC_N",
            "LA02_P",
            "LA33_N",
        ] {
            assert!(is_la_position(ok), "{ok}");
        }
        for bad in [
            "LA00_P",
            "LA02_CC_P",
            "LA34_P",
            "LA2_P",
            "LB02_P",
            "LA02",
            "LA02_X",
            "la02_p",
        ] {
            assert!(!is_la_position(bad), "{bad}");
        }
        assert_eq!(pin_name("PIN_AB12").as_deref(), Some("PIN_AB12"));
        assert_eq!(pin_name("ab12").as_deref(), Some("PIN_AB12"));
        for bad in ["PIN_", "PIN_ABC1", "PIN_A123", "12", "PIN_A1B", "PIN AB12"] {
            assert_eq!(pin_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_card_uses_62_distinct_positions_and_no_kit_pin_is_twice() {
        let bits = fmc_bits();
        assert_eq!(bits.len(), 62);
        let mut seen = std::collections::BTreeSet::new();
        for (port, pos) in &bits {
            assert!(is_la_position(pos), "{port}: {pos}");
            assert!(seen.insert(*pos), "{pos} twice");
        }
        let mut pins = std::collections::BTreeSet::new();
        for k in KIT_PINS {
            assert!(pin_name(k.pin).is_some() && pins.insert(k.pin), "{}", k.pin);
        }
    }

    #[test]
    fn a_complete_file_maps_every_position() {
        let mut text = complete();
        // Unused positions and comments are accepted.
        text.push_str("# spare\nLA33_P,PIN_M1\n\n");
        let pins = parse_fmc_pins(&text, "f.csv").unwrap();
        assert_eq!(pins.len(), 62);
        assert_eq!(pins["LA01_CC_P"], "PIN_K10");
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let c = complete();
        let lines: Vec<&str> = c.lines().collect();
        let with = |extra: &str| format!("{c}{extra}\n");
        let cases: Vec<(String, &str)> = vec![
            (
                lines[..lines.len() - 1].join("\n"),
                "1 of the card's 62 LA positions have no pin: ",
            ),
            (
                with("LA02_P,PIN_M2"),
                "line 64: LA02_P is given twice (line",
            ),
            (
                with("LA33_P,PIN_K10"),
                "line 64: PIN_K10 is given to LA33_P and, on line 2, to ",
            ),
            (
                with("LA33_P,PIN_BH33"),
                "PIN_BH33 is the kit's CLK_FPGA_50M (50 MHz) (port clk_50m)",
            ),
            (
                with("LA34_P,PIN_M2"),
                "line 64: 'LA34_P' is not an FMC LA position",
            ),
            (
                with("LA33_P,PIN_M234"),
                "line 64: pin 'PIN_M234' is malformed",
            ),
            (with("LA33_P"), "line 64: 'LA33_P' is not `position,pin`"),
            (with("LA33_P,PIN_M2,x"), "is not `position,pin`"),
        ];
        for (text, want) in cases {
            let e = parse_fmc_pins(&text, "f.csv").unwrap_err();
            assert!(e.starts_with("f.csv") && e.contains(want), "{want}: {e}");
        }
    }
}
