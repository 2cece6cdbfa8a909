// The P3 keeper (Verilog-2001): what must live while the TUSB1310A's PCLK is stopped, on the kit's free-running
// 50 MHz clock. boards/README.md ("The PIPE path on the board") has the plan this follows.
//
// The engine asks for P3 in U3; the board top gives the PHY P2 for it (PCLK keeps running, LFPS is signalled as in
// P3: TxElecIdle low) and the engine settles in U3. Once it has stayed there quietly, the engine's domain raises
// `gate_req` and the engine's clock is gated (its registers keep the address and the configuration). Then, here:
//
//   RUN    --gate_req-->        ENTER  (8 cycles: the gate has closed)
//   ENTER  -->                  P3     (`p3`: the PHY's PowerDown pins driven to P3; the PHY answers and stops PCLK)
//   P3     --LFPS or wake-->    WAKE   (RX_ELECIDLE low for 2 samples: the host's U3 wake-up LFPS; or the
//                                       application's remote-wake request: PowerDown back to P2, PCLK restarts)
//   WAKE   --PCLK + lock-->     RELEASE (PCLK toggling and the PLL locked for LOCK_STABLE cycles: `release`, the
//                                       clock gate opens, the engine runs again, still in U3, the PHY in P2)
//   RELEASE --gate_req low-->   RUN
//
// The engine, in U3 with the PHY in P2, sees the host's LFPS (which lasts until answered) or sends its own, and
// leaves U3 as it would have without the gating. The PhyStatus pulses of the PHY's P2 -> P3 -> P2 changes reach the
// engine's domain while its clock is gated: the board top masks them after the gate opens.
//
// `pll_ever_locked`: the engine's reset waits for the PLL's first lock only; the loss of lock while PCLK is stopped
// must not reset the engine.

module usb3_p3_keeper #(parameter [7:0] LOCK_STABLE = 8'd100) (
    input  wire clk,                // 50 MHz, free-running
    input  wire reset,              // synchronous to clk
    input  wire gate_req_async,     // the engine's domain (stable while its clock is gated)
    input  wire rx_elecidle_async,  // the PHY's squelch (low: LFPS)
    input  wire wake_async,         // the application asks for a remote wake (and the host enabled it)
    input  wire pclk_alive_async,   // toggles every 8 PCLK cycles while PCLK runs
    input  wire pll_locked_async,
    output reg  p3,                 // drive the PHY's PowerDown to P3
    output reg  release_gate,       // open the engine's clock gate
    output reg  pll_ever_locked,
    output reg  [2:0] state_o       // for Signal Tap and the simulation
);
    localparam RUN = 3'd0, ENTER = 3'd1, P3 = 3'd2, WAKE = 3'd3, RELEASE = 3'd4;

    (* altera_attribute = "-name SYNCHRONIZER_IDENTIFICATION FORCED_IF_ASYNCHRONOUS" *)
    reg [1:0] gate_s, idle_s, wake_s, alive_s, lock_s;
    reg       alive_q, idle_q;
    reg [2:0] state;
    reg [3:0] alive_age;            // 50 MHz cycles since the PCLK toggle last moved (saturating)
    reg [7:0] count;
    wire      pclk_alive = alive_age < 4'd8;
    always @(posedge clk) begin
        if (reset) begin
            gate_s <= 2'b00;
            idle_s <= 2'b11;
            wake_s <= 2'b00;
            alive_s <= 2'b00;
            lock_s <= 2'b00;
            alive_q <= 1'b0;
            idle_q <= 1'b1;
            alive_age <= 4'hf;
            state <= RUN;
            count <= 8'd0;
            p3 <= 1'b0;
            release_gate <= 1'b0;
            pll_ever_locked <= 1'b0;
            state_o <= RUN;
        end else begin
            gate_s <= {gate_s[0], gate_req_async};
            idle_s <= {idle_s[0], rx_elecidle_async};
            wake_s <= {wake_s[0], wake_async};
            alive_s <= {alive_s[0], pclk_alive_async};
            lock_s <= {lock_s[0], pll_locked_async};
            alive_q <= alive_s[1];
            idle_q <= idle_s[1];
            if (alive_s[1] != alive_q) alive_age <= 4'd0;
            else if (alive_age != 4'hf) alive_age <= alive_age + 4'd1;
            if (lock_s[1]) pll_ever_locked <= 1'b1;
            state_o <= state;
            case (state)
                RUN: begin
                    release_gate <= 1'b0;
                    count <= 8'd0;
                    if (gate_s[1]) state <= ENTER;
                end
                ENTER: begin
                    count <= count + 8'd1;
                    if (count == 8'd7) begin
                        p3 <= 1'b1;
                        state <= P3;
                    end
                end
                P3: begin
                    count <= 8'd0;
                    // LFPS: the squelch open for two samples in a row (40 ns); or the remote-wake request.
                    if ((!idle_s[1] && !idle_q) || wake_s[1]) begin
                        p3 <= 1'b0;
                        state <= WAKE;
                    end
                end
                WAKE: begin
                    if (pclk_alive && lock_s[1]) begin
                        count <= count + 8'd1;
                        if (count == LOCK_STABLE - 8'd1) begin
                            release_gate <= 1'b1;
                            state <= RELEASE;
                        end
                    end else begin
                        count <= 8'd0;
                    end
                end
                RELEASE: begin
                    if (!gate_s[1]) begin
                        release_gate <= 1'b0;
                        state <= RUN;
                    end
                end
                default: state <= RUN;
            endcase
        end
    end
endmodule
