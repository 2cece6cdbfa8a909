//! Tests of the testbench core: scheduler triggers and ordering, VCD output, seeds, the rust-hdl adapter,
//! and the speed numbers (printed; run with `--nocapture` to see them).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use rust_hdl::prelude::*;
use usb3_tb::runtime::rhdl::{clock_cycle, ClockMode, HdlDut};
use usb3_tb::runtime::sched::{
    first_of, first_of_many, with_timeout, Ctx, Dut, Either, Event, Sim, SimError, Timeout,
};
use usb3_tb::runtime::seed::{default_seed, parse_seed, test_seed, SeedReport};
use usb3_tb::runtime::vcd::VcdOut;

// ------------------------------------------------------------------------------------------------
// A plain-Rust DUT: a register q <= d, and a count of edges.
// ------------------------------------------------------------------------------------------------

#[derive(Default)]
struct Reg {
    d: u32,
    q: u32,
    edges: u64,
}

impl Dut for Reg {
    fn tick(&mut self) {
        self.q = self.d;
        self.edges += 1;
    }
}

type Log = Rc<RefCell<Vec<(u64, &'static str)>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn rising_edge_resumes_on_the_next_cycle_and_counts_dut_edges() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        let mut seen = vec![ctx.cycle()];
        for _ in 0..3 {
            ctx.rising_edge().await;
            seen.push(ctx.cycle());
            assert_eq!(ctx.with(|d| d.edges), ctx.cycle(), "one DUT tick per cycle");
        }
        seen
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(sim.cycle(), 3);
}

#[test]
fn cycles_n_resumes_exactly_n_cycles_later() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        let mut out = vec![];
        for n in [0u64, 1, 2, 5, 17, 1000] {
            let before = ctx.cycle();
            ctx.cycles(n).await;
            out.push(ctx.cycle() - before);
        }
        // Timer in ns rounds up to whole 8 ns cycles.
        let before = ctx.cycle();
        ctx.timer_ns(20).await;
        out.push(ctx.cycle() - before);
        out
    });
    assert_eq!(
        sim.run_until_complete(h, 10_000).unwrap(),
        vec![0, 1, 2, 5, 17, 1000, 3]
    );
}

#[test]
fn a_trigger_counts_from_when_it_is_awaited() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        let t = ctx.cycles(5);
        ctx.cycles(10).await;
        t.await;
        ctx.cycle()
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), 15);
}

#[test]
fn inputs_written_after_an_edge_are_taken_at_the_next_edge() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        let mut q = vec![];
        for i in 1..=4u32 {
            ctx.with(|d| d.d = i * 10);
            ctx.rising_edge().await;
            q.push(ctx.with(|d| d.q));
        }
        q
    });
    assert_eq!(
        sim.run_until_complete(h, 100).unwrap(),
        vec![10, 20, 30, 40]
    );
}

#[test]
fn tasks_woken_by_one_edge_run_in_start_order() {
    let mut sim = Sim::new(Reg::default());
    let l = log();
    let ctx = sim.ctx();
    // All three resume at cycle 3, having waited differently.
    let (c, l2) = (ctx.clone(), l.clone());
    sim.start_soon(async move {
        c.cycles(3).await;
        l2.borrow_mut().push((c.cycle(), "a"));
    });
    let (c, l2) = (ctx.clone(), l.clone());
    sim.start_soon(async move {
        for _ in 0..3 {
            c.rising_edge().await;
        }
        l2.borrow_mut().push((c.cycle(), "b"));
    });
    let (c, l2) = (ctx.clone(), l.clone());
    sim.start_soon(async move {
        c.cycles(2).await;
        c.rising_edge().await;
        l2.borrow_mut().push((c.cycle(), "c"));
    });
    sim.run_cycles(5);
    assert_eq!(*l.borrow(), vec![(3, "a"), (3, "b"), (3, "c")]);
    assert_eq!(sim.live_tasks(), 0);
}

#[test]
fn start_soon_from_a_task_runs_in_the_same_cycle() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        ctx.cycles(5).await;
        let c2 = ctx.clone();
        let child = ctx.start_soon(async move { c2.cycle() });
        let started_at = child.await;
        (started_at, ctx.cycle())
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), (5, 5));
}

#[test]
fn events_wake_their_waiters_in_the_same_cycle() {
    let mut sim = Sim::new(Reg::default());
    let ev = Event::new();
    let l = log();
    let ctx = sim.ctx();
    // One waiter started before the setter, one after: both wake in the setter's cycle.
    for name in ["early", "setter", "late"] {
        let (c, e, l2) = (ctx.clone(), ev.clone(), l.clone());
        sim.start_soon(async move {
            if name == "setter" {
                c.cycles(7).await;
                e.set();
                l2.borrow_mut().push((c.cycle(), "set"));
            } else {
                e.wait().await;
                l2.borrow_mut().push((c.cycle(), name));
            }
        });
    }
    sim.run_cycles(10);
    assert_eq!(*l.borrow(), vec![(7, "set"), (7, "early"), (7, "late")]);
}

