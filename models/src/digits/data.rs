//! Parsing scikit-learn's copy of the UCI handwritten digits (embedded at compile time):
//! 1797 images of 8 × 8 pixels, each pixel a count 0–16, and the digit each shows.

use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::sync::OnceLock;

use flate2::read::GzDecoder;

/// `digits.csv.gz`, exactly as scikit-learn ships it (`sklearn/datasets/data/`).
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits/digits.csv.gz");

/// Side of an image, in pixels.
pub const IMAGE_SIDE: usize = 8;

/// Pixels per image (8 × 8).
pub const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Number of classes: the digits 0 to 9.
pub const CLASSES: usize = 10;

/// The largest pixel value in the file (a pixel counts the set dots of a 4 × 4 block).
pub const PIXEL_MAX: u32 = 16;

/// Number of images in the file.
pub const IMAGES: usize = 1797;

/// The rows the built-in network was trained on: the first 1500.
pub const TRAINING_ROWS: Range<usize> = 0..1500;

/// The rows held out to measure the network: the last 297.
pub const TEST_ROWS: Range<usize> = 1500..IMAGES;

const FILE: &str = "digits.csv.gz";

/// Why the digits file could not be read: the 1-based line when the problem is in one
/// line, and what was found where something else was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitsError {
    line: Option<usize>,
    message: String,
}

impl DigitsError {
    fn whole_file(message: impl Into<String>) -> Self {
        Self { line: None, message: message.into() }
    }

    fn in_line(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), message: message.into() }
    }

    /// The 1-based line at fault, when the problem is in one line.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DigitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{FILE} line {line}: {}", self.message),
            None => write!(f, "{FILE}: {}", self.message),
        }
    }
}

impl std::error::Error for DigitsError {}

/// The digits data set: images scaled to [0, 1] (pixel / 16), row-major, one row of
/// [`PIXELS`] values per image, and each image's label.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    images: Vec<f32>,
    labels: Vec<u32>,
}

impl Digits {
    /// Decompresses and parses a gzip-compressed file in the format of
    /// [`DIGITS_CSV_GZ`].
    pub fn from_gzip(bytes: &[u8]) -> Result<Self, DigitsError> {
        let mut text = String::new();
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|error| DigitsError::whole_file(format!("not a gzip-compressed UTF-8 text: {error}")))?;
        Self::from_csv(&text)
    }

    /// Parses the decompressed text: one image per line, 64 pixel values (whole numbers
    /// 0–16, row by row) then the label (0–9), separated by commas, no header.
    pub fn from_csv(text: &str) -> Result<Self, DigitsError> {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            if fields.len() != PIXELS + 1 {
                return Err(DigitsError::in_line(
                    line_number,
                    format!("{} fields, expected {} pixels and a label", fields.len(), PIXELS),
                ));
            }
            for (column, field) in fields[..PIXELS].iter().enumerate() {
                let pixel = parse_count(field, PIXEL_MAX).ok_or_else(|| {
                    DigitsError::in_line(
                        line_number,
                        format!("pixel {column} is {field:?}, expected a whole number 0..={PIXEL_MAX}"),
                    )
                })?;
                images.push(pixel as f32 / PIXEL_MAX as f32);
            }
            let label_field = fields[PIXELS];
            let label = parse_count(label_field, CLASSES as u32 - 1).ok_or_else(|| {
                DigitsError::in_line(line_number, format!("label is {label_field:?}, expected a digit 0..=9"))
            })?;
            labels.push(label);
        }
        if labels.is_empty() {
            return Err(DigitsError::whole_file("holds no images"));
        }
        Ok(Self { images, labels })
    }

    /// The embedded data set, parsed on first use and shared afterwards.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Digits> = OnceLock::new();
        SHARED.get_or_init(|| {
            Self::from_gzip(DIGITS_CSV_GZ)
                .unwrap_or_else(|error| panic!("the embedded digits file is checked by the tests: {error}"))
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images (never, for a parsed file).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All images, row-major: image `i` is `images()[i * PIXELS..(i + 1) * PIXELS]`, its
    /// pixels row by row, each in [0, 1].
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// The consecutive images of `rows`, e.g. [`TEST_ROWS`], as one row-major block.
    ///
    /// # Panics
    /// When `rows` reaches past the last image.
    pub fn images_in(&self, rows: Range<usize>) -> &[f32] {
        &self.images[rows.start * PIXELS..rows.end * PIXELS]
    }

    /// Image `index`: [`PIXELS`] values, row by row.
    ///
    /// # Panics
    /// When `index >= len()`.
    pub fn image(&self, index: usize) -> &[f32] {
        self.images_in(index..index + 1)
    }

    /// Each image's digit, 0–9 (usable directly as Lumen targets).
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
}

/// A whole number `0..=max` written in decimal digits, or `None`.
fn parse_count(field: &str, max: u32) -> Option<u32> {
    if field.is_empty() || !field.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    field.parse().ok().filter(|&value| value <= max)
}
