//! Row-keyed random streams: the draws that explain a row come from the call's seed and
//! the row's key, never from the row's position in the call or the thread that ran it. So
//! one applicant explained alone, in last night's batch of a million, or in any partition
//! of that batch gets the same bits.
//!
//! A row's key is the caller's (`row_keys` of the call control: an application id, say),
//! else a stable hash of the row's own input values. Keys and streams are SipHash-2-4 with
//! fixed keys, so they are the same on every platform, thread count and release.

use std::hash::Hasher;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use siphasher::sip::SipHasher24;

use super::call_control;
use super::Engine;
use crate::element::Element;
use crate::error::{Error, Result};

/// SipHash keys of Lumen's row keys and streams (the ASCII of "lumen.rowkeys.v1"): part of
/// the reproducibility contract, never to change.
const SIP_KEYS: (u64, u64) = (0x6c75_6d65_6e2e_726f, 0x776b_6579_732e_7631);

/// Domain tags, so a key hashed from values never equals one hashed from an id by design.
const VALUES_TAG: u64 = 1;
const BYTES_TAG: u64 = 2;
const STREAM_TAG: u64 = 3;

/// The row key of an identifier's bytes (an application id as UTF-8, say): what every
/// binding and the CLI's `--id-column` use, so one id gives one key everywhere.
pub fn row_key_of_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(SIP_KEYS.0, SIP_KEYS.1);
    hasher.write_u64(BYTES_TAG);
    hasher.write_u64(bytes.len() as u64);
    hasher.write(bytes);
    hasher.finish()
}

/// Marks a value that no f32 holds exactly in a row's hash: a NaN pattern, which no finite
/// f32 value writes.
const WIDE_VALUE_MARK: u32 = 0x7fc0_0001;

/// The default row key: a hash of the row's values (−0 counts as +0, so equal values give
/// equal keys). A value an f32 holds exactly hashes as that f32, so a row of doubles that
/// are all floats gets the float row's key (and the same random draws).
pub fn row_key_of_values<E: Element>(values: &[E]) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(SIP_KEYS.0, SIP_KEYS.1);
    hasher.write_u64(VALUES_TAG);
    hasher.write_u64(values.len() as u64);
    for &v in values {
        let wide = v.widen();
        let narrow = wide as f32;
        if f64::from(narrow) == wide {
            hasher.write_u32(if narrow == 0.0 { 0 } else { narrow.to_bits() });
        } else {
            hasher.write_u32(WIDE_VALUE_MARK);
            hasher.write_u64(wide.to_bits());
        }
    }
    hasher.finish()
}

/// The seed of the calling thread's call: its override, else the engine's.
pub fn call_seed(engine: &Engine) -> u64 {
    call_control::current().and_then(|c| c.seed()).unwrap_or_else(|| engine.seed())
}

/// Why a method draws: streams of different purposes never coincide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// KernelSHAP's coalitions and Shapley Value Sampling's permutations.
    Shapley = 1,
    /// GradientSHAP's baselines, noise and α.
    GradientShap = 2,
    /// NoiseTunnel's noise.
    NoiseTunnel = 3,
    /// PermuteAttack's search runs.
    PermuteAttack = 4,
    /// TimeSHAP's coalitions.
    TimeShap = 5,
    /// A row derived from another (NoiseTunnel's noisy copies).
    Derived = 6,
}

/// Where a call's row keys came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKeySource {
    /// A hash of each row's input values (the default).
    InputHash,
    /// The caller's `row_keys`.
    Caller,
    /// Derived from the keys of the rows they were made from.
    Derived,
}

/// The seed and row keys of one call, as the audit records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowKeys {
    /// Where the keys came from.
    pub source: RowKeySource,
    /// One key per explained row (16 hex digits each in JSON, exact in every reader).
    #[serde(serialize_with = "hex_keys")]
    pub keys: Vec<u64>,
}

/// The random streams of one call: its seed (the call's override, else the engine's) and a
/// key per row.
#[derive(Debug, Clone)]
pub struct RowStreams {
    seed: u64,
    keys: RowKeys,
}

impl RowStreams {
    /// The streams of `inputs`, rows of `row_len` values, on the calling thread's call (see
    /// [`RowStreams::for_rows`]); a row's default key is the hash of its values.
    pub fn for_inputs<E: Element>(engine: &Engine, inputs: &[E], row_len: usize) -> Result<Self> {
        let row_len = row_len.max(1);
        Self::for_rows(engine, inputs.len() / row_len, |r| row_key_of_values(&inputs[r * row_len..(r + 1) * row_len]))
    }

