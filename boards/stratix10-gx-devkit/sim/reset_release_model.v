// Simulation model of reset_release.ip (Reset Release IP, component altera_s10_user_rst_clkgate) for the
// whole-board simulation (Verilator; usb3_tb's board bench): ninit_done is high while the device configures and
// falls once the whole fabric is in user mode, here when the bench says so through `ninit_done_in` of the
// simulation's top (usb3_board_sim, which the bench generates around the board top). Verilog-2001.
module reset_release (output wire ninit_done);
    assign ninit_done = usb3_board_sim.ninit_done_in;
endmodule
