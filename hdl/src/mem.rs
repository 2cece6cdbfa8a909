//! Memories written as custom blocks: a Vec-backed simulation model (rust-hdl's own `RAM` keeps a `BTreeMap`,
//! slow for a 16 KiB packet buffer) and the Verilog idiom Quartus infers as block RAM (M20K) or MLAB.
//!
//! Memories have no reset: their contents are never read before the controlling logic (which does have a
//! synchronous reset) has written them.

use rust_hdl::prelude::*;

/// Simple dual-port RAM, 32-bit words, `depth` deep (a power of two, at most `2^AW`; addresses are taken modulo
/// `depth`), one write port and one registered read port on the same clock. Read-during-write of the same address returns the old word (as Verilog nonblocking assignment does).
/// `read_data` shows `mem[read_address]` as it was at the last rising edge.
#[derive(LogicBlock)]
pub struct WordRam<const AW: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<AW>>,
    pub read_data: Signal<Out, Bits<32>>,
    pub write_address: Signal<In, Bits<AW>>,
    pub write_data: Signal<In, Bits<32>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<u32>,
}

impl<const AW: usize> Default for WordRam<AW> {
    fn default() -> Self {
        WordRam::new(1 << AW)
    }
}

impl<const AW: usize> WordRam<AW> {
    pub fn new(depth: usize) -> Self {
        assert!(
            depth.is_power_of_two() && depth <= 1 << AW,
            "WordRam depth {depth} is not a power of two that fits {AW} address bits"
        );
        WordRam {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _mem: vec![0; depth],
        }
    }
}

impl<const AW: usize> Logic for WordRam<AW> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let n = self._mem.len();
            self.read_data.next = (self._mem[self.read_address.val().index() % n] as u64).into();
            if self.write_enable.val() {
                self._mem[self.write_address.val().index() % n] = self.write_data.val().to_u32();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "// simple dual-port RAM, {depth} x 32, registered read (old data on read-during-write), addresses mod {depth}
reg [31:0] mem [0:{last}];
always @(posedge clock) begin
    if (write_enable) mem[write_address % {depth}] <= write_data;
    read_data <= mem[read_address % {depth}];
end
",
            depth = self._mem.len(),
            last = self._mem.len() - 1
        ))
    }
}

/// Register file, `DW`-bit entries, `2^AW` deep: one write port on the clock, one combinational read port.
/// For small tables (per-packet lengths); Quartus maps it to MLAB or registers.
#[derive(LogicBlock)]
pub struct RegFile<const DW: usize, const AW: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<AW>>,
    pub read_data: Signal<Out, Bits<DW>>,
    pub write_address: Signal<In, Bits<AW>>,
    pub write_data: Signal<In, Bits<DW>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<u64>,
}

impl<const DW: usize, const AW: usize> Default for RegFile<DW, AW> {
    fn default() -> Self {
        assert!(DW <= 64, "RegFile entries are at most 64 bits");
        RegFile {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _mem: vec![0; 1 << AW],
        }
    }
}

impl<const DW: usize, const AW: usize> Logic for RegFile<DW, AW> {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.write_enable.val() {
            self._mem[self.write_address.val().index()] = self.write_data.val().to_u64();
        }
        self.read_data.next = self._mem[self.read_address.val().index()].into();
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "// register file, {depth} x {dw}, combinational read
reg [{msb}:0] mem [0:{last}];
always @(posedge clock) begin
    if (write_enable) mem[write_address] <= write_data;
end
always @(*) read_data = mem[read_address];
",
            depth = 1usize << AW,
            dw = DW,
            msb = DW - 1,
            last = (1usize << AW) - 1
        ))
    }
}

/// Read-only memory, 32-bit words, `2^AW` addresses, contents fixed at elaboration; one registered read port
/// (`read_data` shows `rom[read_address]` as it was addressed at the last rising edge; addresses past the
/// contents read 0). Written as a `case` in a clocked `always` block, which Quartus infers as a ROM (M20K or
/// logic) and which needs no `initial` block.
#[derive(LogicBlock)]
pub struct WordRom<const AW: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<AW>>,
    pub read_data: Signal<Out, Bits<32>>,
    _rom: Vec<u32>,
}

