//! Domains that resemble a protected one (RS-12, RS-61 of `docs/recipient-safety.md`).
//!
//! A [`ProtectedSet`] holds the domains that personal data may legitimately go to — every Danish
//! municipality, region, state and health service, the major mail providers (the [`known`] lists)
//! and the organisation's own — and answers, for a typed domain, one of three [`Verdict`]s:
//! - [`Verdict::Known`]: a protected domain or a well-known real organisation (or a subdomain of
//!   one). Known organisations are never each other's lookalikes: `vejen.dk` and `vejle.dk` are
//!   both real.
//! - [`Verdict::Lookalike`]: the domain resembles a protected one; the verdict names the
//!   [`Class`] of resemblance and the protected registrable domain it most likely meant. The UI
//!   warns and asks for confirmation ("fred.dk is not fredericia.dk"); it never auto-corrects.
//! - [`Verdict::Unrelated`]: neither known nor resembling one.
//!
//! ```
//! use skranke_recipient::lookalike::{Class, ProtectedSet, Verdict};
//!
//! let set = ProtectedSet::builtin().with_own(&["fredericia.dk"])?;
//! assert_eq!(set.check("fredericia.dk"), Verdict::Known { domain: "fredericia.dk".into() });
//! assert_eq!(set.check("vejen.dk"), Verdict::Known { domain: "vejen.dk".into() });
//! assert_eq!(
//!     set.check("fred.dk"),
//!     Verdict::Lookalike { class: Class::Truncation, resembles: "fredericia.dk".into() }
//! );
//! assert_eq!(set.check("bageriet-aalborg.dk"), Verdict::Unrelated);
//! # Ok::<(), skranke_recipient::lookalike::InvalidDomain>(())
//! ```
//!
//! The checks are structural (exact lookups of derived forms) plus one fuzzy one (edit distance),
//! in this order, the first that matches wins:
//! 1. [`Class::ExtraLabel`] when a whole protected domain sits inside a longer name;
//! 2. for the registrable label: [`Class::TldSwap`]/[`Class::TldTypo`], [`Class::Hyphenation`],
//!    [`Class::NameVariant`], [`Class::Homoglyph`], [`Class::MissingDot`], [`Class::Compound`],
//!    [`Class::Truncation`], the edit classes ([`Class::Transposition`],
//!    [`Class::KeyboardNeighbour`], [`Class::EditDistance`]) and [`Class::Abbreviation`];
//! 3. [`Class::ExtraLabel`] when a protected label is a subdomain of something else.
//!
//! Checking is a handful of hash lookups whatever the size of the set (see
//! `benches/lookalike.rs`).

mod classes;
pub(crate) mod distance;
mod index;
pub mod known;
#[cfg(test)]
mod tests;
pub(crate) mod text;

use std::fmt;

use index::{Entry, Index, Origin};

/// The answer of [`ProtectedSet::check`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A protected domain or a well-known real organisation, or a subdomain of one. `domain` is the
    /// registrable domain (A-label form).
    Known {
        /// The registrable domain, e.g. `fredericia.dk` for `mail.fredericia.dk`.
        domain: String,
    },
    /// The domain resembles a protected one.
    Lookalike {
        /// How it resembles it.
        class: Class,
        /// The protected registrable domain it most likely meant (A-label form).
        resembles: String,
    },
    /// Neither known nor resembling a protected domain.
    Unrelated,
}

