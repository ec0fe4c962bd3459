//! One verdict for one typed address, as the CLI (`skranke address check`) and the HTTP endpoint
//! (`POST /api/v1/addresses/check`) give it: `invalid`, `internal`, `lookalike` or `ok`.
//!
//! Order matters: syntax first (an invalid address gets no other verdict), then the own-domain
//! rule (an exact organisation domain is internal, never a lookalike of itself), then the
//! lookalike check against the protected set (which includes the organisation's own domains, so
//! `fred.dk` is a lookalike of `fredericia.dk`).

use crate::address::{EmailAddress, Language};
use crate::domain::{Domain, OwnDomains};
use crate::lookalike::{Class, ProtectedSet, Verdict};
use crate::suggest::suggest;

/// A checker built once for an organisation and reused for every address.
#[derive(Debug)]
pub struct Checker {
    own: OwnDomains,
    protected: ProtectedSet,
}

/// A domain given on the command line or in a request that is not a usable domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable domain: {domain}")]
pub struct BadDomain {
    pub domain: String,
}

/// The verdict on one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Not an address Skranke would send to; `rule` is the stable code of the rule that failed.
    /// `suggestion` is a valid address it most likely meant (`jens@gmail.com` for `jens@gmailcom`,
    /// `x@kk.dk` for `x@kk.d`), or empty: the typo that broke the syntax is often the one that
    /// made a lookalike, and the sender should see both "not valid" and "did you mean".
    Invalid { rule: &'static str, message_da: &'static str, message_en: &'static str, suggestion: String },
    /// In one of the organisation's own domains.
    Internal { domain: String },
    /// Resembles a protected domain; `suggestion` is the address on the domain it most likely meant.
    Lookalike { class: Class, resembles: String, suggestion: String },
    /// Nothing to warn about; `known` names a known real organisation's domain when it is one.
    Ok { known: Option<String> },
}

impl Judgement {
    pub fn verdict(&self) -> &'static str {
        match self {
            Judgement::Invalid { .. } => "invalid",
            Judgement::Internal { .. } => "internal",
            Judgement::Lookalike { .. } => "lookalike",
            Judgement::Ok { .. } => "ok",
        }
    }

    /// The address to suggest instead, if any.
    pub fn suggestion(&self) -> &str {
        match self {
            Judgement::Lookalike { suggestion, .. } | Judgement::Invalid { suggestion, .. } => suggestion,
            _ => "",
        }
    }

    /// The machine-readable detail: the failed rule, the class and the domain it resembles, the
    /// own domain matched, or the known organisation.
    pub fn detail(&self) -> String {
        match self {
            Judgement::Invalid { rule, .. } => (*rule).to_owned(),
            Judgement::Internal { domain } => domain.clone(),
            Judgement::Lookalike { class, resembles, .. } => format!("{} {resembles}", class.as_str()),
            Judgement::Ok { known } => known.as_ref().map(|k| format!("known {k}")).unwrap_or_default(),
        }
    }
}

impl Checker {
    /// `org_domains` are the organisation's own domains: registrable domains, or subdomains that
    /// are then internal on their own (not their siblings). `protect` adds domains to the
    /// protected set beside the built-in lists.
    pub fn new<S: AsRef<str>>(org_domains: &[S], protect: &[S]) -> Result<Self, BadDomain> {
        let bad = |d: &str| BadDomain { domain: d.to_owned() };
        let mut registrable: Vec<String> = Vec::new();
        let mut subdomains: Vec<String> = Vec::new();
        for d in org_domains {
            let d = d.as_ref();
            let parsed = Domain::parse(d).map_err(|_| bad(d))?;
            let reg = parsed.registrable().ok_or_else(|| bad(d))?.to_owned();
            if parsed.ascii() != reg {
                subdomains.push(parsed.ascii().to_owned());
            }
            if !registrable.contains(&reg) {
                registrable.push(reg);
            }
        }
        let own = OwnDomains::new(&registrable, &subdomains).map_err(|e| bad(&e.to_string()))?;
        let own_refs: Vec<&str> = registrable.iter().map(String::as_str).collect();
        let protect_refs: Vec<&str> = protect.iter().map(AsRef::as_ref).collect();
        let protected = ProtectedSet::builtin()
            .with_own(&own_refs)
            .map_err(|e| bad(&e.to_string()))?
            .with_protected(&protect_refs)
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Self { own, protected })
    }

    /// Judges one typed address.
    pub fn judge(&self, input: &str) -> Judgement {
        let address = match EmailAddress::parse(input) {
            Ok(a) => a,
            Err(e) => {
                return Judgement::Invalid {
                    rule: e.code(),
                    message_da: e.message(Language::Da),
                    message_en: e.message(Language::En),
                    suggestion: self.repair(input),
                };
            }
        };
        self.judge_parsed(&address)
    }

    /// The verdict on an address that parsed.
    fn judge_parsed(&self, address: &EmailAddress) -> Judgement {
        let domain = address.domain();
        if self.own.contains(domain) {
            return Judgement::Internal { domain: domain.ascii().to_owned() };
        }
        match self.protected.check(domain.ascii()) {
            Verdict::Lookalike { class, resembles } => {
                let suggestion = format!("{}@{resembles}", address.local());
                Judgement::Lookalike { class, resembles, suggestion }
            }
            Verdict::Known { domain } => Judgement::Ok { known: Some(domain) },
            Verdict::Unrelated => Judgement::Ok { known: None },
        }
    }
}

