//! A page body as plain text, for pasting into an email: paragraphs, line breaks and list
//! markers kept, formatting dropped, and each link's address written after its text. Internal
//! addresses are left open for each tier to fill, as in the HTML rendering. Placeholders are
//! found while the text is written, in the markdown's text alone as the HTML rendering finds
//! them, so the copy has a placeholder exactly where the page shows one.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::placeholder::{self, TextOnly};
use super::video::{self, Source};
use super::{Resolve, Target, options};

/// A body as plain text, as an email client would show it: paragraphs separated by blank
/// lines, line breaks kept, list items with `- `, links followed by their address. Like
/// [`Rendered`](super::Rendered), internal link addresses are slots each tier fills.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainText {
    pieces: Vec<Piece>,
    targets: Vec<Target>,
}

/// The text between two internal link addresses, and where its placeholders are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Piece {
    text: String,
    placeholders: Vec<Range<usize>>,
}

impl PlainText {
    /// The text for one tier: `address` gives a target's absolute URL, or `None` when the tier
    /// cannot see it (the link text then stands alone). Everything but the placeholders is
    /// enclosed in [`placeholder::AS_WRITTEN`] marks, for the theme's `placeholders` filter
    /// (which drops them): a placeholder-like text in code or in an address stays as written.
    pub fn fill(&self, address: &dyn Fn(&Target) -> Option<String>) -> String {
        let mut whole = Piece::default();
        let mut pieces = self.pieces.iter();
        if let Some(first) = pieces.next() {
            whole.append(first);
        }
        for (target, piece) in self.targets.iter().zip(pieces) {
            if let Some(url) = address(target) {
                whole.text.push_str(&format!(" ({url})"));
            }
            whole.append(piece);
        }
        // A placeholder ends in `}` or `]`, so trimming never cuts one.
        whole.text.truncate(whole.text.trim_end().len());
        placeholder::mark_only(&whole.text, &whole.placeholders)
    }
}

impl Piece {
    fn append(&mut self, other: &Piece) {
        let at = self.text.len();
        self.placeholders.extend(other.placeholders.iter().map(|r| r.start + at..r.end + at));
        self.text.push_str(&other.text);
    }
}

/// Renders a body as plain text; see [`PlainText`].
pub fn to_plain_text(body: &str, resolver: &dyn Resolve) -> PlainText {
    let body = body.replace(placeholder::AS_WRITTEN, "\u{fffd}");
    let mut writer = Writer::default();
    let mut events = Parser::new_ext(&body, options()).into_offset_iter();
    while let Some((event, _)) = events.next() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = &event
            && video::is_video(info)
        {
            let inner: Vec<_> = events
                .by_ref()
                .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::CodeBlock)))
                .collect();
            writer.video(&inner, resolver);
        } else if writer.text_only.takes(&event)
            && let Event::Text(text) = &event
        {
            writer.text(text);
        } else {
            writer.other(event, resolver);
        }
    }
    writer.finish()
}

/// The plain text as it is written: the pieces cut so far at internal link addresses, the
/// piece being written, where the run of text whose placeholders are yet to be found started
/// in it, and the lists and links open there.
#[derive(Default)]
struct Writer {
    plain: PlainText,
    out: Piece,
    run: Option<usize>,
    text_only: TextOnly,
    lists: Vec<Option<u64>>,
    /// For each open link: its target, or the address to write after its text, or nothing.
    links: Vec<Option<Result<Target, String>>>,
}

impl Writer {
    /// Writes text in which placeholders are taken, continuing the current run.
    fn text(&mut self, text: &str) {
        self.run.get_or_insert(self.out.text.len());
        self.out.text.push_str(text);
    }

