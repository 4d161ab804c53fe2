//! Placeholders in email templates and one-pagers: `{{client_first_name}}` and bracketed text
//! such as `[Your Firm]`, the parts a partner replaces before sending or printing.
//!
//! Both forms name a field by a normalized key (`your-firm` for `{{your_firm}}` and for
//! `[Your Firm]`), so a value typed once fills every spelling. The same scan marks the
//! rendered body and the plain-text copy (only their text: never code, link addresses or
//! heading ids, see [`TextOnly`]) and the subject line. The theme's script fills the marked
//! placeholders, and only those, with the partner's values.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::escape;

/// The longest bracketed text taken for a placeholder, in characters: longer brackets are
/// asides, not fields.
const MAX_BRACKET_CHARS: usize = 120;

/// One placeholder found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where the placeholder is, braces or brackets included.
    pub range: Range<usize>,
    pub key: String,
}

/// The placeholders in `text`, in order.
pub fn scan(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let hit = if rest.starts_with("{{") {
            braced(rest)
        } else if rest.starts_with('[') && !text[..at].ends_with('!') {
            bracketed(rest)
        } else {
            None
        };
        match hit {
            Some((len, key)) => {
                found.push(Found { range: at..at + len, key });
                at += len;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    found
}

/// `{{ name }}` at the start of `text`: its length and key. A name is a letter followed by
/// letters, digits, `_` or `-`; anything else in braces (`{{my.Partner Name}}`) is text.
fn braced(text: &str) -> Option<(usize, String)> {
    let inner_end = text.find("}}")?;
    let name = text[2..inner_end].trim_matches(' ');
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    valid.then(|| (inner_end + 2, key(name)))
}

/// `[some text]` at the start of `text`: its length and key. Not taken: one character (`[x]`,
/// a task marker), no letter (`[1]`, `[ ]`), a footnote (`[^1]`), a link's remains (`](` or
/// `][` or `]:` follows), or text holding brackets, braces or a line break.
fn bracketed(text: &str) -> Option<(usize, String)> {
    let close = text[1..].find([']', '[', '\n', '{', '}']).map(|i| i + 1)?;
    if !text[close..].starts_with(']') {
        return None;
    }
    let inner = &text[1..close];
    let chars = inner.chars().count();
    let taken = (2..=MAX_BRACKET_CHARS).contains(&chars)
        && !inner.starts_with('^')
        && inner.chars().any(char::is_alphabetic)
        && !text[close + 1..].starts_with(['(', '[', ':']);
    taken.then(|| (close + 1, key(inner)))
}

/// The field a placeholder names: lowercase words joined by `-`.
pub fn key(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.join("-")
}

/// Encloses a stretch of text that [`markup`] keeps as written: no placeholder is taken inside
/// it or across it, and the marks themselves are dropped. The plain-text copy of a template
/// encloses everything but its placeholders ([`mark_only`]): there, as in the rendered body,
/// placeholders are taken from the markdown's text alone, never from code or addresses.
/// CommonMark turns U+0000 in a body into U+FFFD, and the plain text's input is scrubbed of it
/// as well, so the mark cannot come from the body itself.
pub const AS_WRITTEN: char = '\0';

/// `text` escaped for HTML, each placeholder wrapped in a `span` naming its key, except in
/// stretches enclosed in [`AS_WRITTEN`] marks, which are only escaped.
pub fn markup(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 64);
    for (at, part) in text.split(AS_WRITTEN).enumerate() {
        let as_written = at % 2 == 1;
        let mut done = 0;
        for found in if as_written { Vec::new() } else { scan(part) } {
            html.push_str(&escape(&part[done..found.range.start]));
            html.push_str(&span_start(&found.key));
            html.push_str(&escape(&part[found.range.clone()]));
            html.push_str("</span>");
            done = found.range.end;
        }
        html.push_str(&escape(&part[done..]));
    }
    html
}

fn span_start(key: &str) -> String {
    format!("<span class=\"placeholder\" data-placeholder=\"{}\">", escape(key))
}

/// `text` for [`markup`] with only `placeholders` (byte ranges, in order, each one placeholder
/// as [`scan`] finds it) taken: everything around them is enclosed in [`AS_WRITTEN`] marks.
/// Even an empty stretch is enclosed, so that two placeholders side by side, found apart,
/// are not read as one text.
pub fn mark_only(text: &str, placeholders: &[Range<usize>]) -> String {
    let mut marked = String::with_capacity(text.len() + 2 * placeholders.len() + 2);
    fn enclose(marked: &mut String, stretch: &str) {
        marked.push(AS_WRITTEN);
        marked.extend(stretch.chars().filter(|&c| c != AS_WRITTEN));
        marked.push(AS_WRITTEN);
    }
    let mut done = 0;
    for range in placeholders {
        enclose(&mut marked, &text[done..range.start]);
        marked.push_str(&text[range.clone()]);
        done = range.end;
    }
    enclose(&mut marked, &text[done..]);
    marked
}

/// Tells which text events of a body hold placeholders, as they come in order: text, but not
/// the text of a code block or of an image's description (an image's `alt` cannot hold
/// markup). Inline code, link addresses and heading ids are not text events. Placeholders are
/// taken from each run of consecutive such events as a whole, whatever else breaks the run.
#[derive(Debug, Default)]
pub struct TextOnly {
    verbatim: usize,
}

impl TextOnly {
    /// Whether `event` is text whose placeholders are taken; `event` is the next of the body.
    pub fn takes(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Text(_) => self.verbatim == 0,
            Event::Start(Tag::CodeBlock(_) | Tag::Image { .. }) => {
                self.verbatim += 1;
                false
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Image) => {
                self.verbatim = self.verbatim.saturating_sub(1);
                false
            }
            _ => false,
        }
    }
}

