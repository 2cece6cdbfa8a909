// Simulation model of engine_clkgate.ip (Clock Control IP with a clock enable): ena is taken on inclk's falling
// edge, so outclk only ever stops or starts low (glitch-free), as the IP's negative-latch gate does. Verilog-2001.
module engine_clkgate (
    input  wire inclk,
    input  wire ena,
    output wire outclk
);
    reg ena_q;
    always @(negedge inclk) ena_q <= ena;
    assign outclk = inclk & ena_q;
endmodule