/// How a domain resembles a protected one (the classes of RS-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Damerau (optimal string alignment) distance to the protected label within a budget scaled to
    /// its length: none for labels under 4 characters, 1 for 4–7, 2 from 8 (`fredrcia.dk`). Single
    /// edits that are a transposition or a keyboard slip get their own class.
    EditDistance,
    /// One key replaced by, or struck together with, a neighbouring key on a Danish keyboard
    /// (`fredwricia.dk`, `vejæe.dk`).
    KeyboardNeighbour,
    /// Two adjacent letters swapped (`fredreicia.dk`, `gmial.com`).
    Transposition,
    /// A dot left out: `wwwfredericia.dk`, `fredericiadk.com`.
    MissingDot,
    /// A protected domain inside a longer name (`fredericia.dk.evil.com`, `fredericia.dk.dk`), a
    /// protected label as a subdomain of another domain (`fredericia.evil.com`), or a protected
    /// domain written with a trailing dot (`fredericia.dk.`).
    ExtraLabel,
    /// The protected label under another public suffix (`fredericia.com`, `fredericia.de`).
    TldSwap,
    /// The protected label under a mistyped suffix: missing, one edit from the protected suffix and
    /// not a real suffix, or a neighbouring key / swapped pair (`fredericia.dl`, `fredericia.kd`).
    TldTypo,
    /// Hyphens added or dropped, or hyphen-joined official-looking words (`frederi-cia.dk`,
    /// `fredericia-kommune.dk`, `mail-fredericia.dk`, `ikastbrande.dk`).
    Hyphenation,
    /// The protected label glued to an official-looking word (`fredericiakommune.dk`,
    /// `kommunefredericia.dk`, `mitskat.dk`). Trades and place words are not such words:
    /// `bageriet-aalborg.dk` is unrelated.
    Compound,
    /// The same UTS #39 confusable skeleton: Cyrillic or Greek letters, `rn` for `m`, `0` for `o`,
    /// `1` for `l`, also when written as punycode (`xn--frederici-8yh.dk`).
    Homoglyph,
    /// A proper prefix of a protected label, at least 3 characters (`fred.dk`, `frederi.dk`).
    Truncation,
    /// The first letter kept and the rest an in-order selection: the first letter(s) plus the
    /// label's ending of 4–6 letters (`fhavn.dk`), a prefix of at least 3 letters plus one or two
    /// consonants found further on (`fredc.dk`), or a customary abbreviation (`frb.dk`, `kbh.dk`);
    /// at least 3 letters and at most 60 % of the label.
    Abbreviation,
    /// Another spelling or name of the place: `oe`/`ø`/`o`, `aa`/`å`/`a`, `ae`/`æ`/`e` variants
    /// (`koege.dk` → `køge.dk`, `århus.dk`), and names of municipalities whose domain is an
    /// abbreviation (`københavn.dk`, `copenhagen.dk` for `kk.dk`; `bornholm.dk` for `brk.dk`).
    NameVariant,
}

impl Class {
    /// Every class, in declaration order.
    pub const ALL: [Class; 13] = [
        Class::EditDistance,
        Class::KeyboardNeighbour,
        Class::Transposition,
        Class::MissingDot,
        Class::ExtraLabel,
        Class::TldSwap,
        Class::TldTypo,
        Class::Hyphenation,
        Class::Compound,
        Class::Homoglyph,
        Class::Truncation,
        Class::Abbreviation,
        Class::NameVariant,
    ];

    /// The kebab-case name used in corpora and logs (`edit-distance`, `tld-swap` …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Class::EditDistance => "edit-distance",
            Class::KeyboardNeighbour => "keyboard-neighbour",
            Class::Transposition => "transposition",
            Class::MissingDot => "missing-dot",
            Class::ExtraLabel => "extra-label",
            Class::TldSwap => "tld-swap",
            Class::TldTypo => "tld-typo",
            Class::Hyphenation => "hyphenation",
            Class::Compound => "compound",
            Class::Homoglyph => "homoglyph",
            Class::Truncation => "truncation",
            Class::Abbreviation => "abbreviation",
            Class::NameVariant => "name-variant",
        }
    }

    /// Parses [`Class::as_str`]'s names.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|class| class.as_str() == name)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain given to [`ProtectedSet::with_protected`] or [`ProtectedSet::with_own`] that has no
/// registrable domain (empty, a bare public suffix, a single label). Holds its position only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("protected domain number {index} (from 0) is not a registrable domain name")]
pub struct InvalidDomain {
    /// Position of the rejected domain in the slice.
    pub index: usize,
}

