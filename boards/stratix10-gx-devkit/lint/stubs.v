// Lint-only stand-ins for the two IP variants (the real modules come from ip/*.ip in Quartus): ports only.
module reset_release (output wire ninit_done);
    assign ninit_done = 1'b0;
endmodule
module engine_pll (input wire rst, input wire refclk, output wire locked, output wire outclk_0);
    assign locked = ~rst;
    assign outclk_0 = refclk;
endmodule
module tx_clk_ddio (input wire ck, input wire [1:0] din, output wire pad_out);
    assign pad_out = ck ? din[0] : din[1];
endmodule
module engine_clkgate (input wire inclk, input wire ena, output wire outclk);
    assign outclk = inclk & ena;
endmodule
