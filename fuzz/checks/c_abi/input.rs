//! Decoding of fuzz input into the values the C ABI checks pass: bytes are consumed from
//! the front, and an exhausted input yields zeros, so every byte string is a valid case.

/// Values above every limit of the C ABI (`LUMEN_MAX_*`, the thread cap, the memory a
/// process can have): a call given one must refuse it before doing any work.
const HUGE: [usize; 8] =
    [usize::MAX, usize::MAX / 2 + 1, usize::MAX / 3, 1 << 32, (1 << 32) + 1, 1 << 40, (1 << 20) + 1, (1 << 28) + 1];

/// Doubles that options must reject or handle: non-finite, negative, tiny and huge.
const SPECIAL_DOUBLES: [f64; 8] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0, 1e-300, 1e300, 0.5];

/// Fuzz input read front to back.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte (0 once the input is exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    /// The next four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The next eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Whether the next byte is odd.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// True for about one byte in `n` (the low ones).
    pub fn one_in(&mut self, n: u8) -> bool {
        u16::from(self.byte()) * u16::from(n) < 256
    }

    /// A count: usually at most `small_max` (cheap work when the call is valid), sometimes
    /// a value above every limit (which the call must refuse before working).
    pub fn count(&mut self, small_max: usize) -> usize {
        let tag = self.byte();
        if tag >= 0xf0 {
            HUGE[usize::from(tag & 7)]
        } else {
            usize::from(tag) % (small_max + 1)
        }
    }

    /// An enum-like `u32`: usually below `known` (a documented value), sometimes any value.
    pub fn choice(&mut self, known: u32) -> u32 {
        let tag = self.byte();
        if tag >= 0xf0 {
            self.u32()
        } else {
            u32::from(tag) % known
        }
    }

    /// A `struct_size`: usually `correct`, sometimes 0, one byte off or any value.
    pub fn struct_size(&mut self, correct: usize) -> usize {
        match self.byte() {
            0xfc => 0,
            0xfd => correct - 1,
            0xfe => correct + 1,
            0xff => self.u64() as usize,
            _ => correct,
        }
    }

    /// A float: usually a small finite value, sometimes NaN or infinite.
    pub fn float(&mut self) -> f32 {
        match self.byte() {
            0xfd => f32::NAN,
            0xfe => f32::INFINITY,
            0xff => f32::MAX,
            tag => (f32::from(tag) - 120.0) / 16.0,
        }
    }

    /// A double: usually in [0, 1], sometimes a special value.
    pub fn double(&mut self) -> f64 {
        let tag = self.byte();
        if tag >= 0xf0 {
            SPECIAL_DOUBLES[usize::from(tag & 7)]
        } else {
            f64::from(tag) / 239.0
        }
    }

    /// Up to `max` floats.
    pub fn floats(&mut self, max: usize) -> Vec<f32> {
        let len = usize::from(self.byte()) % (max + 1);
        (0..len).map(|_| self.float()).collect()
    }

    /// Exactly `len` floats.
    pub fn floats_of(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.float()).collect()
    }

    /// Up to `max` indices, each usually below `bound`.
    pub fn indices(&mut self, max: usize, bound: u32) -> Vec<u32> {
        let len = usize::from(self.byte()) % (max + 1);
        (0..len).map(|_| self.choice(bound.max(1))).collect()
    }
}
