//! The board files, embedded in the binary (the Quartus project `usb3 board` writes) and used by the whole-board
//! simulation (`usb3_tb`'s board bench): hand-written Verilog-2001 tops, gearboxes, CDC, application, IP scripts,
//! simulation models and lint files from `boards/<board>/`, the SDC and the timing gate from `constraints/`.

/// Where each file goes in the Stratix 10 GX kit's project, and its text.
pub mod stratix10_gx_devkit {
    /// Board files, embedded: (path in the project, text).
    pub const S10_FILES: &[(&str, &str)] = &[
        (
            "rtl/usb3_s10_devkit_top.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_s10_devkit_top.v"),
        ),
        (
            "rtl/usb3_pipe_gearbox.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_pipe_gearbox.v"),
        ),
        (
            "rtl/usb3_cdc.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_cdc.v"),
        ),
        (
            "rtl/usb3_phy_bringup.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_phy_bringup.v"),
        ),
        (
            "rtl/usb3_board_app.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_board_app.v"),
        ),
        (
            "rtl/usb3_p3_keeper.v",
            include_str!("../../boards/stratix10-gx-devkit/rtl/usb3_p3_keeper.v"),
        ),
        (
            "sim/engine_clkgate_model.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/engine_clkgate_model.v"),
        ),
        (
            "sim/tx_clk_ddio_model.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/tx_clk_ddio_model.v"),
        ),
        (
            "sim/tb_phy_bringup.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/tb_phy_bringup.v"),
        ),
        (
            "sim/tb_pipe_gearbox.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/tb_pipe_gearbox.v"),
        ),
        (
            "ip/make_ip.tcl",
            include_str!("../../boards/stratix10-gx-devkit/ip/make_ip.tcl"),
        ),
        (
            "sim/reset_release_model.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/reset_release_model.v"),
        ),
        (
            "sim/engine_pll_model.v",
            include_str!("../../boards/stratix10-gx-devkit/sim/engine_pll_model.v"),
        ),
        (
            "lint/stubs.v",
            include_str!("../../boards/stratix10-gx-devkit/lint/stubs.v"),
        ),
        (
            "lint/waivers.vlt",
            include_str!("../../boards/stratix10-gx-devkit/lint/waivers.vlt"),
        ),
        (
            "usb3_s10_devkit.sdc",
            include_str!("../../constraints/usb3_s10_devkit.sdc"),
        ),
        (
            "usb3_s10_sta_gate.tcl",
            include_str!("../../constraints/usb3_s10_sta_gate.tcl"),
        ),
    ];

    /// A file of [`S10_FILES`] by its path in the project.
    pub fn file(rel: &str) -> &'static str {
        S10_FILES
            .iter()
            .find(|(r, _)| *r == rel)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("no board file {rel}"))
    }
}
