// Simulation model of engine_pll.ip (IOPLL: 250 MHz PCLK in, 125 MHz out): outclk_0 = refclk / 2 while not in
// reset, locked after LOCK_CYCLES reference cycles. Verilog-2001.
`timescale 1ns/1ps
module engine_pll #(parameter LOCK_CYCLES = 32) (
    input  wire rst,
    input  wire refclk,
    output reg  locked,
    output reg  outclk_0
);
    integer count;
    initial begin
        locked = 1'b0;
        outclk_0 = 1'b0;
        count = 0;
    end
    always @(posedge refclk or posedge rst) begin
        if (rst) begin
            locked <= 1'b0;
            count <= 0;
            outclk_0 <= 1'b0;
        end else begin
            outclk_0 <= ~outclk_0;
            if (count < LOCK_CYCLES) count <= count + 1;
            else locked <= 1'b1;
        end
    end
endmodule
