// The board's application behind the engine's bulk endpoints, chosen by DIP switch 0 (Verilog-2001):
//
//   mode 0, pattern:  bulk IN sends the counter pattern (32-bit little-endian words 0, 1, 2, ... : byte 4n+i of the
//                     stream is byte i of the word n); bulk OUT is checked against the same pattern.
//   mode 1, loopback: what the host sends on bulk OUT comes back on bulk IN, word for word, the end of each OUT
//                     transfer (its short packet, `out_last`) ending an IN transfer there too.
//
// The pattern is self-synchronising, so that the PC side (`usb3 stream`) can start and stop at any time: the IN
// counter starts at 0 after reset and runs on (the engine keeps the words it has buffered across the host's
// resets and configurations, so the stream the host reads is one unbroken count); the PC checks that each word is
// the one before plus 1. The OUT checker takes its first word after reset as it comes and then expects each next
// word to be the last plus 1; a word 0 is always accepted (each `usb3 stream` run starts its OUT pattern at 0). A
// mismatch counts in `out_errors` and lights a sticky `out_error` until reset. Partial words (keep != 4'hf, a
// transfer whose length is not a multiple of 4) are compared on their bytes only.
//
// `loopback` is synchronous and only changes with a reset: the board top restarts the device (engine and this
// block) when the DIP switch moves, so that no word of one mode is left in the engine's buffers for the other.

module usb3_board_app #(parameter LB_AW = 9) (
    input  wire        clk,
    input  wire        reset,
    input  wire        loopback,       // 0 pattern, 1 loopback (changes only with reset)
    // The engine's bulk IN stream (to the host).
    output wire [31:0] in_data,
    output wire [3:0]  in_keep,
    output wire        in_last,
    output wire        in_valid,
    input  wire        in_ready,
    // The engine's bulk OUT stream (from the host).
    input  wire [31:0] out_data,
    input  wire [3:0]  out_keep,
    input  wire        out_last,
    input  wire        out_valid,
    output wire        out_ready,
    // Status: the OUT checker's words and mismatches, its sticky error.
    output reg  [31:0] out_words,
    output reg  [31:0] out_errors,
    output reg         out_error
);
    // ---- Pattern mode: IN counter --------------------------------------------------------------------------------
    reg [31:0] in_count;
    always @(posedge clk) begin
        if (reset) in_count <= 32'd0;
        else if (!loopback && in_ready) in_count <= in_count + 32'd1;
    end

    // ---- Pattern mode: OUT checker ---------------------------------------------------------------------------------
    wire        out_take = out_valid & out_ready;
    wire [31:0] mask = {{8{out_keep[3]}}, {8{out_keep[2]}}, {8{out_keep[1]}}, {8{out_keep[0]}}};
    reg  [31:0] expect_word;
    reg         synced;
    wire        mismatch = synced && (out_data != 32'd0) && (((out_data ^ expect_word) & mask) != 32'd0);
    always @(posedge clk) begin
        if (reset) begin
            expect_word <= 32'd0;
            synced <= 1'b0;
            out_words <= 32'd0;
            out_errors <= 32'd0;
            out_error <= 1'b0;
        end else if (!loopback && out_take) begin
            expect_word <= out_data + 32'd1;
            synced <= 1'b1;
            out_words <= out_words + 32'd1;
            if (mismatch) begin
                out_errors <= out_errors + 32'd1;
                out_error <= 1'b1;
            end
        end
    end

    // ---- Loopback mode: OUT -> FIFO -> IN (first word fall-through, one output register) --------------------------
    localparam DEPTH = 1 << LB_AW;
    reg  [36:0]    lb_mem [0:DEPTH-1];
    reg  [LB_AW:0] wr_ptr;
    reg  [LB_AW:0] rd_ptr;
    reg  [36:0]    lb_q;
    reg            lb_q_valid;
    wire           lb_mem_empty = wr_ptr == rd_ptr;
    wire [LB_AW:0] lb_used = wr_ptr - rd_ptr;
    // Room for one more word: the memory minus the word in the output register, with one word of margin.
    wire           lb_room = lb_used < DEPTH - 2;
    wire           lb_push = loopback & out_take;
    wire           lb_pop = loopback & lb_q_valid & in_ready;
    wire           lb_load = (~lb_q_valid | lb_pop) & ~lb_mem_empty;
    always @(posedge clk) begin
        if (lb_push) lb_mem[wr_ptr[LB_AW-1:0]] <= {out_last, out_keep, out_data};
    end
    always @(posedge clk) begin
        if (reset) begin
            wr_ptr <= {(LB_AW+1){1'b0}};
            rd_ptr <= {(LB_AW+1){1'b0}};
            lb_q <= 37'd0;
            lb_q_valid <= 1'b0;
        end else begin
            if (lb_push) wr_ptr <= wr_ptr + 1'b1;
            if (lb_load) begin
                lb_q <= lb_mem[rd_ptr[LB_AW-1:0]];
                lb_q_valid <= 1'b1;
                rd_ptr <= rd_ptr + 1'b1;
            end else if (lb_pop) begin
                lb_q_valid <= 1'b0;
            end
        end
    end

    // ---- The engine's streams in the mode in force ---------------------------------------------------------------
    assign in_data   = loopback ? lb_q[31:0] : in_count;
    assign in_keep   = loopback ? lb_q[35:32] : 4'hf;
    assign in_last   = loopback ? lb_q[36] : 1'b0;
    assign in_valid  = loopback ? lb_q_valid : ~reset;
    assign out_ready = loopback ? lb_room : ~reset;
endmodule
