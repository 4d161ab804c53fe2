//! What decides a rendered file: the template, and every value put into its context.
//!
//! [`Inputs`] builds a tera context and, alongside, a fingerprint of everything that went into
//! it. A file whose fingerprint matches the previous render's is reused as it was; since the
//! fingerprint sees every value the template can see, reuse is exact, not a guess.

use std::hash::{Hash, Hasher};

use crate::fingerprint;

use serde::Serialize;
use tera::{Context, Value};

/// A context under construction and the fingerprint of its inputs.
#[derive(Clone)]
pub struct Inputs {
    context: Context,
    hasher: fingerprint::Hasher,
}

impl Inputs {
    pub fn new() -> Inputs {
        Inputs { context: Context::new(), hasher: fingerprint::Hasher::new() }
    }

    /// Puts a value into the context and its serialized form into the fingerprint.
    pub fn put<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.hash(key, value);
        self.context.insert(key, value);
    }

    /// Adds a value to the fingerprint only, for a context entry put in later with
    /// [`Inputs::put_unhashed`] once it is known the file must be rendered.
    pub fn hash<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        key.hash(&mut self.hasher);
        // Every context value is a struct or a map with text keys, which always serialize; a
        // failure would leave part of a value out of the fingerprint, so it must not pass.
        serde_json::to_writer(HashWriter(&mut self.hasher), value)
            .expect("template context values serialize to JSON");
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
        value.hash(&mut self.hasher);
    }

    pub fn fingerprint(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn context(&self) -> &Context {
        &self.context
    }
}

struct HashWriter<'a>(&'a mut fingerprint::Hasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
