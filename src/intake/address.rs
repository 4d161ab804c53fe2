//! Internet addresses in referrals: host names as written by people (`https://www.Acme.example/`,
//! `Bücher.example.`), and emails compared the way a mail system would.

/// What duplicate checks compare a contact email by: the local part lowercased, the domain
/// in its ASCII form, so `Jo@Bücher.example.` and `jo@xn--bcher-kva.example` are one address.
pub fn email_key(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    Some(format!("{}@{}", local.to_lowercase(), host_name(domain)?))
}

/// The ASCII (punycode) form of an internet host name with at least two labels; `None` for
/// addresses, single labels and anything malformed.
pub fn host_name(text: &str) -> Option<String> {
    let text = text.strip_suffix('.').unwrap_or(text);
    let url::Host::Domain(ascii) = url::Host::parse(text).ok()? else { return None };
    let labels: Vec<&str> = ascii.split('.').collect();
    let valid_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top = labels.last()?;
    let well_formed = labels.len() >= 2
        && ascii.len() <= 253
        && labels.iter().all(valid_label)
        && !top.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(ascii)
}
