//! What the intake service takes from `partners.yaml` and its command line, checked once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::build::tier_base_url;
use crate::program::Program;
use crate::site_url::BaseUrl;

/// The service's settings, validated.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub program_name: String,
    pub contact: String,
    /// Where the portal's form posts, such as `https://intake.example.com/referrals`; tracking
    /// links are this address followed by `/<token>`.
    pub intake_url: String,
    /// Web origins whose pages may post referrals: the program's, each tier's and any listed
    /// under `intake.origins`.
    pub origins: HashSet<String>,
    pub partners: HashMap<String, PartnerPortal>,
    /// The portal everyone can see, for pages that cannot tell which partner is asking.
    pub public_portal: BaseUrl,
    pub sla_hours: u32,
    /// The path the service answers at: `intake_url`'s, such as `/referrals`.
    pub route: String,
    pub limits: Limits,
    /// Whether to take the client's address from `X-Forwarded-For`; only behind a proxy that
    /// sets it, or any client could pick its own address.
    pub behind_proxy: bool,
}

/// How this instance of the service is deployed, beside what `partners.yaml` says.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    pub limits: Limits,
    pub behind_proxy: bool,
    /// Where the portal is served instead of `base_url`, as with `build --base-url`: a local
    /// preview, say. Tiers are under it at `<tier-id>/`.
    pub base_url: Option<BaseUrl>,
}

/// A partner as the intake needs them: whom to thank and where.
#[derive(Debug, Clone)]
pub struct PartnerPortal {
    pub firm: String,
    /// The base URL of the partner's tier site.
    pub portal: BaseUrl,
}

/// How much one client may ask of the service.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Referrals per minute per client address; 0 turns the limit off.
    pub submissions_per_minute: u32,
    /// The longest a request may take, body included.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { submissions_per_minute: 20, request_timeout: Duration::from_secs(15) }
    }
}

/// The largest body accepted. A form with every field at its limit in four-byte characters,
/// percent-encoded, or in JSON with `\u` escapes, comes to about 190 KiB.
pub const BODY_LIMIT: usize = 256 * 1024;

impl IntakeConfig {
    pub fn new(program: &Program, deployment: &Deployment) -> Result<IntakeConfig, String> {
        let intake_url = program.intake_url.as_deref().ok_or(
            "`partners.yaml` sets no `program.intake_url`; set it to the address partners' \
             browsers reach this service at, such as `https://intake.example.com/referrals`",
        )?;
        let parsed = url::Url::parse(intake_url)
            .map_err(|e| format!("`program.intake_url` is not a URL: {e}"))?;
        let base = deployment.base_url.as_ref();
        let mut origins: HashSet<String> =
            program.intake.extra_origins.iter().map(BaseUrl::web_origin).collect();
        origins.insert(base.unwrap_or(&program.base_url).web_origin());
        // The intake's own pages (the form shown again with its errors) post here too.
        origins.insert(parsed.origin().ascii_serialization());
        let mut portals = HashMap::new();
        for tier in program.tiers.iter() {
            let portal = tier_base_url(program, tier, base);
            origins.insert(portal.web_origin());
            portals.insert(tier.id.clone(), portal);
        }
        let lowest = program.tiers.iter().last().ok_or("the program has no tiers")?;
        let public_portal = portals[&lowest.id].clone();
        let partners = program
            .partners
            .iter()
            .map(|p| {
                let portal = portals.get(&p.tier).cloned().unwrap_or_else(|| public_portal.clone());
                (p.id.clone(), PartnerPortal { firm: p.firm.clone(), portal })
            })
            .collect();
        Ok(IntakeConfig {
            program_name: program.name.clone(),
            contact: program.contact.clone(),
            intake_url: intake_url.trim_end_matches('/').to_string(),
            origins,
            partners,
            public_portal,
            sla_hours: program.response_sla_hours,
            route: parsed.path().trim_end_matches('/').to_string(),
            limits: deployment.limits,
            behind_proxy: deployment.behind_proxy,
        })
    }

    pub fn tracking_url(&self, token: &str) -> String {
        format!("{}/{token}", self.intake_url)
    }

    /// The firm of a partner, or its id when `partners.yaml` no longer lists it.
    pub fn firm<'a>(&'a self, partner_id: &'a str) -> &'a str {
        self.partners.get(partner_id).map_or(partner_id, |p| p.firm.as_str())
    }

    /// The portal a partner's pages link back to: their tier's, or the public one.
    pub fn portal_of(&self, partner_id: Option<&str>) -> &BaseUrl {
        partner_id.and_then(|id| self.partners.get(id)).map_or(&self.public_portal, |p| &p.portal)
    }
}
