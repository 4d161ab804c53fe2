//! The HTML the intake service answers with: the form again with its errors, a referral's
//! tracking page, and short notices. The templates come from the site's theme, so these pages
//! look like the portal and share its form.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::config::IntakeConfig;
use super::status::Status;
use super::store::Referral;
use super::submission::INVOLVEMENT;
use crate::theme::{Theme, describe_error};

pub struct Pages {
    theme: Theme,
}

#[derive(Serialize)]
struct ProgramView<'a> {
    name: &'a str,
    contact: &'a str,
    intake_url: &'a str,
    response_sla_hours: u32,
    response_sla: String,
}

#[derive(Serialize)]
struct HistoryView {
    at: String,
    status: Status,
    label: &'static str,
    note: Option<String>,
}

#[derive(Serialize)]
struct TrackingView<'a> {
    id: i64,
    status: Status,
    label: &'static str,
    closed: bool,
    firm: &'a str,
    client_org: &'a str,
    submitted_at: String,
    acknowledge_by: String,
    acknowledged: bool,
    history: Vec<HistoryView>,
}

impl Pages {
    pub fn new(theme: Theme) -> Pages {
        Pages { theme }
    }

    fn render(
        &self,
        template: &str,
        config: &IntakeConfig,
        partner: Option<&str>,
        extra: impl FnOnce(&mut tera::Context),
    ) -> String {
        let mut context = tera::Context::new();
        context.insert(
            "program",
            &ProgramView {
                name: &config.program_name,
                contact: &config.contact,
                intake_url: &config.intake_url,
                response_sla_hours: config.sla_hours,
                response_sla: crate::program::duration_text(config.sla_hours),
            },
        );
        context.insert("portal_url", &config.portal_of(partner).to_string());
        context.insert("involvement_options", INVOLVEMENT);
        extra(&mut context);
        self.theme.tera.render(template, &context).unwrap_or_else(|e| {
            tracing::error!("the theme's `{template}` does not render: {}", describe_error(&e));
            format!(
                "<!doctype html><title>{0}</title><p>{0}: the page template is broken; \
                write to the partner team instead.</p>",
                config.program_name
            )
        })
    }

    /// The form again, filled in as sent, with a message beside each bad field.
    pub fn retry(
        &self,
        config: &IntakeConfig,
        values: &BTreeMap<String, String>,
        errors: &BTreeMap<String, String>,
    ) -> String {
        let partner = values.get("partner_id").map(String::as_str);
        // In the form's order, named as the form labels them.
        let error_list: Vec<_> = super::submission::FIELDS
            .iter()
            .chain(
                errors
                    .keys()
                    .map(String::as_str)
                    .filter(|f| !super::submission::FIELDS.contains(f))
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .filter_map(|field| {
                let message = errors.get(*field)?;
                Some(serde_json::json!({
                    "field": field,
                    "label": super::submission::label(field),
                    "message": message,
                }))
            })
            .collect();
        self.render("intake-retry.html", config, partner, |context| {
            context.insert("values", values);
            context.insert("errors", errors);
            context.insert("error_list", &error_list);
        })
    }

    pub fn tracking(&self, config: &IntakeConfig, referral: &Referral) -> String {
        let firm = config.firm(&referral.partner_id);
        let view = tracking_view(config, referral, firm);
        self.render("intake-tracking.html", config, Some(&referral.partner_id), |context| {
            context.insert("referral", &view);
        })
    }

    /// A short page for answers that are not about one field: too large, too many, forbidden.
    pub fn notice(&self, config: &IntakeConfig, title: &str, message: &str) -> String {
        let mut sentence = message.chars();
        let sentence: String =
            sentence.next().map(|c| c.to_uppercase().chain(sentence).collect()).unwrap_or_default();
        self.render("intake-notice.html", config, None, |context| {
            context.insert("title", title);
            context.insert("message", &sentence);
        })
    }
}

fn tracking_view<'a>(
    config: &IntakeConfig,
    referral: &'a Referral,
    firm: &'a str,
) -> TrackingView<'a> {
    let due = referral.acknowledge_by(config.sla_hours);
    TrackingView {
        id: referral.id,
        status: referral.status,
        label: referral.status.label(),
        closed: referral.status.is_closed(),
        firm,
        client_org: &referral.fields.client_org,
        submitted_at: when(referral.submitted_at),
        acknowledge_by: when(due),
        acknowledged: referral.status.is_acknowledged(),
        history: referral
            .history
            .iter()
            .map(|event| HistoryView {
                at: when(event.at),
                status: event.status,
                label: event.status.label(),
                note: event.partner_note.clone(),
            })
            .collect(),
    }
}

/// A time as partners read it: UTC, to the minute.
pub fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The JSON form of a tracking page.
pub fn tracking_json(config: &IntakeConfig, referral: &Referral) -> serde_json::Value {
    let firm = config.firm(&referral.partner_id);
    let due = referral.acknowledge_by(config.sla_hours);
    serde_json::json!({
        "id": referral.id,
        "status": referral.status,
        "partner": firm,
        "client_org": referral.fields.client_org,
        "submitted_at": referral.submitted_at,
        "acknowledge_by": due,
        "acknowledged_at": referral.acknowledged_at,
        "history": referral.history.iter().map(|event| serde_json::json!({
            "at": event.at,
            "status": event.status,
            "note": event.partner_note,
        })).collect::<Vec<_>>(),
    })
}
