# Creates the two IP variants of the board project with Platform Designer's scripting shell:
#   qsys-script --script=ip/make_ip.tcl --quartus-project=usb3_s10_devkit
# (run from the project directory; compile.sh does it). Quartus Prime Pro.
#
#   ip/reset_release.ip  Stratix 10 Reset Release IP (altera_s10_user_rst_clkgate): output ninit_done, high until
#                        the whole fabric is in user mode. Instantiated as module `reset_release`.
#   ip/engine_pll.ip     IOPLL: 250 MHz PCLK in, 125 MHz engine clock out, locked. Module `engine_pll`
#                        (ports rst, refclk, locked, outclk_0). Its SDC generation is skipped: the engine
#                        clock is created in usb3_s10_devkit.sdc.
#   ip/engine_clkgate.ip Clock Control IP with a clock enable: the engine clock, gated while the PHY is in P3
#                        (usb3_p3_keeper.v). Module `engine_clkgate` (ports inclk, ena, outclk). The component and
#                        parameter names (altclkctrl, NUMBER_OF_CLOCKS, GUI_USE_ENA, ENA_REGISTER_MODE) are
#                        unverified until the first Quartus run; the gate must take ena on inclk's falling edge
#                        (Intel's recommended negative-latch gate) for a glitch-free stop.
#   ip/tx_clk_ddio.ip    GPIO IP, one output through a DDIO register: TX_CLK forwarded from PCLK. Module
#                        `tx_clk_ddio` (ports ck, din[1:0], pad_out). The parameter names (PIN_TYPE_GUI, SIZE,
#                        gui_io_reg_mode) and which din bit goes out on ck's rising edge are unverified until the
#                        first Quartus run: check TX_CLK's phase against TX_DATA with a scope or in the fitter's
#                        I/O timing report.
package require qsys

set DEVICE_FAMILY {Stratix 10}
set DEVICE {1SG280HU2F50E2VG}

proc new_variant {name} {
    global DEVICE_FAMILY DEVICE
    create_system $name
    set_project_property DEVICE_FAMILY $DEVICE_FAMILY
    set_project_property DEVICE $DEVICE
    set_project_property HIDE_FROM_IP_CATALOG {true}
}

proc save_variant {name} {
    set_module_property FILE "ip/${name}.ip"
    set_module_property NAME $name
    sync_sysinfo_parameters
    save_system "ip/${name}.ip"
}

# Reset Release IP: no parameters; its only interface is ninit_done.
new_variant reset_release
add_instance rst_clkgate_0 altera_s10_user_rst_clkgate
set_interface_property ninit_done EXPORT_OF rst_clkgate_0.ninit_done
save_variant reset_release

# Engine clock PLL.
new_variant engine_pll
add_instance iopll_0 altera_iopll
set_instance_parameter_value iopll_0 {gui_reference_clock_frequency} {250.0}
set_instance_parameter_value iopll_0 {gui_number_of_clocks} {1}
set_instance_parameter_value iopll_0 {gui_output_clock_frequency0} {125.0}
set_instance_parameter_value iopll_0 {gui_use_locked} {1}
set_instance_parameter_value iopll_0 {gui_skip_sdc_generation} {1}
set_interface_property refclk EXPORT_OF iopll_0.refclk
set_interface_property reset EXPORT_OF iopll_0.reset
set_interface_property locked EXPORT_OF iopll_0.locked
set_interface_property outclk0 EXPORT_OF iopll_0.outclk0
save_variant engine_pll

# The engine clock's gate.
new_variant engine_clkgate
add_instance clkctrl_0 altclkctrl
set_instance_parameter_value clkctrl_0 {NUMBER_OF_CLOCKS} {1}
set_instance_parameter_value clkctrl_0 {GUI_USE_ENA} {true}
set_instance_parameter_value clkctrl_0 {ENA_REGISTER_MODE} {falling edge}
set_interface_property inclk EXPORT_OF clkctrl_0.inclk
set_interface_property ena EXPORT_OF clkctrl_0.ena
set_interface_property outclk EXPORT_OF clkctrl_0.outclk
save_variant engine_clkgate

# TX_CLK: a DDIO output clocked by PCLK.
new_variant tx_clk_ddio
add_instance gpio_0 altera_gpio
set_instance_parameter_value gpio_0 {PIN_TYPE_GUI} {Output}
set_instance_parameter_value gpio_0 {SIZE} {1}
set_instance_parameter_value gpio_0 {gui_io_reg_mode} {DDIO}
set_interface_property ck EXPORT_OF gpio_0.ck
set_interface_property din EXPORT_OF gpio_0.din
set_interface_property pad_out EXPORT_OF gpio_0.pad_out
save_variant tx_clk_ddio
