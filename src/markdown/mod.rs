//! Markdown to HTML, once per page, independent of tier.
//!
//! Internal links and images cannot be written out yet: their URL carries the tier's base path,
//! and a link to a page that a tier cannot see must not show that page's address there. So
//! the renderer leaves a numbered slot for each internal link or image ([`Slot`]); each tier
//! fills the slots cheaply in [`Rendered::fill`]. Everything else is final HTML.
//!
//! Text that looks like template syntax (`{{ name }}`) is ordinary text here: page bodies are
//! never run through the template engine. In email templates and one-pagers it is a
//! placeholder, marked up for the partner to fill in ([`placeholder`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

pub mod placeholder;
mod plain;
mod tasks;
pub mod video;

pub use plain::{PlainText, to_plain_text};

/// Where an internal link points: a page or section, and what follows its path
/// (`#anchor`, or the file name of a co-located asset).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub node: Node,
    pub suffix: String,
}

/// A page or a section of the site, by index into the site model, or a page the build makes
/// from `partners.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    Page(usize),
    Section(usize),
    Program(ProgramPage),
}

/// The pages made from `partners.yaml`, which content may link to like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgramPage {
    /// `program-terms/`, in every tier.
    Terms,
    /// `partner-directory/`, in the tiers the program lists.
    Directory,
}

impl ProgramPage {
    pub const ALL: [ProgramPage; 2] = [ProgramPage::Terms, ProgramPage::Directory];

    /// Its folder, as the first segment of its site path.
    pub const fn folder(self) -> &'static str {
        match self {
            ProgramPage::Terms => "program-terms",
            ProgramPage::Directory => "partner-directory",
        }
    }

    /// Its site path: `program-terms/`.
    pub const fn path(self) -> &'static str {
        match self {
            ProgramPage::Terms => "program-terms/",
            ProgramPage::Directory => "partner-directory/",
        }
    }
}

/// A hole in the rendered HTML that each tier fills: a link's start or end, an image, or a
/// bare address (`Url`) inside an attribute written around it, such as a video file's `src`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    LinkStart { target: Target, title: String, offset: usize },
    LinkEnd { target: Target },
    Image { target: Target, alt: String, title: String, offset: usize },
    Url { target: Target, offset: usize },
}

/// What a body is, which decides how it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A page or section intro.
    Prose,
    /// An email template: written line by line, as it will be sent, with placeholders.
    Email,
    /// A one-pager a partner prints or shares, with placeholders.
    OnePager,
}

impl Kind {
    fn keeps_line_breaks(self) -> bool {
        self == Kind::Email
    }

    fn has_placeholders(self) -> bool {
        matches!(self, Kind::Email | Kind::OnePager)
    }
}

/// A link the renderer could not resolve: reported, and left as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub destination: String,
    /// Byte offset of the link in the markdown body.
    pub offset: usize,
}

/// One entry of a page's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A page body rendered to HTML with slots for internal links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The HTML with a [`MARK`] where each slot goes, LZ4-compressed: a site's bodies are held
    /// from loading until every tier has rendered, and compressed they take a third of the
    /// memory for a few milliseconds of work.
    html: Vec<u8>,
    slots: Vec<Slot>,
    pub headings: Vec<Heading>,
    pub broken_links: Vec<BrokenLink>,
    /// Links to an anchor on the same page (`#fees`), with their offsets, for `check`.
    pub local_anchors: Vec<(String, usize)>,
    /// Links and images to `http(s)` addresses, with their offsets, for `check --external`.
    pub external_links: Vec<(String, usize)>,
    /// Mistakes in `video` blocks: they stop the build.
    pub video_problems: Vec<video::Problem>,
    /// The first paragraph as plain text, for listings.
    pub summary: String,
    /// A hash of the HTML and its slots: equal fingerprints fill to equal HTML.
    pub fingerprint: u64,
}

/// Decides where a link destination points.
pub trait Resolve {
    /// `None` for external links (left alone); `Some(Err(()))` for internal links that point
    /// nowhere; `Some(Ok(target))` for resolved ones.
    fn resolve(&self, destination: &str) -> Option<Result<Target, ()>>;

    /// Whether [`Rendered::external_links`] is wanted: only `check --external` reads it, and a
    /// large site has a great many.
    fn keeps_external_links(&self) -> bool {
        true
    }
}

/// How a tier writes a slot: the URL of a target, or `None` when the tier cannot see it.
pub trait Fill {
    fn url(&self, target: &Target) -> Option<String>;
}