    /// Writes what any other event stands for, which ends the run of text.
    fn other(&mut self, event: Event<'_>, resolver: &dyn Resolve) {
        self.end_run();
        let out = &mut self.out.text;
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::List(start)) => {
                end_block(out, self.lists.is_empty());
                self.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
                end_block(out, self.lists.is_empty());
            }
            Event::Start(Tag::Item) => start_item(out, &mut self.lists),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let link = match resolver.resolve(&dest_url) {
                    Some(Ok(target)) => Some(Ok(target)),
                    Some(Err(())) => None,
                    None => Some(Err(dest_url.trim_start_matches("mailto:").to_string())),
                };
                self.links.push(link);
            }
            Event::End(TagEnd::Link) => match self.links.pop().flatten() {
                Some(Ok(target)) => self.cut(target),
                Some(Err(url)) if !out.ends_with(url.as_str()) => {
                    out.push_str(&format!(" ({url})"))
                }
                _ => {}
            },
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) if self.lists.is_empty() => end_block(out, true),
            Event::Rule => out.push_str("---\n\n"),
            _ => {}
        }
    }

    /// A video as its title and where to watch it, like a link; nothing for a mistaken block.
    fn video(&mut self, inner: &[(Event<'_>, Range<usize>)], resolver: &dyn Resolve) {
        self.end_run();
        if let Ok(found) = video::parse(0, &video::lines(inner)) {
            self.out.text.push_str(&found.title);
            if let Some(address) = found.web_address() {
                self.out.text.push_str(&format!(" ({address})"));
            } else if let Source::File { video, .. } = &found.source
                && let Some(Ok(target)) = resolver.resolve(&video.name)
            {
                self.cut(target);
            }
        }
        end_block(&mut self.out.text, self.lists.is_empty());
    }

    /// Ends the current run: the placeholders in it are found as a whole, as the HTML
    /// rendering finds them in the same run of text events.
    fn end_run(&mut self) {
        let Some(start) = self.run.take() else { return };
        let found = placeholder::scan(&self.out.text[start..]);
        self.out
            .placeholders
            .extend(found.into_iter().map(|f| f.range.start + start..f.range.end + start));
    }

    /// Ends the piece being written at an internal address, which each tier fills.
    fn cut(&mut self, target: Target) {
        self.end_run();
        self.plain.pieces.push(std::mem::take(&mut self.out));
        self.plain.targets.push(target);
    }

    fn finish(mut self) -> PlainText {
        self.end_run();
        self.plain.pieces.push(self.out);
        self.plain
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
    use crate::markdown::{Fill, Kind, render};

    /// The text a tier's copy holds, with the marks around what is not a placeholder dropped.
    fn text(plain: &PlainText, address: &dyn Fn(&Target) -> Option<String>) -> String {
        plain.fill(address).replace(placeholder::AS_WRITTEN, "")
    }

    /// The keys of the placeholders marked in some HTML, in order.
    fn marked_keys(html: &str) -> Vec<&str> {
        let starts = html.split("data-placeholder=\"").skip(1);
        starts.map(|rest| &rest[..rest.find('"').expect("the attribute closes")]).collect()
    }

    /// A tier that sees no other page.
    struct Alone;
    impl Fill for Alone {
        fn url(&self, _: &Target) -> Option<String> {
            None
        }
    }

    #[test]
    fn plain_text_keeps_paragraphs_lines_lists_and_link_addresses() {
        let body =
            "Hi {{name}},\n\nI **met** [Ana](https://a.example).\n\n- one\n- two\n\nBest,\nSam";
        assert_eq!(
            text(&to_plain_text(body, &NoLinks), &|_| None),
            "Hi {{name}},\n\nI met Ana (https://a.example).\n\n- one\n- two\n\nBest,\nSam"
        );
    }

    #[test]
    fn plain_text_writes_a_video_as_its_title_and_address() {
        let body = "Watch:\n\n```video\nyoutube: dQw4w9WgXcQ\ntitle: The session\n```\n\nThen:";
        assert_eq!(
            text(&to_plain_text(body, &NoLinks), &|_| None),
            "Watch:\n\nThe session (https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n\nThen:"
        );
    }

    #[test]
    fn plain_text_gives_internal_links_their_tier_address_or_none() {
        let plain = to_plain_text("See [the other](other.md) now.", &NoLinks);
        let visible =
            text(&plain, &|t| Some(format!("https://p.example/{:?}/{}", t.node, t.suffix)));
        assert_eq!(visible, "See the other (https://p.example/Page(1)/#x) now.");
        assert_eq!(text(&plain, &|_| None), "See the other now.");
    }

    #[test]
    fn the_copy_has_a_placeholder_exactly_where_the_page_has_one() {
        let body = "## For {{client_company}}\n\nHi {{client_first_name}}, see \
                    [the notes](https://e.example/?f={{your_firm}}), [Your *Firm*] and \
                    [Your Firm] but not `{{code_span}}`.\n\n```\n[Code Block]\n```\n\n\
                    ![alt [Alt Text]](https://e.example/i.png)\n\n\
                    [[Client]](other.md)[Topic] and [{{your_name}}](other.md).\n";
        let page = render(body, &NoLinks, Kind::Email).fill(&Alone);
        let plain = to_plain_text(body, &NoLinks);
        let keys =
            ["client-company", "client-first-name", "your-firm", "client", "topic", "your-name"];
        assert_eq!(marked_keys(&page), keys, "{page}");
        for address in [None, Some("https://p.example/?f={{your_firm}}&[Your Firm]")] {
            let copy = placeholder::markup(&plain.fill(&|_| address.map(str::to_string)));
            assert_eq!(marked_keys(&copy), keys, "{copy}");
            assert!(!copy.contains(placeholder::AS_WRITTEN), "{copy:?}");
        }
        assert_eq!(
            text(&plain, &|_| None),
            "For {{client_company}}\n\nHi {{client_first_name}}, see the notes \
             (https://e.example/?f={{your_firm}}), [Your Firm] and [Your Firm] but not \
             {{code_span}}.\n\n[Code Block]\n\nalt [Alt Text]\n\n[Client][Topic] and {{your_name}}."
        );
    }

    #[test]
    fn a_mark_in_the_body_is_not_taken_for_one() {
        let plain = to_plain_text("Hi [Your\0Firm] and {{your_name}}.", &NoLinks);
        let copy = placeholder::markup(&plain.fill(&|_| None));
        assert_eq!(marked_keys(&copy), ["your-firm", "your-name"], "{copy}");
        assert!(copy.contains("[Your\u{fffd}Firm]"), "{copy}");
    }
}
