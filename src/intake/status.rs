//! The status ladder a referral climbs, and which moves along it are allowed.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Where a referral stands. The ladder runs submitted → acknowledged → contacted → meeting →
/// proposal → won or lost; declined, duplicate and expired end it from any open step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Submitted,
    Acknowledged,
    Contacted,
    Meeting,
    Proposal,
    Won,
    Lost,
    Declined,
    Duplicate,
    Expired,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::Acknowledged,
        Status::Contacted,
        Status::Meeting,
        Status::Proposal,
        Status::Won,
        Status::Lost,
        Status::Declined,
        Status::Duplicate,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Acknowledged => "acknowledged",
            Status::Contacted => "contacted",
            Status::Meeting => "meeting",
            Status::Proposal => "proposal",
            Status::Won => "won",
            Status::Lost => "lost",
            Status::Declined => "declined",
            Status::Duplicate => "duplicate",
            Status::Expired => "expired",
        }
    }

    /// How a partner reads the status on the tracking page.
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "Received, waiting for acknowledgement",
            Status::Acknowledged => "Acknowledged",
            Status::Contacted => "Client contacted",
            Status::Meeting => "Meeting held",
            Status::Proposal => "Proposal sent",
            Status::Won => "Won",
            Status::Lost => "Lost",
            Status::Declined => "Declined",
            Status::Duplicate => "Already registered",
            Status::Expired => "Expired",
        }
    }

    /// The position on the ladder; the closing statuses share the top.
    fn step(self) -> usize {
        match self {
            Status::Submitted => 0,
            Status::Acknowledged => 1,
            Status::Contacted => 2,
            Status::Meeting => 3,
            Status::Proposal => 4,
            _ => 5,
        }
    }

    pub fn is_closed(self) -> bool {
        self.step() == 5
    }

    /// Whether a referral at `self` may move to `next` without forcing: only forward, never
    /// out of a closed status, never to where it already is.
    pub fn can_move_to(self, next: Status) -> bool {
        !self.is_closed() && next.step() > self.step()
            || !self.is_closed() && next.is_closed() && next != self
    }

    /// Whether the firm has acknowledged a referral at this status (the SLA clock has stopped).
    pub fn is_acknowledged(self) -> bool {
        self != Status::Submitted
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(text: &str) -> Result<Status, String> {
        Status::ALL.into_iter().find(|s| s.as_str() == text).ok_or_else(|| {
            let all: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown status `{text}`; use one of {}", all.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_forward_along_the_ladder() {
        assert!(Status::Submitted.can_move_to(Status::Acknowledged));
        assert!(Status::Submitted.can_move_to(Status::Meeting));
        assert!(Status::Proposal.can_move_to(Status::Won));
        assert!(!Status::Meeting.can_move_to(Status::Contacted));
        assert!(!Status::Contacted.can_move_to(Status::Contacted));
    }

    #[test]
    fn closed_statuses_end_the_ladder() {
        assert!(Status::Acknowledged.can_move_to(Status::Declined));
        assert!(Status::Submitted.can_move_to(Status::Duplicate));
        assert!(!Status::Won.can_move_to(Status::Lost));
        assert!(!Status::Expired.can_move_to(Status::Acknowledged));
    }

    #[test]
    fn parses_every_status_it_prints() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        assert!("pending".parse::<Status>().unwrap_err().contains("submitted, acknowledged"));
    }
}
