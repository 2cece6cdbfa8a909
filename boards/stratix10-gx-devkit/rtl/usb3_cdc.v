// Clock-domain crossing helpers for the Stratix 10 board top (Verilog-2001, no vendor primitives).
//
// usb3_reset_sync: asynchronous assertion, synchronous release of an active-high reset into a clock domain.
// usb3_async_fifo: a small dual-clock FIFO (Gray-coded pointers, two-flop synchronisers), power-of-two depth.
// The SDC (constraints/usb3_s10_devkit.sdc) cuts the paths into the first synchroniser flops.

module usb3_reset_sync #(parameter STAGES = 3) (
    input  wire clk,
    input  wire async_reset,   // active high, any clock domain
    output wire sync_reset     // active high, released on clk
);
    (* altera_attribute = "-name SYNCHRONIZER_IDENTIFICATION FORCED_IF_ASYNCHRONOUS" *)
    reg [STAGES-1:0] chain;
    always @(posedge clk or posedge async_reset) begin
        if (async_reset) chain <= {STAGES{1'b1}};
        else             chain <= {chain[STAGES-2:0], 1'b0};
    end
    assign sync_reset = chain[STAGES-1];
endmodule

module usb3_async_fifo #(parameter WIDTH = 36, parameter AW = 3) (
    input  wire             wr_clk,
    input  wire             wr_reset,   // synchronous to wr_clk
    input  wire             wr_en,
    input  wire [WIDTH-1:0] wr_data,
    output wire             wr_full,
    input  wire             rd_clk,
    input  wire             rd_reset,   // synchronous to rd_clk
    input  wire             rd_en,
    output wire [WIDTH-1:0] rd_data,
    output wire             rd_empty,
    output wire [AW:0]      rd_level    // words available, as the read side sees them
);
    reg [WIDTH-1:0] mem [0:(1<<AW)-1];
    reg [AW:0] wr_bin, wr_gray, rd_bin, rd_gray;
    (* altera_attribute = "-name SYNCHRONIZER_IDENTIFICATION FORCED_IF_ASYNCHRONOUS" *)
    reg [AW:0] rd_gray_w1, rd_gray_w2;   // read pointer in the write domain
    (* altera_attribute = "-name SYNCHRONIZER_IDENTIFICATION FORCED_IF_ASYNCHRONOUS" *)
    reg [AW:0] wr_gray_r1, wr_gray_r2;   // write pointer in the read domain

    function [AW:0] gray_to_bin(input [AW:0] g);
        integer i;
        begin
            gray_to_bin[AW] = g[AW];
            for (i = AW - 1; i >= 0; i = i - 1)
                gray_to_bin[i] = gray_to_bin[i + 1] ^ g[i];
        end
    endfunction

    wire [AW:0] wr_bin_next = wr_bin + 1'b1;
    wire [AW:0] rd_bin_next = rd_bin + 1'b1;
    wire [AW:0] rd_seen_w = gray_to_bin(rd_gray_w2);
    wire [AW:0] wr_seen_r = gray_to_bin(wr_gray_r2);
    assign wr_full  = (wr_bin - rd_seen_w) == (1 << AW);
    assign rd_level = wr_seen_r - rd_bin;
    assign rd_empty = rd_level == 0;
    assign rd_data  = mem[rd_bin[AW-1:0]];

    always @(posedge wr_clk) begin
        if (wr_reset) begin
            wr_bin <= 0;
            wr_gray <= 0;
            rd_gray_w1 <= 0;
            rd_gray_w2 <= 0;
        end else begin
            rd_gray_w1 <= rd_gray;
            rd_gray_w2 <= rd_gray_w1;
            if (wr_en && !wr_full) begin
                wr_bin <= wr_bin_next;
                wr_gray <= wr_bin_next ^ (wr_bin_next >> 1);
            end
        end
    end
    always @(posedge wr_clk) begin
        if (wr_en && !wr_full) mem[wr_bin[AW-1:0]] <= wr_data;
    end

    always @(posedge rd_clk) begin
        if (rd_reset) begin
            rd_bin <= 0;
            rd_gray <= 0;
            wr_gray_r1 <= 0;
            wr_gray_r2 <= 0;
        end else begin
            wr_gray_r1 <= wr_gray;
            wr_gray_r2 <= wr_gray_r1;
            if (rd_en && !rd_empty) begin
                rd_bin <= rd_bin_next;
                rd_gray <= rd_bin_next ^ (rd_bin_next >> 1);
            end
        end
    end
endmodule
