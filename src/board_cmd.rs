//! `usb3 board <BOARD> --out DIR [--force]`: a Quartus Prime Pro project that puts the engine on a board.
//!
//! The board files live in `boards/<board>/` (hand-written Verilog-2001 top, gearboxes, CDC, IP script, simulation
//! models) and `constraints/` (SDC); they are embedded in the binary and written next to the engine's Verilog
//! (generated here, the same text as `usb3 verilog` and the co-simulation) and the generated `.qpf` / `.qsf`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::board_pins::{fmc_bits, kit_source, parse_fmc_pins, FMC_STANDARD, KIT_PINS};

use usb3_flow::boards::stratix10_gx_devkit::S10_FILES;
use usb3_flow::verilog::device_top_verilog;
use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::timing::PhyTiming;

#[derive(clap::Args)]
pub struct BoardArgs {
    /// The board (unknown names list the known ones).
    board: String,
    /// Output directory for the Quartus project.
    #[arg(long)]
    out: PathBuf,
    /// Write into an existing, non-empty directory (files of the same name are overwritten).
    #[arg(long)]
    force: bool,
    /// The FPGA pin of each FMC LA position (the kit's schematic has them): a CSV of `position,pin` lines
    /// (`LA02_P,PIN_AB12`), an optional header `position,pin`. Without it the PIPE pins stay unassigned and
    /// compile.sh refuses to start.
    #[arg(long, value_name = "FILE")]
    fmc_pins: Option<PathBuf>,
}

/// The FMC pins by LA position, when given.
pub type FmcPins = BTreeMap<&'static str, String>;

/// A board the project supports.
pub struct Board {
    pub name: &'static str,
    pub about: &'static str,
    write: fn(&Path, Option<&FmcPins>) -> Result<Vec<PathBuf>, String>,
}

pub const BOARDS: &[Board] = &[Board {
    name: "stratix10-gx-devkit",
    about:
        "Intel Stratix 10 GX FPGA Development Kit (1SG280HU2F50E2VG) + TI TUSB1310A PIPE PHY on FMC",
    write: stratix10_gx_devkit,
}];

/// An unknown board's name: said with the list of the known ones, exit 2.
pub fn unknown_board(name: &str) -> ExitCode {
    let known: Vec<String> = BOARDS
        .iter()
        .map(|b| format!("  {:<22} {}", b.name, b.about))
        .collect();
    crate::fail(format!(
        "unknown board '{name}'; known boards:\n{}",
        known.join("\n")
    ))
}

pub fn run(a: BoardArgs) -> ExitCode {
    let Some(board) = BOARDS.iter().find(|b| b.name == a.board) else {
        return unknown_board(&a.board);
    };
    // The pin file is checked before anything is written.
    let fmc = match &a.fmc_pins {
        None => None,
        Some(f) => {
            let name = f.display().to_string();
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => return crate::fail(format!("--fmc-pins: cannot read {name}: {e}")),
            };
            match parse_fmc_pins(&text, &name) {
                Ok(p) => Some(p),
                Err(e) => return crate::fail(format!("--fmc-pins: {e}")),
            }
        }
    };
    if let Err(e) = crate::prepare_out_dir(&a.out, a.force) {
        return crate::fail(e);
    }
    match (board.write)(&a.out, fmc.as_ref()) {
        Ok(files) => {
            println!(
                "board {}: Quartus Prime Pro project in {}",
                board.name,
                a.out.display()
            );
            for f in files {
                let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
                println!(
                    "  {:<44} {size:>8} bytes",
                    f.strip_prefix(&a.out).unwrap_or(&f).display()
                );
            }
            let fmc_n = fmc_bits().len();
            match &fmc {
                Some(_) => println!(
                    "pins: {} of the kit, {fmc_n} of the TUSB1310A card on FMCA (from {}): all assigned",
                    KIT_PINS.len(),
                    a.fmc_pins.as_ref().map(|f| f.display().to_string()).unwrap_or_default()
                ),
                None => println!(
                    "pins: {} of the kit assigned; {fmc_n} of the TUSB1310A card on FMCA missing (pins_missing.txt): \
                     give their FPGA pins with --fmc-pins FILE; compile.sh refuses to start until then",
                    KIT_PINS.len()
                ),
            }
            println!(
                "compile: {}/compile.sh (needs Quartus Prime Pro on PATH)",
                a.out.display()
            );
            println!("before hardware: VADJ of FMCA must be 1.8 V (the card is damaged by 2.5 V): see the README");
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail(e),
    }
}

fn write(dir: &Path, rel: &str, text: &str, written: &mut Vec<PathBuf>) -> Result<(), String> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    written.push(path);
    Ok(())
}

/// The project's revision and top-level entity.
const REVISION: &str = "usb3_s10_devkit";
const TOP: &str = "usb3_s10_devkit_top";
const DEVICE: &str = "1SG280HU2F50E2VG";

