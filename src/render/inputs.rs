//! What decides a rendered file: the template, and every value put into its context.
//!
//! [`Inputs`] builds a tera context and, alongside, a fingerprint of everything that went into
//! it. A file whose fingerprint matches the previous render's is reused as it was; since the
//! fingerprint sees every value the template can see, reuse is exact, not a guess.

use std::hash::Hash;

use serde::Serialize;
use tera::{Context, Value};

use crate::fingerprint;

/// A context under construction and the fingerprint of its inputs.
///
/// Inputs are gathered as bytes and hashed once: hashing many small pieces one by one costs
/// more than the bytes themselves.
#[derive(Clone)]
pub struct Inputs {
    context: Context,
    bytes: Vec<u8>,
}

impl Inputs {
    pub fn new() -> Inputs {
        Inputs { context: Context::new(), bytes: Vec::new() }
    }

    /// Starts from `base`'s context, with `base`'s fingerprint standing for its inputs.
    pub fn extending(base: &Inputs) -> Inputs {
        let bytes = base.fingerprint().to_le_bytes().to_vec();
        Inputs { context: base.context.clone(), bytes }
    }

    /// Puts a value into the context and its serialized form into the fingerprint.
    pub fn put<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.hash(key, value);
        self.context.insert(key, value);
    }

    /// Adds a value to the fingerprint only, for a context entry put in later with
    /// [`Inputs::put_unhashed`] once it is known the file must be rendered.
    pub fn hash<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.bytes.extend_from_slice(key.as_bytes());
        // Every context value is a struct or a map with text keys, which always serialize; a
        // failure would leave part of a value out of the fingerprint, so it must not pass.
        serde_json::to_writer(&mut self.bytes, value)
            .expect("template context values serialize to JSON");
        // JSON ends each value unambiguously, so one value cannot run into the next key.
        self.bytes.push(0);
    }

    /// Puts a value whose inputs [`Inputs::hash`] or [`Inputs::mix`] already covered.
    pub fn put_unhashed<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.context.insert(key, value);
    }

    /// Puts a tera value whose inputs [`Inputs::mix`] already covered.
    pub fn put_value_unhashed(&mut self, key: &'static str, value: Value) {
        self.context.insert_value(key, value);
    }

    /// Adds something that decides the output without being in the context (the template).
    pub fn mix(&mut self, value: impl Hash) {
        self.bytes.extend_from_slice(&fingerprint::of(value).to_le_bytes());
    }

    pub fn fingerprint(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.bytes)
    }

    pub fn context(&self) -> &Context {
        &self.context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_every_value() {
        let mut a = Inputs::new();
        a.put("page", &serde_json::json!({ "title": "A" }));
        let mut b = Inputs::new();
        b.put("page", &serde_json::json!({ "title": "B" }));
        let mut a_again = Inputs::new();
        a_again.put("page", &serde_json::json!({ "title": "A" }));
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), a_again.fingerprint());
        a_again.mix("page.html");
        assert_ne!(a.fingerprint(), a_again.fingerprint());
    }
}