/// Wraps the placeholders in the text of rendered events in spans, as [`TextOnly`] tells.
pub fn mark_events(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut run = String::new();
    let mut text_only = TextOnly::default();
    for event in events {
        if text_only.takes(&event)
            && let Event::Text(text) = &event
        {
            run.push_str(text);
            continue;
        }
        flush(&mut run, &mut out);
        out.push(event);
    }
    flush(&mut run, &mut out);
    out
}

/// Writes a run of text out, with its placeholders in spans.
fn flush(run: &mut String, out: &mut Vec<Event<'_>>) {
    if run.is_empty() {
        return;
    }
    let text = std::mem::take(run);
    let mut done = 0;
    for found in scan(&text) {
        if found.range.start > done {
            out.push(Event::Text(CowStr::from(text[done..found.range.start].to_string())));
        }
        out.push(Event::InlineHtml(CowStr::from(span_start(&found.key))));
        out.push(Event::Text(CowStr::from(text[found.range.clone()].to_string())));
        out.push(Event::InlineHtml(CowStr::from("</span>")));
        done = found.range.end;
    }
    if done < text.len() {
        out.push(Event::Text(CowStr::from(text[done..].to_string())));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn keys(text: &str) -> Vec<String> {
        scan(text).into_iter().map(|f| f.key).collect()
    }

    #[test]
    fn both_forms_name_the_same_field() {
        assert_eq!(keys("{{your_firm}} [Your Firm] {{ your_firm }} [your firm]"), ["your-firm"; 4]);
        assert_eq!(keys("[Specific Problem], e.g."), ["specific-problem"]);
        assert_eq!(
            keys("[trigger and rough date, e.g. the audit starting in March]"),
            ["trigger-and-rough-date-e-g-the-audit-starting-in-march"]
        );
    }

    #[test]
    fn brackets_that_are_not_fields_stay_text() {
        for text in [
            "[x] done",
            "[ ] open",
            "see [1] and [23]",
            "a footnote[^note]",
            "![alt text]",
            "[text](remains",
            "[label]: https://e.example",
            "{{my.Partner Name}} {{ 1x }} {{}}",
            "[unclosed",
            "[line\nbreak]",
        ] {
            assert_eq!(keys(text), Vec::<String>::new(), "{text:?}");
        }
        let long = format!("[{}]", "word ".repeat(30));
        assert!(keys(&long).is_empty());
    }

    #[test]
    fn braces_inside_brackets_are_the_field() {
        assert_eq!(keys("[Dear {{client_first_name}}]"), ["client-first-name"]);
    }

    #[test]
    fn markup_escapes_text_and_wraps_fields() {
        assert_eq!(
            markup("A & B for {{client_company}} <now>"),
            "A &amp; B for <span class=\"placeholder\" data-placeholder=\"client-company\">\
             {{client_company}}</span> &lt;now&gt;"
        );
    }

    /// What the theme's script copies: the text of [`markup`] once each span shows its value.
    fn copied(html: &str, values: &HashMap<String, String>) -> String {
        let mut text = String::new();
        let mut rest = html;
        while let Some(start) = rest.find("<span class=\"placeholder\" data-placeholder=\"") {
            text.push_str(&rest[..start]);
            let key_start = start + rest[start..].find("data-placeholder=\"").unwrap() + 18;
            let key = &rest[key_start..key_start + rest[key_start..].find('"').unwrap()];
            let inner_start = key_start + rest[key_start..].find('>').unwrap() + 1;
            let inner_end = inner_start + rest[inner_start..].find("</span>").unwrap();
            match values.get(key).filter(|v| !v.is_empty()) {
                Some(value) => text.push_str(&escape(value)),
                None => text.push_str(&rest[inner_start..inner_end]),
            }
            rest = &rest[inner_end + "</span>".len()..];
        }
        text.push_str(rest);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn the_marked_up_copy_with_values_shown_is_the_copy_with_values_in_place() {
        let body = "Hi {{client_first_name}},\n\nWe at [Your Firm] & {{your_firm}} met *you*; \
                    see [notes](https://e.example/?f={{your_firm}}) and `{{your_firm}}`.\n\n\
                    - [x] done [1]\n\nBest,\\\n{{your_name}}";
        let plain =
            crate::markdown::to_plain_text(body, &crate::markdown::tests::NoLinks).fill(&|_| None);
        let values = HashMap::from([
            ("your-firm".to_string(), "Harbor & Co <Legal>".to_string()),
            ("your-name".to_string(), "Dana Reyes".to_string()),
        ]);
        assert_eq!(
            copied(&markup(&plain), &values),
            "Hi {{client_first_name}},\n\nWe at Harbor & Co <Legal> & Harbor & Co <Legal> \
             met you; see notes (https://e.example/?f={{your_firm}}) and {{your_firm}}.\n\n\
             - [x] done [1]\n\nBest,\nDana Reyes"
        );
        assert_eq!(copied(&markup(&plain), &HashMap::new()), plain.replace(AS_WRITTEN, ""));
    }

    #[test]
    fn markup_keeps_what_is_enclosed_as_written() {
        let span = |key: &str, text: &str| {
            format!("<span class=\"placeholder\" data-placeholder=\"{key}\">{text}</span>")
        };
        assert_eq!(
            markup("\0[Not Me] {{not_me}}\0{{your_firm}}\0\0[Client]\0[Topic]\0 & [Your Firm]"),
            format!(
                "[Not Me] {{{{not_me}}}}{}{}[Topic] &amp; {}",
                span("your-firm", "{{your_firm}}"),
                span("client", "[Client]"),
                span("your-firm", "[Your Firm]")
            )
        );
    }

    #[test]
    fn mark_only_encloses_all_but_the_placeholders_given() {
        let text = "[Client][Topic] {{a}} <b>";
        let marked = mark_only(text, &[0..8, 8..15]);
        assert_eq!(marked, "\0\0[Client]\0\0[Topic]\0 {{a}} <b>\0");
        let html = markup(&marked);
        assert_eq!(html.matches("data-placeholder=").count(), 2, "{html}");
        assert!(html.ends_with("</span> {{a}} &lt;b&gt;"), "{html}");
    }
}
