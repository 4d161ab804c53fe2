//! Tiers and visibility: which tier sees which content.
//!
//! Tiers are ordered highest first; their rank is their position (0 = highest). Content gated
//! to a tier is visible in that tier and every tier above it, so a piece of content is visible
//! in a tier when the tier's rank is at most the content's gate.

use serde::Serialize;

use crate::site_url::BaseUrl;

#[derive(Debug, Clone, Serialize)]
pub struct Tier {
    pub id: String,
    pub name: String,
    /// Position in `partners.yaml`: 0 is the highest tier.
    pub rank: usize,
    pub benefits: Vec<String>,
    pub review: Option<String>,
    pub commission: Option<String>,
    /// The first won referral of each year counts as this one, which starts the tier's year
    /// in a later commission band (1: no head start).
    pub commission_starts_at: u32,
    /// How the firm supports partners of the tier.
    pub support: Option<String>,
    /// What a partner of the tier needs to move up to the next one.
    pub move_up: Option<String>,
    /// Whether the program's `directory.tiers` lists the tier.
    pub sees_directory: bool,
    #[serde(skip)]
    pub base_url: Option<BaseUrl>,
}

/// The program's tiers, highest first.
#[derive(Debug, Clone, Default)]
pub struct Tiers(Vec<Tier>);

impl Tiers {
    pub fn new(tiers: Vec<Tier>) -> Self {
        Tiers(tiers)
    }

    /// Marks the tiers that see the partner directory.
    pub fn show_directory_to(&mut self, ids: &[String]) {
        for tier in &mut self.0 {
            tier.sees_directory = ids.contains(&tier.id);
        }
    }

    pub fn by_id(&self, id: &str) -> Option<&Tier> {
        self.0.iter().find(|t| t.id == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|t| t.id.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tier> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Who may see a piece of content: every tier, or a tier and those above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gate {
    #[default]
    Everyone,
    /// Visible in the tier of this rank and every higher tier (lower rank).
    AtLeast(usize),
    /// Visible nowhere: drafts in a normal build.
    Nobody,
}

impl Gate {
    pub fn admits(self, tier: &Tier) -> bool {
        match self {
            Gate::Everyone => true,
            Gate::AtLeast(rank) => tier.rank <= rank,
            Gate::Nobody => false,
        }
    }

    /// The stricter of two gates: what content inside a gated section may see.
    pub fn narrowed_by(self, other: Gate) -> Gate {
        match (self, other) {
            (Gate::Nobody, _) | (_, Gate::Nobody) => Gate::Nobody,
            (Gate::Everyone, g) | (g, Gate::Everyone) => g,
            (Gate::AtLeast(a), Gate::AtLeast(b)) => Gate::AtLeast(a.min(b)),
        }
    }

    /// Whether this gate lets in a tier that `outer` keeps out.
    pub fn is_looser_than(self, outer: Gate) -> bool {
        self.narrowed_by(outer) != self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(rank: usize) -> Tier {
        Tier {
            id: format!("t{rank}"),
            name: String::new(),
            rank,
            benefits: vec![],
            review: None,
            commission: None,
            commission_starts_at: 1,
            support: None,
            move_up: None,
            sees_directory: false,
            base_url: None,
        }
    }

    #[test]
    fn gate_admits_its_tier_and_those_above() {
        let gate = Gate::AtLeast(1);
        assert!(gate.admits(&tier(0)));
        assert!(gate.admits(&tier(1)));
        assert!(!gate.admits(&tier(2)));
    }

    #[test]
    fn a_page_cannot_loosen_its_section() {
        assert!(Gate::Everyone.is_looser_than(Gate::AtLeast(1)));
        assert!(Gate::AtLeast(2).is_looser_than(Gate::AtLeast(1)));
        assert!(!Gate::AtLeast(0).is_looser_than(Gate::AtLeast(1)));
        assert!(!Gate::AtLeast(1).is_looser_than(Gate::Everyone));
    }
}