/// The Verilog files Quartus compiles, in the `.qsf`'s order.
const S10_VERILOG: &[&str] = &[
    "rtl/usb3_top.v",
    "rtl/usb3_cdc.v",
    "rtl/usb3_phy_bringup.v",
    "rtl/usb3_board_app.v",
    "rtl/usb3_p3_keeper.v",
    "rtl/usb3_pipe_gearbox.v",
    "rtl/usb3_s10_devkit_top.v",
];

/// SmartVID: the core voltage regulator the FPGA drives over PMBus, exactly as a device designer's field notes for
/// this kit give them (their section "Variable core voltage (SmartVID)"; boards/README.md lists the assignments).
const SMARTVID: &[(&str, &str)] = &[
    ("USE_PWRMGT_SCL", "SDM_IO14"),
    ("USE_PWRMGT_SDA", "SDM_IO11"),
    ("VID_OPERATION_MODE", "\"PMBUS MASTER\""),
    ("PWRMGT_BUS_SPEED_MODE", "\"400 KHZ\""),
    ("PWRMGT_SLAVE_DEVICE_TYPE", "LTM4677"),
    ("PWRMGT_SLAVE_DEVICE0_ADDRESS", "4F"),
    ("PWRMGT_SLAVE_DEVICE1_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE2_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE3_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE4_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE5_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE6_ADDRESS", "00"),
    ("PWRMGT_SLAVE_DEVICE7_ADDRESS", "00"),
    ("PWRMGT_PAGE_COMMAND_ENABLE", "ON"),
];

fn qpf() -> String {
    format!(
        "# Quartus Prime Pro project, generated by `usb3 board stratix10-gx-devkit`.\n\
         # Needs Quartus Prime Pro 19.2 or later (the Stratix 10 Reset Release IP).\n\
         QUARTUS_VERSION = \"19.2\"\n\
         PROJECT_REVISION = \"{REVISION}\"\n"
    )
}

fn qsf(fmc: Option<&FmcPins>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Quartus Prime Pro settings of {REVISION}, generated by `usb3 board stratix10-gx-devkit`.");
    let _ = writeln!(s, "# Board: Intel Stratix 10 GX FPGA Development Kit; USB 3.0 PHY: TI TUSB1310A on an FMC card.\n");
    s.push_str("# ---- Device and sources ----\n");
    let _ = writeln!(s, "set_global_assignment -name FAMILY \"Stratix 10\"");
    let _ = writeln!(s, "set_global_assignment -name DEVICE {DEVICE}");
    let _ = writeln!(s, "set_global_assignment -name TOP_LEVEL_ENTITY {TOP}");
    let _ = writeln!(
        s,
        "set_global_assignment -name PROJECT_OUTPUT_DIRECTORY output_files"
    );
    let _ = writeln!(
        s,
        "set_global_assignment -name VERILOG_INPUT_VERSION VERILOG_2001"
    );
    for v in S10_VERILOG {
        let _ = writeln!(s, "set_global_assignment -name VERILOG_FILE {v}");
    }
    let _ = writeln!(
        s,
        "set_global_assignment -name SDC_FILE usb3_s10_devkit.sdc"
    );
    s.push_str("# IP variants, created by ip/make_ip.tcl (compile.sh runs it).\n");
    let _ = writeln!(s, "set_global_assignment -name IP_FILE ip/reset_release.ip");
    let _ = writeln!(s, "set_global_assignment -name IP_FILE ip/engine_pll.ip");
    let _ = writeln!(
        s,
        "set_global_assignment -name IP_FILE ip/engine_clkgate.ip"
    );
    let _ = writeln!(s, "set_global_assignment -name IP_FILE ip/tx_clk_ddio.ip\n");
    s.push_str("# ---- Configuration ----\n");
    let _ = writeln!(
        s,
        "set_global_assignment -name DEVICE_INITIALIZATION_CLOCK OSC_CLK_1_125MHZ\n"
    );
    s.push_str("# ---- SmartVID: core voltage over PMBus (LTM4677 regulator of the kit) ----\n");
    for (name, value) in SMARTVID {
        let _ = writeln!(s, "set_global_assignment -name {name} {value}");
    }
    s.push_str(
        "\n# ---- Pins: the kit (sources in each comment; the unverified ones say so) ----\n",
    );
    for p in KIT_PINS {
        let _ = writeln!(s, "# {}: {}", p.signal, kit_source(p));
        let _ = writeln!(
            s,
            "set_location_assignment PIN_{} -to {}",
            p.pin,
            tcl_bit(p.port)
        );
        let _ = writeln!(
            s,
            "set_instance_assignment -name IO_STANDARD \"{}\" -to {}",
            p.standard,
            tcl_bit(p.port)
        );
    }
    s.push_str("\n# ---- Pins: the TUSB1310A card (HiTech Global HTG-FMC-USB3.0) on FMCA, by FMC LA position ----\n");
    s.push_str("# VADJ of FMCA must be 1.8 V: the card is damaged by 2.5 V. The LA position of each PIPE signal is the\n");
    s.push_str("# card's (LUNA's former nexys_video.py platform, bit 0 first: unverified against the card's schematic);\n");
    s.push_str("# the FPGA pin of each position is the kit's schematic's, given to `usb3 board --fmc-pins FILE`.\n");
    match fmc {
        Some(pins) => {
            for (port, pos) in fmc_bits() {
                let _ = writeln!(s, "# FMC {pos}");
                let _ = writeln!(
                    s,
                    "set_location_assignment {} -to {}",
                    pins[pos],
                    tcl_bit(&port)
                );
                let _ = writeln!(
                    s,
                    "set_instance_assignment -name IO_STANDARD \"{FMC_STANDARD}\" -to {}",
                    tcl_bit(&port)
                );
            }
        }
        None => {
            s.push_str("# MISSING: no --fmc-pins FILE was given (pins_missing.txt lists them; compile.sh refuses).\n");
            for (port, pos) in fmc_bits() {
                let _ = writeln!(
                    s,
                    "# MISSING FMC {pos}: set_location_assignment PIN_? -to {port}"
                );
            }
        }
    }
    s
}

