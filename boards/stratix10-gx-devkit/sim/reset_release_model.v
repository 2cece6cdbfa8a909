// Simulation model of the Reset Release IP (reset_release.ip, component altera_s10_user_rst_clkgate): ninit_done
// is high while the device is configuring and falls once the whole fabric is in user mode. Verilog-2001.
`timescale 1ns/1ps
module reset_release #(parameter RELEASE_NS = 2000) (output reg ninit_done);
    initial begin
        ninit_done = 1'b1;
        #(RELEASE_NS) ninit_done = 1'b0;
    end
endmodule
