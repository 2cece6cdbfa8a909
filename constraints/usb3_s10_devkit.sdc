# Timing constraints of boards/stratix10-gx-devkit (top usb3_s10_devkit_top), for Quartus Prime Pro's Timing
# Analyzer. Copied into the project by `usb3 board stratix10-gx-devkit`; tests/board.rs sources it with tclsh.

# ---- Clocks -------------------------------------------------------------------------------------------------------
# PIPE PCLK from the TUSB1310A: 250 MHz with the 16-bit PIPE interface (USB 3.0 Gen 1: 5 Gb/s, 8b/10b -> 500 MB/s
# of symbols, 2 symbols per PCLK cycle).
set PCLK_PERIOD_NS 4.000
# Engine clock: 125 MHz, 32-bit words (4 symbols per cycle), made by engine_pll (IOPLL) from PCLK.
set ENGINE_PERIOD_NS 8.000
# The engine clock is created here on the PLL's output rather than taken from the IP's generated SDC
# (make_ip.tcl sets gui_skip_sdc_generation): the board top crosses between PCLK and the engine clock only
# through dual-clock FIFOs and synchronisers, so the two are analysed as asynchronous whatever their phase.
# Check the pin name with report_clocks after the first compile.
set ENGINE_CLOCK_PIN {u_engine_pll|*|outclk[0]}

create_clock -name pipe_pclk -period $PCLK_PERIOD_NS [get_ports {pipe_pclk}]
# The kit's free-running 50 MHz oscillator (CLK_FPGA_50M): the TUSB1310A's bring-up (usb3_phy_bringup.v).
create_clock -name clk_50m -period 20.000 [get_ports {clk_50m}]
create_clock -name engine_clk -period $ENGINE_PERIOD_NS [get_pins -compatibility_mode $ENGINE_CLOCK_PIN]
# TX_CLK to the PHY is PCLK forwarded through a DDIO output (tx_clk_ddio: 0 on PCLK's rising edge, 1 on its falling
# edge), i.e. PCLK inverted (usb3_s10_devkit_top.v).
create_generated_clock -name pipe_tx_clk -source [get_ports {pipe_pclk}] -invert [get_ports {pipe_tx_clk}]

set_clock_groups -asynchronous -group [get_clocks {pipe_pclk pipe_tx_clk}] -group [get_clocks {engine_clk}] -group [get_clocks {clk_50m}]
derive_clock_uncertainty

# ---- Resets -------------------------------------------------------------------------------------------------------
# ninit_done (Reset Release IP) and the PLL's locked are asynchronous to every clock; they only assert the
# usb3_reset_sync chains asynchronously, and release is synchronised there.
set_false_path -to [get_registers {u_pclk_reset|chain[*] u_engine_reset|chain[*] u_bringup|por_sync[*]}]
set_false_path -to [get_ports {pipe_phy_reset_n pipe_reset_n}]
# The strap pins are driven only while the PHY is held in reset (RESETN low, and a hold time after it rises):
# static levels, not synchronous data.
set_false_path -to [get_ports {pipe_phy_status pipe_rx_elecidle}]
# RX_ELECIDLE (the LFPS squelch) and PWR_PRESENT are asynchronous to PCLK (PIPE 3): they enter the engine's clock
# through two-flop synchronisers.
set_false_path -from [get_ports {pipe_rx_elecidle pipe_pwr_present}] -to [get_registers {elecidle_sync[0] pwr_sync[0]}]

# ---- PIPE I/O timing ----------------------------------------------------------------------------------------------
# The TUSB1310A's PIPE timing as Daisho's Quartus constraints for the same PHY give it (greatscottgadgets/daisho,
# sw/fpga/targets/usb/top.sdc: RX data clock-to-output 1.0 .. 2.0 ns after PCLK, TX setup 1.0 ns / hold 0.0 ns to
# TX_CLK, 0.1 ns trace tolerance): UNVERIFIED defaults (one source, not the data sheet; the FMC card's and the kit's
# trace lengths are not in them). Replace them from the TUSB1310A data sheet and the boards' trace delays before
# trusting the I/O timing report.
set PHY_TCO_MAX_NS 2.000   ;# PHY clock-to-output, max (RX_DATA etc. after PCLK rises)    UNVERIFIED (Daisho)
set PHY_TCO_MIN_NS 1.000   ;# PHY clock-to-output, min                                    UNVERIFIED (Daisho)
set PHY_TSU_NS     1.000   ;# PHY input setup to TX_CLK                                   UNVERIFIED (Daisho)
set PHY_TH_NS      0.000   ;# PHY input hold after TX_CLK                                 UNVERIFIED (Daisho)
set BOARD_SKEW_NS  0.100   ;# trace mismatch, data vs clock                               UNVERIFIED (Daisho)

set PIPE_INPUTS  [get_ports {pipe_rx_data[*] pipe_rx_datak[*] pipe_rx_valid pipe_rx_status[*] pipe_rx_elecidle pipe_phy_status pipe_pwr_present}]
set PIPE_OUTPUTS [get_ports {pipe_tx_data[*] pipe_tx_datak[*] pipe_tx_elecidle pipe_tx_detrx_lpbk pipe_tx_oneszeros pipe_tx_deemph[*] pipe_tx_margin[*] pipe_tx_swing pipe_power_down[*] pipe_rate pipe_elas_buf_mode pipe_rx_polarity pipe_rx_termination}]

set_input_delay -clock pipe_pclk -max [expr {$PHY_TCO_MAX_NS + $BOARD_SKEW_NS}] $PIPE_INPUTS
set_input_delay -clock pipe_pclk -min [expr {$PHY_TCO_MIN_NS - $BOARD_SKEW_NS}] $PIPE_INPUTS
set_output_delay -clock pipe_tx_clk -max [expr {$PHY_TSU_NS + $BOARD_SKEW_NS}] $PIPE_OUTPUTS
set_output_delay -clock pipe_tx_clk -min [expr {-($PHY_TH_NS + $BOARD_SKEW_NS)}] $PIPE_OUTPUTS

# ---- Slow outputs -------------------------------------------------------------------------------------------------
set_false_path -to [get_ports {user_led_g[*] user_led_r[*]}]
# The kit's switches and buttons: human-speed inputs.
set_false_path -from [get_ports {user_dipsw[*] user_pb[*] cpu_resetn}]
