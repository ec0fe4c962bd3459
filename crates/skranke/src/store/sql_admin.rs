//! SQL for the administration part of the `Store` trait (organisation, centres, closures, queues,
//! services, staff, absences), shared by both databases. Expanded inside `sql::shared_store_impl!`,
//! so the helpers there (`Tx`, `DbRow`, `corrupt`, `json`, `to_json`, `service_from_row`,
//! `insert_*`, `append_audit_tx`, `self.begin_write()`) are in scope.
//!
//! Staff members' services are written by `replace_links` here, after `lock_live_services`, not
//! by `sql.rs`'s `set_staff_services` (which seeding uses): no link to a deactivated service.
//!
//! Every update is `UPDATE … SET …, version = version + 1 WHERE id = $1 AND version = $expected`:
//! no row means someone changed it first (`Conflict`) or it is gone (`NotFound`); nothing, not even
//! the audit row, is written then.

/// Module-level helpers for the administration methods.
macro_rules! admin_helpers {
    () => {
        use crate::store::{Absence, AdminObject, Closure, ObjectKey, ServiceEntry, StaffAdmin, StaffEntry, Versioned};

        fn version_of(r: &DbRow) -> StoreResult<i64> {
            Ok(r.try_get::<i64, _>("version")?)
        }

        /// After an update matched no row: `NotFound` when the row is gone, else `Conflict`.
        async fn stale_or_missing(tx: &mut Tx, table: &'static str, id: Uuid) -> StoreError {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
            match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut **tx).await {
                Ok(0) => StoreError::NotFound,
                Ok(_) => StoreError::Conflict,
                Err(e) => e.into(),
            }
        }

        /// Runs an optimistic update in `tx`; returns the new version or the reason it did not apply.
        async fn versioned_update(
            tx: &mut Tx,
            query: sqlx::query::Query<
                '_,
                <DbRow as sqlx::Row>::Database,
                <<DbRow as sqlx::Row>::Database as sqlx::Database>::Arguments,
            >,
            table: &'static str,
            id: Uuid,
            expected: i64,
        ) -> StoreResult<i64> {
            if query.execute(&mut **tx).await?.rows_affected() == 0 {
                return Err(stale_or_missing(tx, table, id).await);
            }
            Ok(expected + 1)
        }

        fn queue_from_row(r: &DbRow) -> StoreResult<Queue> {
            Ok(Queue {
                id: skranke_core::ids::QueueId::from_uuid(r.try_get("id")?),
                centre_id: CentreId::from_uuid(r.try_get("centre_id")?),
                name_da: r.try_get("name_da")?,
                name_en: r.try_get("name_en")?,
                prefix: r.try_get("prefix")?,
            })
        }

        fn interval_of(r: &DbRow) -> StoreResult<Interval> {
            Interval::new(from_us(r.try_get("starts_at")?)?, from_us(r.try_get("ends_at")?)?)
                .ok_or_else(|| corrupt("interval"))
        }

        fn closure_from_row(r: &DbRow) -> StoreResult<Closure> {
            Ok(Closure {
                id: r.try_get("id")?,
                centre_id: CentreId::from_uuid(r.try_get("centre_id")?),
                when: interval_of(r)?,
                reason: r.try_get("reason")?,
            })
        }

        fn absence_from_row(r: &DbRow) -> StoreResult<Absence> {
            Ok(Absence {
                id: r.try_get("id")?,
                staff_id: StaffId::from_uuid(r.try_get("staff_id")?),
                when: interval_of(r)?,
            })
        }

        fn service_entry_from_row(r: &DbRow) -> StoreResult<Versioned<ServiceEntry>> {
            Ok(Versioned {
                value: ServiceEntry { service: service_from_row(r)?, active: r.try_get("active")? },
                version: version_of(r)?,
            })
        }

        const STAFF_ENTRY_COLUMNS: &str =
            "SELECT id, centre_id, name, schedule, email, email_flag_reason, active, version FROM staff";

        /// A staff row with the services it gives (read separately: `staff_services`).
        fn staff_entry_from_row(r: &DbRow, services: Vec<ServiceId>) -> StoreResult<Versioned<StaffEntry>> {
            Ok(Versioned {
                value: StaffEntry {
                    staff: StaffAdmin {
                        member: StaffMember {
                            id: StaffId::from_uuid(r.try_get("id")?),
                            centre_id: CentreId::from_uuid(r.try_get("centre_id")?),
                            name: r.try_get("name")?,
                            schedule: json(&r.try_get::<String, _>("schedule")?, "schedule")?,
                            services,
                        },
                        email: r.try_get("email")?,
                    },
                    email_flag_reason: r.try_get("email_flag_reason")?,
                    active: r.try_get("active")?,
                },
                version: version_of(r)?,
            })
        }

        /// Locks the services a staff member is to give and checks that each is active and of
        /// `centre`; `Conflict` when one is not (deactivated meanwhile). The lock (a no-op update)
        /// orders this against a concurrent deactivation: either that finishes first and this
        /// answers `Conflict`, or it waits for this transaction and then removes the new link too,
        /// so no link to an inactive service survives on either database. Services are locked
        /// before the staff row and in id order, as `set_service_active` does, so two writers
        /// never wait for each other in a cycle.
        async fn lock_live_services(tx: &mut Tx, centre: CentreId, services: &[ServiceId]) -> StoreResult<()> {
            let mut sorted = services.to_vec();
            sorted.sort();
            sorted.dedup();
            for service in &sorted {
                let live =
                    sqlx::query("UPDATE services SET active = active WHERE id = $1 AND active AND centre_id = $2")
                        .bind(service.as_uuid())
                        .bind(centre.as_uuid())
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                if live == 0 {
                    return Err(StoreError::Conflict);
                }
            }
            Ok(())
        }

        /// Replaces the services a staff member gives (after `lock_live_services`).
        async fn replace_links(tx: &mut Tx, staff: StaffId, services: &[ServiceId]) -> StoreResult<()> {
            sqlx::query("DELETE FROM staff_services WHERE staff_id = $1")
                .bind(staff.as_uuid())
                .execute(&mut **tx)
                .await?;
            for service in services {
                sqlx::query("INSERT INTO staff_services (staff_id, service_id) VALUES ($1, $2)")
                    .bind(staff.as_uuid())
                    .bind(service.as_uuid())
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        /// The optimistic staff update. `reason`: `Some` stores it; `None` keeps the stored one
        /// when the address is unchanged and clears it when the address changes (a reason is about
        /// one address).
        async fn write_staff(tx: &mut Tx, s: &StaffAdmin, reason: Option<&str>, expected: i64) -> StoreResult<i64> {
            lock_live_services(tx, s.member.centre_id, &s.member.services).await?;
            let q = sqlx::query(
                "UPDATE staff SET name = $2, schedule = $3, email = $4, \
                 email_flag_reason = COALESCE($6, CASE WHEN email = $4 THEN email_flag_reason END), \
                 version = version + 1 WHERE id = $1 AND version = $5",
            )
            .bind(s.member.id.as_uuid())
            .bind(&s.member.name)
            .bind(to_json(&s.member.schedule)?)
            .bind(s.email.as_deref())
            .bind(expected)
            .bind(reason);
            let v = versioned_update(tx, q, "staff", s.member.id.as_uuid(), expected).await?;
            replace_links(tx, s.member.id, &s.member.services).await?;
            Ok(v)
        }
    };
}

/// The administration methods of `impl Store`.
macro_rules! admin_store_methods {
    () => {
        async fn get_organisation(
            &self,
            id: skranke_core::ids::OrganisationId,
        ) -> StoreResult<Option<Versioned<Organisation>>> {
            let row = sqlx::query("SELECT id, name, timezone, mail_domains, version FROM organisations WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| {
                Ok(Versioned {
                    value: Organisation {
                        id,
                        name: r.try_get("name")?,
                        timezone: r.try_get("timezone")?,
                        mail_domains: json(&r.try_get::<String, _>("mail_domains")?, "mail_domains")?,
                    },
                    version: version_of(&r)?,
                })
            })
            .transpose()
        }

        async fn update_organisation(&self, org: &Organisation, expected: i64, audit: &[AuditRecord]) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let q = sqlx::query(
                "UPDATE organisations SET name = $2, mail_domains = $3, version = version + 1 WHERE id = $1 AND version = $4",
            )
            .bind(org.id.as_uuid())
            .bind(&org.name)
            .bind(to_json(&org.mail_domains)?)
            .bind(expected);
            let v = versioned_update(&mut tx, q, "organisations", org.id.as_uuid(), expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn organisation_centres(&self, org: skranke_core::ids::OrganisationId) -> StoreResult<Vec<Versioned<Centre>>> {
            let sql = format!("{CENTRE_COLUMNS} WHERE c.organisation_id = $1 ORDER BY c.name, c.id");
            let sql = sql.replace(", o.timezone FROM", ", o.timezone, c.version FROM");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.as_uuid()).fetch_all(&self.pool).await?;
            rows.iter()
                .map(|r| Ok(Versioned { value: centre_from_row(r)?.centre, version: version_of(r)? }))
                .collect()
        }

        async fn create_centre_audited(&self, c: &Centre, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            insert_centre(&mut tx, c).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn update_centre(&self, c: &Centre, expected: i64, audit: &[AuditRecord]) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let q = sqlx::query(
                "UPDATE centres SET name = $2, address = $3, opening_hours = $4, closed_days = $5, version = version + 1 \
                 WHERE id = $1 AND version = $6",
            )
            .bind(c.id.as_uuid())
            .bind(&c.name)
            .bind(&c.address)
            .bind(to_json(&c.opening_hours)?)
            .bind(to_json(&c.closed_days)?)
            .bind(expected);
            let v = versioned_update(&mut tx, q, "centres", c.id.as_uuid(), expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn list_closures(&self, centre: CentreId, from: Timestamp) -> StoreResult<Vec<Closure>> {
            let rows = sqlx::query(
                "SELECT id, centre_id, starts_at, ends_at, reason FROM closures WHERE centre_id = $1 AND ends_at > $2 \
                 ORDER BY starts_at, id",
            )
            .bind(centre.as_uuid())
            .bind(us(from))
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(closure_from_row).collect()
        }

        async fn get_closure(&self, id: Uuid) -> StoreResult<Option<Closure>> {
            let row = sqlx::query("SELECT id, centre_id, starts_at, ends_at, reason FROM closures WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(closure_from_row).transpose()
        }

        async fn add_closure_audited(&self, c: &Closure, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query("INSERT INTO closures (id, centre_id, starts_at, ends_at, reason) VALUES ($1, $2, $3, $4, $5)")
                .bind(c.id)
                .bind(c.centre_id.as_uuid())
                .bind(us(c.when.start()))
                .bind(us(c.when.end()))
                .bind(&c.reason)
                .execute(&mut *tx)
                .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn remove_closure(&self, centre: CentreId, id: Uuid, audit: &[AuditRecord]) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query("DELETE FROM closures WHERE id = $1 AND centre_id = $2")
                .bind(id)
                .bind(centre.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn list_queues(&self, centre: CentreId) -> StoreResult<Vec<Versioned<Queue>>> {
            let rows = sqlx::query(
                "SELECT id, centre_id, name_da, name_en, prefix, version FROM queues WHERE centre_id = $1 ORDER BY name_da, id",
            )
            .bind(centre.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(|r| Ok(Versioned { value: queue_from_row(r)?, version: version_of(r)? })).collect()
        }

        async fn create_queue_audited(&self, q: &Queue, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            insert_queue(&mut tx, q).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn update_queue(&self, q: &Queue, expected: i64, audit: &[AuditRecord]) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let query = sqlx::query(
                "UPDATE queues SET name_da = $2, name_en = $3, prefix = $4, version = version + 1 WHERE id = $1 AND version = $5",
            )
            .bind(q.id.as_uuid())
            .bind(&q.name_da)
            .bind(&q.name_en)
            .bind(&q.prefix)
            .bind(expected);
            let v = versioned_update(&mut tx, query, "queues", q.id.as_uuid(), expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn list_services_versioned(&self, centre: CentreId) -> StoreResult<Vec<Versioned<Service>>> {
            let entries = self.list_service_entries(centre).await?;
            Ok(entries.into_iter().map(|e| Versioned { value: e.value.service, version: e.version }).collect())
        }

        async fn list_service_entries(&self, centre: CentreId) -> StoreResult<Vec<Versioned<ServiceEntry>>> {
            let rows = sqlx::query("SELECT * FROM services WHERE centre_id = $1 ORDER BY name_da, id")
                .bind(centre.as_uuid())
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(service_entry_from_row).collect()
        }

        async fn get_service_entry(&self, id: ServiceId) -> StoreResult<Option<Versioned<ServiceEntry>>> {
            let row = sqlx::query("SELECT * FROM services WHERE id = $1").bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(service_entry_from_row).transpose()
        }

        async fn set_service_active(
            &self,
            id: ServiceId,
            active: bool,
            expected: i64,
            audit: &(dyn Fn(&[StaffId]) -> Vec<AuditRecord> + Sync),
        ) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let q = sqlx::query("UPDATE services SET active = $2, version = version + 1 WHERE id = $1 AND version = $3")
                .bind(id.as_uuid())
                .bind(active)
                .bind(expected);
            let v = versioned_update(&mut tx, q, "services", id.as_uuid(), expected).await?;
            let mut removed = Vec::new();
            if !active {
                let rows = sqlx::query("DELETE FROM staff_services WHERE service_id = $1 RETURNING staff_id")
                    .bind(id.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                for r in &rows {
                    removed.push(StaffId::from_uuid(r.try_get("staff_id")?));
                }
                removed.sort();
                for staff in &removed {
                    sqlx::query("UPDATE staff SET version = version + 1 WHERE id = $1")
                        .bind(staff.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            append_audit_tx(&mut tx, &audit(&removed)).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn create_service_audited(&self, s: &Service, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            insert_service(&mut tx, s).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn update_service(&self, s: &Service, expected: i64, audit: &[AuditRecord]) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let q = sqlx::query(
                "UPDATE services SET queue_id = $2, name_da = $3, name_en = $4, duration_minutes = $5, buffer_minutes = $6, \
                 capacity = $7, min_notice_minutes = $8, horizon_days = $9, online_bookable = $10, sensitivity = $11, \
                 version = version + 1 WHERE id = $1 AND version = $12",
            )
            .bind(s.id.as_uuid())
            .bind(s.queue_id.as_uuid())
            .bind(&s.name_da)
            .bind(&s.name_en)
            .bind(s.rules.duration_minutes())
            .bind(s.rules.buffer_minutes())
            .bind(i32::from(s.rules.capacity()))
            .bind(s.rules.min_notice_minutes())
            .bind(s.rules.horizon_days())
            .bind(s.rules.online_bookable())
            .bind(s.sensitivity.as_str())
            .bind(expected);
            let v = versioned_update(&mut tx, q, "services", s.id.as_uuid(), expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn list_staff(&self, centre: CentreId) -> StoreResult<Vec<Versioned<StaffAdmin>>> {
            let entries = self.list_staff_entries(centre).await?;
            Ok(entries.into_iter().map(|e| Versioned { value: e.value.staff, version: e.version }).collect())
        }

        async fn list_staff_entries(&self, centre: CentreId) -> StoreResult<Vec<Versioned<StaffEntry>>> {
            let sql = format!("{STAFF_ENTRY_COLUMNS} WHERE centre_id = $1 ORDER BY name, id");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(centre.as_uuid()).fetch_all(&self.pool).await?;
            let links = sqlx::query(
                "SELECT ss.staff_id, ss.service_id FROM staff_services ss JOIN staff st ON st.id = ss.staff_id \
                 WHERE st.centre_id = $1 ORDER BY ss.service_id",
            )
            .bind(centre.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            let mut services: BTreeMap<Uuid, Vec<ServiceId>> = BTreeMap::new();
            for l in &links {
                services.entry(l.try_get("staff_id")?).or_default().push(ServiceId::from_uuid(l.try_get("service_id")?));
            }
            rows.iter()
                .map(|r| {
                    let id: Uuid = r.try_get("id")?;
                    staff_entry_from_row(r, services.remove(&id).unwrap_or_default())
                })
                .collect()
        }

        async fn get_staff_entry(&self, id: StaffId) -> StoreResult<Option<Versioned<StaffEntry>>> {
            // One read transaction, so the row and its services are one snapshot.
            let mut tx = self.pool.begin().await?;
            let sql = format!("{STAFF_ENTRY_COLUMNS} WHERE id = $1");
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&mut *tx).await?
            else {
                return Ok(None);
            };
            let links = sqlx::query("SELECT service_id FROM staff_services WHERE staff_id = $1 ORDER BY service_id")
                .bind(id.as_uuid())
                .fetch_all(&mut *tx)
                .await?;
            let services = links
                .iter()
                .map(|l| Ok(ServiceId::from_uuid(l.try_get("service_id")?)))
                .collect::<StoreResult<Vec<_>>>()?;
            tx.commit().await?;
            staff_entry_from_row(&row, services).map(Some)
        }

        async fn create_staff_audited(&self, s: &StaffAdmin, reason: Option<&str>, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            lock_live_services(&mut tx, s.member.centre_id, &s.member.services).await?;
            sqlx::query(
                "INSERT INTO staff (id, centre_id, name, schedule, email, email_flag_reason) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(s.member.id.as_uuid())
            .bind(s.member.centre_id.as_uuid())
            .bind(&s.member.name)
            .bind(to_json(&s.member.schedule)?)
            .bind(s.email.as_deref())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            replace_links(&mut tx, s.member.id, &s.member.services).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn update_staff(&self, s: &StaffAdmin, expected: i64, audit: &[AuditRecord]) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let v = write_staff(&mut tx, s, None, expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn update_staff_flagged(
            &self,
            s: &StaffAdmin,
            reason: &str,
            expected: i64,
            audit: &[AuditRecord],
        ) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let v = write_staff(&mut tx, s, Some(reason), expected).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn set_staff_active(
            &self,
            id: StaffId,
            active: bool,
            expected: i64,
            audit: &(dyn Fn(&[ServiceId]) -> Vec<AuditRecord> + Sync),
        ) -> StoreResult<i64> {
            let mut tx = self.begin_write().await?;
            let q = sqlx::query("UPDATE staff SET active = $2, version = version + 1 WHERE id = $1 AND version = $3")
                .bind(id.as_uuid())
                .bind(active)
                .bind(expected);
            let v = versioned_update(&mut tx, q, "staff", id.as_uuid(), expected).await?;
            let mut removed = Vec::new();
            if !active {
                let rows = sqlx::query("DELETE FROM staff_services WHERE staff_id = $1 RETURNING service_id")
                    .bind(id.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                for r in &rows {
                    removed.push(ServiceId::from_uuid(r.try_get("service_id")?));
                }
                removed.sort();
            }
            append_audit_tx(&mut tx, &audit(&removed)).await?;
            tx.commit().await?;
            Ok(v)
        }

        async fn organisation_staff_emails(&self, org: skranke_core::ids::OrganisationId) -> StoreResult<Vec<String>> {
            Ok(sqlx::query_scalar(
                "SELECT s.email FROM staff s JOIN centres c ON c.id = s.centre_id \
                 WHERE c.organisation_id = $1 AND s.email IS NOT NULL ORDER BY s.email",
            )
            .bind(org.as_uuid())
            .fetch_all(&self.pool)
            .await?)
        }

        async fn list_absences(&self, staff: StaffId, from: Timestamp) -> StoreResult<Vec<Absence>> {
            let rows = sqlx::query(
                "SELECT id, staff_id, starts_at, ends_at FROM absences WHERE staff_id = $1 AND ends_at > $2 \
                 ORDER BY starts_at, id",
            )
            .bind(staff.as_uuid())
            .bind(us(from))
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(absence_from_row).collect()
        }

        async fn get_absence(&self, id: Uuid) -> StoreResult<Option<Absence>> {
            let row = sqlx::query("SELECT id, staff_id, starts_at, ends_at FROM absences WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(absence_from_row).transpose()
        }

        async fn add_absence_audited(&self, a: &Absence, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query("INSERT INTO absences (id, staff_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)")
                .bind(a.id)
                .bind(a.staff_id.as_uuid())
                .bind(us(a.when.start()))
                .bind(us(a.when.end()))
                .execute(&mut *tx)
                .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn remove_absence(&self, staff: StaffId, id: Uuid, audit: &[AuditRecord]) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query("DELETE FROM absences WHERE id = $1 AND staff_id = $2")
                .bind(id)
                .bind(staff.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn home_of(
            &self,
            object: ObjectKey,
        ) -> StoreResult<Option<(skranke_core::ids::OrganisationId, CentreId)>> {
            const HOME: &str = "SELECT c.organisation_id, c.id AS centre_id FROM centres c";
            let (join, id) = match object {
                ObjectKey::Centre(id) => ("WHERE c.id = $1", id.as_uuid()),
                ObjectKey::Queue(id) => ("JOIN queues x ON x.centre_id = c.id WHERE x.id = $1", id.as_uuid()),
                ObjectKey::Service(id) => ("JOIN services x ON x.centre_id = c.id WHERE x.id = $1", id.as_uuid()),
                ObjectKey::Staff(id) => ("JOIN staff x ON x.centre_id = c.id WHERE x.id = $1", id.as_uuid()),
                ObjectKey::Closure(id) => ("JOIN closures x ON x.centre_id = c.id WHERE x.id = $1", id),
                ObjectKey::Absence(id) => {
                    ("JOIN staff s ON s.centre_id = c.id JOIN absences x ON x.staff_id = s.id WHERE x.id = $1", id)
                }
            };
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{HOME} {join}"))).bind(id).fetch_optional(&self.pool).await?;
            row.map(|r| {
                Ok((
                    skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                    CentreId::from_uuid(r.try_get("centre_id")?),
                ))
            })
            .transpose()
        }

        async fn centre_of(&self, kind: AdminObject, id: Uuid) -> StoreResult<Option<CentreId>> {
            let sql = match kind {
                AdminObject::Queue => "SELECT centre_id FROM queues WHERE id = $1",
                AdminObject::Service => "SELECT centre_id FROM services WHERE id = $1",
                AdminObject::Staff => "SELECT centre_id FROM staff WHERE id = $1",
            };
            let centre: Option<Uuid> = sqlx::query_scalar(sql).bind(id).fetch_optional(&self.pool).await?;
            Ok(centre.map(CentreId::from_uuid))
        }
    };
}

pub(crate) use {admin_helpers, admin_store_methods};