#[test]
fn event_set_clear_wait_semantics() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ev = Event::new();
    let (c, e) = (ctx.clone(), ev.clone());
    // A pulse (set then clear in the same cycle) still wakes a waiter.
    sim.start_soon(async move {
        c.cycles(3).await;
        e.set();
        e.clear();
        c.cycles(6).await; // cycle 9
        e.set();
    });
    let (c, e) = (ctx.clone(), ev.clone());
    let h = sim.start_soon(async move {
        e.wait().await;
        let pulse = c.cycle();
        assert!(!e.is_set());
        e.wait().await; // cleared: blocks until the next set
        let second = c.cycle();
        assert!(e.is_set());
        e.wait().await; // set: resolves at once
        (pulse, second, c.cycle(), e.times_set())
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), (3, 9, 9, 2));
}

#[test]
fn event_set_from_a_hook_wakes_waiters_next_cycle() {
    let mut sim = Sim::new(Reg::default());
    let ev = Event::new();
    let e = ev.clone();
    sim.add_hook(move |cycle, _| {
        if cycle == 4 {
            e.set();
        }
    });
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        ev.wait().await;
        ctx.cycle()
    });
    // The hook runs after the tasks of cycle 4; the waiter runs at the next scheduling point.
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), 5);
}

#[test]
fn first_of_picks_the_earlier_trigger() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ev = Event::new();
    let (c, e) = (ctx.clone(), ev.clone());
    sim.start_soon(async move {
        c.cycles(14).await;
        e.set();
    });
    let c = ctx.clone();
    let h = sim.start_soon(async move {
        let mut out = vec![];
        let r = first_of(c.cycles(5), c.cycles(3)).await;
        out.push((c.cycle(), r.is_left()));
        let r = first_of(c.cycles(2), c.cycles(9)).await;
        out.push((c.cycle(), r.is_left()));
        // Tie: the first argument wins.
        let r = first_of(c.cycles(4), c.cycles(4)).await;
        out.push((c.cycle(), r.is_left()));
        // Event (set at 14) against a long timer.
        let r = first_of(ev.wait(), c.cycles(100)).await;
        out.push((c.cycle(), r.is_left()));
        // The losers above (timers at 8+..., 109) must not wake this wait early.
        c.cycles(50).await;
        out.push((c.cycle(), true));
        let (i, ()) = first_of_many([c.cycles(7), c.cycles(2), c.cycles(5)]).await;
        out.push((c.cycle(), i == 1));
        out
    });
    let got = sim.run_until_complete(h, 1000).unwrap();
    assert_eq!(
        got,
        vec![
            (3, false),
            (5, true),
            (9, true),
            (14, true),
            (64, true),
            (66, true)
        ]
    );
}

#[test]
fn first_of_returns_the_winner_value() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        let c = ctx.clone();
        let slow = ctx.start_soon(async move {
            c.cycles(10).await;
            "slow"
        });
        let c = ctx.clone();
        let fast = ctx.start_soon(async move {
            c.cycles(4).await;
            4u32
        });
        match first_of(slow.join(), fast.join()).await {
            Either::Right(v) => (v, ctx.cycle(), slow.is_done()),
            Either::Left(_) => panic!("slow task won"),
        }
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), (4, 4, false));
}

#[test]
fn with_timeout_fires_and_passes_through() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ev = Event::new();
    let h = sim.start_soon(async move {
        let r1 = with_timeout(ctx.cycles(5), 10).await;
        let at1 = ctx.cycle();
        let r2 = with_timeout(ev.wait(), 10).await;
        let at2 = ctx.cycle();
        let r3 = ctx.with_timeout(ctx.cycles(3), 3).await; // tie: the future wins
        (r1, at1, r2, at2, r3)
    });
    let (r1, at1, r2, at2, r3) = sim.run_until_complete(h, 100).unwrap();
    assert_eq!((r1, at1), (Ok(()), 5));
    assert_eq!((r2, at2), (Err(Timeout { cycle: 15 }), 15));
    assert_eq!(r3, Ok(()));
}

#[test]
fn join_returns_values_including_of_finished_tasks() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let c = ctx.clone();
    let child = sim.start_soon(async move {
        c.cycles(10).await;
        42u64
    });
    let h = sim.start_soon(async move {
        let a = child.join().await;
        let at = ctx.cycle();
        let c = ctx.clone();
        let quick = ctx.start_soon(async move { c.cycle() * 2 });
        ctx.cycles(3).await;
        assert!(quick.is_done());
        (a, at, quick.await)
    });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), (42, 10, 20));
}

