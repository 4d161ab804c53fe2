//! Task lists (`- [ ] item`) as a checklist a partner can tick off.
//!
//! Each checkbox is written disabled, as a plain list reads without JavaScript; the theme's
//! script enables it and keeps what was ticked in the browser. To survive edits that add or
//! reorder items, a box is named after its item's text (`data-task`), not its position.

use std::collections::{HashSet, VecDeque};

use pulldown_cmark::{Event, Tag, TagEnd};

use super::escape;

/// The text of each task item in `events`, in order: what follows its marker up to the end of
/// the item or the start of a list nested in it.
pub fn item_texts<'a>(events: impl IntoIterator<Item = Event<'a>>) -> VecDeque<String> {
    let mut texts = VecDeque::new();
    // The text of the item being read, from its marker on.
    let mut current: Option<String> = None;
    for event in events {
        let Some(text) = current.as_mut() else {
            if matches!(event, Event::TaskListMarker(_)) {
                current = Some(String::new());
            }
            continue;
        };
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Item) | Event::Start(Tag::List(_)) => {
                texts.push_back(text.split_whitespace().collect::<Vec<_>>().join(" "));
                current = None;
            }
            _ => {}
        }
    }
    if let Some(text) = current {
        texts.push_back(text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    texts
}

/// Names the checkboxes of one page, each after its item's text and unique on the page.
#[derive(Default)]
pub struct Checkboxes {
    texts: VecDeque<String>,
    names: HashSet<String>,
}

impl Checkboxes {
    pub fn new(texts: VecDeque<String>) -> Self {
        Checkboxes { texts, names: HashSet::new() }
    }

    /// The next item's checkbox.
    pub fn next(&mut self, done: bool) -> String {
        let text = self.texts.pop_front().unwrap_or_default();
        let wanted = short_slug(&text);
        let mut name = wanted.clone();
        let mut suffix = 1;
        while !self.names.insert(name.clone()) {
            suffix += 1;
            name = format!("{wanted}-{suffix}");
        }
        format!(
            "<input type=\"checkbox\" class=\"task\" disabled data-task=\"{}\" \
             aria-label=\"{}\"{}> ",
            escape(&name),
            escape(&text),
            if done { " checked" } else { "" }
        )
    }
}

/// The item's text as a slug of at most [`NAME_LENGTH`] bytes, cut between words.
fn short_slug(text: &str) -> String {
    let slug = slug::slugify(text);
    let cut = match slug.len() <= NAME_LENGTH {
        true => slug.as_str(),
        false => slug[..=NAME_LENGTH].rsplit_once('-').map_or(&slug[..NAME_LENGTH], |(a, _)| a),
    };
    if cut.is_empty() { "task".to_string() } else { cut.to_string() }
}

/// How long a checkbox's name may be: enough to tell items apart.
const NAME_LENGTH: usize = 60;

#[cfg(test)]
mod tests {
    use pulldown_cmark::Parser;

    use super::*;
    use crate::markdown::options;

    #[test]
    fn names_boxes_after_their_items_and_keeps_them_unique() {
        let body =
            "- [ ] Call **the** client\n- [x] Call the client\n  - [ ] nested `step`\n- [ ]\n";
        let texts = item_texts(Parser::new_ext(body, options()));
        assert_eq!(texts, ["Call the client", "Call the client", "nested step", ""]);
        let mut boxes = Checkboxes::new(texts);
        assert_eq!(
            boxes.next(false),
            "<input type=\"checkbox\" class=\"task\" disabled data-task=\"call-the-client\" \
             aria-label=\"Call the client\"> "
        );
        assert!(
            boxes.next(true).contains(
                "data-task=\"call-the-client-2\" aria-label=\"Call the client\" checked>"
            )
        );
        assert!(boxes.next(false).contains("data-task=\"nested-step\""));
        assert!(boxes.next(false).contains("data-task=\"task\""));
    }

    #[test]
    fn long_items_are_named_by_their_first_words() {
        let name =
            short_slug(&"Write down any remark about effort, delay or doubt in words ".repeat(2));
        assert_eq!(name, "write-down-any-remark-about-effort-delay-or-doubt-in-words");
    }
}
