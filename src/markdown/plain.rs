//! A page body as plain text, for pasting into an email: paragraphs, line breaks and list
//! markers kept, formatting dropped, and each link's address written after its text. Internal
//! addresses are left open for each tier to fill, as in the HTML rendering.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::video::{self, Source};
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
    let mut events = Parser::new_ext(body, options()).into_offset_iter();
    while let Some((event, _)) = events.next() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if video::is_video(&info) => {
                let inner: Vec<_> = events
                    .by_ref()
                    .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::CodeBlock)))
                    .collect();
                write_video(&mut plain, &mut out, &inner, resolver);
                end_block(&mut out, lists.is_empty());
            }
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

/// A video as its title and where to watch it, like a link; nothing for a mistaken block.
fn write_video(
    plain: &mut PlainText,
    out: &mut String,
    inner: &[(Event<'_>, std::ops::Range<usize>)],
    resolver: &dyn Resolve,
) {
    let Ok(found) = video::parse(0, &video::lines(inner)) else { return };
    out.push_str(&found.title);
    if let Some(address) = found.web_address() {
        out.push_str(&format!(" ({address})"));
    } else if let Source::File { video, .. } = &found.source
        && let Some(Ok(target)) = resolver.resolve(&video.name)
    {
        plain.pieces.push(std::mem::take(out));
        plain.targets.push(target);
    }
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
    fn plain_text_writes_a_video_as_its_title_and_address() {
        let body = "Watch:\n\n```video\nyoutube: dQw4w9WgXcQ\ntitle: The session\n```\n\nThen:";
        let text = to_plain_text(body, &NoLinks).fill(&|_| None);
        assert_eq!(
            text,
            "Watch:\n\nThe session (https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n\nThen:"
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