#[test]
fn run_until_complete_stops_at_max_cycles() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let h = sim.start_soon_named("sleeper", async move {
        ctx.cycles(1000).await;
    });
    match sim.run_until_complete(h.clone(), 100) {
        Err(SimError::MaxCycles { cycle, task }) => {
            assert_eq!(cycle, 100);
            assert!(task.contains("sleeper"), "{task}");
        }
        other => panic!("{other:?}"),
    }
    // It can be resumed.
    sim.run_until_complete(h, 1000).unwrap();
    assert_eq!(sim.cycle(), 1000);
}

#[test]
fn cancelled_tasks_stop() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ticks = Rc::new(Cell::new(0u32));
    let (c, t) = (ctx.clone(), ticks.clone());
    let looping = sim.start_soon(async move {
        loop {
            c.rising_edge().await;
            t.set(t.get() + 1);
        }
    });
    let l2 = looping.clone();
    let h = sim.start_soon(async move {
        ctx.cycles(5).await;
        l2.cancel();
        ctx.cycles(5).await;
    });
    sim.run_until_complete(h, 100).unwrap();
    // Started first, the looping task also ran at cycle 5 before the canceller; never after.
    assert_eq!(ticks.get(), 5);
    assert!(looping.is_cancelled());
    assert!(matches!(
        sim.run_until_complete(looping, 10),
        Err(SimError::Cancelled { .. })
    ));
}

#[test]
fn a_task_can_cancel_itself() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let me: Rc<RefCell<Option<usb3_tb::runtime::sched::JoinHandle<()>>>> = Rc::default();
    let me2 = me.clone();
    let c = ctx.clone();
    let h = sim.start_soon(async move {
        c.cycles(2).await;
        me2.borrow().as_ref().unwrap().cancel();
        // Reuse of the freed slot while this future is still running must be safe.
        let c2 = c.clone();
        c.start_soon(async move { c2.cycles(1).await });
        c.cycles(1).await;
        unreachable!("ran after cancelling itself");
    });
    *me.borrow_mut() = Some(h.clone());
    sim.run_cycles(10);
    assert!(h.is_cancelled());
    assert_eq!(sim.live_tasks(), 0);
}

#[test]
#[should_panic(expected = "task 'checker' panicked at cycle 7: boom at 7")]
fn a_panic_in_a_task_propagates_with_the_cycle() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    sim.start_soon_named("checker", async move {
        loop {
            ctx.rising_edge().await;
            let c = ctx.cycle();
            assert!(c < 7, "boom at {c}");
        }
    });
    sim.run_cycles(20);
}

#[test]
fn a_panic_in_the_dut_reports_the_cycle() {
    struct Bomb(u64);
    impl Dut for Bomb {
        fn tick(&mut self) {
            self.0 += 1;
            assert!(self.0 < 3, "bang");
        }
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sim = Sim::new(Bomb(0));
        sim.run_cycles(10);
    }));
    let msg = usb3_tb_panic_text(r.unwrap_err());
    assert!(
        msg.contains("ending cycle 3") && msg.contains("bang"),
        "{msg}"
    );
}

fn usb3_tb_panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn hooks_run_every_cycle_after_the_tasks() {
    let mut sim = Sim::new(Reg::default());
    let seen: Rc<RefCell<Vec<(u64, u32)>>> = Rc::default();
    let s2 = seen.clone();
    sim.add_hook(move |cycle, d| s2.borrow_mut().push((cycle, d.d)));
    let ctx = sim.ctx();
    sim.start_soon(async move {
        loop {
            ctx.with(|d| d.d = ctx.cycle() as u32 * 3);
            ctx.rising_edge().await;
        }
    });
    sim.run_cycles(3);
    sim.run_cycles(1);
    assert_eq!(
        *seen.borrow(),
        vec![(0, 0), (1, 3), (2, 6), (3, 9), (4, 12)]
    );
}

/// A minimal one-shot channel with its own Waker handling, as a future from another crate would be.
#[derive(Default)]
struct Oneshot {
    value: Cell<Option<u32>>,
    waker: RefCell<Option<Waker>>,
}

struct Recv(Rc<Oneshot>);

