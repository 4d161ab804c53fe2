//! Defences in front of the handlers: which pages may post, and how often one client may ask.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::config::IntakeConfig;

/// Why a post was refused before its body was read.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Neither `Origin` nor `Referer` names one of the portal's origins.
    Origin,
    /// Too many requests; try again after this long.
    TooMany(Duration),
}

/// Whether a post comes from one of the portal's pages. `Origin` decides when a browser sent
/// it; otherwise `Referer`; a request with neither is refused.
pub fn check_origin(headers: &HeaderMap, config: &IntakeConfig) -> Result<(), Refusal> {
    let origin = match (headers.get(header::ORIGIN), headers.get(header::REFERER)) {
        (Some(origin), _) => origin.to_str().ok().map(str::to_string),
        (None, Some(referer)) => referer
            .to_str()
            .ok()
            .and_then(|r| url::Url::parse(r).ok())
            .map(|url| url.origin().ascii_serialization()),
        (None, None) => None,
    };
    match origin {
        Some(origin) if config.origins.contains(&origin) => Ok(()),
        _ => Err(Refusal::Origin),
    }
}

/// Per-client rate limits: one for submissions, a looser one for tracking pages.
pub struct Limiter {
    submissions: Option<DefaultKeyedRateLimiter<IpAddr>>,
    lookups: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Limiter {
        let submissions =
            NonZeroU32::new(per_minute).map(|n| governor::RateLimiter::keyed(Quota::per_minute(n)));
        let lookups = NonZeroU32::new(per_minute.max(20).saturating_mul(6)).expect("positive");
        Limiter { submissions, lookups: governor::RateLimiter::keyed(Quota::per_minute(lookups)) }
    }

    /// Takes one request from the client's allowance.
    pub fn admit(&self, client: IpAddr, submission: bool) -> Result<(), Refusal> {
        let client = allowance_key(client);
        let limiter = if submission {
            match &self.submissions {
                Some(limiter) => limiter,
                None => return Ok(()),
            }
        } else {
            &self.lookups
        };
        limiter.check_key(&client).map_err(|not_until| {
            Refusal::TooMany(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Forgets clients whose allowance is full again, so the table does not grow forever.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.submissions {
            limiter.retain_recent();
        }
        self.lookups.retain_recent();
    }
}

/// Whose allowance a request counts against. One IPv6 network (a /64) is one client: a single
/// home or server usually has the whole of one, and could otherwise rotate addresses forever.
fn allowance_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or behind a trusted proxy the address the
/// proxy appended last to `X-Forwarded-For` (earlier entries are whatever the client wrote).
pub fn client_address<B>(request: &Request<B>, config: &IntakeConfig) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if !config.behind_proxy {
        return peer;
    }
    // Only the very last entry is the proxy's; anything before it came from the client.
    let last_entry = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|entry| entry.trim().parse::<IpAddr>().ok());
    last_entry.unwrap_or(peer)
}

/// A shared limiter whose idle entries are swept every minute while the service runs.
pub fn sweep_regularly(limiter: Arc<Limiter>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.forget_idle();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_ipv6_network_shares_one_allowance() {
        let limiter = Limiter::new(2);
        let address = |n: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n));
        assert!(limiter.admit(address(1), true).is_ok());
        assert!(limiter.admit(address(2), true).is_ok());
        assert!(limiter.admit(address(3), true).is_err());
        let elsewhere = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1));
        assert!(limiter.admit(elsewhere, true).is_ok());
    }
}
