// Simulation model of tx_clk_ddio.ip (GPIO IP, one DDIO output): pad_out is din[0] while ck is high (the value
// registered on its rising edge) and din[1] while it is low. Verilog-2001.
`timescale 1ns/1ps
module tx_clk_ddio (
    input  wire       ck,
    input  wire [1:0] din,
    output wire       pad_out
);
    assign pad_out = ck ? din[0] : din[1];
endmodule