impl Future for Recv {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        match self.0.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                *self.0.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[test]
fn foreign_futures_are_woken_through_the_waker() {
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ch = Rc::new(Oneshot::default());
    let (c, tx) = (ctx.clone(), ch.clone());
    sim.start_soon(async move {
        c.cycles(6).await;
        tx.value.set(Some(99));
        if let Some(w) = tx.waker.borrow_mut().take() {
            w.wake();
        }
    });
    let h = sim.start_soon(async move { (Recv(ch).await, ctx.cycle()) });
    assert_eq!(sim.run_until_complete(h, 100).unwrap(), (99, 6));
}

#[test]
fn dropping_the_sim_frees_its_tasks() {
    let token = Rc::new(());
    {
        let mut sim = Sim::new(Reg::default());
        let ctx = sim.ctx();
        let t = token.clone();
        sim.start_soon(async move {
            let _t = t;
            loop {
                ctx.rising_edge().await;
            }
        });
        sim.run_cycles(3);
        assert_eq!(Rc::strong_count(&token), 2);
    }
    assert_eq!(Rc::strong_count(&token), 1);
}

#[test]
fn losers_of_many_races_do_not_pile_up() {
    // Every cycle a first_of between an event that never fires and an edge, plus a long timeout that loses:
    // stale registrations must be pruned (this would otherwise grow without bound), and the run stays fast.
    let mut sim = Sim::new(Reg::default());
    let ctx = sim.ctx();
    let ev = Event::new();
    let h = sim.start_soon(async move {
        let mut n = 0u32;
        for _ in 0..100_000 {
            if let Err(_t) = with_timeout(first_of(ev.wait(), ctx.rising_edge()), 1_000_000).await {
                unreachable!()
            }
            n += 1;
        }
        n
    });
    let t0 = Instant::now();
    assert_eq!(sim.run_until_complete(h, 200_000).unwrap(), 100_000);
    assert!(t0.elapsed().as_secs_f64() < 2.0, "{:?}", t0.elapsed());
}

// ------------------------------------------------------------------------------------------------
// Scheduler overhead
// ------------------------------------------------------------------------------------------------

struct Nop(u64);
impl Dut for Nop {
    fn tick(&mut self) {
        self.0 = self.0.wrapping_add(1);
    }
}

#[test]
fn scheduler_overhead_per_cycle() {
    const CYCLES: u64 = 1_000_000;
    let mut sim = Sim::new(Nop(0));
    let ctx = sim.ctx();
    let counter = Rc::new(Cell::new(0u64));
    for _ in 0..4 {
        let (c, n) = (ctx.clone(), counter.clone());
        sim.start_soon(async move {
            loop {
                c.rising_edge().await;
                n.set(n.get() + c.with(|d| d.0 & 1));
            }
        });
    }
    sim.add_hook(|_, _| {});
    sim.run_cycles(1000); // warm up
    let t0 = Instant::now();
    sim.run_cycles(CYCLES);
    let ns = t0.elapsed().as_nanos() as f64 / CYCLES as f64;
    println!("scheduler: 4 tasks on rising_edge + 1 hook, trivial DUT: {ns:.1} ns/cycle ({:.2} M cycles/s)", 1e3 / ns);
    assert!(counter.get() > 0);
    assert!(ns < 1000.0, "scheduler overhead {ns} ns/cycle");
}

// ------------------------------------------------------------------------------------------------
// VCD
// ------------------------------------------------------------------------------------------------

#[test]
fn vcd_file_round_trips_through_the_vcd_parser() {
    use vcd::{Command, Value};
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("harness_counter.vcd");
    {
        let mut sim = Sim::new(Reg::default());
        let mut vcd = VcdOut::create(&path).unwrap();
        let q = vcd.add(&["tb", "dut"], "q", 32);
        let lsb = vcd.add(&["tb", "dut"], "lsb", 1);
        let slow = vcd.add(&["tb", "dut"], "slow", 8);
        let kind = vcd.add_string(&["tb", "mon"], "kind");
        let never = vcd.add(&["tb"], "never", 4);
        let _ = never;
        sim.add_hook(move |cycle, d| {
            vcd.set_str(kind, if d.q % 2 == 0 { "EVEN" } else { "ODD Q" });
            vcd.sample(
                cycle,
                &[
                    (q, d.q as u64),
                    (lsb, d.q as u64 & 1),
                    (slow, d.q as u64 / 4),
                ],
            )
            .unwrap();
        });
        let ctx = sim.ctx();
        sim.start_soon(async move {
            loop {
                ctx.with(|d| d.d = d.q + 1);
                ctx.rising_edge().await;
            }
        });
        sim.run_cycles(10);
    } // the sim drops the hook, which drops (flushes) the writer
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("$dumpvars"), "{text}");
    let mut p = vcd::Parser::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let header = p.parse_header().unwrap();
    assert_eq!(header.timescale, Some((1, vcd::TimescaleUnit::NS)));
    let q = header.find_var(&["tb", "dut", "q"]).unwrap();
    assert_eq!(q.size, 32);
    let lsb = header.find_var(&["tb", "dut", "lsb"]).unwrap().code;
    let slow = header.find_var(&["tb", "dut", "slow"]).unwrap().code;
    let kind = header.find_var(&["tb", "mon", "kind"]).unwrap();
    assert_eq!(kind.var_type, vcd::VarType::String);
    let never = header.find_var(&["tb", "never"]).unwrap().code;
    let q = q.code;
    let to_u64 = |v: &vcd::Vector| v.iter().fold(0u64, |a, b| a << 1 | (b == Value::V1) as u64);
    let mut t = 0u64;
    let mut q_changes = vec![];
    let mut lsb_changes = vec![];
    let mut slow_changes = vec![];
    let mut kinds = vec![];
    let mut never_vals = vec![];
    for cmd in p {
        match cmd.unwrap() {
            Command::Timestamp(ts) => t = ts,
            Command::ChangeVector(id, v) if id == q => q_changes.push((t, to_u64(&v))),
            Command::ChangeVector(id, v) if id == slow => slow_changes.push((t, to_u64(&v))),
            Command::ChangeVector(id, v) if id == never => never_vals.push((t, v.get(0))),
            Command::ChangeScalar(id, v) if id == lsb => lsb_changes.push((t, v == Value::V1)),
            Command::ChangeString(id, s) if id == kind.code => kinds.push((t, s)),
            _ => {}
        }
    }
    let expect_q: Vec<(u64, u64)> = (0..=10).map(|c| (c * 8, c)).collect();
    assert_eq!(q_changes, expect_q);
    assert_eq!(
        lsb_changes,
        (0..=10).map(|c| (c * 8, c % 2 == 1)).collect::<Vec<_>>()
    );
    // Only changes are written: q/4 changes at cycles 0, 4, 8.
    assert_eq!(slow_changes, vec![(0, 0), (32, 1), (64, 2)]);
    assert_eq!(never_vals, vec![(0, Some(Value::X))]);
    assert_eq!(kinds.len(), 11);
    assert_eq!(kinds[0], (0, "EVEN".to_string()));
    assert_eq!(kinds[1], (8, "ODD_Q".to_string()));
}

