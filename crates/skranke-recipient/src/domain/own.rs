//! [`OwnDomains`]: the organisation's own domains and RS-10's membership rule.

use std::collections::BTreeSet;
use std::fmt;

use super::{Domain, DomainError};

/// The organisation's own domains (RS-10): registrable domains (`fredericia.dk`) plus subdomains
/// that are listed one by one (`mail.fredericia.dk`).
///
/// # The rule
/// A domain is *own* exactly when
/// 1. its registrable domain (Public Suffix List, after UTS #46 / IDNA2008 mapping, compared in
///    lowercase A-label form) **equals** one of the registrable entries, **and**
/// 2. it **is** that registrable domain, or it **is** one of the listed subdomains.
///
/// Nothing is matched by prefix, suffix, similarity or wildcard. So `fredericia.dk.evil.com`
/// (registrable `evil.com`), `fred.dk`, `fredericia.com`, `fredericiа.dk` with a Cyrillic `а`
/// (`xn--…`), and `x.fredericia.dk` (not listed) are all refused; `fredericia.dk.` never parses.
///
/// [`OwnDomains::new`] refuses configuration that would weaken this: an entry that is not a valid
/// [`Domain`], a "registrable" entry that is a subdomain or a public suffix, and a subdomain that
/// does not lie under one of the registrable entries.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnDomains {
    /// Registrable domains, ASCII form.
    registrable: BTreeSet<Domain>,
    /// Explicitly listed subdomains, ASCII form; each lies under an entry of `registrable`.
    subdomains: BTreeSet<Domain>,
}

/// Why a list of own domains was refused. Holds the offending entry as configured (configuration
/// is not personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OwnDomainsError {
    /// The entry is not a valid host name.
    #[error("own domain {entry:?} is not a valid domain: {error}")]
    Invalid {
        /// The entry as configured.
        entry: String,
        /// The rule it breaks.
        error: DomainError,
    },
    /// A registrable entry that is not a registrable domain: a subdomain (`mail.fredericia.dk`,
    /// list it as a subdomain instead) or a public suffix (`dk`, `co.uk`).
    #[error("own domain {entry:?} is not a registrable domain (registrable part: {registrable:?})")]
    NotRegistrable {
        /// The entry as configured.
        entry: String,
        /// Its registrable domain, `None` for a public suffix.
        registrable: Option<String>,
    },
    /// A subdomain entry whose registrable domain is not one of the registrable entries, or that is
    /// a registrable domain itself.
    #[error("own subdomain {entry:?} does not lie under one of the registrable own domains")]
    SubdomainOutside {
        /// The entry as configured.
        entry: String,
    },
}

impl OwnDomains {
    /// Builds the set from registrable domains and explicitly listed subdomains, written in any
    /// case, as U-labels or A-labels (a [`Domain`] works too).
    ///
    /// # Errors
    /// See [`OwnDomainsError`]. An empty list is allowed and contains nothing.
    ///
    /// ```
    /// use skranke_recipient::domain::{OwnDomains, OwnDomainsError};
    ///
    /// assert!(OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"]).is_ok());
    /// assert!(matches!(
    ///     OwnDomains::new(["mail.fredericia.dk"], [] as [&str; 0]),
    ///     Err(OwnDomainsError::NotRegistrable { .. })
    /// ));
    /// assert!(matches!(
    ///     OwnDomains::new(["fredericia.dk"], ["mail.vejle.dk"]),
    ///     Err(OwnDomainsError::SubdomainOutside { .. })
    /// ));
    /// ```
    pub fn new<R, S>(registrable: R, subdomains: S) -> Result<OwnDomains, OwnDomainsError>
    where
        R: IntoIterator,
        R::Item: AsRef<str>,
        S: IntoIterator,
        S::Item: AsRef<str>,
    {
        let mut own = OwnDomains { registrable: BTreeSet::new(), subdomains: BTreeSet::new() };
        for entry in registrable {
            let domain = parse_entry(entry.as_ref())?;
            if !domain.is_registrable() {
                return Err(OwnDomainsError::NotRegistrable {
                    entry: entry.as_ref().to_owned(),
                    registrable: domain.registrable().map(str::to_owned),
                });
            }
            own.registrable.insert(domain);
        }
        for entry in subdomains {
            let domain = parse_entry(entry.as_ref())?;
            let under_own = domain.registrable().is_some_and(|r| own.registrable.iter().any(|d| d.ascii() == r));
            if !under_own || domain.is_registrable() {
                return Err(OwnDomainsError::SubdomainOutside { entry: entry.as_ref().to_owned() });
            }
            own.subdomains.insert(domain);
        }
        Ok(own)
    }

    /// The empty set: nothing is own, so every internal address is refused.
    pub fn none() -> OwnDomains {
        OwnDomains { registrable: BTreeSet::new(), subdomains: BTreeSet::new() }
    }

    /// True exactly when `domain` is one of the organisation's own domains under the rule described
    /// on [`OwnDomains`].
    ///
    /// ```
    /// use skranke_recipient::domain::{Domain, OwnDomains};
    ///
    /// let own = OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"])?;
    /// assert!(own.contains(&Domain::parse("Fredericia.DK")?));
    /// assert!(own.contains(&Domain::parse("mail.fredericia.dk")?));
    /// assert!(!own.contains(&Domain::parse("fred.dk")?)); // the 2017–2019 truncation
    /// assert!(!own.contains(&Domain::parse("fredericia.dk.evil.com")?));
    /// assert!(!own.contains(&Domain::parse("intern.fredericia.dk")?)); // not listed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, domain: &Domain) -> bool {
        let Some(registrable) = domain.registrable() else {
            return false;
        };
        let registrable_is_own = self.registrable.iter().any(|own| own.ascii() == registrable);
        registrable_is_own && (domain.ascii() == registrable || self.subdomains.contains(domain))
    }

    /// The registrable entries, sorted by ASCII form.
    pub fn registrable_domains(&self) -> impl Iterator<Item = &Domain> + '_ {
        self.registrable.iter()
    }

    /// The explicitly listed subdomains, sorted by ASCII form.
    pub fn subdomains(&self) -> impl Iterator<Item = &Domain> + '_ {
        self.subdomains.iter()
    }
}

fn parse_entry(entry: &str) -> Result<Domain, OwnDomainsError> {
    Domain::parse(entry).map_err(|error| OwnDomainsError::Invalid { entry: entry.to_owned(), error })
}

impl fmt::Debug for OwnDomains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnDomains")
            .field("registrable", &self.registrable.iter().map(Domain::ascii).collect::<Vec<_>>())
            .field("subdomains", &self.subdomains.iter().map(Domain::ascii).collect::<Vec<_>>())
            .finish()
    }
}
