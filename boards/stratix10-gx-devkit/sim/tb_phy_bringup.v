// Icarus test of usb3_phy_bringup (tests/board.rs runs it): the TUSB1310A's RESETN, straps and PHY_RESETN from a
// power-on reset, as the pins see them (the strap pins pulled through a weak model of the PHY's own drive: high
// impedance from the FPGA shows as 'z'). Prints one line per edge with its time in ns, then PASS or FAIL lines.
`timescale 1ns/1ps
module tb_phy_bringup;
    reg clk = 1'b0;
    always #10 clk = ~clk;     // 50 MHz
    reg por = 1'b1;
    wire reset_n, phy_reset_n, strap_oe, done;
    wire strap_phy_status, strap_rx_elecidle;
    wire [1:0] strap_tx_margin;
    usb3_phy_bringup dut (
        .clk(clk), .por(por), .reset_n(reset_n), .phy_reset_n(phy_reset_n), .strap_oe(strap_oe),
        .strap_phy_status(strap_phy_status), .strap_rx_elecidle(strap_rx_elecidle),
        .strap_tx_margin(strap_tx_margin), .done(done)
    );
    // The pins as the board top drives them: the straps while strap_oe, else released.
    wire pin_phy_status = strap_oe ? strap_phy_status : 1'bz;
    wire pin_rx_elecidle = strap_oe ? strap_rx_elecidle : 1'bz;
    wire [1:0] pin_tx_margin = strap_oe ? strap_tx_margin : 2'bzz;

    realtime t_por_fall, t_reset_rise, t_release, t_phy_reset_rise;
    integer fails = 0;
    always @(posedge reset_n) begin
        t_reset_rise = $realtime;
        $display("%0.1f ns: RESETN rises; straps PHY_STATUS=%b RX_ELECIDLE=%b TX_MARGIN=%b", $realtime, pin_phy_status,
                 pin_rx_elecidle, pin_tx_margin);
        if (pin_phy_status !== 1'b0 || pin_rx_elecidle !== 1'b0 || pin_tx_margin !== 2'b11) begin
            $display("FAIL straps not driven to 0 0 11 when RESETN rises");
            fails = fails + 1;
        end
    end
    always @(negedge strap_oe) begin
        t_release = $realtime;
        #1;
        $display("%0.1f ns: straps released: PHY_STATUS=%b RX_ELECIDLE=%b TX_MARGIN=%b", t_release, pin_phy_status,
                 pin_rx_elecidle, pin_tx_margin);
    end
    always @(posedge phy_reset_n) begin
        t_phy_reset_rise = $realtime;
        $display("%0.1f ns: PHY_RESETN rises", $realtime);
    end
    initial begin
        #1000;
        if (reset_n !== 1'b0 || phy_reset_n !== 1'b0 || strap_oe !== 1'b1) begin
            $display("FAIL not in reset while por is high");
            fails = fails + 1;
        end
        por = 1'b0;
        t_por_fall = $realtime;
        $display("%0.1f ns: por falls", $realtime);
        wait (done);
        #100;
        $display("RESETN low after por: %0.1f ns; straps held after RESETN: %0.1f ns; PHY_RESETN after release: %0.1f ns",
                 t_reset_rise - t_por_fall, t_release - t_reset_rise, t_phy_reset_rise - t_release);
        if (t_reset_rise - t_por_fall < 1000.0) begin
            $display("FAIL RESETN low for less than 1 us");
            fails = fails + 1;
        end
        if (t_release - t_reset_rise < 20.0) begin
            $display("FAIL straps released less than a cycle after RESETN");
            fails = fails + 1;
        end
        if (!(t_phy_reset_rise > t_release)) begin
            $display("FAIL PHY_RESETN before the straps were released");
            fails = fails + 1;
        end
        if (pin_phy_status !== 1'bz || pin_rx_elecidle !== 1'bz || pin_tx_margin !== 2'bzz) begin
            $display("FAIL strap pins still driven after the release");
            fails = fails + 1;
        end
        // A new power-on reset takes everything back at once.
        por = 1'b1;
        #50;
        if (reset_n !== 1'b0 || phy_reset_n !== 1'b0 || strap_oe !== 1'b1 || done !== 1'b0) begin
            $display("FAIL por again did not reset the PHY");
            fails = fails + 1;
        end
        if (fails == 0) $display("PASS");
        $finish;
    end
endmodule