impl<const AW: usize> WordRom<AW> {
    /// `words` become addresses `0..words.len()`; panics if they do not fit `AW` address bits.
    pub fn new(words: Vec<u32>) -> Self {
        assert!(
            words.len() <= 1 << AW,
            "WordRom: {} words do not fit {AW} address bits",
            words.len()
        );
        WordRom {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            _rom: words,
        }
    }
}

impl<const AW: usize> Default for WordRom<AW> {
    fn default() -> Self {
        WordRom::new(vec![])
    }
}

impl<const AW: usize> Logic for WordRom<AW> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.read_address.val().index();
            self.read_data.next = (self._rom.get(a).copied().unwrap_or(0) as u64).into();
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut cases = String::new();
        for (i, w) in self._rom.iter().enumerate() {
            cases.push_str(&format!("        {AW}'d{i}: read_data <= 32'h{w:08x};\n"));
        }
        Verilog::Custom(format!(
            "// ROM, {n} x 32 (of {depth} addresses), registered read, contents fixed at elaboration
always @(posedge clock) begin
    case (read_address)
{cases}        default: read_data <= 32'h00000000;
    endcase
end
",
            n = self._rom.len(),
            depth = 1usize << AW,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle<B: Block>(b: &mut B) {
        b.update_all();
        while b.has_changed() {
            b.update_all();
        }
    }

    fn edge<B: Block>(b: &mut B, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
        clk(b).next = false.into();
        settle(b);
        clk(b).next = true.into();
        settle(b);
    }

    #[test]
    fn word_ram_registered_read_old_data_on_collision() {
        let mut r = WordRam::<4>::default();
        r.connect_all();
        r.write_address.next = 3.into();
        r.write_data.next = 0xDEAD_BEEF_u64.into();
        r.write_enable.next = true;
        r.read_address.next = 3.into();
        edge(&mut r, |b| &mut b.clock);
        assert_eq!(
            r.read_data.val().to_u32(),
            0,
            "old data on read-during-write"
        );
        r.write_enable.next = false;
        edge(&mut r, |b| &mut b.clock);
        assert_eq!(r.read_data.val().to_u32(), 0xDEAD_BEEF);
        r.read_address.next = 4.into();
        settle(&mut r);
        assert_eq!(
            r.read_data.val().to_u32(),
            0xDEAD_BEEF,
            "read is registered"
        );
        edge(&mut r, |b| &mut b.clock);
        assert_eq!(r.read_data.val().to_u32(), 0);
    }

    #[test]
    fn reg_file_combinational_read() {
        let mut r = RegFile::<11, 3>::default();
        r.connect_all();
        r.write_address.next = 5.into();
        r.write_data.next = 1024.into();
        r.write_enable.next = true;
        edge(&mut r, |b| &mut b.clock);
        r.write_enable.next = false;
        r.read_address.next = 5.into();
        settle(&mut r);
        assert_eq!(r.read_data.val().to_u32(), 1024);
        r.read_address.next = 4.into();
        settle(&mut r);
        assert_eq!(r.read_data.val().to_u32(), 0);
    }

    #[test]
    fn word_rom_registered_read() {
        let mut r = WordRom::<4>::new(vec![0x11, 0x2222_2222, 0x33]);
        r.connect_all();
        r.read_address.next = 1.into();
        settle(&mut r);
        assert_eq!(r.read_data.val().to_u32(), 0, "read is registered");
        edge(&mut r, |b| &mut b.clock);
        assert_eq!(r.read_data.val().to_u32(), 0x2222_2222);
        r.read_address.next = 9.into();
        edge(&mut r, |b| &mut b.clock);
        assert_eq!(r.read_data.val().to_u32(), 0, "past the contents: 0");
    }
}
