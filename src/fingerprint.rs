//! Fingerprints: 64-bit hashes that tell whether the inputs of a piece of output changed.
//!
//! XXH3 rather than the standard library's SipHash: fingerprints hash every page's context on
//! each preview rebuild, and need speed and good mixing, not resistance to hostile keys.

use std::hash::Hash;

/// The hasher behind every fingerprint.
pub type Hasher = xxhash_rust::xxh3::Xxh3Default;

/// The fingerprint of one value.
pub fn of(value: impl Hash) -> u64 {
    let mut hasher = Hasher::new();
    value.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}
