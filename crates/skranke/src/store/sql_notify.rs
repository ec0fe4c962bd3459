//! SQL of the address registry and of the gate's outcomes, shared by both databases. Expanded
//! inside `sql::shared_store_impl!` (see `sql_accounts.rs` for the pattern).

/// Row decoders for the registry.
macro_rules! notify_helpers {
    () => {
        use skranke_core::ids::AddressId;
        use skranke_core::notify::AddressState;

        use crate::store::{
            AddressChange, AddressCode, AddressRecord, GateOutcome, HeldMessage, NewAddress, Owner, OwnerKind, Silence,
        };

        /// The silent addresses of rows `(address_id, n, oldest, newest)` grouped from the outbox.
        async fn silences<S: crate::store::Store>(store: &S, rows: &[DbRow]) -> StoreResult<Vec<Silence>> {
            let mut out = Vec::new();
            for r in rows {
                let id = AddressId::from_uuid(r.try_get("address_id")?);
                let Some(address) = store.get_address(id).await? else { continue };
                out.push(Silence {
                    address,
                    count: u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
                    oldest_sent_at: from_us(r.try_get("oldest")?)?,
                    newest_sent_at: from_us(r.try_get("newest")?)?,
                });
            }
            Ok(out)
        }

        /// Acknowledges every tracked notification to `address` sent up to `sent_at`: a person
        /// acting on one shows the mailbox is read. Returns how many it acknowledged.
        async fn acknowledge_up_to_tx(
            tx: &mut Tx,
            address: Uuid,
            sent_at: i64,
            by: UserId,
            now: Timestamp,
        ) -> StoreResult<u64> {
            let n = sqlx::query(
                "UPDATE outbox SET acknowledged_at = $3, acknowledged_by = $4 WHERE address_id = $1 AND status = 'sent' \
                 AND acknowledged_at IS NULL AND subject_ref IS NOT NULL AND sent_at <= $2",
            )
            .bind(address)
            .bind(sent_at)
            .bind(us(now))
            .bind(by.as_uuid())
            .execute(&mut **tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE addresses SET last_acknowledged_at = $2, unacknowledged = (SELECT COUNT(*) FROM outbox \
                 WHERE address_id = $1 AND status = 'sent' AND acknowledged_at IS NULL AND subject_ref IS NOT NULL) \
                 WHERE id = $1",
            )
            .bind(address)
            .bind(us(now))
            .execute(&mut **tx)
            .await?;
            Ok(n)
        }

        /// Marks held (or blocked) message `id` with its outcome; `None` if it was no longer
        /// pending, else its address. A held one keeps its body, so an administrator can
        /// release it after fixing the recipient.
        async fn finish_held_row(
            tx: &mut Tx,
            id: MessageId,
            outcome: &GateOutcome,
            now: Timestamp,
        ) -> StoreResult<Option<Option<Uuid>>> {
            let row = sqlx::query(
                "UPDATE outbox SET status = 'held', held_at = $2, locked_until = NULL, gate_outcome = $3, \
                 gate_reason = $4, gate_rule = NULL, classes = $5 WHERE id = $1 AND status = 'pending' \
                 RETURNING address_id",
            )
            .bind(id.as_uuid())
            .bind(us(now))
            .bind(outcome.outcome)
            .bind(outcome.reason)
            .bind(&outcome.classes)
            .fetch_optional(&mut **tx)
            .await?;
            row.map(|r| r.try_get::<Option<Uuid>, _>("address_id")).transpose().map_err(Into::into)
        }

        /// Sent rows per UPDATE statement (6 parameters each).
        const SENT_ROWS_PER_UPDATE: usize = 100;

        /// Marks sent messages (in the order given: by id, so two transactions lock rows in the
        /// same order) in one statement; returns those that were still pending, with their
        /// addresses. A sent message keeps no body: its facts are in the audit log.
        async fn finish_sent_rows(
            tx: &mut Tx,
            rows: &[(MessageId, &GateOutcome, Timestamp)],
        ) -> StoreResult<Vec<(MessageId, Option<Uuid>)>> {
            let mut update =
                sqlx::QueryBuilder::<Db>::new("WITH v (id, sent_at, gate_rule, classes, subject_ref, recipient_pseudonym) AS (");
            update.push_values(rows, |mut row, (id, outcome, at)| {
                row.push_bind(id.as_uuid())
                    .push_bind(us(*at))
                    .push_bind(outcome.rule)
                    .push_bind(outcome.classes.clone())
                    .push_bind(outcome.subject_ref.clone())
                    .push_bind(outcome.recipient_pseudonym.clone());
            });
            update.push(
                ") UPDATE outbox SET status = 'sent', sent_at = v.sent_at, locked_until = NULL, last_error = NULL, \
                 payload = '{}', gate_outcome = 'send', gate_reason = NULL, gate_rule = v.gate_rule, \
                 classes = v.classes, subject_ref = v.subject_ref, recipient_pseudonym = v.recipient_pseudonym FROM v \
                 WHERE outbox.id = v.id AND outbox.status = 'pending' RETURNING outbox.id, outbox.address_id",
            );
            let returned = update.build().fetch_all(&mut **tx).await?;
            returned
                .iter()
                .map(|r| {
                    Ok((MessageId::from_uuid(r.try_get("id")?), r.try_get::<Option<Uuid>, _>("address_id")?))
                })
                .collect()
        }

        /// What finished messages change on their addresses: a sent tracked notification counts
        /// as unacknowledged (RS-40), a bounce counts and at [`BOUNCES_TO_SUSPEND`] suspends
        /// (RS-41). Applied in address order, so two transactions touching the same addresses
        /// lock them in the same order and cannot deadlock (PostgreSQL).
        async fn count_on_addresses(tx: &mut Tx, counts: Vec<(Uuid, AddressCount)>) -> StoreResult<()> {
            // One statement per address for the unacknowledged count, however many messages went
            // to it: a batch of outcomes mostly goes to a few shared mailboxes.
            let mut per_address: BTreeMap<Uuid, (i32, u32)> = BTreeMap::new();
            for (address, count) in counts {
                let (unacknowledged, bounces) = per_address.entry(address).or_default();
                match count {
                    AddressCount::Unacknowledged => *unacknowledged = unacknowledged.saturating_add(1),
                    AddressCount::Bounce => *bounces += 1,
                }
            }
            for (address, (unacknowledged, bounces)) in per_address {
                if unacknowledged > 0 {
                    sqlx::query("UPDATE addresses SET unacknowledged = unacknowledged + $2 WHERE id = $1")
                        .bind(address)
                        .bind(unacknowledged)
                        .execute(&mut **tx)
                        .await?;
                }
                // Each bounce on its own, so the suspension rule sees every step.
                for _ in 0..bounces {
                    sqlx::query(
                        "UPDATE addresses SET bounces = bounces + 1, version = version + 1, \
                         state = CASE WHEN bounces + 1 >= $2 THEN 'suspended' ELSE state END, \
                         verified_at = CASE WHEN bounces + 1 >= $2 THEN NULL ELSE verified_at END, \
                         expires_at = CASE WHEN bounces + 1 >= $2 THEN NULL ELSE expires_at END WHERE id = $1",
                    )
                    .bind(address)
                    .bind(crate::store::BOUNCES_TO_SUSPEND)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(())
        }

        /// Writes the outcomes of `items` in `tx`: message rows (in id order), address counters
        /// (in address order), alerts, then the audit entries in the items' order, so the audit
        /// head is taken last, as every other writer does. Returns the ids no longer pending,
        /// whose alerts and audit entries are left out.
        async fn finish_outbox_tx(
            tx: &mut Tx,
            items: &[(MessageId, &GateOutcome, Timestamp, &[NewMessage], &[AuditRecord])],
        ) -> StoreResult<Vec<MessageId>> {
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_by_key(|&i| items[i].0);
            let mut written = vec![false; items.len()];
            let mut counts = Vec::new();
            let (sent, held): (Vec<usize>, Vec<usize>) = order.into_iter().partition(|&i| items[i].1.outcome == "send");
            let position: std::collections::HashMap<MessageId, usize> = sent.iter().map(|&i| (items[i].0, i)).collect();
            for chunk in sent.chunks(SENT_ROWS_PER_UPDATE) {
                let rows: Vec<_> = chunk.iter().map(|&i| (items[i].0, items[i].1, items[i].2)).collect();
                for (id, address) in finish_sent_rows(tx, &rows).await? {
                    let Some(&i) = position.get(&id) else { continue };
                    written[i] = true;
                    if items[i].1.subject_ref.is_some() && let Some(address) = address {
                        counts.push((address, AddressCount::Unacknowledged));
                    }
                }
            }
            for i in held {
                let (id, outcome, at, _, _) = items[i];
                if finish_held_row(tx, id, outcome, at).await?.is_none() {
                    continue;
                }
                written[i] = true;
                if let Some(bounced) = outcome.bounced_address {
                    counts.push((bounced.as_uuid(), AddressCount::Bounce));
                }
            }
            count_on_addresses(tx, counts).await?;
            let mut audit = Vec::new();
            let mut skipped = Vec::new();
            for (i, (id, _, at, alerts, records)) in items.iter().enumerate() {
                if written[i] {
                    insert_messages(tx, alerts, *at).await?;
                    audit.extend(records.iter().cloned());
                } else {
                    skipped.push(*id);
                }
            }
            // One append for all: the chain head is read and moved once.
            append_audit_tx(tx, &audit).await?;
            Ok(skipped)
        }

        #[derive(Clone, Copy)]
        enum AddressCount {
            Unacknowledged,
            Bounce,
        }

        /// Files `new` as its owner's current address: the old one is retired with its open code.
        async fn put_address_tx(tx: &mut Tx, new: &NewAddress) -> StoreResult<()> {
            // The owner's current address, and any code open for it, give way to the new one.
            sqlx::query(
                "DELETE FROM address_codes WHERE address_id IN (SELECT id FROM addresses \
                 WHERE owner_kind = $1 AND owner_id = $2 AND retired_at IS NULL)",
            )
            .bind(new.owner.kind.as_str())
            .bind(new.owner.id)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "UPDATE addresses SET retired_at = $3, version = version + 1 \
                 WHERE owner_kind = $1 AND owner_id = $2 AND retired_at IS NULL",
            )
            .bind(new.owner.kind.as_str())
            .bind(new.owner.id)
            .bind(us(new.created_at))
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
                 state, flag_reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'unverified', $8, $9, $10)",
            )
            .bind(new.id.as_uuid())
            .bind(new.organisation.as_uuid())
            .bind(new.owner.kind.audience().as_str())
            .bind(new.owner.kind.as_str())
            .bind(new.owner.id)
            .bind(&new.address)
            .bind(&new.registrable_domain)
            .bind(new.flag_reason.as_deref())
            .bind(new.created_by.map(|u| u.as_uuid()))
            .bind(us(new.created_at))
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        const CHANGE_COLUMNS: &str = "id, organisation_id, owner_kind, owner_id, address, registrable_domain, \
             requested_by, requested_at, decided_by, decided_at, decision";

        fn change_from_row(r: &DbRow) -> StoreResult<AddressChange> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            Ok(AddressChange {
                id: r.try_get("id")?,
                organisation: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                owner: Owner::new(
                    OwnerKind::parse(&r.try_get::<String, _>("owner_kind")?).ok_or_else(|| corrupt("owner kind"))?,
                    r.try_get("owner_id")?,
                ),
                address: r.try_get("address")?,
                registrable_domain: r.try_get("registrable_domain")?,
                requested_by: UserId::from_uuid(r.try_get("requested_by")?),
                requested_at: from_us(r.try_get("requested_at")?)?,
                approved: r.try_get::<Option<String>, _>("decision")?.map(|d| d == "approved"),
                decided_by: r.try_get::<Option<Uuid>, _>("decided_by")?.map(UserId::from_uuid),
                decided_at: opt_ts("decided_at")?,
            })
        }

        const ADDRESS_COLUMNS: &str = "id, organisation_id, owner_kind, owner_id, address, registrable_domain, state, \
             verified_by, verified_at, expires_at, last_acknowledged_at, unacknowledged, bounces, flag_reason, \
             created_by, created_at, retired_at, version";

        fn address_from_row(r: &DbRow) -> StoreResult<AddressRecord> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            let count =
                |col: &str| -> StoreResult<u32> { u32::try_from(r.try_get::<i32, _>(col)?).map_err(|_| corrupt(col)) };
            let state = match r.try_get::<String, _>("state")?.as_str() {
                "unverified" => AddressState::Unverified,
                "expired" => AddressState::Expired,
                "suspended" => AddressState::Suspended,
                "verified" => AddressState::Verified {
                    verified_at: opt_ts("verified_at")?.ok_or_else(|| corrupt("verified_at"))?,
                    expires_at: opt_ts("expires_at")?.ok_or_else(|| corrupt("expires_at"))?,
                },
                _ => return Err(corrupt("address state")),
            };
            Ok(AddressRecord {
                id: AddressId::from_uuid(r.try_get("id")?),
                organisation: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                owner: Owner::new(
                    OwnerKind::parse(&r.try_get::<String, _>("owner_kind")?).ok_or_else(|| corrupt("owner kind"))?,
                    r.try_get("owner_id")?,
                ),
                address: r.try_get("address")?,
                registrable_domain: r.try_get("registrable_domain")?,
                state,
                verified_by: r.try_get::<Option<Uuid>, _>("verified_by")?.map(UserId::from_uuid),
                last_acknowledged_at: opt_ts("last_acknowledged_at")?,
                unacknowledged: count("unacknowledged")?,
                bounces: count("bounces")?,
                flag_reason: r.try_get("flag_reason")?,
                created_by: r.try_get::<Option<Uuid>, _>("created_by")?.map(UserId::from_uuid),
                created_at: from_us(r.try_get("created_at")?)?,
                retired_at: opt_ts("retired_at")?,
                version: r.try_get("version")?,
            })
        }
    };
}

