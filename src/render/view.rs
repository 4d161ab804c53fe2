//! A tier's view of the site: the pages and sections it may see, and nothing else.

use std::collections::BTreeMap;

use super::context::{
    Link, NavItem, PageSummary, SubsectionSummary, TagLink, date_fields, listing_description,
    section_description,
};
use crate::content::Site;
use crate::markdown::{Fill, Node, ProgramPage, Target};
use crate::output::{Contents, OutputFile};
use crate::site_url::BaseUrl;
use crate::tier::Tier;

/// The site as one tier sees it. Cheap: two flag vectors over the shared model.
pub struct TierView<'a> {
    pub site: &'a Site,
    pub tier: &'a Tier,
    pub base: BaseUrl,
    page_visible: Vec<bool>,
    section_visible: Vec<bool>,
    /// Each visible page's neighbours in its section's listing.
    neighbours: Vec<(Option<usize>, Option<usize>)>,
}

impl<'a> TierView<'a> {
    pub fn new(site: &'a Site, tier: &'a Tier, base: BaseUrl) -> Self {
        let page_visible: Vec<bool> = site.pages.iter().map(|p| p.gate.admits(tier)).collect();
        // A section shows when the tier may see it and it leads somewhere: a visible page below
        // it, or a visible section with an `_index.md` of its own below it.
        let mut has_content = vec![false; site.sections.len()];
        let mut mark = |mut section: Option<usize>| {
            while let Some(s) = section {
                has_content[s] = true;
                section = site.sections[s].parent;
            }
        };
        for (page, _) in site.pages.iter().zip(&page_visible).filter(|(_, v)| **v) {
            mark(Some(page.section));
        }
        for (i, section) in site.sections.iter().enumerate() {
            if section.file.is_some() && section.gate.admits(tier) {
                mark(Some(i));
            }
        }
        let section_visible = site
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| s.gate.admits(tier) && (s.parent.is_none() || has_content[i]))
            .collect();
        let mut view =
            TierView { site, tier, base, page_visible, section_visible, neighbours: Vec::new() };
        view.neighbours = vec![(None, None); site.pages.len()];
        for section in 0..site.sections.len() {
            let visible: Vec<usize> = view.section_pages(section).collect();
            for (at, &page) in visible.iter().enumerate() {
                let before = at.checked_sub(1).map(|i| visible[i]);
                view.neighbours[page] = (before, visible.get(at + 1).copied());
            }
        }
        view
    }

    pub fn admits(&self, node: Node) -> bool {
        match node {
            Node::Page(i) => self.page_visible[i],
            Node::Section(i) => self.section_visible[i],
            Node::Program(ProgramPage::Terms) => true,
            Node::Program(ProgramPage::Directory) => self.tier.sees_directory,
        }
    }

    /// Visible pages, in model order.
    pub fn pages(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.site.pages.len()).filter(|&i| self.page_visible[i])
    }

    /// Visible sections, home first.
    pub fn sections(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.site.sections.len()).filter(|&i| self.section_visible[i])
    }

    pub fn section_pages(&self, section: usize) -> impl Iterator<Item = usize> + '_ {
        self.site.sections[section].pages.iter().copied().filter(|&p| self.page_visible[p])
    }

    pub fn subsections(&self, section: usize) -> impl Iterator<Item = usize> + '_ {
        self.site.sections[section].subsections.iter().copied().filter(|&s| self.section_visible[s])
    }

    /// Whether the tier has an Atom feed: it sees at least one dated page.
    pub fn has_feed(&self) -> bool {
        self.pages().any(|p| super::feed::is_dated(&self.site.pages[p]))
    }

    /// The page that holds the referral form, when this tier can see one.
    pub fn referral_page(&self) -> Option<usize> {
        self.pages().find(|&p| {
            self.site.pages[p]
                .meta
                .template
                .as_ref()
                .is_some_and(|(t, _)| t == "referral-form.html")
        })
    }

    /// Top-level sections, then top-level pages, as the site's main navigation.
    pub fn nav(&self) -> Vec<NavItem> {
        let home = self.site.sections.iter().position(|s| s.parent.is_none()).unwrap_or(0);
        let sections = self.subsections(home).map(|s| {
            let section = &self.site.sections[s];
            NavItem {
                title: section.title.clone(),
                url: self.base.link(&section.path),
                path: section.path.clone(),
            }
        });
        sections.collect()
    }

    /// The site path of the top-level section that holds a section, for marking the
    /// current navigation item (empty for the home section itself).
    pub fn top_level_path(&self, section: usize) -> &str {
        let mut current = section;
        while let Some(parent) = self.site.sections[current].parent {
            if self.site.sections[parent].parent.is_none() {
                return &self.site.sections[current].path;
            }
            current = parent;
        }
        ""
    }

    pub fn link(&self, page: usize) -> Link {
        let page = &self.site.pages[page];
        Link { title: page.title.clone(), url: self.base.link(&page.path) }
    }

    /// Home and every section above the given one, outermost first, ending with it.
    pub fn breadcrumbs(&self, section: usize) -> Vec<Link> {
        let mut crumbs = Vec::new();
        let mut current = Some(section);
        while let Some(s) = current {
            let section = &self.site.sections[s];
            crumbs.push(Link { title: section.title.clone(), url: self.base.link(&section.path) });
            current = section.parent;
        }
        crumbs.reverse();
        crumbs
    }

    /// The visible pages before and after a page in its section's listing.
    pub fn neighbours(&self, page: usize) -> (Option<usize>, Option<usize>) {
        self.neighbours[page]
    }

    pub fn summary(&self, page: usize) -> PageSummary {
        let p = &self.site.pages[page];
        let (date, date_display) = date_fields(p.meta.date.as_ref());
        PageSummary {
            title: p.title.clone(),
            url: self.base.link(&p.path),
            description: listing_description(p.meta.description.as_deref(), &p.body.summary),
            date,
            date_display,
            subject: p.meta.subject.clone(),
            client: p.meta.client.clone(),
            industry: p.meta.industry.clone(),
            outcome: p.meta.outcome.clone(),
        }
    }

    pub fn subsection_summary(&self, section: usize) -> SubsectionSummary {
        let s = &self.site.sections[section];
        SubsectionSummary {
            title: s.title.clone(),
            url: self.base.link(&s.path),
            description: section_description(s),
            page_count: self.section_pages(section).count(),
        }
    }

    /// Tags of visible pages by URL slug, each with the name first seen and its visible pages,
    /// newest first. Names that make the same slug (`C++` and `c`) share one tag page.
    pub fn tags(&self) -> BTreeMap<String, (String, Vec<usize>)> {
        let mut tags: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        for p in self.pages() {
            for tag in &self.site.pages[p].meta.tags {
                let entry = tags.entry(tag_slug(tag)).or_insert_with(|| (tag.clone(), Vec::new()));
                if !entry.1.contains(&p) {
                    entry.1.push(p);
                }
            }
        }
        for (_, pages) in tags.values_mut() {
            pages.sort_by(|&a, &b| {
                let (a, b) = (&self.site.pages[a], &self.site.pages[b]);
                let date = |p: &crate::content::Page| p.meta.date.as_ref().map(|d| d.timestamp);
                date(b).cmp(&date(a)).then_with(|| a.title.cmp(&b.title))
            });
        }
        tags
    }

    pub fn tag_link(&self, name: &str) -> TagLink {
        TagLink {
            name: name.to_string(),
            url: self.base.link(&format!("tags/{}/", tag_slug(name))),
            count: 0,
        }
    }

    /// Co-located assets of visible pages and sections.
    pub fn assets(&self) -> impl Iterator<Item = OutputFile> + '_ {
        let pages = self.pages().flat_map(|p| {
            let page = &self.site.pages[p];
            page.assets.iter().map(move |a| (page.path.as_str(), a))
        });
        let sections = self.sections().flat_map(|s| {
            let section = &self.site.sections[s];
            section.assets.iter().map(move |a| (section.path.as_str(), a))
        });
        pages.chain(sections).map(|(owner, asset)| OutputFile {
            path: format!("{owner}{}", asset.name),
            contents: Contents::Copy(asset.source.clone()),
        })
    }
}

pub fn tag_slug(name: &str) -> String {
    let slug = slug::slugify(name);
    if slug.is_empty() { "tag".to_string() } else { slug }
}

impl TierView<'_> {
    /// The site path of a target, when this tier can see it.
    fn target_path(&self, target: &Target) -> Option<String> {
        self.admits(target.node)
            .then(|| format!("{}{}", self.site.path(target.node), target.suffix))
    }

    /// The absolute URL of a target, when this tier can see it.
    pub fn absolute_url(&self, target: &Target) -> Option<String> {
        self.target_path(target).map(|path| self.base.absolute(&path))
    }
}

impl Fill for TierView<'_> {
    fn url(&self, target: &Target) -> Option<String> {
        self.target_path(target).map(|path| self.base.link(&path))
    }
}
