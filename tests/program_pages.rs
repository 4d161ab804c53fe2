//! Pages made from `partners.yaml`: the program terms page in every tier (tier comparison,
//! response time, attribution, commission schedule and examples) and the partner directory in
//! the tiers the program lists.

use crate::common::Site;

const PROGRAM: &str = "\
program:
  name: Test Network
  base_url: https://partners.example.com/
  contact: partners@example.com
  response_sla: 36h
  intake:
    protection_window: 180d
  commission:
    currency: EUR
    basis: fees collected in the first year
    bands:
      - { referrals: 1-2, rate: 10% }
      - { referrals: 3-5, rate: 12.5% }
      - { referrals: 6+, rate: 20% }
    engagements:
      - { id: audit, name: Audit support, rate: 4% }
  directory:
    tiers: [gold, silver]
tiers:
  - id: gold
    name: Gold
    benefits: [Gold desk, Joint planning]
    support: Named director
    move_up: Already at the top
    commission_starts_at: 3
  - id: silver
    name: Silver
    benefits: [Silver newsletter]
    support: Partner manager
    move_up: Four won referrals a year
  - id: bronze
    name: Bronze
    benefits: [Bronze portal]
    move_up: Two won referrals a year
partners:
  - id: listed
    firm: Listed & Co
    tier: bronze
    offers: [Tax advice]
    refers: [Audit]
    regions: [Ontario]
    contacts: [{ name: Ann Lee, email: ann@listed.example, role: Partner }]
    directory: true
  - id: quiet
    firm: Quiet Partners
    tier: gold
    offers: [Valuations]
    regions: [Quebec]
";

fn site(program: &str) -> Site {
    let site = Site::with_partners(program).file("content/_index.md", "---\ntitle: Home\n---\n");
    site.build_ok();
    site
}

/// The visible text of an HTML file: tags dropped, entities decoded, spaces collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out.replace("&amp;", "&").replace("&#x27;", "'").replace("&quot;", "\"");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn terms(site: &Site, tier: &str) -> String {
    text(&site.read_output(&format!("{tier}/program-terms/index.html")))
}

#[test]
fn each_tier_compares_itself_with_the_tiers_below_it() {
    let site = site(PROGRAM);
    let gold = terms(&site, "gold");
    for expected in ["Gold desk", "Silver newsletter", "Bronze portal", "Named director"] {
        assert!(gold.contains(expected), "{expected}: {gold}");
    }
    let silver = terms(&site, "silver");
    assert!(silver.contains("You are in the Silver tier"), "{silver}");
    assert!(silver.contains("Silver newsletter") && silver.contains("Bronze portal"));
    assert!(silver.contains("Four won referrals a year"), "what it takes to move up");
    let bronze = terms(&site, "bronze");
    assert!(bronze.contains("Bronze portal") && bronze.contains("Two won referrals a year"));
    // Nothing about the tiers above, anywhere in the bronze site.
    for tier in ["silver", "bronze"] {
        for hidden in ["Gold desk", "Named director", "Already at the top"] {
            assert!(
                !crate::common::tree_contains(&site.output().join(tier), hidden),
                "{hidden} in {tier}"
            );
        }
    }
    assert!(!crate::common::tree_contains(&site.output().join("bronze"), "Silver newsletter"));
}

#[test]
fn a_program_may_show_every_tier_the_tiers_above() {
    let site = site(&PROGRAM.replace("  directory:\n", "  compare_tiers: all\n  directory:\n"));
    let bronze = terms(&site, "bronze");
    assert!(bronze.contains("Gold desk") && bronze.contains("Silver newsletter"), "{bronze}");
}

#[test]
fn the_terms_state_the_service_levels_and_the_schedule() {
    let site = site(PROGRAM);
    let silver = terms(&site, "silver");
    for expected in [
        "within 36 hours",
        "protects you for 180 days",
        "fees collected in the first year",
        "1 to 2 10%",
        "3 to 5 12.5%",
        "6 or more 20%",
        "Audit support 4%",
        "Amounts are in EUR",
    ] {
        assert!(silver.contains(expected), "{expected}: {silver}");
    }
}

/// Examples at €25,000 per referral, computed by hand:
/// 10 % = €2,500; 12.5 % = €3,125; 20 % = €5,000.
#[test]
fn the_examples_apply_the_bands_and_each_tiers_head_start() {
    let site = site(PROGRAM);
    let silver = terms(&site, "silver");
    for expected in [
        "1 €2,500.00",  // 1 × 2,500
        "2 €5,000.00",  // 2 × 2,500
        "3 €8,125.00",  // 5,000 + 3,125
        "5 €14,375.00", // 5,000 + 3 × 3,125
        "6 €19,375.00", // 14,375 + 5,000
        "7 €24,375.00", // 19,375 + 5,000
    ] {
        assert!(silver.contains(expected), "{expected}: {silver}");
    }
    // Gold's year starts at the third referral: its 1st to 3rd won referrals count as the
    // 3rd to 5th (12.5 % each), its 4th and 5th as the 6th and 7th (20 %).
    let gold = terms(&site, "gold");
    assert!(gold.contains("first won referral counts as number 3"), "{gold}");
    for expected in [
        "1 €3,125.00",  // 3,125
        "3 €9,375.00",  // 3 × 3,125
        "4 €14,375.00", // the 4th counts as the 6th: 9,375 + 5,000
        "5 €19,375.00", // 9,375 + 2 × 5,000
    ] {
        assert!(gold.contains(expected), "{expected}: {gold}");
    }
}

