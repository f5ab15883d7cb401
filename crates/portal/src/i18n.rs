//! Bilingual templates: a minijinja environment (auto-escaped HTML) whose `t("key")` gives the
//! interface text in the page's `lang`. Shared by the portal and the server's working pages.

use minijinja::Environment;
use std::collections::HashMap;

/// key → language → text, from a TOML file of `key = { en = "…", zh = "…" }` entries.
pub type Messages = HashMap<String, HashMap<String, String>>;

/// Parses a messages file (callers check in a test that it parses and is complete).
pub fn parse(text: &str) -> Result<Messages, toml::de::Error> {
    toml::from_str(text)
}

/// An environment with `templates` and `t("key")`: the message in the context's `lang` (the
/// key itself when missing, which each caller's test forbids).
pub fn environment(templates: &[(&'static str, &'static str)], messages: &'static Messages) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, src) in templates {
        env.add_template(name, src).expect("templates compile (tested)");
    }
    env.add_function("t", move |state: &minijinja::State, key: String| -> String {
        let lang = state.lookup("lang").and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "en".into());
        messages.get(&key).and_then(|m| m.get(&lang)).cloned().unwrap_or(key)
    });
    env
}
