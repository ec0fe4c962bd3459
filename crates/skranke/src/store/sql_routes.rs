//! SQL of the routing rules (issue 6, point 3) and of reminders, shared by both databases.
//! Expanded inside `sql::shared_store_impl!` (see `sql_accounts.rs` for the pattern).

/// Row decoders for routing rules.
macro_rules! route_helpers {
    () => {
        use skranke_core::notify::route::{Event, Recipient, RouteTable};

        use crate::store::RouteChange;

        const ROUTE_CHANGE_COLUMNS: &str = "id, organisation_id, event, recipient, enabled, requested_by, \
             requested_at, decided_by, decided_at, decision";

        fn route_change_from_row(r: &DbRow) -> StoreResult<RouteChange> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            Ok(RouteChange {
                id: r.try_get("id")?,
                organisation: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                event: Event::parse(&r.try_get::<String, _>("event")?).ok_or_else(|| corrupt("route event"))?,
                recipient: Recipient::parse(&r.try_get::<String, _>("recipient")?)
                    .ok_or_else(|| corrupt("route recipient"))?,
                enabled: r.try_get("enabled")?,
                requested_by: UserId::from_uuid(r.try_get("requested_by")?),
                requested_at: from_us(r.try_get("requested_at")?)?,
                approved: r.try_get::<Option<String>, _>("decision")?.map(|d| d == "approved"),
                decided_by: r.try_get::<Option<Uuid>, _>("decided_by")?.map(UserId::from_uuid),
                decided_at: opt_ts("decided_at")?,
            })
        }
    };
}

/// The `Store` methods of routing rules and reminders.
macro_rules! route_store_methods {
    () => {
        async fn route_table(&self, organisation: skranke_core::ids::OrganisationId) -> StoreResult<RouteTable> {
            let rows = sqlx::query("SELECT event, recipient, enabled FROM routes WHERE organisation_id = $1")
                .bind(organisation.as_uuid())
                .fetch_all(&self.pool)
                .await?;
            let mut table = RouteTable::default();
            for r in &rows {
                // A route this version does not know (written by a newer one) is left out, not fatal.
                let event = Event::parse(&r.try_get::<String, _>("event")?);
                let recipient = Recipient::parse(&r.try_get::<String, _>("recipient")?);
                if let (Some(e), Some(to)) = (event, recipient) {
                    table.set(e, to, r.try_get("enabled")?).map_err(|e| corrupt(&e.to_string()))?;
                }
            }
            Ok(table)
        }

        async fn propose_route(&self, change: &RouteChange, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // A new proposal for the same route replaces an open one.
            sqlx::query(
                "DELETE FROM route_changes WHERE organisation_id = $1 AND event = $2 AND recipient = $3 \
                 AND decision IS NULL",
            )
            .bind(change.organisation.as_uuid())
            .bind(change.event.as_str())
            .bind(change.recipient.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO route_changes (id, organisation_id, event, recipient, enabled, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(change.id)
            .bind(change.organisation.as_uuid())
            .bind(change.event.as_str())
            .bind(change.recipient.as_str())
            .bind(change.enabled)
            .bind(change.requested_by.as_uuid())
            .bind(us(change.requested_at))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn route_changes(
            &self,
            organisation: skranke_core::ids::OrganisationId,
        ) -> StoreResult<Vec<RouteChange>> {
            let sql = format!(
                "SELECT {ROUTE_CHANGE_COLUMNS} FROM route_changes WHERE organisation_id = $1 AND decision IS NULL \
                 ORDER BY requested_at, id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation.as_uuid()).fetch_all(&self.pool).await?;
            rows.iter().map(route_change_from_row).collect()
        }

        async fn get_route_change(&self, id: Uuid) -> StoreResult<Option<RouteChange>> {
            let sql = format!("SELECT {ROUTE_CHANGE_COLUMNS} FROM route_changes WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
            row.as_ref().map(route_change_from_row).transpose()
        }

        async fn decide_route_change(
            &self,
            id: Uuid,
            by: UserId,
            now: Timestamp,
            approve: bool,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // Open, and not the asker's own: the second pair of eyes is checked in the statement.
            let decided = sqlx::query(
                "UPDATE route_changes SET decision = $2, decided_by = $3, decided_at = $4 \
                 WHERE id = $1 AND decision IS NULL AND requested_by <> $3 \
                 RETURNING organisation_id, event, recipient, enabled",
            )
            .bind(id)
            .bind(if approve { "approved" } else { "rejected" })
            .bind(by.as_uuid())
            .bind(us(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = decided else { return Err(StoreError::Conflict) };
            if approve {
                sqlx::query(
                    "INSERT INTO routes (organisation_id, event, recipient, enabled, changed_by, changed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organisation_id, event, recipient) \
                     DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by, \
                     changed_at = excluded.changed_at",
                )
                .bind(row.try_get::<Uuid, _>("organisation_id")?)
                .bind(row.try_get::<String, _>("event")?)
                .bind(row.try_get::<String, _>("recipient")?)
                .bind(row.try_get::<bool, _>("enabled")?)
                .bind(by.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn staff_address(&self, staff: StaffId) -> StoreResult<Option<AddressRecord>> {
            // A bookable staff member is mailed at their own proven address: the registry record
            // of the user who signs in with the staff member's work address, in the same
            // organisation. No such user, no address: the typed directory entry alone is never
            // enough (RS-11).
            let sql = format!(
                "SELECT {ADDRESS_COLUMNS} FROM addresses a WHERE a.owner_kind = 'user' AND a.retired_at IS NULL \
                 AND lower(a.address) = (SELECT lower(s.email) FROM staff s WHERE s.id = $1) \
                 AND a.organisation_id = (SELECT c.organisation_id FROM staff s JOIN centres c ON c.id = s.centre_id \
                 WHERE s.id = $1) ORDER BY a.created_at DESC, a.id LIMIT 1"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(staff.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(address_from_row).transpose()
        }

        async fn due_reminders(
            &self,
            now: Timestamp,
            lead: SignedDuration,
            limit: u32,
        ) -> StoreResult<Vec<AppointmentId>> {
            // Due: confirmed, not yet reminded, starting within `lead`, and booked at least `lead`
            // before its start (a booking made this afternoon for tomorrow morning has just had its
            // confirmation; a reminder on top would be noise).
            let rows = sqlx::query(
                "SELECT id FROM appointments WHERE status = 'confirmed' AND reminded_at IS NULL \
                 AND starts_at > $1 AND starts_at <= $1 + $2 AND created_at <= starts_at - $2 \
                 ORDER BY starts_at, id LIMIT $3",
            )
            .bind(us(now))
            .bind(i64::try_from(lead.as_micros()).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(|r| Ok(AppointmentId::from_uuid(r.try_get("id")?))).collect()
        }

        async fn record_reminder(
            &self,
            appointment: AppointmentId,
            messages: &[NewMessage],
            now: Timestamp,
        ) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            let marked = sqlx::query(
                "UPDATE appointments SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL AND status = 'confirmed'",
            )
            .bind(appointment.as_uuid())
            .bind(us(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked != 1 {
                // Another worker reminded it, or it was cancelled meanwhile: write nothing.
                return Ok(false);
            }
            insert_messages(&mut tx, messages, now).await?;
            tx.commit().await?;
            Ok(true)
        }
    };
}

pub(crate) use {route_helpers, route_store_methods};
