//! The application behind the device's bulk endpoints: the byte stream both directions carry (a function of the
//! seed and the byte offset, so a scoreboard regenerates it instead of storing it), and the IN source's beats.

/// The byte at `offset` of the application's stream.
pub fn stream_byte(seed: u64, offset: u64) -> u8 {
    (stream_word(seed, offset / 4) >> (8 * (offset % 4))) as u8
}

/// The stream's `n` (0..=4) bytes from `offset`, as a little-endian beat of the application's 32-bit port.
pub fn stream_beat(seed: u64, offset: u64, n: u8) -> u32 {
    (0..n as u64).fold(0u32, |w, i| {
        w | (stream_byte(seed, offset + i) as u32) << (8 * i)
    })
}

/// Word `w` of the application's stream (bytes 4w..4w+3, little-endian).
pub fn stream_word(seed: u64, w: u64) -> u32 {
    let mut x = w.wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) as u32
}

/// How the application offers data: `words_on` words, then `cycles_off` idle cycles, repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppPacing {
    pub words_on: u32,
    pub cycles_off: u32,
}

/// The application's beats, generated as they are offered (constant memory for any transfer size): transfers of
/// (bytes, whether a zero-length packet follows a multiple of 1024), each ending with `last`.
pub struct AppPlan {
    pub transfers: Vec<(u64, bool)>,
    pub t: usize,
    /// Bytes of transfer `t` offered, and its first byte's offset in the stream.
    pub sent: u64,
    pub base: u64,
}

impl AppPlan {
    pub fn needs_zlp(len: u64, zlp: bool) -> bool {
        len == 0 || (zlp && len % 1024 == 0)
    }

    /// The next beat: (stream offset of its byte 0, bytes 0..=4, last).
    pub fn peek(&self) -> Option<(u64, u8, bool)> {
        let &(len, zlp) = self.transfers.get(self.t)?;
        let left = len - self.sent;
        if left > 0 {
            let n = left.min(4);
            Some((
                self.base + self.sent,
                n as u8,
                left == n && !AppPlan::needs_zlp(len, zlp),
            ))
        } else {
            Some((self.base + len, 0, true))
        }
    }

    pub fn advance(&mut self) {
        let Some(&(len, zlp)) = self.transfers.get(self.t) else {
            return;
        };
        let left = len - self.sent;
        self.sent += left.min(4);
        if left == 0 || (self.sent == len && !AppPlan::needs_zlp(len, zlp)) {
            self.t += 1;
            self.base += len;
            self.sent = 0;
        }
    }
}

/// The stream's scoreboard: bytes in arrival order against the stream seeded `seed`, from offset 0. Nothing
/// lost, duplicated or reordered means every byte matched and the count is the stream's length.
#[derive(Clone, Debug)]
pub struct StreamScoreboard {
    seed: u64,
    checked: u64,
    mismatched: u64,
    first_mismatch: Option<u64>,
}

impl StreamScoreboard {
    pub fn new(seed: u64) -> StreamScoreboard {
        StreamScoreboard {
            seed,
            checked: 0,
            mismatched: 0,
            first_mismatch: None,
        }
    }

    /// Bytes that arrived, next in the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b != stream_byte(self.seed, self.checked) {
                self.mismatched += 1;
                self.first_mismatch.get_or_insert(self.checked);
            }
            self.checked += 1;
        }
    }

    /// `n` bytes of the stream lost by design (an xHCI babble): the stream goes on after them.
    pub fn skip(&mut self, n: u64) {
        self.checked += n;
    }

    /// Stream offset reached (bytes checked or skipped).
    pub fn checked(&self) -> u64 {
        self.checked
    }

    pub fn mismatched(&self) -> u64 {
        self.mismatched
    }

    /// Every byte of a `len`-byte stream arrived once and in order.
    pub fn complete(&self, len: u64) -> Result<(), String> {
        if let Some(at) = self.first_mismatch {
            return Err(format!(
                "{} bytes differ from the stream, the first at offset {at}",
                self.mismatched
            ));
        }
        if self.checked != len {
            return Err(format!(
                "{} bytes arrived, the stream has {len}",
                self.checked
            ));
        }
        Ok(())
    }
}
