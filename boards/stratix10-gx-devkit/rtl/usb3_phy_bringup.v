// TUSB1310A bring-up: its power-on reset and strap pins, on a free-running clock (the kit's CLK_FPGA_50M), since
// the PHY's PCLK only runs once the PHY is out of reset. Verilog-2001.
//
// The TUSB1310A latches its straps when RESETN rises (TI SLLSE32; Daisho's usb3_top.v): PHY_STATUS low = 16-bit
// SDR PIPE, RX_ELECIDLE low = crystal clock source, TX_MARGIN[1:0] = 11 = spread spectrum off. Those pins are PIPE
// signals afterwards (PHY_STATUS and RX_ELECIDLE outputs of the PHY, TX_MARGIN an input), so the board drives them
// only here:
//
//   por high ......... RESETN low, straps driven, PHY_RESETN low
//   por falls -> RESET_CYCLES (>= 1 us) later RESETN rises, straps still driven STRAP_HOLD cycles (hold time),
//   then released (strap_oe low), and PHY_RESETN rises PHY_RESET_DELAY cycles after that; `done` then.
//
// RESETN >= 1 us is Daisho's value (one source: UNVERIFIED); the defaults give 2 us, 200 ns and 1 us at 50 MHz. The
// strap values are parameters. `por` is asynchronous (the Reset Release IP's ninit_done); its release is
// synchronised here. Every register has a synchronous reset from the synchronised `por`, and the outputs are forced
// to their reset values by `por` itself (combinationally), so that the PHY is held in reset with its straps driven
// from the first instant ninit_done is high, whatever the registers hold before the first clock edge.

module usb3_phy_bringup #(
    parameter RESET_CYCLES = 100,        // RESETN low after por falls: 2 us at 50 MHz (>= 1 us)
    parameter STRAP_HOLD = 10,           // straps still driven after RESETN rises: 200 ns
    parameter PHY_RESET_DELAY = 50,      // PHY_RESETN after the straps are released: 1 us
    parameter STRAP_PIPE_16SDR = 1,      // PHY_STATUS strap low: 16-bit SDR PIPE
    parameter STRAP_CLK_CRYSTAL = 1,     // RX_ELECIDLE strap low: crystal
    parameter STRAP_SSC_OFF = 1          // TX_MARGIN strap 11: spread spectrum clocking off
) (
    input  wire       clk,               // free-running (CLK_FPGA_50M)
    input  wire       por,               // asynchronous, active high (ninit_done)
    output wire       reset_n,           // TUSB1310A RESETN
    output wire       phy_reset_n,       // TUSB1310A PHY_RESETN
    output wire       strap_oe,          // drive the strap pins with the values below
    output wire       strap_phy_status,
    output wire       strap_rx_elecidle,
    output wire [1:0] strap_tx_margin,
    output wire       done               // the PHY is out of reset and its straps released
);
    reg reset_n_q, phy_reset_n_q, strap_oe_q, done_q;
    assign strap_phy_status = STRAP_PIPE_16SDR ? 1'b0 : 1'b1;
    assign strap_rx_elecidle = STRAP_CLK_CRYSTAL ? 1'b0 : 1'b1;
    assign strap_tx_margin = STRAP_SSC_OFF ? 2'b11 : 2'b00;

    // por synchronised (asserted at once, released after two clocks).
    reg [1:0] por_sync;
    always @(posedge clk or posedge por) begin
        if (por) por_sync <= 2'b11;
        else por_sync <= {por_sync[0], 1'b0};
    end
    wire rst = por_sync[1];
    wire held = por | rst;
    assign reset_n = reset_n_q & ~held;
    assign phy_reset_n = phy_reset_n_q & ~held;
    assign strap_oe = strap_oe_q | held;
    assign done = done_q & ~held;

    localparam [1:0] S_RESET = 2'd0, S_STRAP_HOLD = 2'd1, S_PHY_RESET = 2'd2, S_DONE = 2'd3;
    reg [1:0]  state;
    reg [31:0] count;
    always @(posedge clk) begin
        if (rst) begin
            state <= S_RESET;
            count <= 32'd0;
            reset_n_q <= 1'b0;
            phy_reset_n_q <= 1'b0;
            strap_oe_q <= 1'b1;
            done_q <= 1'b0;
        end else begin
            count <= count + 32'd1;
            case (state)
                S_RESET: if (count == RESET_CYCLES - 1) begin
                    reset_n_q <= 1'b1;
                    count <= 32'd0;
                    state <= S_STRAP_HOLD;
                end
                S_STRAP_HOLD: if (count == STRAP_HOLD - 1) begin
                    strap_oe_q <= 1'b0;
                    count <= 32'd0;
                    state <= S_PHY_RESET;
                end
                S_PHY_RESET: if (count == PHY_RESET_DELAY - 1) begin
                    phy_reset_n_q <= 1'b1;
                    done_q <= 1'b1;
                    count <= 32'd0;
                    state <= S_DONE;
                end
                default: count <= 32'd0;
            endcase
        end
    end
endmodule
