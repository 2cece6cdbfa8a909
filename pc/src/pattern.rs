//! The board's counter pattern (`boards/stratix10-gx-devkit/rtl/usb3_board_app.v`): 32-bit little-endian words
//! 0, 1, 2, ...: byte 4n + i of the stream is byte i of word n.

/// Byte `offset` of the pattern from word 0.
pub fn pattern_byte(offset: u64) -> u8 {
    ((offset / 4) as u32).to_le_bytes()[(offset % 4) as usize]
}

/// `len` bytes of the pattern from byte `offset`.
pub fn pattern_bytes(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| pattern_byte(offset + i)).collect()
}

/// A mismatch: where (byte offset of the word in the checked stream), the word expected and the word received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub offset: u64,
    pub expected: u32,
    pub got: u32,
}

/// Checks a received stream of the counter pattern. Self-synchronising, as the board's counter runs on between
/// runs: the first word sets the expectation, each next word must be the last plus 1 (a mismatch counts and the
/// check goes on from the word received). Bytes may arrive in any chunks; [`CounterCheck::resync`] starts afresh
/// (after a recovery that lost bytes by design).
#[derive(Clone, Debug, Default)]
pub struct CounterCheck {
    partial: Vec<u8>,
    expect: Option<u32>,
    /// Bytes taken, whole words checked, mismatches, the first one.
    pub bytes: u64,
    pub words: u64,
    pub errors: u64,
    pub first_error: Option<Mismatch>,
    /// The first word received (where the board's counter stood).
    pub first_word: Option<u32>,
    pub last_word: Option<u32>,
}

impl CounterCheck {
    pub fn push(&mut self, data: &[u8]) {
        for &b in data {
            self.partial.push(b);
            self.bytes += 1;
            if self.partial.len() == 4 {
                let w = u32::from_le_bytes([
                    self.partial[0],
                    self.partial[1],
                    self.partial[2],
                    self.partial[3],
                ]);
                self.partial.clear();
                if let Some(e) = self.expect {
                    if w != e {
                        self.errors += 1;
                        self.first_error.get_or_insert(Mismatch {
                            offset: self.bytes - 4,
                            expected: e,
                            got: w,
                        });
                    }
                }
                self.first_word.get_or_insert(w);
                self.last_word = Some(w);
                self.expect = Some(w.wrapping_add(1));
                self.words += 1;
            }
        }
    }

    /// Forget the expectation and any partial word: the next whole word starts the check again.
    pub fn resync(&mut self) {
        self.partial.clear();
        self.expect = None;
    }

    pub fn ok(&self) -> bool {
        self.errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_little_endian_words() {
        assert_eq!(pattern_bytes(0, 8), [0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(pattern_bytes(4 * 0x0102_0304, 4), [4, 3, 2, 1]);
        assert_eq!(pattern_byte(6), 0);
    }

    #[test]
    fn the_check_follows_the_count_in_any_chunks_and_names_a_gap() {
        let mut c = CounterCheck::default();
        let s = pattern_bytes(4 * 1000, 4096);
        for chunk in s.chunks(7) {
            c.push(chunk);
        }
        assert!(
            c.ok() && c.words == 1024 && c.first_word == Some(1000) && c.last_word == Some(2023)
        );
        // A lost word: one mismatch, named, and the check goes on from there.
        c.push(&pattern_bytes(4 * 2025, 8));
        assert_eq!(c.errors, 1);
        assert_eq!(
            c.first_error,
            Some(Mismatch {
                offset: 4096,
                expected: 2024,
                got: 2025
            })
        );
        c.push(&pattern_bytes(4 * 2027, 4));
        assert_eq!(c.errors, 1);
        // After a resync a jump is fine.
        c.resync();
        c.push(&pattern_bytes(4 * 9000, 8));
        assert_eq!(c.errors, 1);
    }
}