#[test]
fn vcd_in_memory_header_and_same_time_samples() {
    let mut vcd = VcdOut::new(Vec::new());
    let a = vcd.add(&[], "a", 1);
    let b = vcd.add(&["x", "y"], "b", 64);
    vcd.sample(0, &[(a, 1), (b, u64::MAX)]).unwrap();
    vcd.sample(0, &[(a, 0)]).unwrap(); // same time: no second #0
    vcd.sample(1, &[(a, 0), (b, u64::MAX)]).unwrap(); // nothing changed: no #8
    vcd.sample(2, &[(b, 5)]).unwrap();
    let text = String::from_utf8(vcd.into_inner().unwrap()).unwrap();
    assert_eq!(text.matches("#0\n").count(), 1, "{text}");
    assert!(!text.contains("#8\n"), "{text}");
    assert!(text.contains("#16\nb101 "), "{text}");
    assert!(text.contains("$var wire 64 \" b [63:0] $end"), "{text}");
    assert!(text.contains("$scope module top $end"), "{text}");
    assert!(text.contains(&format!("b{} \"", "1".repeat(64))), "{text}");
}

// ------------------------------------------------------------------------------------------------
// Seeds
// ------------------------------------------------------------------------------------------------

#[test]
fn seeds_are_deterministic_and_parse() {
    assert_eq!(default_seed("a"), default_seed("a"));
    assert_ne!(default_seed("a"), default_seed("b"));
    assert_eq!(parse_seed("1234"), Some(1234));
    assert_eq!(parse_seed("0xdead_BEEF"), Some(0xdead_beef));
    assert_eq!(parse_seed("zz"), None);
    if std::env::var("USB3_SEED").is_err() {
        assert_eq!(test_seed("x"), default_seed("x"));
    }
    let r = SeedReport::new("seeds_are_deterministic_and_parse", 0x2a);
    let cmd = r.replay_command();
    assert!(
        cmd.starts_with("USB3_SEED=0x2a cargo test --release -p usb3-tb --test harness -- "),
        "{cmd}"
    );
    use rand::Rng;
    let a: u64 = r.rng().gen();
    let b: u64 = r.rng().gen();
    assert_eq!(a, b);
}

// ------------------------------------------------------------------------------------------------
// rust-hdl adapter
// ------------------------------------------------------------------------------------------------

