//! The one way portico reads YAML, for `partners.yaml` and for front matter alike.
//!
//! YAML 1.2 rules apply: `yes`, `no`, `on`, `NO` are strings, and a field typed as a boolean
//! accepts only `true` or `false`. Duplicate keys are errors that name both lines. Errors come
//! back as [`Diagnostic`]s positioned in the whole file, not in the YAML fragment.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::{DuplicateKeyPolicy, Location};

use crate::diagnostic::{Diagnostic, Position};

/// Where a YAML fragment sits in its file, so positions can be reported file-relative.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    pub path: &'a Path,
    /// The whole file, used to show the offending line.
    pub file_text: &'a str,
    /// The YAML itself.
    pub yaml: &'a str,
    /// How many lines of the file come before the fragment.
    pub line_offset: usize,
}

impl Fragment<'_> {
    /// The file position of a location inside the fragment.
    pub fn position(&self, location: &Location) -> Position {
        Position::new(location.line() as usize + self.line_offset, location.column() as usize)
    }

    /// An error diagnostic at a location inside the fragment.
    pub fn error_at(&self, location: &Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.path, message).at(self.file_text, self.position(location))
    }

    /// A warning diagnostic at a location inside the fragment.
    pub fn warning_at(&self, location: &Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(self.path, message).at(self.file_text, self.position(location))
    }

    /// Deserializes the fragment, turning any failure into a positioned diagnostic.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        let options = serde_saphyr::options! {
            strict_booleans: true,
            with_snippet: false,
            duplicate_keys: DuplicateKeyPolicy::Error,
        };
        serde_saphyr::from_str_with_options(self.yaml, options).map_err(|e| self.diagnose(&e))
    }

    fn diagnose(&self, error: &serde_saphyr::Error) -> Diagnostic {
        let rendered = error.render_with_options(serde_saphyr::render_options! {
            formatter: &serde_saphyr::UserMessageFormatter,
            snippets: serde_saphyr::SnippetMode::Off,
        });
        let message = strip_location_suffix(&rendered);
        let Some(location) = error.location() else {
            return Diagnostic::error(self.path, message);
        };
        let mut diagnostic = self.error_at(&location, message);
        if rendered.contains("found a tab") {
            diagnostic = self.point_at_tab(diagnostic, &location);
        }
        match error.without_snippet() {
            serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
                self.explain_duplicate(diagnostic, key, &location)
            }
            _ => explain(diagnostic, &rendered),
        }
    }

    /// The parser reports a tab at the start of the scalar it was reading, often the line
    /// above; move the caret to the first tab that indents a line from there on.
    fn point_at_tab(&self, diagnostic: Diagnostic, location: &Location) -> Diagnostic {
        let from = (location.line() as usize).saturating_sub(1);
        let tab = self.yaml.lines().enumerate().skip(from).find_map(|(index, line)| {
            let indent = &line[..line.len() - line.trim_start().len()];
            indent.chars().position(|c| c == '\t').map(|column| (index + 1, column + 1))
        });
        match tab {
            Some((line, column)) => {
                diagnostic.at(self.file_text, Position::new(line + self.line_offset, column))
            }
            None => diagnostic,
        }
    }

    /// The parser only knows the second occurrence of a duplicate key; find the first so the
    /// user sees both lines.
    fn explain_duplicate(
        &self,
        diagnostic: Diagnostic,
        key: &str,
        second: &Location,
    ) -> Diagnostic {
        let column = second.column() as usize;
        let first = self
            .yaml
            .lines()
            .take(second.line() as usize - 1)
            .enumerate()
            .filter(|(_, line)| {
                // A key that opens a list item (`- id: a`) is indented by its dash too.
                let indent = line.len() - line.trim_start_matches([' ', '-']).len();
                indent + 1 == column && starts_with_key(&line[indent..], key)
            })
            .map(|(index, _)| index + 1 + self.line_offset)
            // The nearest one: keys at this column further up belong to earlier list items.
            .last();
        let duplicate_line = self.position(second).line;
        let message = match first {
            Some(first) => {
                format!("duplicate key `{key}` on lines {first} and {duplicate_line}")
            }
            None => format!("duplicate key `{key}` on line {duplicate_line}"),
        };
        Diagnostic { message, ..diagnostic }
            .with_help(format!("keep one `{key}` entry and delete the other"))
    }
}