    /// The streams of `rows` rows on the calling thread's call: its seed override and
    /// `row_keys` when it sets them (one per row), else the engine's seed and
    /// `default_key(row)`.
    pub fn for_rows(engine: &Engine, rows: usize, default_key: impl Fn(usize) -> u64) -> Result<Self> {
        let control = call_control::current();
        let keys = match control.as_ref().and_then(|c| c.row_keys()) {
            Some(keys) => {
                check_row_keys(keys, rows)?;
                RowKeys { source: RowKeySource::Caller, keys: keys.to_vec() }
            }
            None => RowKeys { source: RowKeySource::InputHash, keys: (0..rows).map(default_key).collect() },
        };
        Ok(Self { seed: call_seed(engine), keys })
    }

    /// `count` rows derived from row `row`, numbered from `first` (NoiseTunnel's noisy
    /// copies): their keys depend only on this row's key and their numbers.
    pub fn derived(&self, row: usize, first: usize, count: usize) -> Self {
        let parent = self.key(row);
        let keys = (first..first + count).map(|i| stream_id(parent, Purpose::Derived, i as u64)).collect();
        Self { seed: self.seed, keys: RowKeys { source: RowKeySource::Derived, keys } }
    }

    /// Row `row` alone (its key, the call's seed).
    pub fn row(&self, row: usize) -> Self {
        Self { seed: self.seed, keys: RowKeys { source: self.keys.source, keys: vec![self.key(row)] } }
    }

    /// The call's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Row `row`'s key.
    pub fn key(&self, row: usize) -> u64 {
        self.keys.keys[row]
    }

    /// The keys, for the audit.
    pub fn keys(&self) -> &RowKeys {
        &self.keys
    }

    /// Random stream `index` of `purpose` for row `row` (ChaCha20 on the call's seed).
    pub fn rng(&self, row: usize, purpose: Purpose, index: u64) -> ChaCha20Rng {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        rng.set_stream(stream_id(self.key(row), purpose, index));
        rng
    }
}

/// Writes keys as 16-digit hex strings: JSON numbers above 2^53 lose bits in many readers.
fn hex_keys<S: serde::Serializer>(keys: &[u64], serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_seq(keys.iter().map(|k| format!("{k:016x}")))
}

/// The ChaCha20 stream of (`key`, `purpose`, `index`).
fn stream_id(key: u64, purpose: Purpose, index: u64) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(SIP_KEYS.0, SIP_KEYS.1);
    hasher.write_u64(STREAM_TAG);
    hasher.write_u64(key);
    hasher.write_u64(purpose as u64);
    hasher.write_u64(index);
    hasher.finish()
}

/// Fails unless the call's `row_keys` hold one key per row of its `rows`.
pub(crate) fn check_row_keys(keys: &[u64], rows: usize) -> Result<()> {
    if keys.len() != rows {
        return Err(Error::length("control.row_keys", keys.len(), format!("one key per row to explain ({rows})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_across_releases() {
        // Pinned: changing them changes every published explanation.
        assert_eq!(format!("{:016x}", row_key_of_bytes(b"A-1042")), "0f55bc8b4b53e024");
        assert_eq!(format!("{:016x}", row_key_of_values(&[0.25f32, -1.5])), "f397baaf437f05d5");
        assert_eq!(format!("{:016x}", stream_id(7, Purpose::Shapley, 0)), "3cee6291fcccc49c");
        assert_ne!(row_key_of_bytes(b"A-1042"), row_key_of_bytes(b"A-1043"));
        assert_eq!(row_key_of_values(&[0.0f32, 1.5]), row_key_of_values(&[-0.0f32, 1.5]));
        assert_ne!(row_key_of_values(&[1.5f32, 0.0]), row_key_of_values(&[0.0f32, 1.5]));
        assert_ne!(row_key_of_values::<f32>(&[]), row_key_of_bytes(b""));
    }

    #[test]
    fn doubles_that_are_floats_key_like_the_floats() {
        assert_eq!(row_key_of_values(&[0.25f64, -1.5]), row_key_of_values(&[0.25f32, -1.5]));
        assert_eq!(row_key_of_values(&[f64::from(0.1f32)]), row_key_of_values(&[0.1f32]));
        assert_ne!(row_key_of_values(&[0.1f64]), row_key_of_values(&[0.1f32]));
    }

    #[test]
    fn streams_differ_by_purpose_and_index() {
        let ids = [
            stream_id(7, Purpose::Shapley, 0),
            stream_id(7, Purpose::Shapley, 1),
            stream_id(7, Purpose::GradientShap, 0),
            stream_id(8, Purpose::Shapley, 0),
        ];
        for (i, a) in ids.iter().enumerate() {
            assert!(ids[..i].iter().all(|b| b != a));
        }
    }
}
