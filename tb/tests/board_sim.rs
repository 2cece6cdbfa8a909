//! The whole board simulated from power-on (issue 20): the Verilated Stratix 10 board top with the generated device
//! top against the TUSB1310A pin model and the host models (`usb3_tb::scenarios::board`). Every step must pass and
//! the protocol checker stay silent, whatever the registers held at power-up (two seeds of Verilator's random
//! start values: the board's resets must make it deterministic).

use usb3_tb::env::board::BoardConfig;
use usb3_tb::scenarios::board::run;

fn board(seed: u64) {
    let mut cfg = BoardConfig::scaled(1000);
    cfg.seed = seed;
    let r = run(cfg, None).expect("the board model builds");
    for s in &r.steps {
        println!("{s}");
    }
    println!(
        "{:.1} us simulated, {} engine cycles, {:.1} s (+{:.1} s build); {}",
        r.sim_us, r.engine_cycles, r.wall_s, r.build_s, r.checker
    );
    assert!(
        r.passed(),
        "{}",
        r.failure.clone().unwrap_or(r.checker.clone())
    );
    assert_eq!(r.steps.len(), 8, "every step ran");
}

#[test]
fn the_whole_board_from_power_on() {
    board(1);
}

#[test]
fn the_whole_board_from_other_power_up_values() {
    board(2);
}
