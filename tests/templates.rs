//! Email templates and one-pagers: their placeholders are marked up in the body, the subject
//! and the plain-text copy, never in code or link addresses, and the copy filled with a
//! partner's values is the plain text with those values in place of its placeholders only.

use std::collections::HashMap;

use crate::common::Site;

const EMAIL: &str = "---
title: Introduce the client
subject: \"Introduction: {{client_company}} and [Your Firm]\"
---

Hi {{client_first_name}},

We spoke about [Specific Problem]; the [checklist](https://e.example/list?for={{your_firm}}) helps.
Type `{{not_a_field}}` or `{{your_firm}}` in the form, and [1] is a note.

- [x] agreed

Best regards,\\
{{your_name}}, [Your Firm]
";

const ONE_PAGER: &str = "---
title: Alder & Finch at a glance
one_pager: true
---

**Prepared for [Client Name] by [Your Firm]**

A page about [Specific Problem].
";

fn site() -> Site {
    Site::new()
        .file("content/mail/_index.md", "---\ntitle: Mail\n---\n")
        .file("content/mail/introduce.md", EMAIL)
        .file("content/sheets/_index.md", "---\ntitle: Sheets\n---\n")
        .file("content/sheets/at-a-glance.md", ONE_PAGER)
        .file("content/guide.md", "---\ntitle: Guide\n---\n\nSee [Note] and {{your_firm}}.\n")
}

/// The text of a page of [`site`], built.
fn built(path: &str) -> String {
    let site = site();
    site.build_ok();
    site.read_output(path)
}

fn span(key: &str, text: &str) -> String {
    format!("<span class=\"placeholder\" data-placeholder=\"{key}\">{text}</span>")
}

/// The text of the element opened by `start_tag`, as a browser reads it: tags dropped,
/// character references resolved.
fn element_text(html: &str, start_tag: &str, end_tag: &str) -> String {
    element_text_with(html, start_tag, end_tag, &HashMap::new())
}

/// The text of the element opened by `start_tag` once the theme's script has shown the value
/// for each placeholder span's key in `values` in place of the span's text.
fn element_text_with(
    html: &str,
    start_tag: &str,
    end_tag: &str,
    values: &HashMap<&str, &str>,
) -> String {
    let start = html.find(start_tag).unwrap_or_else(|| panic!("no {start_tag} in {html}"));
    let content = &html[start + start_tag.len()..];
    let content = &content[..content.find(end_tag).expect("the element closes")];
    let mut text = String::new();
    let mut rest = content;
    while let Some(open) = rest.find('<') {
        text.push_str(&decode(&rest[..open]));
        let tag_end = open + rest[open..].find('>').expect("the tag closes") + 1;
        let value = span_key(&rest[open..tag_end]).and_then(|key| values.get(key));
        rest = &rest[tag_end..];
        if let Some(value) = value {
            text.push_str(value);
            rest = &rest[rest.find("</span>").expect("the span closes")..];
        }
    }
    text.push_str(&decode(rest));
    text
}

/// The key a placeholder's start tag names.
fn span_key(tag: &str) -> Option<&str> {
    let key = tag.strip_prefix("<span class=\"placeholder\" data-placeholder=\"")?;
    key.split('"').next()
}

/// The keys of the placeholder spans in some HTML, in order.
fn span_keys(html: &str) -> Vec<&str> {
    html.match_indices("<span class=").filter_map(|(at, _)| span_key(&html[at..])).collect()
}

/// Text with the character references HTML escaping writes resolved.
fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

const COPY_SOURCE: &str =
    "<pre class=\"copy-source\" data-copy-source=\"body\" hidden data-pagefind-ignore>";

#[test]
fn email_placeholders_are_marked_in_body_subject_and_copy_but_not_in_code_or_links() {
    let page = built("active/mail/introduce/index.html");
    let subject = format!(
        "<span data-copy-source=\"subject\">Introduction: {} and {}</span>",
        span("client-company", "{{client_company}}"),
        span("your-firm", "[Your Firm]")
    );
    assert!(page.contains(&subject), "{page}");
    assert!(page.contains(&format!("Hi {},", span("client-first-name", "{{client_first_name}}"))));
    assert!(page.contains(&span("specific-problem", "[Specific Problem]")), "{page}");
    assert!(
        page.contains(&format!(
            "<br />\n{}, {}</p>",
            span("your-name", "{{your_name}}"),
            span("your-firm", "[Your Firm]")
        )),
        "{page}"
    );
    assert!(page.contains("<code>{{not_a_field}}</code>"), "{page}");
    assert!(page.contains("href=\"https://e.example/list?for=%7B%7Byour_firm%7D%7D\""), "{page}");
    assert!(!page.contains("data-placeholder=\"1\""), "{page}");
    assert!(page.contains("<form class=\"placeholder-form\" data-placeholder-form hidden"));
    assert!(page.contains("data-mailto hidden"), "{page}");
}

#[test]
fn the_copied_text_is_the_plain_text_with_the_values_filled_in() {
    let page = built("active/mail/introduce/index.html");
    let plain = element_text(&page, COPY_SOURCE, "</pre>");
    assert_eq!(
        plain,
        "Hi {{client_first_name}},\n\nWe spoke about [Specific Problem]; the checklist \
         (https://e.example/list?for={{your_firm}}) helps.\nType {{not_a_field}} or \
         {{your_firm}} in the form, and [1] is a note.\n\n- [x] agreed\n\n\
         Best regards,\n{{your_name}}, [Your Firm]"
    );
    let values = HashMap::from([
        ("your-firm", "Harbor & Co"),
        ("your-name", "Dana Reyes"),
        ("client-first-name", "Jo"),
        ("not-a-field", "nothing"),
    ]);
    assert_eq!(
        element_text_with(&page, COPY_SOURCE, "</pre>", &values),
        "Hi Jo,\n\nWe spoke about [Specific Problem]; the checklist \
         (https://e.example/list?for={{your_firm}}) helps.\nType {{not_a_field}} or \
         {{your_firm}} in the form, and [1] is a note.\n\n- [x] agreed\n\n\
         Best regards,\nDana Reyes, Harbor & Co"
    );
}

#[test]
fn the_copy_has_a_placeholder_exactly_where_the_page_shows_one() {
    let page = built("active/mail/introduce/index.html");
    let body_start = page.find("data-copy-html=\"body\">").expect("the email body");
    let body = &page[body_start..body_start + page[body_start..].find("</div>").unwrap()];
    let copy_start = page.find(COPY_SOURCE).expect("the copy source");
    let copy = &page[copy_start..copy_start + page[copy_start..].find("</pre>").unwrap()];
    let keys = ["client-first-name", "specific-problem", "your-name", "your-firm"];
    assert_eq!(span_keys(body), keys, "{body}");
    assert_eq!(span_keys(copy), keys, "{copy}");
}

#[test]
fn a_one_pager_is_marked_up_printable_and_credits_the_partners_firm() {
    let page = built("referral-network/sheets/at-a-glance/index.html");
    assert!(page.contains("<article class=\"page one-pager\""), "{page}");
    assert!(page.contains(&format!(
        "<strong>Prepared for {} by {}</strong>",
        span("client-name", "[Client Name]"),
        span("your-firm", "[Your Firm]")
    )));
    let credit = format!(
        "<p class=\"print-credit\" data-print-credit hidden>Shared by {}</p>",
        span("your-firm", "[Your Firm]")
    );
    assert!(page.contains(&credit), "{page}");
    assert!(page.contains("data-print hidden>Print or save as PDF</button>"), "{page}");
    let plain = element_text(&page, COPY_SOURCE, "</pre>");
    assert_eq!(
        plain,
        "Prepared for [Client Name] by [Your Firm]\n\nA page about [Specific Problem]."
    );
}

#[test]
fn ordinary_pages_show_brackets_and_braces_as_written() {
    let page = built("strategic/guide/index.html");
    assert!(page.contains("<p>See [Note] and {{your_firm}}.</p>"), "{page}");
    assert!(!page.contains("data-placeholder=\""), "{page}");
}

#[test]
fn errors_on_a_one_pager_flag_that_is_not_true_or_false() {
    let site =
        Site::new().file("content/sheet.md", "---\ntitle: Sheet\none_pager: yes\n---\nText.\n");
    let problems = site.build_err();
    let [problem] = problems.as_slice() else { panic!("one problem: {problems:?}") };
    assert_eq!(problem.location(), "content/sheet.md:3:12");
    assert_eq!(problem.help.as_deref(), Some("write `one_pager: true` or `one_pager: false`"));
}

#[test]
fn a_one_pager_may_name_its_own_template() {
    let site =
        Site::new().file("themes/default/templates/sheet.html", "SHEET {{ page.title }}").file(
            "content/sheet.md",
            "---\ntitle: Sheet\none_pager: true\ntemplate: sheet.html\n---\n[Your Firm]\n",
        );
    site.build_ok();
    assert_eq!(site.read_output("active/sheet/index.html"), "SHEET Sheet");
}