/// Marks a slot in the HTML. CommonMark turns U+0000 in the input into U+FFFD and the input
/// is scrubbed of it as well, so the marker cannot occur in rendered text.
const MARK: char = '\0';

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders a markdown body as `kind` asks: an email keeps every line break in a paragraph, as
/// its author expects, and emails and one-pagers have their placeholders marked.
pub fn render(body: &str, resolver: &dyn Resolve, kind: Kind) -> Rendered {
    let body: std::borrow::Cow<'_, str> = match body.contains(MARK) {
        true => body.replace(MARK, "\u{fffd}").into(),
        false => body.into(),
    };
    // Task items are named after their text, which follows their marker: a first pass reads
    // those names, only for a body that can hold one.
    let texts = match body.contains("[ ]") || body.contains("[x]") || body.contains("[X]") {
        true => tasks::item_texts(Parser::new_ext(&body, options())),
        false => Default::default(),
    };
    let mut renderer = Renderer {
        resolver,
        out: VecDeque::new(),
        rendered: Rendered::default(),
        open_links: Vec::new(),
        in_first_paragraph: None,
        keep_line_breaks: kind.keeps_line_breaks(),
        ids: HashSet::new(),
        suffixes: HashMap::new(),
        checkboxes: tasks::Checkboxes::new(texts),
    };
    let mut events = Parser::new_ext(&body, options()).into_offset_iter();
    let mut html = String::with_capacity(body.len() * 5 / 4);
    if kind.has_placeholders() {
        // Placeholders are marked across the whole of an email or one-pager, which is short.
        while let Some((event, range)) = events.next() {
            renderer.step(event, range, &mut events);
        }
        let out = placeholder::mark_events(renderer.out.drain(..).collect());
        pulldown_cmark::html::push_html(&mut html, out.into_iter());
    } else {
        // The events stream from the parser to the HTML writer: the longest page of a large
        // site makes hundreds of thousands, and they are never all held at once.
        let stream = std::iter::from_fn(|| {
            loop {
                if let Some(event) = renderer.out.pop_front() {
                    return Some(event);
                }
                let (event, range) = events.next()?;
                renderer.step(event, range, &mut events);
            }
        });
        pulldown_cmark::html::push_html(&mut html, stream);
    }
    debug_assert_eq!(html.matches(MARK).count(), renderer.rendered.slots.len());
    let mut rendered = renderer.rendered;
    rendered.fingerprint = crate::fingerprint::of((&html, &rendered.slots));
    rendered.html = lz4_flex::compress_prepend_size(html.as_bytes());
    rendered
}

struct Renderer<'r, 'a> {
    resolver: &'r dyn Resolve,
    /// Events ready for the HTML writer.
    out: VecDeque<Event<'a>>,
    rendered: Rendered,
    /// For each open link: the target when it became a slot.
    open_links: Vec<Option<Target>>,
    /// Whether the text read is in the first paragraph (`Some(true)`), after it, or before it.
    in_first_paragraph: Option<bool>,
    keep_line_breaks: bool,
    /// Heading ids given so far, and the last suffix tried for each repeated one.
    ids: HashSet<String>,
    suffixes: HashMap<String, usize>,
    checkboxes: tasks::Checkboxes,
}

