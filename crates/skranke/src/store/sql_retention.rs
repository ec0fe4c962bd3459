//! SQL of retention (issue 7, point 3), shared by both databases. Expanded inside
//! `sql::shared_store_impl!` (see `sql_accounts.rs` for the pattern).
//!
//! Each call handles one batch of at most `limit` rows in one short transaction, oldest first,
//! so a pass over a million bookings never holds the writer for long (bookings go on between
//! batches) and a pass that stops half-way leaves nothing half-done.

macro_rules! retention_store_methods {
    () => {
        async fn retention_settings(
            &self,
            organisation: skranke_core::ids::OrganisationId,
        ) -> StoreResult<Vec<(String, u32)>> {
            let rows = sqlx::query("SELECT class, days FROM retention_settings WHERE organisation_id = $1")
                .bind(organisation.as_uuid())
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("class")?, u32::try_from(r.try_get::<i64, _>("days")?).unwrap_or(u32::MAX))))
                .collect()
        }

        async fn set_retention(
            &self,
            organisation: skranke_core::ids::OrganisationId,
            class: &str,
            days: u32,
            by: UserId,
            now: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO retention_settings (organisation_id, class, days, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id, class) \
                 DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(organisation.as_uuid())
            .bind(class)
            .bind(i64::from(days))
            .bind(by.as_uuid())
            .bind(us(now))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn citizen_record(
            &self,
            appointment: skranke_core::ids::AppointmentId,
        ) -> StoreResult<crate::store::CitizenRecord> {
            let id = appointment.as_uuid();
            let opt_ts =
                |r: &DbRow, col: &str| -> StoreResult<Option<Timestamp>> { r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose() };
            let addresses = sqlx::query(
                "SELECT address, state, verified_at, created_at FROM addresses \
                 WHERE owner_kind = 'appointment' AND owner_id = $1 ORDER BY created_at",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(crate::store::CitizenAddress {
                    address: r.try_get("address")?,
                    state: r.try_get("state")?,
                    verified_at: opt_ts(r, "verified_at")?,
                    created_at: from_us(r.try_get("created_at")?)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            let messages = sqlx::query(
                "SELECT template, recipient, status, sent_at, created_at, classes FROM outbox \
                 WHERE appointment_id = $1 ORDER BY created_at, id",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(crate::store::CitizenMessage {
                    template: r.try_get("template")?,
                    recipient: r.try_get("recipient")?,
                    status: r.try_get("status")?,
                    sent_at: opt_ts(r, "sent_at")?,
                    created_at: from_us(r.try_get("created_at")?)?,
                    classes: r.try_get::<Option<String>, _>("classes")?.unwrap_or_default(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            let visits = sqlx::query(
                "SELECT ticket, day, state, arrived_at, ended_at FROM visits WHERE appointment_id = $1 ORDER BY arrived_at",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(crate::store::CitizenVisit {
                    ticket: r.try_get("ticket")?,
                    day: r.try_get("day")?,
                    state: r.try_get("state")?,
                    arrived_at: from_us(r.try_get("arrived_at")?)?,
                    ended_at: opt_ts(r, "ended_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            Ok(crate::store::CitizenRecord { addresses, messages, visits })
        }

        async fn resolve_pseudonyms(&self, pseudonyms: &[String]) -> StoreResult<std::collections::HashMap<String, String>> {
            let mut out = std::collections::HashMap::new();
            for chunk in pseudonyms.chunks(ID_LIST_MAX) {
                let mut q = text_list("SELECT pseudonym, value FROM audit_pseudonyms WHERE pseudonym IN (", chunk);
                for r in q.build().fetch_all(&self.pool).await? {
                    out.insert(r.try_get("pseudonym")?, r.try_get("value")?);
                }
            }
            Ok(out)
        }

        async fn append_audit_naming(
            &self,
            audit: &[AuditRecord],
            pseudonyms: &[crate::store::PseudonymUse],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            record_pseudonyms_tx(&mut tx, pseudonyms).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn erase_booking_identity(
            &self,
            appointment: skranke_core::ids::AppointmentId,
            pseudonyms: &[String],
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            anonymise_bookings(&mut tx, &[appointment.as_uuid()]).await?;
            forget_pseudonyms_tx(&mut tx, pseudonyms).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn apply_retention(
            &self,
            organisation: skranke_core::ids::OrganisationId,
            class: skranke_core::retention::RetentionClass,
            cutoff: Timestamp,
            limit: u32,
        ) -> StoreResult<u64> {
            use skranke_core::retention::RetentionClass as C;
            let (org, cutoff, limit) = (organisation.as_uuid(), us(cutoff), i64::from(limit));
            let mut tx = self.begin_write().await?;
            let done = match class {
                C::CitizenIdentity => {
                    // The booking keeps its time, service, status and reference (statistics and
                    // breach scoping count it); its citizen's name and contact details go, as
                    // does the booking's address in the registry and on its messages. The
                    // address keeps its domain, so a domain scope still counts the subject.
                    let ids = due_ids(
                        &mut tx,
                        "SELECT a.id FROM appointments a JOIN centres c ON c.id = a.centre_id \
                         WHERE c.organisation_id = $1 AND a.citizen_name <> '' AND a.ends_at < $2 \
                         ORDER BY a.ends_at LIMIT $3",
                        org,
                        cutoff,
                        limit,
                    )
                    .await?;
                    anonymise_bookings(&mut tx, &ids).await?;
                    ids.len() as u64
                }
                C::UnverifiedAddresses => {
                    // Never proven and never mailed: nothing refers to it but its code.
                    let ids = due_ids(
                        &mut tx,
                        "SELECT a.id FROM addresses a WHERE a.organisation_id = $1 AND a.state = 'unverified' \
                         AND a.created_at < $2 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.address_id = a.id) \
                         ORDER BY a.created_at LIMIT $3",
                        org,
                        cutoff,
                        limit,
                    )
                    .await?;
                    for chunk in ids.chunks(ID_LIST_MAX) {
                        id_list("DELETE FROM address_codes WHERE address_id IN (", chunk).build().execute(&mut *tx).await?;
                        id_list("DELETE FROM addresses WHERE id IN (", chunk).build().execute(&mut *tx).await?;
                    }
                    ids.len() as u64
                }
                C::ExpiredHolds => {
                    // A hold that expired before its code was typed never became a booking: its
                    // claims and the booking go; its messages keep their record, anonymised.
                    let ids = due_ids(
                        &mut tx,
                        "SELECT a.id FROM appointments a JOIN centres c ON c.id = a.centre_id \
                         WHERE c.organisation_id = $1 AND a.status = 'expired' AND a.updated_at < $2 \
                         AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.appointment_id = a.id) \
                         ORDER BY a.updated_at LIMIT $3",
                        org,
                        cutoff,
                        limit,
                    )
                    .await?;
                    anonymise_bookings(&mut tx, &ids).await?;
                    for chunk in ids.chunks(ID_LIST_MAX) {
                        for sql in [
                            "DELETE FROM slot_seats WHERE appointment_id IN (",
                            "DELETE FROM staff_cells WHERE appointment_id IN (",
                            "DELETE FROM appointments WHERE id IN (",
                        ] {
                            id_list(sql, chunk).build().execute(&mut *tx).await?;
                        }
                    }
                    ids.len() as u64
                }
                C::MessageBodies => {
                    // Delivery already clears a message's content; what is left is the demo
                    // mailbox's copies and content an older version kept after delivery.
                    let copies = sqlx::query(
                        "DELETE FROM dev_mailbox WHERE id IN (SELECT d.id FROM dev_mailbox d JOIN outbox o ON o.id = d.outbox_id \
                         WHERE o.organisation_id = $1 AND d.delivered_at < $2 ORDER BY d.delivered_at LIMIT $3)",
                    )
                    .bind(org)
                    .bind(cutoff)
                    .bind(limit)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let bodies = sqlx::query(
                        "UPDATE outbox SET payload = '{}' WHERE id IN (SELECT id FROM outbox WHERE organisation_id = $1 \
                         AND payload <> '{}' AND status IN ('sent', 'failed') AND sent_at < $2 \
                         AND (acknowledged_at IS NOT NULL OR subject_ref IS NULL) ORDER BY sent_at LIMIT $3)",
                    )
                    .bind(org)
                    .bind(cutoff)
                    .bind(limit)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    copies + bodies
                }
                // A mapping without an organisation names the target of a breach scope run from
                // the command line across every organisation: it touched each organisation's
                // data, so it is kept no longer than the strictest of them allows.
                C::AuditPseudonyms => sqlx::query(
                    "DELETE FROM audit_pseudonyms WHERE pseudonym IN (SELECT pseudonym FROM audit_pseudonyms \
                     WHERE (organisation_id = $1 OR organisation_id IS NULL) AND last_at < $2 ORDER BY last_at LIMIT $3)",
                )
                .bind(org)
                .bind(cutoff)
                .bind(limit)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                C::AuditPayloads => {
                    // Format 2 entries only (a salt): the chain covers their payload through its
                    // commitment, which stays. Format 1 entries (before schema v16) cannot lose
                    // theirs without breaking the chain; entries without an organisation are
                    // the platform's, under no organisation's policy.
                    sqlx::query(
                        "UPDATE audit_log SET detail = '', payload_salt = NULL WHERE seq IN (SELECT seq FROM audit_log \
                         WHERE organisation_id = $1 AND payload_salt IS NOT NULL AND at < $2 ORDER BY organisation_id, at LIMIT $3)",
                    )
                    .bind(org)
                    .bind(cutoff)
                    .bind(limit)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                }
                C::MessageRecords => {
                    let ids = due_ids(
                        &mut tx,
                        "SELECT id FROM outbox WHERE organisation_id = $1 AND status IN ('sent', 'failed') \
                         AND sent_at < $2 ORDER BY sent_at LIMIT $3",
                        org,
                        cutoff,
                        limit,
                    )
                    .await?;
                    for chunk in ids.chunks(ID_LIST_MAX) {
                        for sql in ["DELETE FROM dev_mailbox WHERE outbox_id IN (", "DELETE FROM outbox WHERE id IN ("] {
                            id_list(sql, chunk).build().execute(&mut *tx).await?;
                        }
                    }
                    ids.len() as u64
                }
            };
            tx.commit().await?;
            Ok(done)
        }
    };
}

/// The anonymisation of bookings, shared by retention and by a citizen's erasure request; the
/// audit pseudonyms' mapping (written with the outbox's outcomes, forgotten on erasure); and the
/// id-list and due-rows helpers the retention and breach SQL share.
macro_rules! retention_helpers {
    () => {
        /// Ids bound per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits.
        const ID_LIST_MAX: usize = 500;

        /// `sql` (which ends with `IN (`) with `ids` bound as the list and the list closed.
        fn id_list(sql: &'static str, ids: &[Uuid]) -> sqlx::QueryBuilder<Db> {
            let mut q = sqlx::QueryBuilder::<Db>::new(sql);
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
            q
        }

        /// [`id_list`] for text keys.
        fn text_list(sql: &'static str, keys: &[String]) -> sqlx::QueryBuilder<Db> {
            let mut q = sqlx::QueryBuilder::<Db>::new(sql);
            let mut list = q.separated(", ");
            for key in keys {
                list.push_bind(key.clone());
            }
            q.push(")");
            q
        }

        /// The ids a retention class's `sql` selects: `$1` the organisation, `$2` the cutoff,
        /// `$3` the batch size.
        async fn due_ids(tx: &mut Tx, sql: &'static str, org: Uuid, cutoff: i64, limit: i64) -> StoreResult<Vec<Uuid>> {
            Ok(sqlx::query_scalar(sql).bind(org).bind(cutoff).bind(limit).fetch_all(&mut **tx).await?)
        }

        /// Deletes what `pseudonyms` stand for: the audit entries that use them stay, and no
        /// longer name anyone.
        async fn forget_pseudonyms_tx(tx: &mut Tx, pseudonyms: &[String]) -> StoreResult<()> {
            for chunk in pseudonyms.chunks(ID_LIST_MAX) {
                text_list("DELETE FROM audit_pseudonyms WHERE pseudonym IN (", chunk).build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Records what `pseudonyms` stand for, with the time of their latest use; one row per
        /// pseudonym (PostgreSQL refuses to update a row twice in one statement, so duplicates
        /// are merged first).
        async fn record_pseudonyms_tx(tx: &mut Tx, pseudonyms: &[crate::store::PseudonymUse]) -> StoreResult<()> {
            let mut latest: std::collections::BTreeMap<&str, &crate::store::PseudonymUse> = std::collections::BTreeMap::new();
            for p in pseudonyms {
                let e = latest.entry(p.pseudonym.as_str()).or_insert(p);
                if p.at > e.at {
                    *e = p;
                }
            }
            let rows: Vec<_> = latest.into_values().collect();
            for chunk in rows.chunks(100) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO audit_pseudonyms (pseudonym, organisation_id, kind, value, first_at, last_at) ",
                );
                q.push_values(chunk, |mut row, p| {
                    row.push_bind(p.pseudonym.clone())
                        .push_bind(p.organisation.map(|o| o.as_uuid()))
                        .push_bind(p.kind)
                        .push_bind(p.value.clone())
                        .push_bind(us(p.at))
                        .push_bind(us(p.at));
                });
                q.push(
                    " ON CONFLICT (pseudonym) DO UPDATE SET last_at = CASE WHEN excluded.last_at > audit_pseudonyms.last_at \
                     THEN excluded.last_at ELSE audit_pseudonyms.last_at END",
                );
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Blanks the citizen's name and contact details on the bookings `ids`, reduces their
        /// registry addresses to the domain, and removes the recipient and any content from their
        /// messages (and the demo mailbox's copies). The bookings themselves stay for statistics.
        async fn anonymise_bookings(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<()> {
            for chunk in ids.chunks(ID_LIST_MAX) {
                let run = |sql: &'static str| id_list(sql, chunk);
                run("UPDATE appointments SET citizen_name = '', citizen_email = NULL, citizen_phone = NULL, \
                     code_hash = NULL WHERE id IN (")
                .build()
                .execute(&mut **tx)
                .await?;
                run("UPDATE addresses SET address = '@' || registrable_domain \
                     WHERE owner_kind = 'appointment' AND owner_id IN (")
                .build()
                .execute(&mut **tx)
                .await?;
                run("DELETE FROM dev_mailbox WHERE outbox_id IN (SELECT id FROM outbox WHERE appointment_id IN (")
                    .push(")")
                    .build()
                    .execute(&mut **tx)
                    .await?;
                run("UPDATE outbox SET recipient = '', payload = '{}' WHERE appointment_id IN (")
                    .build()
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }
    };
}

pub(crate) use {retention_helpers, retention_store_methods};
