//! SQL for queues and desks, shared by both databases. Expanded inside `sql::shared_store_impl!`
//! (see `sql_accounts.rs` for the pattern).

/// Row decoders for visits.
macro_rules! visit_helpers {
    () => {
        /// Writes a domain event in the transaction of the change it records.
        async fn insert_event_tx(tx: &mut Tx, event: &crate::store::DomainEvent) -> StoreResult<()> {
            sqlx::query("INSERT INTO domain_events (at, kind, centre_id, payload) VALUES ($1, $2, $3, $4)")
                .bind(us(event.at))
                .bind(&event.kind)
                .bind(event.centre.as_uuid())
                .bind(to_json(&event.payload)?)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        use skranke_core::ids::{DeskId, QueueId, VisitId};
        use skranke_core::visit::order::CallOrder;
        use skranke_core::visit::{Arrival, HistoryEntry, Priority, StepKind, TicketNumber, Visit, VisitKind, VisitState};

        use skranke_core::visit::Placement;

        use crate::store::{Desk, DeskContext, DomainEvent, Occupancy, QueueRules, VisitRecord};

        const DESK_COLUMNS: &str = "id, centre_id, name, active, occupant_id, queue_ids, occupied_at";

        fn desk_from_row(r: &DbRow) -> StoreResult<Desk> {
            let occupant = match r.try_get::<Option<Uuid>, _>("occupant_id")? {
                None => None,
                Some(user) => Some(Occupancy {
                    user: UserId::from_uuid(user),
                    queues: json(&r.try_get::<String, _>("queue_ids")?, "desk queues")?,
                    since: from_us(r.try_get::<Option<i64>, _>("occupied_at")?.ok_or_else(|| corrupt("desk since"))?)?,
                }),
            };
            Ok(Desk {
                id: DeskId::from_uuid(r.try_get("id")?),
                centre: CentreId::from_uuid(r.try_get("centre_id")?),
                name: r.try_get("name")?,
                active: r.try_get("active")?,
                occupant,
            })
        }

        const VISIT_COLUMNS: &str = "id, centre_id, queue_id, service_id, appointment_id, kind, ticket, priority, \
             state, arrived_at, queued_at, due_at, desk_id, called_at, started_at, ended_at, calls, transfers, version";

        fn visit_from_row(r: &DbRow) -> StoreResult<Visit> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            let count = |col: &str| -> StoreResult<u32> {
                u32::try_from(r.try_get::<i32, _>(col)?).map_err(|_| corrupt(col))
            };
            Ok(Visit {
                id: VisitId::from_uuid(r.try_get("id")?),
                centre: CentreId::from_uuid(r.try_get("centre_id")?),
                queue: QueueId::from_uuid(r.try_get("queue_id")?),
                service: r.try_get::<Option<Uuid>, _>("service_id")?.map(ServiceId::from_uuid),
                appointment: r.try_get::<Option<Uuid>, _>("appointment_id")?.map(AppointmentId::from_uuid),
                kind: VisitKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| corrupt("visit kind"))?,
                ticket: r.try_get::<String, _>("ticket")?.parse::<TicketNumber>().map_err(|_| corrupt("ticket"))?,
                priority: Priority::from_rank(r.try_get("priority")?).ok_or_else(|| corrupt("priority"))?,
                state: VisitState::parse(&r.try_get::<String, _>("state")?).ok_or_else(|| corrupt("visit state"))?,
                arrived_at: from_us(r.try_get("arrived_at")?)?,
                queued_at: from_us(r.try_get("queued_at")?)?,
                due_at: opt_ts("due_at")?,
                desk: r.try_get::<Option<Uuid>, _>("desk_id")?.map(DeskId::from_uuid),
                called_at: opt_ts("called_at")?,
                started_at: opt_ts("started_at")?,
                ended_at: opt_ts("ended_at")?,
                calls: count("calls")?,
                transfers: count("transfers")?,
                version: r.try_get("version")?,
            })
        }

        fn count_i32(n: u32) -> StoreResult<i32> {
            i32::try_from(n).map_err(|_| corrupt("count overflow"))
        }

        async fn insert_history_tx(tx: &mut Tx, entry: &HistoryEntry) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO visit_history (visit_id, at, kind, desk_id, from_queue, to_queue, actor_id, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(entry.visit.as_uuid())
            .bind(us(entry.at))
            .bind(entry.kind.as_str())
            .bind(entry.desk.map(|d| d.as_uuid()))
            .bind(entry.from_queue.map(|q| q.as_uuid()))
            .bind(entry.to_queue.map(|q| q.as_uuid()))
            .bind(entry.actor.map(|a| a.as_uuid()))
            .bind(entry.reason.as_deref())
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        fn history_from_row(r: &DbRow) -> StoreResult<HistoryEntry> {
            let queue = |col: &str| -> StoreResult<Option<QueueId>> {
                Ok(r.try_get::<Option<Uuid>, _>(col)?.map(QueueId::from_uuid))
            };
            Ok(HistoryEntry {
                visit: VisitId::from_uuid(r.try_get("visit_id")?),
                at: from_us(r.try_get("at")?)?,
                kind: StepKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| corrupt("history kind"))?,
                desk: r.try_get::<Option<Uuid>, _>("desk_id")?.map(DeskId::from_uuid),
                from_queue: queue("from_queue")?,
                to_queue: queue("to_queue")?,
                actor: r.try_get::<Option<Uuid>, _>("actor_id")?.map(UserId::from_uuid),
                reason: r.try_get("reason")?,
            })
        }

        /// `$first, $first+1, …` for `n` values.
        fn placeholders(first: usize, n: usize) -> String {
            (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        }

        /// A unique violation while a desk takes a citizen: the desk already has one
        /// (`visits_one_per_desk`).
        fn desk_busy(e: StoreError) -> StoreError {
            match e {
                StoreError::Duplicate(_) => StoreError::Conflict,
                other => other,
            }
        }
    };
}