impl<'a> Renderer<'_, 'a> {
    /// Takes one event, and with it those up to the end of a heading, image or video block,
    /// and queues what they render to.
    fn step(
        &mut self,
        event: Event<'a>,
        range: Range<usize>,
        events: &mut impl Iterator<Item = (Event<'a>, Range<usize>)>,
    ) {
        match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let inner: Vec<(Event<'a>, Range<usize>)> = events
                    .by_ref()
                    .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::Heading(_))))
                    .collect();
                self.heading(level, id, classes, attrs, inner);
            }
            Event::Start(tag @ Tag::Link { .. }) => self.link_start(tag, range.start),
            Event::End(TagEnd::Link) => match self.open_links.pop().flatten() {
                Some(target) => self.slot(Slot::LinkEnd { target }),
                None => self.out.push_back(Event::End(TagEnd::Link)),
            },
            Event::Start(tag @ Tag::Image { .. }) => {
                let inner: Vec<Event<'a>> = until_image_end(events);
                self.image(tag, inner, range.start);
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info)))
                if video::is_video(info) =>
            {
                let inner: Vec<(Event<'a>, Range<usize>)> = events
                    .by_ref()
                    .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::CodeBlock)))
                    .collect();
                self.video(event, range.start, inner);
            }
            Event::TaskListMarker(done) => {
                let checkbox = self.checkboxes.next(done);
                self.out.push_back(Event::InlineHtml(CowStr::from(checkbox)));
            }
            Event::Start(Tag::Paragraph) if self.in_first_paragraph.is_none() => {
                self.in_first_paragraph = Some(true);
                self.out.push_back(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) if self.in_first_paragraph == Some(true) => {
                self.in_first_paragraph = Some(false);
                self.out.push_back(Event::End(TagEnd::Paragraph));
            }
            Event::Text(ref text) | Event::Code(ref text)
                if self.in_first_paragraph == Some(true) =>
            {
                self.rendered.summary.push_str(text);
                self.out.push_back(event);
            }
            Event::SoftBreak => {
                if self.in_first_paragraph == Some(true) {
                    self.rendered.summary.push(' ');
                }
                self.out.push_back(if self.keep_line_breaks { Event::HardBreak } else { event });
            }
            other => self.out.push_back(other),
        }
    }

    fn slot(&mut self, slot: Slot) {
        self.rendered.slots.push(slot);
        self.out.push_back(Event::InlineHtml(CowStr::from(MARK.to_string())));
    }

    fn heading(
        &mut self,
        level: HeadingLevel,
        id: Option<CowStr<'a>>,
        classes: Vec<CowStr<'a>>,
        attrs: Vec<(CowStr<'a>, Option<CowStr<'a>>)>,
        inner: Vec<(Event<'a>, Range<usize>)>,
    ) {
        let events: Vec<Event<'a>> = inner.iter().map(|(e, _)| e.clone()).collect();
        let text = plain_text(&events);
        let wanted = match &id {
            Some(id) => id.to_string(),
            None => slug::slugify(&text),
        };
        let id = self.unique_id(if wanted.is_empty() { "section".into() } else { wanted });
        self.rendered.headings.push(Heading { level: level as u8, id: id.clone(), text });
        let tag = Tag::Heading { level, id: Some(CowStr::from(id)), classes, attrs };
        self.out.push_back(Event::Start(tag));
        // Headings may hold links too; run them through the same slot logic, keeping their
        // offsets so a broken link in a heading is reported on its own line.
        self.run_inline(inner);
        self.out.push_back(Event::End(TagEnd::Heading(level)));
    }

    /// Runs the events inside a heading, which add nothing to the summary.
    fn run_inline(&mut self, events: Vec<(Event<'a>, Range<usize>)>) {
        let summary = std::mem::take(&mut self.rendered.summary);
        let in_first_paragraph = self.in_first_paragraph.take();
        let mut events = events.into_iter();
        while let Some((event, range)) = events.next() {
            self.step(event, range, &mut events);
        }
        self.in_first_paragraph = in_first_paragraph;
        self.rendered.summary = summary;
    }

    fn unique_id(&mut self, wanted: String) -> String {
        if self.ids.insert(wanted.clone()) {
            return wanted;
        }
        let suffix = self.suffixes.entry(wanted.clone()).or_default();
        loop {
            *suffix += 1;
            let id = format!("{wanted}-{suffix}");
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// Opens a link: a slot when it points inside the site, otherwise the link as written.
    fn link_start(&mut self, tag: Tag<'a>, offset: usize) {
        if let Tag::Link { dest_url, .. } = &tag
            && let Some(anchor) = dest_url.strip_prefix('#')
            && !anchor.is_empty()
        {
            self.rendered.local_anchors.push((anchor.to_string(), offset));
        }
        self.note_external(&tag, offset);
        match self.internal_target(tag, offset) {
            Ok((target, title)) => {
                self.open_links.push(Some(target.clone()));
                self.slot(Slot::LinkStart { target, title, offset });
            }
            Err(tag) => {
                self.open_links.push(None);
                self.out.push_back(Event::Start(tag));
            }
        }
    }

    /// A `video` block: the player, or the block as written when it has mistakes.
    fn video(&mut self, start: Event<'a>, fence: usize, inner: Vec<(Event<'a>, Range<usize>)>) {
        let lines = video::lines(&inner);
        match video::parse(fence, &lines) {
            Ok(found) => {
                for part in found.parts() {
                    match part {
                        video::Part::Html(html) => {
                            self.out.push_back(Event::Html(CowStr::from(html)))
                        }
                        video::Part::File(file) => self.file_address(&file),
                    }
                }
            }
            Err(problems) => {
                self.rendered.video_problems.extend(problems);
                self.out.push_back(start);
                self.out.extend(inner.into_iter().map(|(e, _)| e));
                self.out.push_back(Event::End(TagEnd::CodeBlock));
            }
        }
    }

    /// The address of a file named in a video block: a slot, or the name as written when it
    /// names no file (reported as a broken link).
    fn file_address(&mut self, file: &video::FileName) {
        match self.resolve(&file.name, file.offset) {
            Some(target) => self.slot(Slot::Url { target, offset: file.offset }),
            None => self.out.push_back(Event::Html(CowStr::from(escape(&file.name)))),
        }
    }

    /// Records a link or image to an `http(s)` address, for `check --external`.
    fn note_external(&mut self, tag: &Tag<'a>, offset: usize) {
        let (Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = tag else { return };
        if !self.resolver.keeps_external_links() {
            return;
        }
        let lower = dest_url.get(..8).unwrap_or(dest_url).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            self.rendered.external_links.push((dest_url.to_string(), offset));
        }
    }

    /// An image: a slot when it points inside the site, otherwise the image as written.
    fn image(&mut self, tag: Tag<'a>, inner: Vec<Event<'a>>, offset: usize) {
        self.note_external(&tag, offset);
        match self.internal_target(tag, offset) {
            Ok((target, title)) => {
                let alt = plain_text(&inner);
                self.slot(Slot::Image { target, alt, title, offset });
            }
            Err(tag) => {
                self.out.push_back(Event::Start(tag));
                self.out.extend(inner);
                self.out.push_back(Event::End(TagEnd::Image));
            }
        }
    }

    /// The target and title of a link or image tag that points inside the site, or the tag
    /// itself, to be written as it stands, when it points outside or nowhere.
    fn internal_target(
        &mut self,
        tag: Tag<'a>,
        offset: usize,
    ) -> Result<(Target, String), Tag<'a>> {
        let (Tag::Link { dest_url, title, .. } | Tag::Image { dest_url, title, .. }) = &tag else {
            return Err(tag);
        };
        match self.resolve(dest_url, offset) {
            Some(target) => Ok((target, title.to_string())),
            None => Err(tag),
        }
    }

    fn resolve(&mut self, destination: &str, offset: usize) -> Option<Target> {
        match self.resolver.resolve(destination)? {
            Ok(target) => Some(target),
            Err(()) => {
                let broken = BrokenLink { destination: destination.to_string(), offset };
                self.rendered.broken_links.push(broken);
                None
            }
        }
    }
}

impl Rendered {
    /// The finished HTML for one tier.
    pub fn fill(&self, tier: &dyn Fill) -> String {
        let stored = self.html();
        let mut html = String::with_capacity(stored.len() + 64);
        let mut pieces = stored.split(MARK);
        html.push_str(pieces.next().unwrap_or_default());
        for (slot, piece) in self.slots.iter().zip(pieces) {
            write_slot(&mut html, slot, tier);
            html.push_str(piece);
        }
        html
    }

    /// The HTML as rendered, with a [`MARK`] for each slot.
    fn html(&self) -> String {
        if self.html.is_empty() {
            return String::new();
        }
        let bytes = lz4_flex::decompress_size_prepended(&self.html)
            .expect("a body decompresses: `render` compressed it");
        String::from_utf8(bytes).expect("a body is UTF-8: `render` compressed a `String`")
    }

    /// Every target the body points to, with the byte offset of its link in the body.
    pub fn targets_with_offsets(&self) -> impl Iterator<Item = (&Target, usize)> {
        self.slots.iter().filter_map(|slot| match slot {
            Slot::LinkStart { target, offset, .. }
            | Slot::Image { target, offset, .. }
            | Slot::Url { target, offset } => Some((target, *offset)),
            Slot::LinkEnd { .. } => None,
        })
    }
}

fn write_slot(html: &mut String, slot: &Slot, tier: &dyn Fill) {
    use std::fmt::Write;
    match slot {
        Slot::LinkStart { target, title, .. } => match tier.url(target) {
            Some(url) => {
                let _ = write!(html, "<a href=\"{}\"", escape(&url));
                if !title.is_empty() {
                    let _ = write!(html, " title=\"{}\"", escape(title));
                }
                html.push('>');
            }
            None => html.push_str("<span class=\"link-unavailable\">"),
        },
        Slot::LinkEnd { target } => {
            html.push_str(if tier.url(target).is_some() { "</a>" } else { "</span>" });
        }
        Slot::Url { target, .. } => {
            if let Some(url) = tier.url(target) {
                html.push_str(&escape(&url));
            }
        }
        Slot::Image { target, alt, title, .. } => match tier.url(target) {
            Some(url) => {
                let _ = write!(html, "<img src=\"{}\" alt=\"{}\"", escape(&url), escape(alt));
                if !title.is_empty() {
                    let _ = write!(html, " title=\"{}\"", escape(title));
                }
                html.push_str(" />");
            }
            None => {
                let _ = write!(html, "<span class=\"image-unavailable\">{}</span>", escape(alt));
            }
        },
    }
}

/// The events inside an image, up to its matching end: an image's alt text may hold images.
fn until_image_end<'a>(
    events: &mut impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<Event<'a>> {
    let mut depth = 0usize;
    let mut inner = Vec::new();
    for (event, _) in events.by_ref() {
        match event {
            Event::Start(Tag::Image { .. }) => depth += 1,
            Event::End(TagEnd::Image) if depth == 0 => break,
            Event::End(TagEnd::Image) => depth -= 1,
            _ => {}
        }
        inner.push(event);
    }
    inner
}