/// A 32-bit counter with enable and synchronous reset, plus a few registers fed from it.
#[derive(LogicBlock, Default)]
struct Counter {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub enable: Signal<In, Bit>,
    pub count: Signal<Out, Bits<32>>,
    pub mix: Signal<Out, Bits<32>>,
    pub odd: Signal<Out, Bit>,
    cnt: DFF<Bits<32>>,
    r1: DFF<Bits<32>>,
    r2: DFF<Bits<32>>,
    flag: DFF<Bit>,
}

impl Logic for Counter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cnt, r1, r2, flag);
        if self.enable.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
        }
        self.r1.d.next = self.cnt.q.val() ^ self.r2.q.val();
        self.r2.d.next = self.r1.q.val() + 3;
        self.flag.d.next = self.cnt.q.val().get_bit(0);
        if self.reset.val() {
            self.cnt.d.next = 0.into();
            self.r1.d.next = 0.into();
            self.r2.d.next = 0.into();
            self.flag.d.next = false;
        }
        self.count.next = self.cnt.q.val();
        self.mix.next = self.r2.q.val();
        self.odd.next = self.flag.q.val();
    }
}

fn counter() -> Counter {
    let mut c = Counter::default();
    c.clock.connect();
    c.reset.connect();
    c.enable.connect();
    c
}

/// The same counter as a reference model.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct CounterModel {
    cnt: u32,
    r1: u32,
    r2: u32,
    flag: bool,
}

impl CounterModel {
    fn step(&mut self, reset: bool, enable: bool) {
        let s = *self;
        if reset {
            *self = Self::default();
            return;
        }
        if enable {
            self.cnt = s.cnt.wrapping_add(1);
        }
        self.r1 = s.cnt ^ s.r2;
        self.r2 = s.r1.wrapping_add(3);
        self.flag = s.cnt & 1 == 1;
    }
}

fn outputs(d: &HdlDut<Counter>) -> CounterModel {
    CounterModel {
        cnt: d.count.val().to_u32(),
        r1: d.r1.q.val().to_u32(),
        r2: d.mix.val().to_u32(),
        flag: d.odd.val(),
    }
}

#[test]
fn rust_hdl_counter_counts_and_resets_through_the_scheduler() {
    for mode in [ClockMode::MergedFall, ClockMode::Full] {
        let dut = HdlDut::new(counter(), |c| &mut c.clock)
            .unwrap()
            .with_mode(mode);
        let mut sim = Sim::new(dut);
        let ctx: Ctx<HdlDut<Counter>> = sim.ctx();
        let report =
            SeedReport::for_test("rust_hdl_counter_counts_and_resets_through_the_scheduler");
        let mut rng = report.rng();
        let h = sim.start_soon(async move {
            use rand::Rng;
            // Reset for 2 cycles, then run with enable on; check the count cycle by cycle.
            ctx.with(|d| {
                d.reset.next = true;
                d.enable.next = true;
            });
            ctx.cycles(2).await;
            assert_eq!(ctx.with(|d| d.count.val().to_u32()), 0);
            ctx.with(|d| d.reset.next = false);
            let mut model = ctx.with(|d| outputs(d));
            for i in 0..500u32 {
                let reset = rng.gen_ratio(1, 50);
                let enable = rng.gen_ratio(3, 4);
                ctx.with(|d| {
                    d.reset.next = reset;
                    d.enable.next = enable;
                });
                ctx.rising_edge().await;
                model.step(reset, enable);
                assert_eq!(
                    ctx.with(|d| outputs(d)),
                    model,
                    "cycle {} (step {i})",
                    ctx.cycle()
                );
            }
            // Plain counting: 100 enabled cycles after a reset count to 100.
            ctx.with(|d| d.reset.next = true);
            ctx.rising_edge().await;
            ctx.with(|d| d.reset.next = false);
            ctx.with(|d| d.enable.next = true);
            ctx.cycles(100).await;
            ctx.with(|d| d.count.val().to_u32())
        });
        assert_eq!(sim.run_until_complete(h, 10_000).unwrap(), 100, "{mode:?}");
        let stats = sim.with(|d| d.stats());
        assert_eq!(stats.cycles, sim.cycle());
        drop(report);
    }
}

#[test]
fn rust_hdl_counter_wraps() {
    let mut dut = HdlDut::new(counter(), |c| &mut c.clock).unwrap();
    dut.enable.next = true;
    dut.reset.next = true;
    dut.clock_cycle();
    dut.reset.next = false;
    for _ in 0..5 {
        dut.clock_cycle();
    }
    assert_eq!(dut.count.val().to_u32(), 5);
    // The free function is the reference sequence.
    let mut c = counter();
    c.connect_all();
    c.enable.next = true;
    for _ in 0..7 {
        clock_cycle(&mut c, |c| &mut c.clock);
    }
    assert_eq!(c.count.val().to_u32(), 7);
}

