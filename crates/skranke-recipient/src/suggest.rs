//! "Did you mean …?" for the domains citizens type (RS-12).
//!
//! [`suggest`] proposes the single most likely intended mail-provider or municipal domain for a
//! typo, and nothing for a domain that is correct or not clearly a typo. It only suggests: the UI
//! shows "Mente du gmail.com?" and the citizen decides; nothing is ever corrected automatically.
//!
//! ```
//! use skranke_recipient::suggest::suggest;
//!
//! assert_eq!(suggest("gmial.com").as_deref(), Some("gmail.com"));
//! assert_eq!(suggest("hotmial.dk").as_deref(), Some("hotmail.dk"));
//! assert_eq!(suggest("gmail.co").as_deref(), Some("gmail.com"));
//! assert_eq!(suggest("outlook.dkk").as_deref(), Some("outlook.dk"));
//! assert_eq!(suggest("yaho.dk").as_deref(), Some("yahoo.dk"));
//! assert_eq!(suggest("fredricia.dk").as_deref(), Some("fredericia.dk"));
//! assert_eq!(suggest("gmail.com"), None); // correct
//! assert_eq!(suggest("vejel.dk"), None); // vejle.dk or vejen.dk? not clear
//! assert_eq!(suggest("bageriet-aalborg.dk"), None); // not a typo
//! ```
//!
//! How: the typed domain is split into a head (everything before the public suffix) and the
//! suffix, and compared with every provider, municipality and region domain. A candidate is
//! within reach when the heads are within a Damerau budget scaled to the candidate's head (none up
//! to 3 characters, 1 for 4–5, 2 from 6), the suffixes within one edit, and both together within
//! two. A dot left out (`gmailcom`), a trailing dot, and a single-domain provider under another
//! suffix (`gmail.dk`, counted as half an edit) are typos too. The nearest candidate wins, ties going to the more common
//! provider; two different names at the same distance (`vejel.dk`) give no suggestion.

use std::sync::LazyLock;

use crate::lookalike::distance::osa_within;
use crate::lookalike::text::{is_known_suffix, normalise};
use crate::lookalike::{ProtectedSet, Verdict, known};

/// Providers whose brand has a single domain, so `gmail.dk` can only mean `gmail.com`.
const SINGLE_DOMAIN_BRANDS: &[&str] = &["gmail.com", "googlemail.com", "icloud.com", "protonmail.com"];

struct Target {
    domain: &'static str,
    head: Vec<char>,
    tail: Vec<char>,
    dotless: Vec<char>,
}

static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
    let municipal = known::MUNICIPALITIES.iter().flat_map(|m| m.domains.iter().copied());
    known::PROVIDERS
        .iter()
        .copied()
        .chain(municipal)
        .chain(known::REGIONS.iter().copied())
        .map(|domain| {
            let tail = psl::suffix_str(domain).unwrap_or("");
            let head = domain.strip_suffix(tail).and_then(|h| h.strip_suffix('.')).unwrap_or(domain);
            Target {
                domain,
                head: head.chars().collect(),
                tail: tail.chars().collect(),
                dotless: domain.chars().filter(|&c| c != '.').collect(),
            }
        })
        .collect()
});

static BUILTIN: LazyLock<ProtectedSet> = LazyLock::new(ProtectedSet::builtin);

fn head_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    }
}

/// Suggests the domain a citizen most likely meant, or `None` when the domain is correct (a known
/// domain) or not clearly a typo. Never corrects anything itself.
pub fn suggest(domain: &str) -> Option<String> {
    let name = normalise(domain)?;
    let typed = name.unicode();
    if matches!(BUILTIN.check(&name.ascii), Verdict::Known { .. }) {
        return name.trailing_dot.then(|| TARGETS.iter().find(|t| t.domain == typed).map(|t| t.domain.to_owned()))?;
    }
    let typed_chars: Vec<char> = typed.chars().collect();
    let mut scored: Vec<(usize, usize, &Target)> = Vec::new();
    if !typed.contains('.') {
        for (rank, target) in TARGETS.iter().enumerate() {
            if let Some(d) = osa_within(&typed_chars, &target.dotless, 1) {
                scored.push((2 * (1 + d), rank, target));
            }
        }
    } else {
        // The public suffix; the last label when the list's wildcards swallow the whole name
        // (`*.fk` makes all of `hotmail.fk` a suffix).
        let tail =
            psl::suffix_str(typed).filter(|t| *t != typed).unwrap_or_else(|| typed.rsplit('.').next().unwrap_or(""));
        let head: Vec<char> =
            typed.strip_suffix(tail).and_then(|h| h.strip_suffix('.')).unwrap_or("").chars().collect();
        let tail: Vec<char> = tail.chars().collect();
        let tail_known = is_known_suffix(&tail.iter().collect::<String>());
        for (rank, target) in TARGETS.iter().enumerate() {
            let Some(head_distance) = osa_within(&head, &target.head, head_budget(target.head.len())) else {
                continue;
            };
            // Two letters glued to one end is another name (`silkeborgel.dk`), not a typo.
            let glued = head_distance == 2
                && head.len() == target.head.len() + 2
                && (head.starts_with(&target.head) || head.ends_with(&target.head));
            if glued {
                continue;
            }
            // Scores in half edits: a single-domain brand under another suffix is the likeliest.
            let score = match osa_within(&tail, &target.tail, 1) {
                Some(d) if target.head.len() > 3 || !tail_known || d == 0 => 2 * (head_distance + d),
                _ if head_distance == 0 && SINGLE_DOMAIN_BRANDS.contains(&target.domain) => 1,
                _ => continue,
            };
            if (1..=4).contains(&score) {
                scored.push((score, rank, target));
            }
        }
    }
    scored.sort_by_key(|&(score, rank, _)| (score, rank));
    let (best_score, _, best) = *scored.first()?;
    let ambiguous = scored.iter().skip(1).any(|&(score, _, other)| score == best_score && other.head != best.head);
    (!ambiguous).then(|| best.domain.to_owned())
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn typos_get_suggestions() {
        for (typed, meant) in [
            ("gmial.com", "gmail.com"),
            ("gmail.con", "gmail.com"),
            ("gmailcom", "gmail.com"),
            ("gmail.dk", "gmail.com"),
            ("gmial.con", "gmail.com"),
            ("hotmail.co", "hotmail.com"),
            ("hotmai.dk", "hotmail.dk"),
            ("outlok.dk", "outlook.dk"),
            ("icloud.cm", "icloud.com"),
            ("me.con", "me.com"),
            ("mail.tele.dkk", "mail.tele.dk"),
            ("gmail.com.", "gmail.com"),
            ("aarhsu.dk", "aarhus.dk"),
        ] {
            assert_eq!(suggest(typed).as_deref(), Some(meant), "{typed}");
        }
    }

    #[test]
    fn correct_or_unclear_domains_get_none() {
        for typed in [
            "gmail.com",
            "GMAIL.COM",
            "hotmail.dk",
            "vejle.dk",
            "vejen.dk",
            "web.dk",
            "fred.dk",
            "example.com",
            "",
            "københavn.dk",
        ] {
            assert_eq!(suggest(typed), None, "{typed}");
        }
    }
}