/// The protected domains and the index that checks typed domains against them.
///
/// Built from the built-in lists ([`known`]) plus the caller's domains; every domain is reduced to
/// its registrable domain (so protecting `mail.fredericia.dk` protects `fredericia.dk`).
#[derive(Clone)]
pub struct ProtectedSet {
    added: Vec<(String, Origin)>,
    index: Index,
}

impl fmt::Debug for ProtectedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtectedSet")
            .field("protected", &self.index.entries.len())
            .field("known", &self.index.known.len())
            .field("added", &self.added.len())
            .finish()
    }
}

/// Reduces a domain to its registrable domain (lowercase A-label form).
fn registrable(domain: &str) -> Option<String> {
    let name = text::normalise(domain)?;
    if name.trailing_dot {
        return None;
    }
    let registrable = psl::domain_str(&name.ascii)?;
    name.ascii.ends_with(registrable).then(|| registrable.to_owned())
}

impl ProtectedSet {
    /// The built-in lists only: municipalities, regions, state services and mail providers
    /// protected; those and [`known::WELL_KNOWN`] known.
    pub fn builtin() -> Self {
        ProtectedSet { added: Vec::new(), index: Self::build_index(&[]) }
    }

    /// Adds domains to protect (partners, suppliers that receive personal data …).
    ///
    /// # Errors
    /// [`InvalidDomain`] if a domain has no registrable domain; nothing is added then.
    pub fn with_protected(self, domains: &[&str]) -> Result<Self, InvalidDomain> {
        self.add(domains, Origin::Caller)
    }

    /// Adds the organisation's own domains. They are protected too, and win ties: `fred.dk` is
    /// reported against the own `fredericia.dk` rather than `fredensborg.dk`.
    ///
    /// # Errors
    /// [`InvalidDomain`] if a domain has no registrable domain; nothing is added then.
    pub fn with_own(self, domains: &[&str]) -> Result<Self, InvalidDomain> {
        self.add(domains, Origin::Own)
    }

    fn add(mut self, domains: &[&str], origin: Origin) -> Result<Self, InvalidDomain> {
        let mut added = Vec::with_capacity(domains.len());
        for (index, domain) in domains.iter().enumerate() {
            added.push((registrable(domain).ok_or(InvalidDomain { index })?, origin));
        }
        self.added.extend(added);
        self.index = Self::build_index(&self.added);
        Ok(self)
    }

    fn build_index(added: &[(String, Origin)]) -> Index {
        let mut sources: Vec<(String, Origin)> = added.to_vec();
        sources.sort_by_key(|(_, origin)| *origin);
        let builtin = known::MUNICIPALITIES
            .iter()
            .flat_map(|m| m.domains.iter().map(|d| (*d, Origin::Municipality)))
            .chain(known::REGIONS.iter().map(|d| (*d, Origin::Region)))
            .chain(known::STATE.iter().map(|d| (*d, Origin::State)))
            .chain(known::PROVIDERS.iter().map(|d| (*d, Origin::Provider)));
        sources.extend(builtin.filter_map(|(d, origin)| Some((registrable(d)?, origin))));
        let mut seen = index::FxSet::default();
        let mut entries = Vec::with_capacity(sources.len());
        for (domain, origin) in sources {
            if seen.insert(domain.clone()) {
                let suffix = domain.split_once('.').map_or(String::new(), |(_, s)| s.to_owned());
                entries.push(Entry { domain, suffix, origin });
            }
        }
        let ids: index::FxMap<&str, u32> =
            entries.iter().enumerate().map(|(id, e)| (e.domain.as_str(), id as u32)).collect();
        let position = |domain: &str| ids.get(domain).copied();
        let mut names: Vec<(u32, &str)> = Vec::new();
        for municipality in known::MUNICIPALITIES {
            if let Some(id) = municipality.domains.first().and_then(|d| position(d)) {
                names.push((id, municipality.name));
            }
        }
        for (domain, aliases) in known::NAMES {
            if let Some(id) = position(domain) {
                names.extend(aliases.iter().map(|alias| (id, *alias)));
            }
        }
        let abbreviations: Vec<(u32, &str)> =
            known::ABBREVIATIONS.iter().filter_map(|(short, d)| Some((position(d)?, *short))).collect();
        let well_known: Vec<String> = known::WELL_KNOWN.iter().filter_map(|d| registrable(d)).collect();
        Index::build(entries, &names, &abbreviations, &well_known)
    }