/// A combinational oscillator when enabled: `x = !x`.
#[derive(LogicBlock, Default)]
struct Ring {
    pub clock: Signal<In, Clock>,
    pub en: Signal<In, Bit>,
    pub x: Signal<Out, Bit>,
}

impl Logic for Ring {
    #[hdl_gen]
    fn update(&mut self) {
        self.x.next = self.x.val();
        if self.en.val() {
            self.x.next = !self.x.val();
        }
    }
}

#[test]
#[should_panic(
    expected = "did not settle within 50 update passes (combinational loop?) (settling inputs"
)]
fn a_design_that_does_not_settle_panics_clearly() {
    let mut r = Ring::default();
    r.clock.connect();
    r.en.connect();
    let mut d = HdlDut::new_unchecked(r, |r| &mut r.clock).with_max_passes(50);
    d.clock_cycle();
    d.en.next = true;
    d.clock_cycle();
}

#[test]
fn merged_fall_matches_full_cycles_exactly() {
    let mut a = HdlDut::new(counter(), |c| &mut c.clock)
        .unwrap()
        .with_mode(ClockMode::Full);
    let mut b = HdlDut::new(counter(), |c| &mut c.clock)
        .unwrap()
        .with_mode(ClockMode::MergedFall);
    let mut rng = usb3_tb::runtime::seed::rng(test_seed("merged_fall_matches_full_cycles_exactly"));
    use rand::Rng;
    for _ in 0..2000 {
        let (r, e) = (rng.gen_ratio(1, 30), rng.gen_bool(0.7));
        for d in [&mut a, &mut b] {
            d.reset.next = r;
            d.enable.next = e;
            d.clock_cycle();
        }
        assert_eq!(outputs(&a), outputs(&b));
    }
}

/// A deeper design for the speed numbers: the counter (as a sub-block) feeding a 256-entry rust-hdl FIFO,
/// and a 32-bit CRC-like XOR register over the FIFO's output.
#[derive(LogicBlock, Default)]
struct Pipe {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub read: Signal<In, Bit>,
    pub data: Signal<Out, Bits<32>>,
    pub empty: Signal<Out, Bit>,
    pub check: Signal<Out, Bits<32>>,
    counter: Counter,
    fifo: SynchronousFIFO<Bits<32>, 8, 9, 1>,
    acc: DFF<Bits<32>>,
}

impl Logic for Pipe {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, counter, fifo);
        dff_setup!(self, clock, acc);
        self.counter.reset.next = self.reset.val();
        self.counter.enable.next = !self.fifo.full.val();
        self.fifo.data_in.next = self.counter.count.val();
        self.fifo.write.next = !self.fifo.full.val() & !self.reset.val();
        self.fifo.read.next = self.read.val() & !self.fifo.empty.val();
        self.data.next = self.fifo.data_out.val();
        self.empty.next = self.fifo.empty.val();
        if self.read.val() & !self.fifo.empty.val() {
            self.acc.d.next =
                (self.acc.q.val() ^ self.fifo.data_out.val()) + self.counter.mix.val();
        }
        if self.reset.val() {
            self.acc.d.next = 0.into();
        }
        self.check.next = self.acc.q.val();
    }
}

fn pipe() -> HdlDut<Pipe> {
    let mut p = Pipe::default();
    p.clock.connect();
    p.reset.connect();
    p.read.connect();
    HdlDut::new(p, |p| &mut p.clock).unwrap()
}

#[test]
fn rust_hdl_fifo_pipe_delivers_the_count_in_order() {
    let mut sim = Sim::new(pipe());
    let ctx = sim.ctx();
    let h = sim.start_soon(async move {
        ctx.with(|d| d.reset.next = true);
        ctx.cycles(2).await;
        ctx.with(|d| d.reset.next = false);
        ctx.cycles(300).await; // let the FIFO fill up
        assert!(!ctx.with(|d| d.empty.val()));
        let mut got = vec![];
        let mut rng = usb3_tb::runtime::seed::rng(7);
        use rand::Rng;
        while got.len() < 1000 {
            // Sample the head before the edge that pops it (first-word-fall-through).
            let read = rng.gen_bool(0.6);
            let (empty, head) = ctx.with(|d| {
                d.read.next = read;
                d.settle();
                (d.empty.val(), d.data.val().to_u32())
            });
            ctx.rising_edge().await;
            if read && !empty {
                got.push(head);
            }
        }
        got
    });
    let got = sim.run_until_complete(h, 100_000).unwrap();
    assert_eq!(got, (0..1000).collect::<Vec<u32>>());
}