/// Escapes text for an HTML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of some inline events, without markup.
pub fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves `other.md` to a page, `missing.md` to nothing, and leaves the rest external.
    pub(super) struct NoLinks;
    impl Resolve for NoLinks {
        fn resolve(&self, destination: &str) -> Option<Result<Target, ()>> {
            match destination {
                "other.md" => Some(Ok(Target { node: Node::Page(1), suffix: "#x".into() })),
                "missing.md" => Some(Err(())),
                _ => None,
            }
        }
    }

    struct Everything(bool);
    impl Fill for Everything {
        fn url(&self, target: &Target) -> Option<String> {
            self.0.then(|| format!("/t/page-{:?}/{}", target.node, target.suffix))
        }
    }

    #[test]
    fn template_syntax_is_shown_as_written() {
        let html =
            render("Hi {{my.Partner Name}} {% x %}", &NoLinks, Kind::Prose).fill(&Everything(true));
        assert_eq!(html, "<p>Hi {{my.Partner Name}} {% x %}</p>\n");
    }

    #[test]
    fn heading_ids_are_unique_within_a_page() {
        let rendered = render("## Fees\n\n## Fees\n\n## Fees {#custom}\n", &NoLinks, Kind::Prose);
        let ids: Vec<_> = rendered.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["fees", "fees-1", "custom"]);
    }

    #[test]
    fn internal_links_are_filled_per_tier() {
        let rendered =
            render("See [the other](other.md) and [gone](missing.md).", &NoLinks, Kind::Prose);
        assert_eq!(rendered.broken_links[0].destination, "missing.md");
        let visible = rendered.fill(&Everything(true));
        assert!(visible.contains("<a href=\"/t/page-Page(1)/#x\">the other</a>"), "{visible}");
        let hidden = rendered.fill(&Everything(false));
        assert!(hidden.contains("<span class=\"link-unavailable\">the other</span>"), "{hidden}");
        assert!(!hidden.contains("page-"), "{hidden}");
    }

    #[test]
    fn many_equal_headings_get_distinct_ids_quickly() {
        let body = "## a\n\n".repeat(5000);
        let rendered = render(&body, &NoLinks, Kind::Prose);
        let ids: HashSet<&str> = rendered.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), 5000);
    }

    #[test]
    fn email_placeholders_are_marked_in_text_only() {
        let body = "## For {{client_company}}\n\nHi {{client_first_name}}, see \
                    [the notes](https://e.example/?f={{your_firm}}) and [Your Firm] but not \
                    `{{code_span}}`.\n\n```\n[Code Block]\n```\n\n\
                    ![alt [Alt Text]](https://e.example/i.png)\n";
        let rendered = render(body, &NoLinks, Kind::Email);
        let html = rendered.fill(&Everything(true));
        let span = |key: &str, text: &str| {
            format!("<span class=\"placeholder\" data-placeholder=\"{key}\">{text}</span>")
        };
        assert!(
            html.contains(&format!(
                "<h2 id=\"for-client-company\">For {}</h2>",
                span("client-company", "{{client_company}}")
            )),
            "{html}"
        );
        assert!(html.contains(&span("client-first-name", "{{client_first_name}}")), "{html}");
        assert!(html.contains(&format!("and {} but", span("your-firm", "[Your Firm]"))), "{html}");
        assert!(
            html.contains("href=\"https://e.example/?f=%7B%7Byour_firm%7D%7D\">the notes</a>"),
            "{html}"
        );
        assert!(html.contains("<code>{{code_span}}</code>"), "{html}");
        assert!(html.contains("<code>[Code Block]\n</code>"), "{html}");
        assert!(html.contains("alt=\"alt [Alt Text]\""), "{html}");
        assert_eq!(html.matches("data-placeholder=").count(), 3, "{html}");
        assert_eq!(rendered.headings[0].id, "for-client-company");
    }

    #[test]
    fn prose_shows_placeholders_as_written() {
        let html = render("Hi {{name}} [Your Firm]", &NoLinks, Kind::Prose).fill(&Everything(true));
        assert_eq!(html, "<p>Hi {{name}} [Your Firm]</p>\n");
    }

    #[test]
    fn a_video_block_becomes_a_facade_without_third_party_sources() {
        let body = "Watch:\n\n```video\nvimeo: 76979871\ntitle: Etiquette\n```\n";
        let html = render(body, &NoLinks, Kind::Prose).fill(&Everything(true));
        assert!(
            html.contains(
                "data-video-embed=\"https://player.vimeo.com/video/76979871?autoplay=1&amp;dnt=1\""
            ),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://vimeo.com/76979871\" rel=\"noopener\">"),
            "{html}"
        );
        assert!(
            !html.contains("src=") && !html.contains("<iframe") && !html.contains("<pre"),
            "{html}"
        );
    }

    #[test]
    fn a_mistaken_video_block_is_kept_as_written_and_reported_at_its_line() {
        let body = "Intro.\n\n```video\nyoutube: nope\ntitle: T\n```\n";
        let rendered = render(body, &NoLinks, Kind::Prose);
        let [problem] = rendered.video_problems.as_slice() else { panic!("one problem") };
        assert_eq!(&body[problem.offset..problem.offset + 4], "nope");
        assert!(rendered.fill(&Everything(true)).contains("<code class=\"language-video\">"));
    }

    #[test]
    fn a_video_file_is_addressed_per_tier_and_a_missing_one_is_a_broken_link() {
        struct Files;
        impl Resolve for Files {
            fn resolve(&self, destination: &str) -> Option<Result<Target, ()>> {
                match destination {
                    "talk.mp4" => {
                        Some(Ok(Target { node: Node::Page(1), suffix: "talk.mp4".into() }))
                    }
                    _ => Some(Err(())),
                }
            }
        }
        let body = "```video\nfile: talk.mp4\ncaptions: talk.en.vtt\ntitle: T\n```\n";
        let rendered = render(body, &Files, Kind::Prose);
        assert!(rendered.video_problems.is_empty(), "{:?}", rendered.video_problems);
        let html = rendered.fill(&Everything(true));
        assert!(
            html.contains("<video controls preload=\"none\" src=\"/t/page-Page(1)/talk.mp4\">"),
            "{html}"
        );
        assert!(
            html.contains("<track kind=\"captions\" src=\"talk.en.vtt\" srclang=\"en\""),
            "{html}"
        );
        assert!(rendered.targets_with_offsets().all(|(_, at)| &body[at..at + 8] == "talk.mp4"));
        let [broken] = rendered.broken_links.as_slice() else { panic!("one broken link") };
        assert_eq!(&body[broken.offset..broken.offset + 12], "talk.en.vtt\n");
    }

    #[test]
    fn task_lists_become_named_checkboxes() {
        let html = render("- [ ] Call the client\n- [x] Register\n", &NoLinks, Kind::Prose)
            .fill(&Everything(true));
        assert_eq!(
            html,
            "<ul>\n<li><input type=\"checkbox\" class=\"task\" disabled \
             data-task=\"call-the-client\" aria-label=\"Call the client\"> Call the client</li>\n\
             <li><input type=\"checkbox\" class=\"task\" disabled data-task=\"register\" \
             aria-label=\"Register\" checked> Register</li>\n</ul>\n"
        );
    }

    #[test]
    fn images_inside_image_alt_text_stay_inside_it() {
        let html = render(
            "![a ![b](x.png) [c](other.md)](https://e.example/i.png)",
            &NoLinks,
            Kind::Prose,
        )
        .fill(&Everything(true));
        assert_eq!(html, "<p><img src=\"https://e.example/i.png\" alt=\"a b c\" /></p>\n");
    }
}
