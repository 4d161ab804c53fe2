//! A page body as plain text, for pasting into an email: paragraphs, line breaks and list
//! markers kept, formatting dropped, and each link's address written after its text. Internal
//! addresses are left open for each tier to fill, as in the HTML rendering.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::{Resolve, Target, options};

/// A body as plain text, as an email client would show it: paragraphs separated by blank
/// lines, line breaks kept, list items with `- `, links followed by their address. Like
/// [`Rendered`](super::Rendered), internal link addresses are slots each tier fills.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainText {
    pieces: Vec<String>,
    targets: Vec<Target>,
}

impl PlainText {
    /// The text for one tier: `address` gives a target's absolute URL, or `None` when the tier
    /// cannot see it (the link text then stands alone).
    pub fn fill(&self, address: &dyn Fn(&Target) -> Option<String>) -> String {
        let mut text = String::new();
        let mut pieces = self.pieces.iter();
        text.push_str(pieces.next().map_or("", String::as_str));
        for (target, piece) in self.targets.iter().zip(pieces) {
            if let Some(url) = address(target) {
                text.push_str(&format!(" ({url})"));
            }
            text.push_str(piece);
        }
        text.trim_end().to_string()
    }
}

/// Renders a body as plain text; see [`PlainText`].
pub fn to_plain_text(body: &str, resolver: &dyn Resolve) -> PlainText {
    let mut plain = PlainText::default();
    let mut out = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut links: Vec<Option<Result<Target, String>>> = Vec::new();
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::List(start)) => {
                end_block(&mut out, lists.is_empty());
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                end_block(&mut out, lists.is_empty());
            }
            Event::Start(Tag::Item) => start_item(&mut out, &mut lists),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let link = match resolver.resolve(&dest_url) {
                    Some(Ok(target)) => Some(Ok(target)),
                    Some(Err(())) => None,
                    None => Some(Err(dest_url.trim_start_matches("mailto:").to_string())),
                };
                links.push(link);
            }
            Event::End(TagEnd::Link) => match links.pop().flatten() {
                Some(Ok(target)) => {
                    plain.pieces.push(std::mem::take(&mut out));
                    plain.targets.push(target);
                }
                Some(Err(url)) if !out.ends_with(url.as_str()) => {
                    out.push_str(&format!(" ({url})"))
                }
                _ => {}
            },
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) if lists.is_empty() => end_block(&mut out, true),
            Event::Rule => out.push_str("---\n\n"),
            _ => {}
        }
    }
    plain.pieces.push(out);
    plain
}

fn start_item(out: &mut String, lists: &mut [Option<u64>]) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
    match lists.last_mut() {
        Some(Some(n)) => {
            out.push_str(&format!("{n}. "));
            *n += 1;
        }
        _ => out.push_str("- "),
    }
}

fn end_block(out: &mut String, blank_line: bool) {
    let trimmed = out.trim_end_matches([' ', '\n']).len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push_str(if blank_line { "\n\n" } else { "\n" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::tests::NoLinks;

    #[test]
    fn plain_text_keeps_paragraphs_lines_lists_and_link_addresses() {
        let body =
            "Hi {{name}},\n\nI **met** [Ana](https://a.example).\n\n- one\n- two\n\nBest,\nSam";
        let text = to_plain_text(body, &NoLinks).fill(&|_| None);
        assert_eq!(
            text,
            "Hi {{name}},\n\nI met Ana (https://a.example).\n\n- one\n- two\n\nBest,\nSam"
        );
    }

    #[test]
    fn plain_text_gives_internal_links_their_tier_address_or_none() {
        let plain = to_plain_text("See [the other](other.md) now.", &NoLinks);
        let visible = plain.fill(&|t| Some(format!("https://p.example/{:?}/{}", t.node, t.suffix)));
        assert_eq!(visible, "See the other (https://p.example/Page(1)/#x) now.");
        assert_eq!(plain.fill(&|_| None), "See the other now.");
    }
}
