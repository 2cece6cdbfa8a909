// PIPE gearboxes between a 16-bit PHY interface at 250 MHz (PCLK; TI TUSB1310A) and the engine's 32-bit
// interface at 125 MHz (byte 0 = first symbol on the wire; K flag i for byte i).
//
// The engine clock comes from a PLL on PCLK (exactly PCLK / 2), so both sides move the same number of symbols
// per unit of time; each direction still crosses through a small dual-clock FIFO so that the phase between the
// clocks does not matter. Each side starts moving words once the FIFO holds PRIME words and falls back to
// logical idle (D0.0, no K) if it ever runs dry.
//
// Pairing of 16-bit words into 32-bit words is free-running: the engine's receive aligner (hdl/src/link/rx_align.rs)
// finds framing at any of the four byte positions.
//
// PIPE status and control travel with the data (boards/README.md, "The PIPE path on the board"). Receive: a word
// is valid when both halves were (RxValid); PhyStatus is either half's, so a pulse is never lost; RxStatus is the
// half that carried PhyStatus (receiver detection's 011 comes with it), else the first non-zero one. Transmit:
// TxElecIdle, TxDetRx/Loopback and TxOnesZeros change with the data (LFPS bursts, compliance patterns) and go
// through the FIFO with it; while the FIFO is not running the PHY sees electrical idle. The slow controls
// (PowerDown, Rate, RxPolarity, ... : `ctl`, CTL_W bits) go through the FIFO too, so that all their bits change on
// the same PCLK edge (two-flop synchronisers per bit could show PowerDown 3 -> 0 as 2 or 1 for a cycle) and in
// order with the data; they hold their last value while the FIFO is not running (CTL_RESET after reset).

module usb3_pipe_rx_gearbox #(parameter PRIME = 4) (
    input  wire        pclk,
    input  wire        pclk_reset,
    input  wire [15:0] rx_data,
    input  wire [1:0]  rx_datak,
    input  wire        rx_valid,
    input  wire [2:0]  rx_status,
    input  wire        phy_status,
    input  wire        clk,
    input  wire        reset,
    output reg  [31:0] data,
    output reg  [3:0]  k,
    output reg         valid,
    output reg  [2:0]  status,
    output reg         phy_status_o
);
    reg        half;
    reg [22:0] first;            // {phy_status, status[2:0], valid, k[1:0], data[15:0]} of a pair's first half
    reg        push;
    reg [40:0] pair;             // {phy_status, status[2:0], valid, k[3:0], data[31:0]}
    wire [15:0] d16 = rx_valid ? rx_data : 16'h0000;
    wire [1:0]  k16 = rx_valid ? rx_datak : 2'b00;
    // The pair's status: the half with PhyStatus, else the first non-zero one.
    wire [2:0]  st_pair = first[22] ? first[21:19] :
                          phy_status ? rx_status :
                          (first[21:19] != 3'b000) ? first[21:19] : rx_status;
    always @(posedge pclk) begin
        if (pclk_reset) begin
            half <= 1'b0;
            push <= 1'b0;
            first <= 23'h0;
            pair <= 41'h0;
        end else begin
            half <= ~half;
            push <= half;
            if (!half) first <= {phy_status, rx_status, rx_valid, k16, d16};
            else pair <= {first[22] | phy_status, st_pair, first[18] & rx_valid,
                          k16, first[17:16], d16, first[15:0]};
        end
    end

    wire [40:0] rd_data;
    wire        rd_empty;
    wire [3:0]  rd_level;
    reg         running;
    wire        pop = running && !rd_empty;
    usb3_async_fifo #(.WIDTH(41), .AW(3)) fifo (
        .wr_clk(pclk), .wr_reset(pclk_reset), .wr_en(push), .wr_data(pair), .wr_full(),
        .rd_clk(clk), .rd_reset(reset), .rd_en(pop), .rd_data(rd_data), .rd_empty(rd_empty), .rd_level(rd_level)
    );
    always @(posedge clk) begin
        if (reset) begin
            running <= 1'b0;
            data <= 32'h0;
            k <= 4'h0;
            valid <= 1'b0;
            status <= 3'b000;
            phy_status_o <= 1'b0;
        end else begin
            if (!running && rd_level >= PRIME) running <= 1'b1;
            else if (running && rd_empty) running <= 1'b0;
            data <= pop ? rd_data[31:0] : 32'h0;
            k <= pop ? rd_data[35:32] : 4'h0;
            valid <= pop & rd_data[36];
            status <= pop ? rd_data[39:37] : 3'b000;
            phy_status_o <= pop & rd_data[40];
        end
    end
endmodule

module usb3_pipe_tx_gearbox #(parameter PRIME = 4, parameter CTL_W = 1, parameter [CTL_W-1:0] CTL_RESET = 0) (
    input  wire             clk,
    input  wire             reset,
    input  wire [31:0]      data,
    input  wire [3:0]       k,
    input  wire             elec_idle,
    input  wire             det_rx_lpbk,
    input  wire             ones_zeros,
    input  wire [CTL_W-1:0] ctl,
    input  wire             pclk,
    input  wire             pclk_reset,
    output reg  [15:0]      tx_data,
    output reg  [1:0]       tx_datak,
    output reg              tx_elecidle,
    output reg              tx_detrx_lpbk,
    output reg              tx_oneszeros,
    output reg  [CTL_W-1:0] ctl_o
);
    wire [CTL_W+38:0] rd_data;
    wire        rd_empty;
    wire [3:0]  rd_level;
    reg         running;
    reg         half;
    reg  [17:0] second;          // {k[3:2], data[31:16]} of the word being sent
    wire        pop = running && !half && !rd_empty;
    usb3_async_fifo #(.WIDTH(CTL_W + 39), .AW(3)) fifo (
        .wr_clk(clk), .wr_reset(reset), .wr_en(1'b1), .wr_data({ctl, ones_zeros, det_rx_lpbk, elec_idle, k, data}),
        .wr_full(),
        .rd_clk(pclk), .rd_reset(pclk_reset), .rd_en(pop), .rd_data(rd_data), .rd_empty(rd_empty), .rd_level(rd_level)
    );
    always @(posedge pclk) begin
        if (pclk_reset) begin
            running <= 1'b0;
            half <= 1'b0;
            second <= 18'h0;
            tx_data <= 16'h0;
            tx_datak <= 2'b00;
            tx_elecidle <= 1'b1;
            tx_detrx_lpbk <= 1'b0;
            tx_oneszeros <= 1'b0;
            ctl_o <= CTL_RESET;
        end else begin
            if (!running && rd_level >= PRIME) running <= 1'b1;
            else if (running && !half && rd_empty) running <= 1'b0;
            if (running) half <= ~half;
            if (pop) begin
                tx_data <= rd_data[15:0];
                tx_datak <= rd_data[33:32];
                second <= {rd_data[35:34], rd_data[31:16]};
                {tx_oneszeros, tx_detrx_lpbk, tx_elecidle} <= rd_data[38:36];
                ctl_o <= rd_data[CTL_W+38:39];
            end else if (running && half) begin
                tx_data <= second[15:0];
                tx_datak <= second[17:16];
            end else begin
                tx_data <= 16'h0;
                tx_datak <= 2'b00;
                tx_elecidle <= 1'b1;
                tx_detrx_lpbk <= 1'b0;
                tx_oneszeros <= 1'b0;
            end
        end
    end
endmodule