fn starts_with_key(line: &str, key: &str) -> bool {
    [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")]
        .iter()
        .any(|prefix| line.starts_with(prefix.as_str()))
}

/// Rewords or adds advice to the parser's most common complaints.
fn explain(diagnostic: Diagnostic, rendered: &str) -> Diagnostic {
    if rendered.contains("invalid boolean") {
        diagnostic.with_help("write `true` or `false`")
    } else if let Some((field, help)) = unknown_field(rendered) {
        Diagnostic { message: format!("unknown key `{field}`"), ..diagnostic }.with_help(help)
    } else if rendered.contains("mapping values are not allowed") {
        let help = if points_at_first_colon(&diagnostic) {
            "this key is indented further than the keys above it; line it up with them"
        } else {
            "put quotes around a value that contains `: `"
        };
        diagnostic.with_help(help)
    } else if rendered.contains("found a tab") {
        diagnostic.with_help("YAML indents with spaces only; replace the tabs with spaces")
    } else {
        diagnostic
    }
}

/// Whether the parser complains about the colon of the line's own key (`  key: value` indented
/// too far) rather than a second colon inside a value (`title: Note: read me`).
fn points_at_first_colon(diagnostic: &Diagnostic) -> bool {
    let (Some(line), Some(position)) = (&diagnostic.source_line, diagnostic.position) else {
        return false;
    };
    line.chars().position(|c| c == ':') == Some(position.column.saturating_sub(1))
}

/// serde words an unknown key as "unknown field `x`, expected one of a, b"; "field" is serde's
/// word, so return the key and a did-you-mean hint in the user's terms.
fn unknown_field(rendered: &str) -> Option<(&str, String)> {
    let rest = rendered.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let expected = expected.lines().next().unwrap_or("");
    let expected = expected.split(" at line ").next().unwrap_or(expected);
    let known: Vec<&str> = expected
        .split([',', ' ', '`'])
        .filter(|w| !matches!(*w, "" | "expected" | "one" | "of" | "or"))
        .collect();
    let help = crate::diagnostic::suggest(field, known.iter().copied(), |all| {
        format!("remove `{field}`; the keys allowed here are: {all}")
    });
    Some((field, help))
}

fn strip_location_suffix(rendered: &str) -> String {
    let text = rendered.lines().next().unwrap_or(rendered);
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn fragment(yaml: &str) -> Fragment<'_> {
        Fragment { path: Path::new("f.yaml"), file_text: yaml, yaml, line_offset: 0 }
    }

    #[test]
    fn duplicate_key_names_both_lines() {
        let err = fragment("a: 1\nb: 2\na: 3\n").parse::<BTreeMap<String, String>>().unwrap_err();
        assert_eq!(err.message, "duplicate key `a` on lines 1 and 3");
        assert_eq!(err.position, Some(Position::new(3, 1)));
    }

    #[test]
    fn duplicate_key_in_a_list_item_names_both_lines() {
        let err = fragment("- id: a\n  name: A\n  id: b\n")
            .parse::<Vec<BTreeMap<String, String>>>()
            .unwrap_err();
        assert_eq!(err.message, "duplicate key `id` on lines 1 and 3");
    }

    #[test]
    fn yes_and_no_stay_strings() {
        let map: BTreeMap<String, serde_json::Value> = fragment("a: yes\nb: NO\n").parse().unwrap();
        assert_eq!(map["a"], "yes");
        assert_eq!(map["b"], "NO");
    }
}