/// Cycles/s of `clock_cycle` on `dut` (best of `rounds` runs of `cycles`, to ride out other processes), with
/// the per-cycle pass counts of the last run.
fn bench_dut<B: Block>(
    label: &str,
    make: impl Fn() -> HdlDut<B>,
    drive: impl Fn(&mut HdlDut<B>, u64),
    cycles: u64,
    rounds: usize,
) -> f64 {
    let mut best = 0f64;
    let mut last = None;
    for _ in 0..rounds {
        let mut dut = make();
        let t0 = Instant::now();
        for i in 0..cycles {
            drive(&mut dut, i);
            dut.clock_cycle();
        }
        best = best.max(cycles as f64 / t0.elapsed().as_secs_f64());
        last = Some(dut.stats());
    }
    let s = last.unwrap();
    let per = |x: u64| x as f64 / s.cycles as f64;
    println!(
        "{label}: {:>5.0} k cycles/s; per cycle {:.0} settles, {:.2} passes (before edge {:.2}, rise {:.2}, fall {:.2}); max {}/settle",
        best / 1e3,
        per(s.settles),
        per(s.passes),
        per(s.phase_passes[0]),
        per(s.phase_passes[1]),
        per(s.phase_passes[2]),
        s.max_passes
    );
    best
}

const MODES: [(&str, ClockMode); 2] = [
    ("Full      ", ClockMode::Full),
    ("MergedFall", ClockMode::MergedFall),
];

#[test]
fn rust_hdl_adapter_speed() {
    let mut rates = vec![];
    for (name, mode) in MODES {
        let r = bench_dut(
            &format!("counter {name}"),
            || {
                HdlDut::new(counter(), |c| &mut c.clock)
                    .unwrap()
                    .with_mode(mode)
            },
            |d, i| {
                d.enable.next = true;
                d.reset.next = i % 1000 == 999;
            },
            100_000,
            5,
        );
        rates.push(r);
    }
    for (name, mode) in MODES {
        let r = bench_dut(
            &format!("pipe    {name}"),
            || pipe().with_mode(mode),
            |d, i| {
                d.reset.next = i.is_multiple_of(10_000);
                d.read.next = !i.is_multiple_of(3);
            },
            30_000,
            5,
        );
        rates.push(r);
    }

    // Through the scheduler, with a driver task, a monitor task and a hook.
    const N: u64 = 100_000;
    let mut best = 0f64;
    for _ in 0..5 {
        let mut sim = Sim::new(pipe());
        let ctx = sim.ctx();
        let c = ctx.clone();
        sim.start_soon(async move {
            let mut i = 0u64;
            loop {
                c.with(|d| {
                    d.reset.next = i.is_multiple_of(10_000);
                    d.read.next = !i.is_multiple_of(3);
                });
                i += 1;
                c.rising_edge().await;
            }
        });
        let sum = Rc::new(Cell::new(0u64));
        let s2 = sum.clone();
        sim.start_soon(async move {
            loop {
                ctx.rising_edge().await;
                s2.set(s2.get().wrapping_add(ctx.with(|d| d.check.val().to_u64())));
            }
        });
        sim.add_hook(|_, _| {});
        let t0 = Instant::now();
        sim.run_cycles(N);
        best = best.max(N as f64 / t0.elapsed().as_secs_f64());
        assert!(sum.get() > 0);
    }
    println!(
        "pipe in Sim, default mode, 2 tasks + hook: {:>5.0} k cycles/s",
        best / 1e3
    );

    // For comparison: rust-hdl's own threaded Simulation on the same design and stimulus.
    const R: u64 = 5_000;
    let mut rsim: Simulation<Pipe> = Simulation::new();
    rsim.add_clock(4000, |x: &mut Box<Pipe>| x.clock.next = !x.clock.val());
    rsim.add_testbench(move |mut sim: rust_hdl::core::simulate::Sim<Pipe>| {
        let mut x = sim.init()?;
        for i in 0..R {
            x.reset.next = i % 10_000 == 0;
            x.read.next = i % 3 != 0;
            wait_clock_cycle!(sim, clock, x);
        }
        sim.done(x)
    });
    let mut p = Pipe::default();
    p.clock.connect();
    p.reset.connect();
    p.read.connect();
    let t0 = Instant::now();
    rsim.run(Box::new(p), u64::MAX).unwrap();
    let threaded = R as f64 / t0.elapsed().as_secs_f64();
    println!(
        "pipe in rust-hdl's threaded Simulation   : {:>5.0} k cycles/s",
        threaded / 1e3
    );
    // Loose floor so CI on a slow machine still passes; the point is the printout.
    // Speed targets live in the criterion benchmarks, not in tests: this only prints the figures.
    assert!(best > 0.0 && rates.iter().all(|&r| r > 0.0), "{rates:?}");
}
