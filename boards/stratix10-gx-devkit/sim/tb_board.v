// Board-level simulation (Icarus Verilog, -g2001): usb3_s10_devkit_top + the generated engine + the Reset Release
// and PLL models. A host's PIPE receive stream (16-bit words, `+stim=FILE` of `{k[1:0], data[15:0]}` hex lines,
// `+words=N`) is replayed from the engine's U0 entry on; every PCLK cycle's transmit word is recorded
// (`+out=FILE`: ninit_done, engine reset, tx K, tx data, LEDs). tests/board.rs checks the record.
`timescale 1ns/1ps
module tb_board;
    reg pclk = 1'b0;
    always #2 pclk = ~pclk;   // 250 MHz
    reg clk_50m = 1'b0;
    always #10 clk_50m = ~clk_50m;

    reg  [15:0] rx_data = 16'h0000;
    reg  [1:0]  rx_datak = 2'b00;
    wire [15:0] tx_data;
    wire [1:0]  tx_datak;
    wire [3:0]  user_led, user_led_r;
    wire tx_clk, tx_elecidle, tx_detrx_lpbk, rate, rx_polarity, rx_termination, phy_reset_n, reset_n;
    wire tx_oneszeros, tx_swing, elas_buf_mode;
    wire [1:0] power_down, tx_deemph, tx_margin;
    // The strap pins are inout: the board drives them while strapping; the PHY's weak pull-downs here (it drives
    // PHY_STATUS and RX_ELECIDLE low once out of reset).
    tri0 phy_status;
    tri0 rx_elecidle;

    usb3_s10_devkit_top #(.U0_DELAY(64)) dut (
        .clk_50m(clk_50m), .clk_100m(1'b0), .clk_125m(1'b0), .cpu_resetn(1'b1), .user_pb(3'b111),
        .user_dipsw(4'b0000), .fmca_clk_m2c(2'b00), .user_led_g(user_led), .user_led_r(user_led_r),
        .pipe_pclk(pclk), .pipe_clkout(1'b0), .pipe_rx_data(rx_data), .pipe_rx_datak(rx_datak),
        .pipe_rx_valid(1'b1), .pipe_rx_status(3'b000), .pipe_rx_elecidle(rx_elecidle),
        .pipe_phy_status(phy_status), .pipe_pwr_present(1'b1),
        .pipe_tx_clk(tx_clk), .pipe_tx_data(tx_data), .pipe_tx_datak(tx_datak), .pipe_tx_elecidle(tx_elecidle),
        .pipe_tx_detrx_lpbk(tx_detrx_lpbk), .pipe_tx_oneszeros(tx_oneszeros), .pipe_tx_deemph(tx_deemph),
        .pipe_tx_margin(tx_margin), .pipe_tx_swing(tx_swing), .pipe_power_down(power_down), .pipe_rate(rate),
        .pipe_elas_buf_mode(elas_buf_mode), .pipe_rx_polarity(rx_polarity), .pipe_rx_termination(rx_termination),
        .pipe_phy_reset_n(phy_reset_n), .pipe_reset_n(reset_n)
    );

    reg [17:0] stim [0:262143];
    reg [1023:0] stim_file, out_file;
    integer words, i;
    integer fd = 0;
    reg feeding = 1'b0;
    initial begin
        if (!$value$plusargs("stim=%s", stim_file) || !$value$plusargs("out=%s", out_file)
            || !$value$plusargs("words=%d", words)) begin
            $display("usage: vvp tb_board +stim=FILE +words=N +out=FILE");
            $finish;
        end
        $readmemh(stim_file, stim, 0, words - 1);
        fd = $fopen(out_file, "w");
        @(posedge dut.u0_entry);
        @(posedge pclk);
        feeding = 1'b1;
        for (i = 0; i < words; i = i + 1) begin
            rx_datak <= stim[i][17:16];
            rx_data <= stim[i][15:0];
            @(posedge pclk);
        end
        rx_datak <= 2'b00;
        rx_data <= 16'h0000;
        repeat (400) @(posedge pclk);
        $fclose(fd);
        fd = 0;
        $finish;
    end
    initial begin
        #2000000;
        $display("tb_board: timeout (the engine never reached U0)");
        $finish;
    end
    // Sampled on the falling edge: the values the rising edge made.
    always @(negedge pclk) begin
        if (fd != 0)
            $fwrite(fd, "%b %b %b %h %h %h\n", dut.ninit_done, dut.reset, feeding, tx_datak, tx_data, user_led);
    end
endmodule
