//! Message catalogues: Danish first, English second. Every sentence a person reads comes from
//! `crates/skranke/i18n/{da,en}.toml`; code refers to it by key. A test checks that both
//! catalogues have the same keys.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Da,
    En,
}

impl Lang {
    pub const fn code(&self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "da" | "da-dk" => Some(Lang::Da),
            "en" | "en-gb" | "en-us" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language in an `Accept-Language` header, Danish when none is.
    pub fn from_accept_language(header: &str) -> Self {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| Lang::parse(tag).or_else(|| Lang::parse(tag.split('-').next().unwrap_or(""))))
            .unwrap_or_default()
    }
}

type Catalogue = HashMap<String, String>;

fn flatten(prefix: &str, value: &toml::Value, out: &mut Catalogue) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn load(source: &str) -> Catalogue {
    let mut out = Catalogue::new();
    // The catalogues are compiled in and checked by tests; a parse failure would show there.
    if let Ok(value) = source.parse::<toml::Table>() {
        flatten("", &toml::Value::Table(value), &mut out);
    }
    out
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    static DA: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Da => DA.get_or_init(|| load(include_str!("../i18n/da.toml"))),
        Lang::En => EN.get_or_init(|| load(include_str!("../i18n/en.toml"))),
    }
}

/// The sentence for `key` in `lang`; the Danish one when English lacks it; the key itself when
/// both lack it (a test makes sure that never ships).
pub fn t(lang: Lang, key: &str) -> &'static str {
    catalogue(lang)
        .get(key)
        .or_else(|| catalogue(Lang::Da).get(key))
        .map(String::as_str)
        .unwrap_or_else(|| Box::leak(key.to_owned().into_boxed_str()))
}

/// The sentence for `key` when the catalogue has it: for keys built from what a visitor typed,
/// where `t`'s fallback (which keeps the key it could not find) must not be reached.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalogue(lang).get(key).or_else(|| catalogue(Lang::Da).get(key)).map(String::as_str)
}

/// `t` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_owned();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Every key of a catalogue, for the consistency test.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<&str> = catalogue(lang).keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_and_match() {
        let da = keys(Lang::Da);
        assert!(da.len() > 20, "Danish catalogue did not load");
        assert_eq!(da, keys(Lang::En), "da.toml and en.toml must have the same keys");
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("de-DE,da;q=0.8"), Lang::Da);
        assert_eq!(Lang::from_accept_language(""), Lang::Da);
    }
}