    /// Number of protected registrable domains.
    pub fn len(&self) -> usize {
        self.index.entries.len()
    }

    /// Whether nothing is protected (never true for a set built from [`ProtectedSet::builtin`]).
    pub fn is_empty(&self) -> bool {
        self.index.entries.is_empty()
    }

    /// The protected registrable domains, own domains first.
    pub fn protected(&self) -> impl Iterator<Item = &str> {
        self.index.entries.iter().map(|e| e.domain.as_str())
    }

    /// Checks a typed domain (the part after `@`). Trims and lowercases it and maps IDNs (UTS #46);
    /// nothing else is stripped, so `fredericia.dk.` is an [`Class::ExtraLabel`] lookalike.
    ///
    /// ```
    /// use skranke_recipient::lookalike::{Class, ProtectedSet, Verdict};
    ///
    /// let set = ProtectedSet::builtin();
    /// let lookalike = |class, resembles: &str| Verdict::Lookalike { class, resembles: resembles.into() };
    /// assert_eq!(set.check("fredericia.dk.evil.com"), lookalike(Class::ExtraLabel, "fredericia.dk"));
    /// assert_eq!(set.check("fredericiа.dk"), lookalike(Class::Homoglyph, "fredericia.dk"));
    /// assert_eq!(set.check("københavn.dk"), lookalike(Class::NameVariant, "kk.dk"));
    /// assert_eq!(set.check("hotmial.dk"), lookalike(Class::Transposition, "hotmail.dk"));
    /// assert_eq!(set.check("fredericia-kommune.dk"), lookalike(Class::Hyphenation, "fredericia.dk"));
    /// assert_eq!(set.check("mail.fredericia.dk"), Verdict::Known { domain: "fredericia.dk".into() });
    /// assert_eq!(set.check("dr.dk"), Verdict::Known { domain: "dr.dk".into() });
    /// ```
    pub fn check(&self, domain: &str) -> Verdict {
        let Some(name) = text::normalise(domain) else { return Verdict::Unrelated };
        let parts = text::split(&name);
        if self.index.known.contains(parts.registrable) {
            let protected = self.index.by_domain.get(parts.registrable).and_then(|&id| self.index.entry(id));
            return match protected {
                Some(entry) if name.trailing_dot => {
                    Verdict::Lookalike { class: Class::ExtraLabel, resembles: entry.domain.clone() }
                }
                _ => Verdict::Known { domain: parts.registrable.to_owned() },
            };
        }
        self.lookalike(&name, &parts)
    }

    /// The lookalike rules alone, without the exemption of [`known::WELL_KNOWN`] organisations
    /// (protected domains are still known). Measures what the exemption hides; not for deciding.
    #[doc(hidden)]
    pub fn check_without_exemption(&self, domain: &str) -> Verdict {
        let Some(name) = text::normalise(domain) else { return Verdict::Unrelated };
        let parts = text::split(&name);
        if self.index.by_domain.contains_key(parts.registrable) && !name.trailing_dot {
            return Verdict::Known { domain: parts.registrable.to_owned() };
        }
        self.lookalike(&name, &parts)
    }

    fn lookalike(&self, name: &text::Name<'_>, parts: &text::Parts<'_>) -> Verdict {
        classes::detect(&self.index, name, parts)
            .and_then(|hit| self.index.entry(hit.entry).map(|e| (hit.class, e.domain.clone())))
            .map_or(Verdict::Unrelated, |(class, resembles)| Verdict::Lookalike { class, resembles })
    }
}

impl Default for ProtectedSet {
    fn default() -> Self {
        ProtectedSet::builtin()
    }
}
