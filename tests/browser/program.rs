//! The program terms page's commission calculator and the partner directory's filters, in the
//! example portal: the calculator's figures must be the ones portico computes (the examples
//! table it rendered, and other inputs computed here with the same rules), and the filters
//! must show exactly the partners that match.

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Browser, Portal, ROOT, Tab, chromium_or_skip, wait_for};

/// Sets the calculator's inputs as typing would and returns the plain figure it shows.
fn calculate(tab: &mut Tab<'_>, referrals: u32, fees: &str) -> String {
    let script = format!(
        r#"(() => {{
            const form = document.querySelector("[data-calculator]");
            form.elements.referrals.value = {referrals};
            form.elements.fees.value = {fees};
            form.dispatchEvent(new Event("input", {{ bubbles: true }}));
            return form.querySelector("output").getAttribute("data-amount");
        }})()"#,
        fees = json!(fees)
    );
    let amount = tab.eval(&script).expect("run the calculator");
    amount.as_str().expect("a figure").to_owned()
}

#[test]
fn the_calculator_agrees_with_the_schedule_in_every_tier() {
    let Some(chromium) = chromium_or_skip() else { return };
    let root = Path::new(ROOT);
    let portal = Portal::build(root);
    let program = portico::program::load(&root.join("partners.yaml")).expect("partners.yaml");
    let schedule = &program.commission;
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();
    for tier in program.tiers.iter() {
        let url = portal.url(&format!("{}/program-terms/", tier.id));
        assert_eq!(tab.load(&url), 200, "{url}");
        wait_for(&mut tab, r#"!document.querySelector("[data-calculator]").hidden"#);

        // Every row of the examples table portico rendered.
        let rows = tab
            .eval(
                r#"[...document.querySelectorAll(".commission-examples [data-referrals]")]
                .map(r => [Number(r.dataset.referrals), r.dataset.amount])"#,
            )
            .expect("read the examples");
        let rows = rows.as_array().expect("rows");
        assert!(rows.len() >= 3, "{url}: {rows:?}");
        for row in rows {
            let (count, amount) = (row[0].as_u64().unwrap() as u32, row[1].as_str().unwrap());
            assert_eq!(calculate(&mut tab, count, "25000"), amount, "{url}: {count} referrals");
        }

        // Amounts that need rounding, and the tier's head start, computed here.
        for (count, fees) in [(1, "0.05"), (4, "1234.55"), (11, "99999.99"), (0, "500")] {
            let expected = schedule.estimate(
                count,
                fees.parse::<Decimal>().unwrap(),
                tier.commission_starts_at,
            );
            let shown = calculate(&mut tab, count, fees);
            assert_eq!(shown, schedule.currency.plain(expected), "{url}: {count} × {fees}");
        }
        // Typed the way people type: separators only between groups of three digits.
        for (typed, plain) in
            [("25,000", "25000"), ("1,250,000.50", "1250000.50"), ("25 000", "25000")]
        {
            let figure = calculate(&mut tab, 2, typed);
            assert!(!figure.is_empty() && figure == calculate(&mut tab, 2, plain), "{typed}");
        }
        // And typed wrong: no figure, and a message saying what to type.
        for typed in ["12.345", "1,2,3", "25,00", "1,0000", ",500", "1,000,", "2 5", "1,000 000"] {
            assert_eq!(calculate(&mut tab, 2, typed), "", "{url}: {typed} was read as an amount");
            let error = tab.eval(r#"document.querySelector(".calculator-error").textContent"#);
            assert!(error.unwrap().as_str().unwrap().contains("Enter the fees"), "{typed}");
        }
        assert_eq!(tab.problems(), Vec::<String>::new(), "{url} logged errors");
    }
}

#[test]
fn the_directory_filters_show_exactly_the_matching_partners() {
    let Some(chromium) = chromium_or_skip() else { return };
    let root = Path::new(ROOT);
    let portal = Portal::build(root);
    let program = portico::program::load(&root.join("partners.yaml")).expect("partners.yaml");
    let listed: Vec<_> = program.partners.iter().filter(|p| p.directory).collect();
    let tier = &program.tiers.iter().find(|t| t.sees_directory).expect("a directory tier").id;
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();
    let url = portal.url(&format!("{tier}/partner-directory/"));
    assert_eq!(tab.load(&url), 200, "{url}");
    wait_for(&mut tab, r#"!document.querySelector("[data-directory-filters]").hidden"#);

    let region = &listed[0].regions[0];
    let service = &listed[0].offers[0];
    for (region, service) in
        [(region.as_str(), ""), ("", service.as_str()), (region.as_str(), service.as_str())]
    {
        let expected: Vec<&str> = listed
            .iter()
            .filter(|p| region.is_empty() || p.regions.iter().any(|r| r == region))
            .filter(|p| {
                service.is_empty() || p.offers.iter().chain(&p.refers).any(|s| s == service)
            })
            .map(|p| p.firm.as_str())
            .collect();
        let script = format!(
            r#"(() => {{
                const form = document.querySelector("[data-directory-filters]");
                form.elements.region.value = {region};
                form.elements.service.value = {service};
                form.dispatchEvent(new Event("change", {{ bubbles: true }}));
                return [...document.querySelectorAll(".directory-entry")]
                    .filter(e => !e.hidden).map(e => e.querySelector("h2").textContent);
            }})()"#,
            region = json!(region),
            service = json!(service)
        );
        let mut shown: Vec<String> =
            serde_json::from_value::<Vec<String>>(tab.eval(&script).unwrap()).unwrap();
        shown.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(shown, expected, "region {region:?}, service {service:?}");
        let count = tab.eval(r#"document.querySelector(".directory-count").textContent"#).unwrap();
        assert_eq!(
            count,
            Value::from(format!("Showing {} of {} partners", shown.len(), listed.len()))
        );
    }
    assert_eq!(tab.problems(), Vec::<String>::new(), "{url} logged errors");
}
