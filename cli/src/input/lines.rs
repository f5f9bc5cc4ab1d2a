//! Line numbers of CSV records counted from the file's own bytes. The csv crate counts
//! lines wrongly after a CRLF line end (and its byte offset of a record may point at the
//! `\n` of the line end before it), so files saved by Excel would be numbered one line off.
//! Here a record's line is the number of line ends before its first character, skipping
//! any line-end bytes at the reported offset. A line end is `\n`, `\r\n` or a lone `\r`
//! (old Mac files), the three the csv crate ends records with: exact for LF, CRLF and CR
//! files alike, and a quoted cell's line breaks count too, as an editor shows them.

/// The line ends of a text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a [u8],
    /// The offset of each line end's last byte (the `\n` of a CRLF).
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let ends_line = |i: usize| match text[i] {
            b'\n' => true,
            b'\r' => text.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        Self { text, newlines: (0..text.len()).filter(|&i| ends_line(i)).collect() }
    }

    /// The 1-based line of the first character at or after byte offset `byte` that is not
    /// a line end.
    pub fn line(&self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(self.text.len());
        while self.text.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            byte += 1;
        }
        self.newlines.partition_point(|&newline| newline < byte) as u64 + 1
    }

    /// The line where `record` starts (0 when the reader gave no position).
    pub fn record_line(&self, record: &csv::StringRecord) -> u64 {
        record.position().map_or(0, |p| self.line(p.byte()))
    }
}

/// `text` without a leading UTF-8 byte order mark (Excel writes one in "CSV UTF-8").
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<u64> {
        let index = LineIndex::new(text);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        reader.records().map(|r| index.record_line(&r.expect("a record"))).collect()
    }

    #[test]
    fn crlf_and_lf_files_number_their_lines_alike() {
        let lf = "a,b\n1,2\n3,4\n\"multi\nline\",5\n\n6,7\n";
        assert_eq!(lines(lf), [2, 3, 4, 7]);
        assert_eq!(lines(&lf.replace('\n', "\r\n")), [2, 3, 4, 7]);
        assert_eq!(lines(&lf.replace('\n', "\r")), [2, 3, 4, 7], "old Mac line ends");
        assert_eq!(lines("a,b\r\n1,2\r3,4\n5,6\n"), [2, 3, 4], "mixed line ends");
        assert_eq!(strip_bom("\u{feff}a,b"), "a,b");
    }
}