/// A port bit in a .qsf: brackets escaped (`user_led_g\[0\]`), as Quartus's Tcl documents, so that the file is
/// plain Tcl with or without Quartus's natural bus naming.
fn tcl_bit(port: &str) -> String {
    port.replace('[', "\\[").replace(']', "\\]")
}

/// The FMC pins still to assign, one line each (`port LA-position`).
fn pins_missing(fmc: Option<&FmcPins>) -> Option<String> {
    if fmc.is_some() {
        return None;
    }
    let mut s = String::from("# FMC pins without an FPGA pin: give them with `usb3 board stratix10-gx-devkit --fmc-pins FILE`.\n");
    for (port, pos) in fmc_bits() {
        let _ = writeln!(s, "{port} {pos}");
    }
    Some(s)
}

fn compile_sh() -> String {
    format!(
        "#!/bin/sh\n\
         # Builds the {REVISION} project with Quartus Prime Pro: creates the IP variants, generates them, compiles,\n\
         # then checks timing: the exit status is non-zero on negative slack.\n\
         # Generated by `usb3 board stratix10-gx-devkit`.\n\
         set -e\n\
         cd \"$(dirname \"$0\")\"\n\
         if [ -e pins_missing.txt ]; then\n\
         \x20   echo \"$(grep -vc '^#' pins_missing.txt) FMC pins are not assigned (pins_missing.txt): run usb3 board with --fmc-pins FILE first\" >&2\n\
         \x20   exit 2\n\
         fi\n\
         for tool in qsys-script quartus_ipgenerate quartus_sh quartus_sta; do\n\
         \x20   command -v \"$tool\" >/dev/null 2>&1 || {{ echo \"$tool not found: put Quartus Prime Pro's bin directories on PATH\" >&2; exit 2; }}\n\
         done\n\
         qsys-script --script=ip/make_ip.tcl --quartus-project={REVISION}\n\
         quartus_ipgenerate --run_default_mode_op {REVISION}\n\
         quartus_sh --flow compile {REVISION}\n\
         # The timing gate: negative setup, hold, recovery or removal slack in any operating condition fails the build.\n\
         quartus_sta -t usb3_s10_sta_gate.tcl {REVISION}\n"
    )
}

fn stratix10_gx_devkit(dir: &Path, fmc: Option<&FmcPins>) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    write(dir, &format!("{REVISION}.qpf"), &qpf(), &mut written)?;
    write(dir, &format!("{REVISION}.qsf"), &qsf(fmc), &mut written)?;
    let missing = dir.join("pins_missing.txt");
    match pins_missing(fmc) {
        Some(text) => write(dir, "pins_missing.txt", &text, &mut written)?,
        // A complete project: a list from an earlier run (--force) must not stop compile.sh.
        None if missing.exists() => std::fs::remove_file(&missing)
            .map_err(|e| format!("cannot remove {}: {e}", missing.display()))?,
        None => {}
    }
    let device = device_top_verilog(&DeviceParams::default(), &PhyTiming::default());
    let header = "// The USB 3.0 device: the physical layer (LTSSM, LFPS, training sets, SKP, scrambling, PIPE 3 control)\n\
                  // in front of the engine (link layer, protocol layer, EP0, bulk IN EP1 and bulk OUT EP2, max burst 8,\n\
                  // 16 packet buffers each), the spec's timing; generated by `usb3 board` from hdl/ (rust-hdl,\n\
                  // usb3_hdl::top::Usb3Device).\n";
    write(
        dir,
        "rtl/usb3_top.v",
        &format!("{header}{device}"),
        &mut written,
    )?;
    for (rel, text) in S10_FILES {
        write(dir, rel, text, &mut written)?;
    }
    write(dir, "compile.sh", &compile_sh(), &mut written)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("compile.sh");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", p.display()))?;
    }
    Ok(written)
}