/// The registry's store methods.
macro_rules! notify_store_methods {
    () => {
        async fn put_address(&self, new: &NewAddress, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            put_address_tx(&mut tx, new).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn propose_address(&self, change: &AddressChange, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // A new proposal for the same owner replaces an open one.
            sqlx::query("DELETE FROM address_changes WHERE owner_kind = $1 AND owner_id = $2 AND decision IS NULL")
                .bind(change.owner.kind.as_str())
                .bind(change.owner.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO address_changes (id, organisation_id, owner_kind, owner_id, address, registrable_domain, \
                 requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(change.id)
            .bind(change.organisation.as_uuid())
            .bind(change.owner.kind.as_str())
            .bind(change.owner.id)
            .bind(&change.address)
            .bind(&change.registrable_domain)
            .bind(change.requested_by.as_uuid())
            .bind(us(change.requested_at))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn address_changes(
            &self,
            organisation: skranke_core::ids::OrganisationId,
        ) -> StoreResult<Vec<AddressChange>> {
            let sql = format!(
                "SELECT {CHANGE_COLUMNS} FROM address_changes WHERE organisation_id = $1 AND decision IS NULL \
                 ORDER BY requested_at, id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation.as_uuid()).fetch_all(&self.pool).await?;
            rows.iter().map(change_from_row).collect()
        }

        async fn get_address_change(&self, id: Uuid) -> StoreResult<Option<AddressChange>> {
            let sql = format!("SELECT {CHANGE_COLUMNS} FROM address_changes WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
            row.as_ref().map(change_from_row).transpose()
        }

        async fn decide_address_change(
            &self,
            id: Uuid,
            by: UserId,
            now: Timestamp,
            approved: Option<&NewAddress>,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // Open, and not the asker's own: the second pair of eyes is checked in the statement.
            let decided = sqlx::query(
                "UPDATE address_changes SET decision = $2, decided_by = $3, decided_at = $4 \
                 WHERE id = $1 AND decision IS NULL AND requested_by <> $3",
            )
            .bind(id)
            .bind(if approved.is_some() { "approved" } else { "rejected" })
            .bind(by.as_uuid())
            .bind(us(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if decided != 1 {
                return Err(StoreError::Conflict);
            }
            if let Some(new) = approved {
                put_address_tx(&mut tx, new).await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn get_address(&self, id: AddressId) -> StoreResult<Option<AddressRecord>> {
            let sql = format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(address_from_row).transpose()
        }

        async fn current_address(&self, owner: Owner) -> StoreResult<Option<AddressRecord>> {
            let sql = format!(
                "SELECT {ADDRESS_COLUMNS} FROM addresses WHERE owner_kind = $1 AND owner_id = $2 AND retired_at IS NULL"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner.kind.as_str())
                .bind(owner.id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(address_from_row).transpose()
        }

        async fn list_addresses(
            &self,
            organisation: skranke_core::ids::OrganisationId,
            include_citizens: bool,
        ) -> StoreResult<Vec<AddressRecord>> {
            let sql = format!(
                "SELECT {ADDRESS_COLUMNS} FROM addresses WHERE organisation_id = $1 AND retired_at IS NULL \
                 AND (audience <> 'citizen' OR $2) ORDER BY owner_kind, address, id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(organisation.as_uuid())
                .bind(include_citizens)
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(address_from_row).collect()
        }

        async fn open_address_code(
            &self,
            code: &AddressCode,
            messages: &[NewMessage],
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            let current = sqlx::query("SELECT retired_at FROM addresses WHERE id = $1")
                .bind(code.address.as_uuid())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.try_get::<Option<i64>, _>("retired_at")?.is_some() {
                return Err(StoreError::Conflict);
            }
            // A new code replaces an open one (and its failed tries).
            sqlx::query(
                "INSERT INTO address_codes (address_id, code_hash, requested_by, created_at, expires_at, attempts) \
                 VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (address_id) DO UPDATE SET code_hash = excluded.code_hash, \
                 requested_by = excluded.requested_by, created_at = excluded.created_at, \
                 expires_at = excluded.expires_at, attempts = 0",
            )
            .bind(code.address.as_uuid())
            .bind(code.code_hash.as_str())
            .bind(code.requested_by.map(|u| u.as_uuid()))
            .bind(us(code.created_at))
            .bind(us(code.expires_at))
            .execute(&mut *tx)
            .await?;
            insert_messages(&mut tx, messages, code.created_at).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn address_code(&self, address: AddressId) -> StoreResult<Option<AddressCode>> {
            let row = sqlx::query(
                "SELECT address_id, code_hash, requested_by, created_at, expires_at, attempts FROM address_codes \
                 WHERE address_id = $1",
            )
            .bind(address.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| {
                Ok(AddressCode {
                    address: AddressId::from_uuid(r.try_get("address_id")?),
                    code_hash: SecretHash::from_stored(r.try_get("code_hash")?),
                    requested_by: r.try_get::<Option<Uuid>, _>("requested_by")?.map(UserId::from_uuid),
                    created_at: from_us(r.try_get("created_at")?)?,
                    expires_at: from_us(r.try_get("expires_at")?)?,
                    attempts: u32::try_from(r.try_get::<i32, _>("attempts")?).map_err(|_| corrupt("attempts"))?,
                })
            })
            .transpose()
        }

        async fn record_address_code_failure(&self, address: AddressId, max_attempts: u32) -> StoreResult<u32> {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(
                "UPDATE address_codes SET attempts = attempts + 1 WHERE address_id = $1 RETURNING attempts",
            )
            .bind(address.as_uuid())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let attempts = u32::try_from(row.try_get::<i32, _>("attempts")?).map_err(|_| corrupt("attempts"))?;
            // Too many wrong tries void the code; a new one must be requested.
            if attempts >= max_attempts {
                sqlx::query("DELETE FROM address_codes WHERE address_id = $1")
                    .bind(address.as_uuid())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(attempts)
        }

        async fn verify_address(
            &self,
            address: AddressId,
            code_hash: &SecretHash,
            by: Option<UserId>,
            now: Timestamp,
            expires_at: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // The code is consumed in the same statement that checks it is still the open one, so
            // two tabs typing the same code verify once.
            let consumed = sqlx::query("DELETE FROM address_codes WHERE address_id = $1 AND code_hash = $2 AND expires_at > $3")
                .bind(address.as_uuid())
                .bind(code_hash.as_str())
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if consumed != 1 {
                return Err(StoreError::Conflict);
            }
            let updated = sqlx::query(
                "UPDATE addresses SET state = 'verified', verified_by = $2, verified_at = $3, expires_at = $4, \
                 bounces = 0, version = version + 1 WHERE id = $1 AND retired_at IS NULL",
            )
            .bind(address.as_uuid())
            .bind(by.map(|u| u.as_uuid()))
            .bind(us(now))
            .bind(us(expires_at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn finish_outbox(
            &self,
            id: MessageId,
            outcome: &GateOutcome,
            now: Timestamp,
            alerts: &[NewMessage],
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            if !finish_outbox_tx(&mut tx, &[(id, outcome, now, alerts, audit)]).await?.is_empty() {
                return Err(StoreError::Conflict);
            }
            tx.commit().await?;
            Ok(())
        }

        async fn finish_outbox_batch(&self, items: &[crate::store::OutboxFinish]) -> StoreResult<Vec<MessageId>> {
            if items.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<_> = items
                .iter()
                .map(|i| (i.id, &i.outcome, i.at, i.alerts.as_slice(), i.audit.as_slice()))
                .collect();
            let mut tx = self.begin_write().await?;
            let skipped = finish_outbox_tx(&mut tx, &rows).await?;
            // The mapping of the pseudonyms the written entries use commits with them.
            let pseudonyms: Vec<crate::store::PseudonymUse> = items
                .iter()
                .filter(|i| !skipped.contains(&i.id))
                .flat_map(|i| i.pseudonyms.iter().cloned())
                .collect();
            record_pseudonyms_tx(&mut tx, &pseudonyms).await?;
            tx.commit().await?;
            Ok(skipped)
        }

        async fn list_held(&self, organisation: skranke_core::ids::OrganisationId) -> StoreResult<Vec<HeldMessage>> {
            let rows = sqlx::query(
                "SELECT id, template, address_id, recipient, gate_outcome, gate_reason, classes, held_at FROM outbox \
                 WHERE status = 'held' AND organisation_id = $1 ORDER BY held_at DESC, id LIMIT 500",
            )
            .bind(organisation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(HeldMessage {
                        id: MessageId::from_uuid(r.try_get("id")?),
                        template: r.try_get("template")?,
                        address: r.try_get::<Option<Uuid>, _>("address_id")?.map(AddressId::from_uuid),
                        recipient: r.try_get("recipient")?,
                        outcome: r.try_get::<Option<String>, _>("gate_outcome")?.unwrap_or_default(),
                        reason: r.try_get::<Option<String>, _>("gate_reason")?.unwrap_or_default(),
                        classes: r.try_get::<Option<String>, _>("classes")?.unwrap_or_default(),
                        held_at: from_us(r.try_get::<Option<i64>, _>("held_at")?.ok_or_else(|| corrupt("held_at"))?)?,
                    })
                })
                .collect()
        }

        async fn acknowledge_message(
            &self,
            id: MessageId,
            by: UserId,
            now: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<Option<AddressId>> {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query("SELECT address_id, sent_at FROM outbox WHERE id = $1 AND status = 'sent'")
                .bind(id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let (Some(address), Some(sent_at)) =
                (row.try_get::<Option<Uuid>, _>("address_id")?, row.try_get::<Option<i64>, _>("sent_at")?)
            else {
                return Ok(None);
            };
            acknowledge_up_to_tx(&mut tx, address, sent_at, by, now).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(Some(AddressId::from_uuid(address)))
        }

        async fn acknowledge_subject(
            &self,
            subject_ref: &str,
            by: UserId,
            now: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<u64> {
            // Nearly every visit step has nothing to acknowledge: find out with a read (indexed)
            // before taking a write transaction.
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 AS one FROM outbox WHERE subject_ref = $1 AND status = 'sent' \
                 AND acknowledged_at IS NULL LIMIT 1) AS t",
            )
            .bind(subject_ref)
            .fetch_one(&self.pool)
            .await?;
            if pending == 0 {
                return Ok(0);
            }
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT address_id, MAX(sent_at) AS sent_at FROM outbox WHERE subject_ref = $1 AND status = 'sent' \
                 AND acknowledged_at IS NULL AND address_id IS NOT NULL GROUP BY address_id",
            )
            .bind(subject_ref)
            .fetch_all(&mut *tx)
            .await?;
            let mut n = 0;
            for r in &rows {
                let address: Uuid = r.try_get("address_id")?;
                let sent_at: i64 = r.try_get("sent_at")?;
                n += acknowledge_up_to_tx(&mut tx, address, sent_at, by, now).await?;
            }
            if n > 0 {
                append_audit_tx(&mut tx, audit).await?;
            }
            tx.commit().await?;
            Ok(n)
        }

        async fn silent_addresses(
            &self,
            older_than: Timestamp,
            min_count: u32,
        ) -> StoreResult<Vec<Silence>> {
            let rows = sqlx::query(
                "SELECT address_id, COUNT(*) AS n, MIN(sent_at) AS oldest, MAX(sent_at) AS newest FROM outbox \
                 WHERE status = 'sent' AND acknowledged_at IS NULL AND subject_ref IS NOT NULL \
                 AND silence_alerted_at IS NULL AND address_id IS NOT NULL \
                 GROUP BY address_id HAVING COUNT(*) >= $2 OR MIN(sent_at) <= $1",
            )
            .bind(us(older_than))
            .bind(i64::from(min_count))
            .fetch_all(&self.pool)
            .await?;
            silences(self, &rows).await
        }

        async fn silent_now(
            &self,
            organisation: skranke_core::ids::OrganisationId,
            older_than: Timestamp,
            min_count: u32,
        ) -> StoreResult<Vec<Silence>> {
            // As `silent_addresses`, but of one organisation and whether or not an alert went out:
            // what the pages show until someone acts on the notifications.
            let rows = sqlx::query(
                "SELECT address_id, COUNT(*) AS n, MIN(sent_at) AS oldest, MAX(sent_at) AS newest FROM outbox \
                 WHERE status = 'sent' AND acknowledged_at IS NULL AND subject_ref IS NOT NULL \
                 AND address_id IS NOT NULL AND organisation_id = $3 \
                 GROUP BY address_id HAVING COUNT(*) >= $2 OR MIN(sent_at) <= $1",
            )
            .bind(us(older_than))
            .bind(i64::from(min_count))
            .bind(organisation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            let mut out = silences(self, &rows).await?;
            out.retain(|s| s.address.retired_at.is_none());
            out.sort_by_key(|s| s.oldest_sent_at);
            Ok(out)
        }

        async fn record_silence_alert(
            &self,
            address: AddressId,
            up_to: Timestamp,
            now: Timestamp,
            alerts: &[NewMessage],
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "UPDATE outbox SET silence_alerted_at = $3 WHERE address_id = $1 AND status = 'sent' \
                 AND acknowledged_at IS NULL AND subject_ref IS NOT NULL AND silence_alerted_at IS NULL AND sent_at <= $2",
            )
            .bind(address.as_uuid())
            .bind(us(up_to))
            .bind(us(now))
            .execute(&mut *tx)
            .await?;
            insert_messages(&mut tx, alerts, now).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn message_address(&self, id: MessageId) -> StoreResult<Option<AddressId>> {
            let row: Option<Option<Uuid>> = sqlx::query_scalar("SELECT address_id FROM outbox WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.flatten().map(AddressId::from_uuid))
        }

        async fn outbox_organisation(&self, id: MessageId) -> StoreResult<Option<skranke_core::ids::OrganisationId>> {
            let row: Option<Option<Uuid>> = sqlx::query_scalar("SELECT organisation_id FROM outbox WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.flatten().map(skranke_core::ids::OrganisationId::from_uuid))
        }

        async fn resolve_held(
            &self,
            id: MessageId,
            organisation: skranke_core::ids::OrganisationId,
            release: bool,
            by: UserId,
            now: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            // A released message goes back to the worker, which runs the gate again; a discarded
            // one loses its body and is kept as a record.
            let sql = if release {
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, locked_until = NULL, \
                 resolved_at = $3, resolved_by = $4, gate_outcome = NULL, gate_reason = NULL \
                 WHERE id = $1 AND organisation_id = $2 AND status = 'held' AND gate_outcome = 'hold'"
            } else {
                "UPDATE outbox SET status = 'failed', last_error = 'discarded', payload = '{}', resolved_at = $3, \
                 resolved_by = $4 WHERE id = $1 AND organisation_id = $2 AND status = 'held'"
            };
            let changed = sqlx::query(sql)
                .bind(id.as_uuid())
                .bind(organisation.as_uuid())
                .bind(us(now))
                .bind(by.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn route_event(&self, event: i64, messages: &[NewMessage], now: Timestamp) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            // Marking first makes a second router's attempt a no-op (it sees 0 rows and writes nothing).
            let marked = sqlx::query("UPDATE domain_events SET routed_at = $2 WHERE id = $1 AND routed_at IS NULL")
                .bind(event)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if marked != 1 {
                return Ok(false);
            }
            insert_messages(&mut tx, messages, now).await?;
            tx.commit().await?;
            Ok(true)
        }
    };
}

pub(crate) use {notify_helpers, notify_store_methods};
