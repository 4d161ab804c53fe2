//! The tier's Atom feed of dated pages (news, case studies): `feed.xml` at the tier's root.
//!
//! Only pages the tier can see are entries. The feed is the theme's `feed.xml` template, given
//! raw text: tera escapes every value once, as it does in the sitemap. Nothing in it depends on
//! when the build runs: the feed's `updated` is its newest entry's, so a tier without dated
//! pages gets no feed at all (and its pages no link to one).

use serde::Serialize;

use super::{OutputFile, RenderError, Renderer, TierView};
use crate::content::{Page, PageDate};

/// Where each tier's feed is written.
pub const FEED_FILE: &str = "feed.xml";

/// The most entries a feed holds, newest first.
const LIMIT: usize = 50;

/// What the `feed.xml` template receives as `feed`.
#[derive(Serialize)]
pub struct FeedContext {
    /// The feed's own absolute URL (`rel="self"`).
    pub url: String,
    /// The tier's home page: the feed's id and `rel="alternate"` link.
    pub home: String,
    /// The newest entry's `updated`, RFC 3339.
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

#[derive(Serialize)]
pub struct FeedEntry {
    pub title: String,
    /// The page's absolute URL, also the entry's id.
    pub url: String,
    /// `date`, RFC 3339.
    pub published: String,
    /// `updated`, else `date`, RFC 3339.
    pub updated: String,
    /// The description, else the first paragraph, as plain text.
    pub summary: String,
}

/// Whether a page belongs in the feed: it has a publication date.
pub fn is_dated(page: &Page) -> bool {
    page.meta.date.is_some()
}

/// The feed's entries for this tier, newest first, at most [`LIMIT`].
fn entries(view: &TierView<'_>) -> Vec<FeedEntry> {
    let mut dated: Vec<(&Page, &PageDate, &PageDate)> = view
        .pages()
        .map(|p| &view.site.pages[p])
        .filter_map(|page| Some((page, page.meta.date.as_ref()?, page.meta.last_changed()?)))
        .collect();
    // The path breaks ties, so two pages of one day always come in the same order.
    dated.sort_by(|(a, _, a_changed), (b, _, b_changed)| {
        b_changed.timestamp.cmp(&a_changed.timestamp).then_with(|| a.path.cmp(&b.path))
    });
    dated
        .into_iter()
        .take(LIMIT)
        .map(|(page, date, changed)| FeedEntry {
            title: xml_text(&page.title),
            url: view.base.absolute(&page.path),
            published: rfc3339(date),
            updated: rfc3339(changed),
            summary: xml_text(page.meta.description.as_deref().unwrap_or(&page.body.summary)),
        })
        .collect()
}

fn rfc3339(date: &PageDate) -> String {
    format!("{:.0}", date.timestamp)
}

/// Text without the control characters XML 1.0 forbids even as character references: one in a
/// title would make the whole feed unreadable to a feed reader.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
        .filter(|&c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
        .collect()
}

impl Renderer<'_> {
    /// The tier's feed, or nothing when the tier has no dated page.
    pub(super) fn feed(&self) -> Result<Option<(OutputFile, u64)>, RenderError> {
        let entries = entries(self.view);
        let Some(newest) = entries.first() else { return Ok(None) };
        let base = &self.view.base;
        let feed = FeedContext {
            url: base.absolute(FEED_FILE),
            home: base.absolute(""),
            updated: newest.updated.clone(),
            entries,
        };
        let mut inputs = self.inputs();
        inputs.put("feed", &feed);
        self.plain(FEED_FILE, FEED_FILE, inputs).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_only_what_xml_cannot_hold() {
        assert_eq!(xml_text("a\u{1}b\tc\u{7f}d é\u{ffff}"), "ab\tc\u{7f}d é");
    }
}