#[test]
fn whole_year_bands_raise_the_years_earlier_referrals() {
    let whole = PROGRAM.replace("    basis:", "    bands_apply_to: whole-year\n    basis:");
    let site = site(&whole);
    let silver = terms(&site, "silver");
    // 3 × 3,125; 5 × 3,125; 6 × 5,000.
    for expected in ["2 €5,000.00", "3 €9,375.00", "5 €15,625.00", "6 €30,000.00"] {
        assert!(silver.contains(expected), "{expected}: {silver}");
    }
    assert!(silver.contains("raises the rate of that year's earlier referrals"));
}

#[test]
fn the_directory_lists_opted_in_partners_only_where_the_program_allows() {
    let site = site(PROGRAM);
    for tier in ["gold", "silver"] {
        let directory = text(&site.read_output(&format!("{tier}/partner-directory/index.html")));
        for expected in ["Listed & Co", "Tax advice", "Audit", "Ontario", "ann@listed.example"] {
            assert!(directory.contains(expected), "{expected} in {tier}: {directory}");
        }
        assert!(!directory.contains("Quiet Partners"), "a partner who did not opt in");
        let home = site.read_output(&format!("{tier}/index.html"));
        assert!(home.contains("/partner-directory/\""), "the navigation links to it");
    }
    assert!(!site.output().join("bronze/partner-directory").exists());
    let bronze = site.output().join("bronze");
    assert!(!crate::common::tree_contains(&bronze, "partner-directory"), "no link to it either");
    assert!(!crate::common::tree_contains(&bronze, "Listed &amp; Co"));
}

#[test]
fn program_pages_are_in_the_sitemap_and_the_navigation() {
    let site = site(PROGRAM);
    let sitemap = site.read_output("bronze/sitemap.xml");
    assert!(sitemap.contains("https://partners.example.com/bronze/program-terms/"), "{sitemap}");
    let home = site.read_output("bronze/index.html");
    assert!(home.contains("href=\"/bronze/program-terms/\""), "{home}");
}

#[test]
fn content_cannot_take_a_program_page_path() {
    let site = Site::with_partners(PROGRAM)
        .file("content/_index.md", "---\ntitle: Home\n---\n")
        .file("content/program-terms.md", "---\ntitle: Mine\n---\n");
    let problems = site.build_err();
    let shown = crate::common::list(&problems);
    assert!(shown.contains("program terms page"), "{shown}");
}

#[test]
fn a_schedule_without_bands_still_states_its_flat_fee_and_engagement_terms() {
    let program = PROGRAM
        .replace(
            "    bands:\n      - { referrals: 1-2, rate: 10% }\n      - { referrals: 3-5, rate: 12.5% }\n      - { referrals: 6+, rate: 20% }\n",
            "    flat_fee: 400\n",
        );
    let site = site(&program);
    let silver = terms(&site, "silver");
    assert!(silver.contains("earns a flat €400.00"), "{silver}");
    assert!(silver.contains("Audit support 4%"), "{silver}");
    assert!(silver.contains("1 €400.00"), "a referral earns the flat fee: {silver}");
}

#[test]
fn durations_read_as_people_say_them() {
    let program = PROGRAM.replace("response_sla: 36h", "response_sla: 1h").replace("180d", "36h");
    let site = site(&program);
    let silver = terms(&site, "silver");
    assert!(silver.contains("within 1 hour,"), "{silver}");
    assert!(silver.contains("protects you for 36 hours"), "{silver}");
}

#[test]
fn content_links_to_program_pages_as_to_any_page() {
    let guide = "---\ntitle: Guide\ntier: silver\n---\nSee [the calculator](/program-terms/#calculator) \
                 and [who to refer to](../partner-directory/).\n";
    let site = Site::with_partners(PROGRAM)
        .file("content/_index.md", "---\ntitle: Home\n---\n")
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\n")
        .file("content/guides/guide.md", guide);
    site.build_ok();
    for tier in ["gold", "silver"] {
        let page = site.read_output(&format!("{tier}/guides/guide/index.html"));
        assert!(page.contains(&format!("href=\"/{tier}/program-terms/#calculator\"")), "{page}");
        assert!(page.contains(&format!("href=\"/{tier}/partner-directory/\"")), "{page}");
    }
}

#[test]
fn a_link_to_the_directory_from_a_page_a_tier_without_it_sees_is_a_tier_crossing_link() {
    let site =
        Site::with_partners(PROGRAM).file("content/_index.md", "---\ntitle: Home\n---\n").file(
            "content/refer.md",
            "---\ntitle: Refer\n---\nAsk [a partner](/partner-directory/).\n",
        );
    let shown = crate::common::list(&site.build_err());
    assert!(shown.contains("content/refer.md:4:5"), "{shown}");
    assert!(shown.contains("bronze"), "the tier that cannot see it: {shown}");
}