impl Checker {
    /// For an invalid address: the valid address it most likely meant, or empty. Only the
    /// domain is ever replaced, by a typo suggestion ([`suggest`]) or the protected domain it
    /// resembles, and only when the result is itself a valid address that is not a lookalike.
    fn repair(&self, input: &str) -> String {
        let Some((local, domain)) = input.trim().rsplit_once('@') else { return String::new() };
        if domain.is_empty() || domain.len() > 253 {
            return String::new();
        }
        let meant = suggest(domain).or_else(|| match self.protected.check(domain) {
            Verdict::Lookalike { resembles, .. } => Some(resembles),
            _ => None,
        });
        let Some(meant) = meant else { return String::new() };
        let candidate = format!("{local}@{meant}");
        match EmailAddress::parse(&candidate).map(|address| self.judge_parsed(&address)) {
            Ok(Judgement::Internal { .. } | Judgement::Ok { .. }) => candidate,
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Checker {
        Checker::new(&["fredericia.dk", "post.fredericia.dk"], &["example-partner.dk"]).unwrap()
    }

    #[test]
    fn the_fredericia_cases() {
        let c = checker();
        assert_eq!(c.judge("borgerservice@fredericia.dk").verdict(), "internal");
        assert_eq!(c.judge("x@post.fredericia.dk").verdict(), "internal");
        assert_eq!(c.judge("x@mail.fredericia.dk").verdict(), "ok", "an unlisted subdomain is not internal");
        let fred = c.judge("borgerservice@fred.dk");
        assert_eq!(fred.verdict(), "lookalike");
        assert_eq!(fred.suggestion(), "borgerservice@fredericia.dk");
        assert!(fred.detail().ends_with(" fredericia.dk"), "{}", fred.detail());
        assert_eq!(c.judge("x@fredericia.dk.evil.com").verdict(), "lookalike");
        assert_eq!(c.judge("x@fredericia.dk.").verdict(), "invalid");
        assert_eq!(c.judge("x@fredеricia.dk").verdict(), "lookalike", "Cyrillic e");
    }

    #[test]
    fn citizens_and_known_organisations() {
        let c = checker();
        assert_eq!(c.judge("jens@gmail.com"), Judgement::Ok { known: Some("gmail.com".into()) });
        let typo = c.judge("jens@gmial.com");
        assert_eq!((typo.verdict(), typo.suggestion()), ("lookalike", "jens@gmail.com"));
        assert_eq!(c.judge("info@vejen.dk").verdict(), "ok", "vejen.dk is a real municipality");
        assert_eq!(c.judge("a@example-partner.dk").verdict(), "ok");
        assert_eq!(c.judge("a@example-partner.com").verdict(), "lookalike");
        let bad = c.judge("jens@@gmail.com");
        assert_eq!(bad.verdict(), "invalid");
        assert!(!bad.detail().is_empty());
    }

    #[test]
    fn invalid_addresses_get_the_address_they_meant() {
        let c = checker();
        for (typed, meant) in [
            ("jens@gmailcom", "jens@gmail.com"),
            ("x@kk.d", "x@kk.dk"),
            ("borgerservice@fredericia.dk.", "borgerservice@fredericia.dk"),
        ] {
            let j = c.judge(typed);
            assert_eq!((j.verdict(), j.suggestion()), ("invalid", meant), "{typed}");
        }
        assert_eq!(c.judge("jens gmail.com").suggestion(), "", "no @: nothing to repair");
        assert_eq!(c.judge("a b@gmailcom").suggestion(), "", "the local part stays invalid: no suggestion");
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(Checker::new(&["not a domain"], &[] as &[&str]).is_err());
        assert!(Checker::new(&["dk"], &[] as &[&str]).is_err());
    }
}
