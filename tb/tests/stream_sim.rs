//! `usb3 stream`'s transfer and recovery logic (`usb3_pc::session`, the code the command runs over libusb) against
//! the simulated board and host (issue 20): the whole board in Verilator, the Intel B150 host model's xHCI ring fed
//! transfer by transfer (`usb3_tb::env::board_pipe::SimPipe`). The clean runs are in the board scenario
//! (`tb/tests/board_sim.rs`); here the recovery: IN transfers that are not a multiple of 1024 bytes overflow (the
//! board sends full packets: babble), the session cancels, clears the halt (host endpoint reset +
//! CLEAR_FEATURE(ENDPOINT_HALT)) and goes on; afterwards full-size transfers run clean on the same endpoint.

use usb3_pc::session::{Direction, Ep};
use usb3_tb::env::board::{BoardBench, BoardConfig};
use usb3_tb::scenarios::board::stream;

#[test]
fn an_overflowing_in_transfer_is_recovered_and_the_stream_goes_on() {
    let mut b = BoardBench::new(BoardConfig::scaled(1000)).expect("the board model builds");
    b.bring_up().expect("the board comes up");

    // 1500-byte transfers: each takes a 1024-byte packet, then 476 bytes of the next one (babble).
    let r = stream(&mut b, Direction::In, 6_000, 1_500).expect("the pipe");
    assert_eq!(r.failure, None, "{r:?}");
    let d = &r.dirs[0];
    assert!(d.bytes >= 6_000, "{} bytes", d.bytes);
    let c = d.check.as_ref().expect("IN is checked");
    assert!(c.ok(), "pattern: {:?}", c.first_error);
    assert!(
        !r.recoveries.is_empty()
            && r.recoveries.iter().all(|n| n.ep == Ep::In
                && n.cause == "overflow"
                && n.action.contains("CLEAR_FEATURE")),
        "{:?}",
        r.recoveries
    );
    println!(
        "{} overflows recovered in {} bytes; the first: {}",
        r.recoveries.len(),
        d.bytes,
        r.recoveries[0].action
    );

    // The endpoint works after it: 64 KiB of full-size transfers, one unbroken count, no recovery.
    let r = stream(&mut b, Direction::In, 65_536, 16_384).expect("the pipe");
    assert!(r.ok(65_536) && r.recoveries.is_empty(), "{r:?}");
    let c = r.dirs[0].check.as_ref().expect("IN is checked");
    assert_eq!((c.words, c.errors), (16_384, 0));
    assert_eq!(b.watch.checker.total(), 0, "{}", b.watch.summary());
}
