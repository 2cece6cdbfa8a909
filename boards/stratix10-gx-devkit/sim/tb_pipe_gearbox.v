// Icarus test of the PIPE gearboxes' status and control (usb3_pipe_gearbox.v; tests/board.rs runs it). PCLK 250 MHz,
// the engine clock PCLK / 2 with a phase offset, as from the PLL. Receive: a counting 16-bit stream with PhyStatus
// pulses (RxStatus 011) in either half of a pair, other RxStatus codes and single invalid halves; every PhyStatus
// pulse must come out once with 011, every invalid half must make its word invalid, valid words must pair the
// counter in order. Transmit: counting 32-bit words, TxElecIdle / TxDetRx / TxOnesZeros changing with them; each
// 16-bit half must carry its word's flags and slow controls. Prints the counts, then PASS or FAIL lines.
`timescale 1ns/1ps
module tb_pipe_gearbox;
    reg pclk = 1'b0;
    always #2 pclk = ~pclk;
    reg clk = 1'b0;
    initial begin
        #1;
        forever #4 clk = ~clk;
    end
    reg pclk_reset = 1'b1, reset = 1'b1;

    // ---- receive ----
    reg  [15:0] rx_data = 16'h0;
    reg         rx_valid = 1'b1;
    reg  [2:0]  rx_status = 3'b000;
    reg         phy_status = 1'b0;
    wire [31:0] data;
    wire [3:0]  k;
    wire        valid, phy_status_o;
    wire [2:0]  status;
    usb3_pipe_rx_gearbox rx (
        .pclk(pclk), .pclk_reset(pclk_reset), .rx_data(rx_data), .rx_datak(2'b00), .rx_valid(rx_valid),
        .rx_status(rx_status), .phy_status(phy_status), .clk(clk), .reset(reset), .data(data), .k(k),
        .valid(valid), .status(status), .phy_status_o(phy_status_o)
    );
    integer pcycle = 0, pulses_sent = 0, pulses_seen = 0, invalid_sent = 0, invalid_seen = 0, pairs_ok = 0;
    integer fails = 0;
    always @(posedge pclk) begin
        if (!pclk_reset) begin
            pcycle <= pcycle + 1;
            rx_data <= rx_data + 16'd1;
            // A PhyStatus pulse every 37 cycles (both half phases in turn), another status every 23.
            // (None in the last 100 cycles: everything sent has come out when the counts are compared.)
            phy_status <= (pcycle % 37 == 5) && pcycle < 2900;
            rx_status <= (pcycle % 37 == 5) ? 3'b011 : (pcycle % 23 == 7) ? 3'b001 : 3'b000;
            rx_valid <= !((pcycle % 53 == 11) && pcycle < 2900);
            if (pcycle % 37 == 5 && pcycle < 2900) pulses_sent = pulses_sent + 1;
            if (pcycle % 53 == 11 && pcycle < 2900) invalid_sent = invalid_sent + 1;
        end
    end
    // The gearboxes' outputs follow `running` a cycle later.
    reg rx_out = 1'b0, tx_out = 1'b0;
    always @(posedge clk) rx_out <= rx.running;
    always @(posedge pclk) tx_out <= tx.running;
    always @(posedge clk) begin
        if (!reset) begin
            if (phy_status_o) begin
                pulses_seen = pulses_seen + 1;
                if (status !== 3'b011) begin
                    $display("FAIL PhyStatus with RxStatus %b, 011 wanted", status);
                    fails = fails + 1;
                end
            end
            if (rx_out && !valid) invalid_seen = invalid_seen + 1;
            if (valid) begin
                if (data[31:16] == data[15:0] + 16'd1) pairs_ok = pairs_ok + 1;
                else begin
                    $display("FAIL word %h does not pair two consecutive halves", data);
                    fails = fails + 1;
                end
            end
        end
    end

    // ---- transmit ----
    reg  [31:0] tx_word = 32'h0;
    reg  [2:0]  flags = 3'b000;          // {ones_zeros, det_rx_lpbk, elec_idle}
    wire [15:0] tx_data;
    wire [1:0]  tx_datak;
    wire        tx_elecidle, tx_detrx_lpbk, tx_oneszeros;
    // The slow controls (here 8 bits: the word's low byte) change with their word, all bits on one edge.
    usb3_pipe_tx_gearbox #(.CTL_W(8), .CTL_RESET(8'h5a)) tx (
        .clk(clk), .reset(reset), .data(tx_word), .k(4'h0), .elec_idle(flags[0]), .det_rx_lpbk(flags[1]),
        .ones_zeros(flags[2]), .ctl(tx_word[7:0]), .pclk(pclk), .pclk_reset(pclk_reset), .tx_data(tx_data),
        .tx_datak(tx_datak), .tx_elecidle(tx_elecidle), .tx_detrx_lpbk(tx_detrx_lpbk), .tx_oneszeros(tx_oneszeros),
        .ctl_o(ctl_o)
    );
    wire [7:0] ctl_o;
    // The flags of word n are a function of n (its low half's value): the PHY side checks each half against it.
    function [2:0] flags_of(input [15:0] n);
        flags_of = {n[5] & n[4], n[3] & n[2], n[1] & n[0]};
    endfunction
    always @(posedge clk) begin
        if (!reset) begin
            tx_word <= {tx_word[15:0] + 16'd3, tx_word[15:0] + 16'd2};
            flags <= flags_of(tx_word[15:0] + 16'd2);
        end else begin
            tx_word <= {16'd1, 16'd0};
            flags <= flags_of(16'd0);
        end
    end
    integer halves = 0, halves_ok = 0;
    reg [15:0] low;
    reg        second = 1'b0;
    always @(posedge pclk) begin
        if (!pclk_reset && tx_out) begin
            halves = halves + 1;
            // A word's low half is even, its high half odd; both carry the low half's flags.
            if (!tx_data[0]) low = tx_data;
            if ({tx_oneszeros, tx_detrx_lpbk, tx_elecidle} === flags_of(low) && (tx_data == low || tx_data == low + 16'd1)
                && ctl_o === low[7:0])
                halves_ok = halves_ok + 1;
            else begin
                $display("FAIL half %h (word %h) carries flags %b, %b wanted, controls %h", tx_data, low,
                         {tx_oneszeros, tx_detrx_lpbk, tx_elecidle}, flags_of(low), ctl_o);
                fails = fails + 1;
            end
        end
    end

    initial begin
        #40;
        @(posedge pclk) pclk_reset <= 1'b0;
        @(posedge clk) reset <= 1'b0;
        #12100;
        $display("receive: %0d PhyStatus pulses sent, %0d seen; %0d invalid halves sent, %0d invalid words seen; %0d words paired",
                 pulses_sent, pulses_seen, invalid_sent, invalid_seen, pairs_ok);
        $display("transmit: %0d halves, %0d with their word's flags", halves, halves_ok);
        if (pulses_seen != pulses_sent) begin
            $display("FAIL %0d PhyStatus pulses lost", pulses_sent - pulses_seen);
            fails = fails + 1;
        end
        if (invalid_seen != invalid_sent) begin
            $display("FAIL invalid words %0d for %0d invalid halves", invalid_seen, invalid_sent);
            fails = fails + 1;
        end
        if (pairs_ok < 1000 || halves_ok < 2000) begin
            $display("FAIL too few words checked");
            fails = fails + 1;
        end
        if (fails == 0) $display("PASS");
        $finish;
    end
endmodule
