//! User text in messages: bad cells quoted short and escaped (no raw control bytes on a
//! terminal), and the nearest of some names for "did you mean …".

/// Most characters of a cell quoted in a message.
pub const QUOTED_CHARS: usize = 80;

/// `text` in single quotes, control characters and quotes escaped as Rust escapes them
/// (`\n`, `\u{1b}`), cut to [`QUOTED_CHARS`] characters with "…" when longer.
pub fn quote(text: &str) -> String {
    let mut out = String::from("'");
    let count = text.chars().count();
    for c in text.chars().take(QUOTED_CHARS) {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push('"'),
            c if c.is_control() || c == '\u{feff}' => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    if count > QUOTED_CHARS {
        out.push_str(&format!("…' ({count} characters)"));
    } else {
        out.push('\'');
    }
    out
}

/// The name of `candidates` nearest to `name` (case and surrounding spaces ignored), when
/// it is near enough to be a likely typo: normalised Damerau–Levenshtein similarity of at
/// least 0.6, or one name containing the other.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.trim().to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let other = candidate.trim().to_lowercase();
        let mut score = strsim::normalized_damerau_levenshtein(&wanted, &other);
        if other.len() >= 3 && wanted.len() >= 3 && (other.contains(&wanted) || wanted.contains(&other)) {
            score = score.max(0.6);
        }
        if score >= 0.6 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `names` quoted and joined, the first `shown` of them and a count of the others.
pub fn list(names: &[&str], shown: usize) -> String {
    let quoted: Vec<String> = names.iter().take(shown).map(|n| format!("'{n}'")).collect();
    if names.len() > shown {
        format!("{} and {} more", quoted.join(", "), names.len() - shown)
    } else {
        quoted.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_control_cells_are_quoted_short_and_escaped() {
        assert_eq!(quote("dark"), "'dark'");
        assert_eq!(quote("a\u{1b}[31mred\r\n"), "'a\\u{1b}[31mred\\r\\n'");
        let long = "x".repeat(500);
        let quoted = quote(&long);
        assert!(quoted.starts_with(&format!("'{}…'", "x".repeat(QUOTED_CHARS))), "{quoted}");
        assert!(quoted.ends_with("(500 characters)"), "{quoted}");
        assert!(quote("it's").contains("\\'"));
    }

    #[test]
    fn typos_find_their_column_and_strangers_do_not() {
        let names = ["duration (months)", "credit amount (DM)", "purpose", "age (years)"];
        assert_eq!(nearest("duraton (months)", names), Some("duration (months)"));
        assert_eq!(nearest("Purpose ", names), Some("purpose"));
        assert_eq!(nearest("credit amount", names), Some("credit amount (DM)"));
        assert_eq!(nearest("applicant_id", names), None);
        assert_eq!(nearest("", names), None);
        assert_eq!(list(&names, 2), "'duration (months)', 'credit amount (DM)' and 2 more");
        assert_eq!(list(&names[..1], 2), "'duration (months)'");
    }
}
