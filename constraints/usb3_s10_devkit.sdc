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
create_clock -name engine_clk -period $ENGINE_PERIOD_NS [get_pins -compatibility_mode $ENGINE_CLOCK_PIN]
# TX_CLK to the PHY is PCLK inverted (usb3_s10_devkit_top.v).
create_generated_clock -name pipe_tx_clk -source [get_ports {pipe_pclk}] -invert [get_ports {pipe_tx_clk}]

set_clock_groups -asynchronous -group [get_clocks {pipe_pclk pipe_tx_clk}] -group [get_clocks {engine_clk}]
derive_clock_uncertainty

# ---- Resets -------------------------------------------------------------------------------------------------------
# ninit_done (Reset Release IP) and the PLL's locked are asynchronous to every clock; they only assert the
# usb3_reset_sync chains asynchronously, and release is synchronised there.
set_false_path -to [get_registers {u_pclk_reset|chain[*] u_engine_reset|chain[*]}]
set_false_path -to [get_ports {pipe_phy_reset_n pipe_reset_n}]

# ---- PIPE I/O timing ----------------------------------------------------------------------------------------------
# Source: the TUSB1310A data sheet's PIPE timing table and the FMC card's trace lengths. Neither was available when
# this file was written, so every value below is UNVERIFIED: replace them before trusting the I/O timing report.
set PHY_TCO_MAX_NS 2.500   ;# PHY clock-to-output, max (RX_DATA etc. after PCLK rises)    UNVERIFIED
set PHY_TCO_MIN_NS 0.500   ;# PHY clock-to-output, min                                    UNVERIFIED
set PHY_TSU_NS     1.000   ;# PHY input setup to TX_CLK                                   UNVERIFIED
set PHY_TH_NS      0.500   ;# PHY input hold after TX_CLK                                 UNVERIFIED
set BOARD_SKEW_NS  0.100   ;# FMC trace mismatch, data vs clock                           UNVERIFIED

set PIPE_INPUTS  [get_ports {pipe_rx_data[*] pipe_rx_datak[*] pipe_rx_valid pipe_rx_status[*] pipe_rx_elecidle pipe_phy_status}]
set PIPE_OUTPUTS [get_ports {pipe_tx_data[*] pipe_tx_datak[*] pipe_tx_elecidle pipe_tx_detrx_lpbk pipe_power_down[*] pipe_rate pipe_rx_polarity pipe_rx_termination}]

set_input_delay -clock pipe_pclk -max [expr {$PHY_TCO_MAX_NS + $BOARD_SKEW_NS}] $PIPE_INPUTS
set_input_delay -clock pipe_pclk -min [expr {$PHY_TCO_MIN_NS - $BOARD_SKEW_NS}] $PIPE_INPUTS
set_output_delay -clock pipe_tx_clk -max [expr {$PHY_TSU_NS + $BOARD_SKEW_NS}] $PIPE_OUTPUTS
set_output_delay -clock pipe_tx_clk -min [expr {-($PHY_TH_NS + $BOARD_SKEW_NS)}] $PIPE_OUTPUTS

# ---- Slow outputs -------------------------------------------------------------------------------------------------
set_false_path -to [get_ports {user_led[*]}]