/// The queue methods of `impl Store`.
macro_rules! visit_store_methods {
    () => {
        async fn create_desk(&self, desk: &Desk) -> StoreResult<()> {
            sqlx::query("INSERT INTO desks (id, centre_id, name, active) VALUES ($1, $2, $3, $4)")
                .bind(desk.id.as_uuid())
                .bind(desk.centre.as_uuid())
                .bind(&desk.name)
                .bind(desk.active)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn list_desks(&self, centre: CentreId) -> StoreResult<Vec<Desk>> {
            let sql = format!("SELECT {DESK_COLUMNS} FROM desks WHERE centre_id = $1 ORDER BY name");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(centre.as_uuid()).fetch_all(&self.pool).await?;
            rows.iter().map(desk_from_row).collect()
        }

        async fn get_desk(&self, id: DeskId) -> StoreResult<Option<Desk>> {
            let sql = format!("SELECT {DESK_COLUMNS} FROM desks WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(desk_from_row).transpose()
        }

        async fn desk_context(&self, id: DeskId) -> StoreResult<Option<DeskContext>> {
            let row = sqlx::query(
                "SELECT d.id, d.centre_id, d.name, d.active, d.occupant_id, d.queue_ids, d.occupied_at, \
                 c.organisation_id, c.call_order FROM desks d JOIN centres c ON c.id = d.centre_id WHERE d.id = $1",
            )
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
            let Some(r) = row else { return Ok(None) };
            Ok(Some(DeskContext {
                desk: desk_from_row(&r)?,
                organisation: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                call_order: CallOrder::parse(&r.try_get::<String, _>("call_order")?)
                    .ok_or_else(|| corrupt("call order"))?,
            }))
        }

        async fn create_desk_audited(&self, desk: &Desk, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query("INSERT INTO desks (id, centre_id, name, active) VALUES ($1, $2, $3, $4)")
                .bind(desk.id.as_uuid())
                .bind(desk.centre.as_uuid())
                .bind(&desk.name)
                .bind(desk.active)
                .execute(&mut *tx)
                .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn set_queue_rules(&self, centre: CentreId, rules: &QueueRules, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query("UPDATE centres SET call_order = $2 WHERE id = $1")
                .bind(centre.as_uuid())
                .bind(rules.call_order.as_str())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            for (queue, placement) in &rules.placements {
                let done = sqlx::query("UPDATE queues SET transfer_placement = $3 WHERE id = $1 AND centre_id = $2")
                    .bind(queue.as_uuid())
                    .bind(centre.as_uuid())
                    .bind(placement.as_str())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn occupy_desk(&self, desk: DeskId, occupancy: &Occupancy) -> StoreResult<()> {
            let done = sqlx::query(
                "UPDATE desks SET occupant_id = $2, queue_ids = $3, occupied_at = $4, version = version + 1 \
                 WHERE id = $1 AND active",
            )
            .bind(desk.as_uuid())
            .bind(occupancy.user.as_uuid())
            .bind(to_json(&occupancy.queues)?)
            .bind(us(occupancy.since))
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        }

        async fn leave_desk(&self, desk: DeskId, user: UserId) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE desks SET occupant_id = NULL, queue_ids = '[]', occupied_at = NULL, version = version + 1 \
                 WHERE id = $1 AND occupant_id = $2",
            )
            .bind(desk.as_uuid())
            .bind(user.as_uuid())
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn centre_visits(
            &self,
            centre: CentreId,
            from: jiff::civil::Date,
            to: jiff::civil::Date,
        ) -> StoreResult<Vec<VisitRecord>> {
            // The first call, not the latest: waiting time ends when the citizen was first called.
            let sql = format!(
                "SELECT {VISIT_COLUMNS}, day, (SELECT MIN(h.at) FROM visit_history h WHERE h.visit_id = visits.id \
                 AND h.kind = 'called') AS first_called_at \
                 FROM visits WHERE centre_id = $1 AND day >= $2 AND day <= $3 ORDER BY arrived_at, id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(centre.as_uuid())
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(VisitRecord {
                        visit: visit_from_row(r)?,
                        day: r.try_get::<String, _>("day")?.parse().map_err(|_| corrupt("visit day"))?,
                        first_called_at: r.try_get::<Option<i64>, _>("first_called_at")?.map(from_us).transpose()?,
                    })
                })
                .collect()
        }

        async fn appointment_by_reference(&self, reference: &str) -> StoreResult<Option<Appointment>> {
            let row = sqlx::query("SELECT * FROM appointments WHERE reference = $1")
                .bind(reference)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(appointment_from_row).transpose()
        }

        async fn queue_rules(&self, centre: CentreId) -> StoreResult<Option<QueueRules>> {
            let Some(order) = sqlx::query_scalar::<_, String>("SELECT call_order FROM centres WHERE id = $1")
                .bind(centre.as_uuid())
                .fetch_optional(&self.pool)
                .await?
            else {
                return Ok(None);
            };
            let call_order = CallOrder::parse(&order).ok_or_else(|| corrupt("call order"))?;
            let rows = sqlx::query("SELECT id, transfer_placement FROM queues WHERE centre_id = $1")
                .bind(centre.as_uuid())
                .fetch_all(&self.pool)
                .await?;
            let placements = rows
                .iter()
                .map(|r| {
                    let placement = Placement::parse(&r.try_get::<String, _>("transfer_placement")?)
                        .ok_or_else(|| corrupt("transfer placement"))?;
                    Ok((QueueId::from_uuid(r.try_get("id")?), placement))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Some(QueueRules { call_order, placements }))
        }

        async fn issue_ticket(&self, new: &Arrival, prefix: &str, actor: Option<UserId>) -> StoreResult<Visit> {
            let mut tx = self.begin_write().await?;
            let day = new.day.to_string();
            let issued: i64 = sqlx::query_scalar(
                "INSERT INTO ticket_counters (queue_id, day, issued) VALUES ($1, $2, 1) \
                 ON CONFLICT (queue_id, day) DO UPDATE SET issued = ticket_counters.issued + 1 RETURNING issued",
            )
            .bind(new.queue.as_uuid())
            .bind(&day)
            .fetch_one(&mut *tx)
            .await?;
            let issued = u64::try_from(issued - 1).map_err(|_| corrupt("ticket counter"))?;
            let ticket = TicketNumber::nth(prefix, issued).map_err(|_| corrupt("queue prefix"))?;
            let visit = Visit::arrived(new, ticket);
            sqlx::query(
                "INSERT INTO visits (id, centre_id, queue_id, service_id, appointment_id, kind, ticket, day, priority, \
                 state, arrived_at, queued_at, due_at, calls, transfers, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $10, $11, 0, 0, 0)",
            )
            .bind(visit.id.as_uuid())
            .bind(visit.centre.as_uuid())
            .bind(visit.queue.as_uuid())
            .bind(visit.service.map(|s| s.as_uuid()))
            .bind(visit.appointment.map(|a| a.as_uuid()))
            .bind(visit.kind.as_str())
            .bind(visit.ticket.to_string())
            .bind(&day)
            .bind(visit.priority.rank())
            .bind(us(visit.arrived_at))
            .bind(visit.due_at.map(us))
            .execute(&mut *tx)
            .await?;
            let entry = HistoryEntry {
                visit: visit.id,
                at: visit.arrived_at,
                kind: StepKind::Arrived,
                desk: None,
                from_queue: None,
                to_queue: Some(visit.queue),
                actor,
                reason: None,
            };
            insert_history_tx(&mut tx, &entry).await?;
            // Every arrival is an event the router may tell someone about (issue 6: arrival
            // routes); ids only, as for transfers.
            let event = crate::store::DomainEvent {
                at: visit.arrived_at,
                kind: "visit.arrived".to_owned(),
                centre: visit.centre,
                payload: serde_json::json!({
                    "visit": visit.id,
                    "queue": visit.queue,
                    "centre": visit.centre,
                    "appointment": visit.appointment,
                }),
            };
            insert_event_tx(&mut tx, &event).await?;
            tx.commit().await?;
            Ok(visit)
        }

        async fn get_visit(&self, id: VisitId) -> StoreResult<Option<Visit>> {
            let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(visit_from_row).transpose()
        }

        async fn visit_history(&self, id: VisitId) -> StoreResult<Vec<HistoryEntry>> {
            let rows = sqlx::query(
                "SELECT visit_id, at, kind, desk_id, from_queue, to_queue, actor_id, reason \
                 FROM visit_history WHERE visit_id = $1 ORDER BY id",
            )
            .bind(id.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(history_from_row).collect()
        }

        async fn waiting_visits(&self, queues: &[QueueId], order: CallOrder, now: Timestamp) -> StoreResult<Vec<Visit>> {
            if queues.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT {VISIT_COLUMNS} FROM visits WHERE state = 'waiting' AND queue_id IN ({}) ORDER BY {}",
                placeholders(2, queues.len()),
                order.sql_order_by("$1"),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(us(now));
            for q in queues {
                query = query.bind(q.as_uuid());
            }
            let rows = query.fetch_all(&self.pool).await?;
            rows.iter().map(visit_from_row).collect()
        }

        async fn call_next(
            &self,
            desk: DeskId,
            queues: &[QueueId],
            order: CallOrder,
            now: Timestamp,
            actor: Option<UserId>,
        ) -> StoreResult<Option<Visit>> {
            if queues.is_empty() {
                return Ok(None);
            }
            // One statement claims the first waiting visit: the subquery picks it (on PostgreSQL
            // locking it and skipping rows other desks are claiming), the outer UPDATE only
            // changes it while it is still waiting. Two desks never get the same visit.
            let claim = format!(
                "UPDATE visits SET state = 'called', desk_id = $1, called_at = $2, calls = calls + 1, \
                 version = version + 1 \
                 WHERE id = (SELECT id FROM visits WHERE state = 'waiting' AND queue_id IN ({}) ORDER BY {} LIMIT 1 {}) \
                 AND state = 'waiting' RETURNING {VISIT_COLUMNS}",
                placeholders(4, queues.len()),
                order.sql_order_by("$2"),
                Self::SKIP_LOCKED,
            );
            // Where the database allows writes in a WITH clause (PostgreSQL), the "called" history
            // row is written by the same statement: one round trip less on call-next's hot path.
            let sql = if Self::WRITES_IN_WITH {
                format!(
                    "WITH claimed AS ({claim}), history AS (INSERT INTO visit_history \
                     (visit_id, at, kind, desk_id, actor_id) SELECT id, $2, 'called', $1, $3 FROM claimed) \
                     SELECT {VISIT_COLUMNS} FROM claimed"
                )
            } else {
                claim
            };
            let mut tx = self.begin_queue_step().await?;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(desk.as_uuid())
                .bind(us(now))
                .bind(actor.map(|a| a.as_uuid()));
            for q in queues {
                query = query.bind(q.as_uuid());
            }
            let row = query.fetch_optional(&mut *tx).await.map_err(StoreError::from).map_err(desk_busy)?;
            let Some(row) = row else { return Ok(None) };
            let visit = visit_from_row(&row)?;
            if !Self::WRITES_IN_WITH {
                let entry = HistoryEntry {
                    visit: visit.id,
                    at: now,
                    kind: StepKind::Called,
                    desk: Some(desk),
                    from_queue: None,
                    to_queue: None,
                    actor,
                    reason: None,
                };
                insert_history_tx(&mut tx, &entry).await?;
            }
            tx.commit().await?;
            Ok(Some(visit))
        }

        async fn record_visit_step(
            &self,
            after: &Visit,
            expected_version: i64,
            entry: &HistoryEntry,
            event: Option<&DomainEvent>,
        ) -> StoreResult<Visit> {
            let mut tx = self.begin_queue_step().await?;
            let done = sqlx::query(
                "UPDATE visits SET centre_id = $3, queue_id = $4, priority = $5, state = $6, queued_at = $7, \
                 desk_id = $8, called_at = $9, started_at = $10, ended_at = $11, calls = $12, transfers = $13, \
                 version = version + 1 WHERE id = $1 AND version = $2",
            )
            .bind(after.id.as_uuid())
            .bind(expected_version)
            .bind(after.centre.as_uuid())
            .bind(after.queue.as_uuid())
            .bind(after.priority.rank())
            .bind(after.state.as_str())
            .bind(us(after.queued_at))
            .bind(after.desk.map(|d| d.as_uuid()))
            .bind(after.called_at.map(us))
            .bind(after.started_at.map(us))
            .bind(after.ended_at.map(us))
            .bind(count_i32(after.calls)?)
            .bind(count_i32(after.transfers)?)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)
            .map_err(desk_busy)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
            insert_history_tx(&mut tx, entry).await?;
            if let Some(event) = event {
                insert_event_tx(&mut tx, event).await?;
            }
            tx.commit().await?;
            Ok(Visit { version: expected_version + 1, ..after.clone() })
        }

        async fn unrouted_events(&self, limit: u32) -> StoreResult<Vec<(i64, DomainEvent)>> {
            let rows = sqlx::query(
                "SELECT id, at, kind, centre_id, payload FROM domain_events WHERE routed_at IS NULL ORDER BY id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("id")?,
                        DomainEvent {
                            at: from_us(r.try_get("at")?)?,
                            kind: r.try_get("kind")?,
                            centre: CentreId::from_uuid(r.try_get("centre_id")?),
                            payload: json(&r.try_get::<String, _>("payload")?, "event payload")?,
                        },
                    ))
                })
                .collect()
        }
    };
}

pub(crate) use {visit_helpers, visit_store_methods};
