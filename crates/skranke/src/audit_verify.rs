//! `skranke audit verify`: reads the whole audit log in order, page by page, and checks the hash
//! chain and the recorded head (`skranke_core::audit::Verifier`). A row that no longer decodes
//! (a hash that is not hex, an action that is not an action) is a break at that row too.

use skranke_core::audit::{ChainBreak, Verifier, VerifySummary};

use crate::store::{Store, StoreError};

/// Rows read per query: large enough that the round trips do not matter, small enough to keep
/// memory flat over millions of entries.
const PAGE: u32 = 10_000;

/// What verification found.
#[derive(Debug)]
pub enum Outcome {
    Intact(VerifySummary),
    Broken(ChainBreak),
    /// A row that cannot be read as an entry; `after` is the last entry that was fine.
    Unreadable {
        after: u64,
        reason: String,
    },
}

/// Verifies the chain of `store` from its first entry to its recorded head.
///
/// # Errors
/// Database errors other than undecodable rows.
pub async fn verify(store: &impl Store) -> Result<Outcome, StoreError> {
    let mut verifier = Verifier::new();
    let mut after = 0u64;
    loop {
        let page = match store.audit_page(after, PAGE).await {
            Ok(page) => page,
            Err(StoreError::Corrupt(reason)) => return Ok(Outcome::Unreadable { after, reason }),
            Err(e) => return Err(e),
        };
        if let Some(last) = page.last() {
            after = last.seq;
            for entry in &page {
                if let Err(broken) = verifier.push(entry) {
                    return Ok(Outcome::Broken(broken));
                }
            }
            continue;
        }
        // No more rows. The head is read now, not first: rows and head commit together, so a
        // head beyond what was read means entries were appended meanwhile (read on), and rows
        // beyond the head are rows nobody appended through the chain.
        let recorded = store.audit_head().await?;
        if recorded.seq > verifier.head().seq {
            let more = store.audit_page(after, 1).await;
            if matches!(more, Ok(ref rows) if !rows.is_empty()) {
                continue;
            }
        }
        return Ok(match verifier.finish(recorded) {
            Ok(summary) => Outcome::Intact(summary),
            Err(broken) => Outcome::Broken(broken),
        });
    }
}
