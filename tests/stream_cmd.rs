//! `usb3 stream` without a board (issue 20): no device (or no USB at all) is said, naming the VID:PID, exit 2; bad
//! arguments exit 2 naming the problem. (Its transfer and recovery logic runs against the simulated board in
//! `tb/tests/stream_sim.rs` and the board scenario.)

mod common;
use common::assert_exit2;

#[test]
fn without_a_board_stream_says_so_and_exits_2() {
    // This machine has no such device (CI has no USB at all): either message names the VID:PID.
    assert_exit2(&["stream"], &["1209:0001"]);
    assert_exit2(
        &["stream", "--vid-pid", "dead:beef", "--direction", "both"],
        &["dead:beef"],
    );
}

#[test]
fn bad_stream_arguments_exit_2() {
    assert_exit2(&["stream", "--vid-pid", "zz"], &["is not VID:PID"]);
    assert_exit2(
        &["stream", "--vid-pid", "1209:10000"],
        &["16-bit hexadecimal"],
    );
    assert_exit2(
        &["stream", "--direction", "sideways"],
        &["not in, out or both"],
    );
    assert_exit2(&["stream", "--td-bytes", "0"], &["--td-bytes"]);
    assert_exit2(&["stream", "--tds-queued", "0"], &["--tds-queued"]);
}
