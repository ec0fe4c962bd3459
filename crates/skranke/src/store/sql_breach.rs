//! SQL of breach scoping (issue 7, RS-50), shared by both databases. Expanded inside
//! `sql::shared_store_impl!` (see `sql_accounts.rs` for the pattern).

/// The `Store` methods of breach scoping.
macro_rules! breach_store_methods {
    () => {
        async fn breach_scope_rows(
            &self,
            target: &skranke_core::breach::Target,
            window: skranke_core::breach::Window,
            organisation: Option<skranke_core::ids::OrganisationId>,
            pseudonyms: &[String],
        ) -> StoreResult<Vec<skranke_core::breach::ScopeRow>> {
            use skranke_core::breach::{ScopeRow, SubjectRef, Target};
            use skranke_core::ids::AppointmentId;
            use skranke_core::notify::DataClasses;

            /// What a scope matches: the target as the registry holds it now, or (an address
            /// target) the address's pseudonyms on messages whose address retention has blanked.
            enum Match<'a> {
                Target(&'a Target),
                Pseudonyms(&'a [String], &'a str),
            }

            // Grouped in the database: a scope over a large domain comes back as a few rows per
            // subject, not one per message (schema v13 serves both lookups from indexes, v17
            // the pseudonyms').
            fn query(
                matching: Match<'_>,
                window: skranke_core::breach::Window,
                organisation: Option<skranke_core::ids::OrganisationId>,
            ) -> sqlx::QueryBuilder<Db> {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "SELECT o.appointment_id, o.subject_ref, a.address, o.recipient_pseudonym, o.classes, \
                     COUNT(*) AS messages, MIN(o.sent_at) AS first_at, MAX(o.sent_at) AS last_at \
                     FROM addresses a JOIN outbox o ON o.address_id = a.id AND o.status = 'sent' WHERE ",
                );
                match matching {
                    Match::Target(Target::Address(address)) => {
                        q.push("lower(a.address) = ").push_bind(address.to_lowercase());
                    }
                    Match::Target(Target::Domain(domain)) => {
                        q.push("a.registrable_domain = ").push_bind(domain.clone());
                    }
                    Match::Pseudonyms(pseudonyms, address) => {
                        q.push("o.recipient_pseudonym IN (");
                        let mut list = q.separated(", ");
                        for p in pseudonyms {
                            list.push_bind(p.clone());
                        }
                        // Those still under their address were found by it.
                        q.push(") AND lower(a.address) <> ").push_bind(address.to_lowercase());
                    }
                }
                // Only the ends given: an open end bound to the integer limits would look, to a
                // plan made for any value, like a narrow range worth driving the query.
                if let Some(from) = window.from() {
                    q.push(" AND o.sent_at >= ").push_bind(us(from));
                }
                if let Some(to) = window.to() {
                    q.push(" AND o.sent_at < ").push_bind(us(to));
                }
                if let Some(org) = organisation {
                    q.push(" AND o.organisation_id = ").push_bind(org.as_uuid());
                }
                q.push(" GROUP BY o.appointment_id, o.subject_ref, a.address, o.recipient_pseudonym, o.classes");
                q
            }

            let mut rows = query(Match::Target(target), window, organisation).build().fetch_all(&self.pool).await?;
            if let Target::Address(address) = target {
                for chunk in pseudonyms.chunks(ID_LIST_MAX) {
                    let mut q = query(Match::Pseudonyms(chunk, address), window, organisation);
                    rows.extend(q.build().fetch_all(&self.pool).await?);
                }
            }
            let mut out = Vec::with_capacity(rows.len());
            let mut visits: Vec<Uuid> = Vec::new();
            for r in &rows {
                let appointment = r.try_get::<Option<Uuid>, _>("appointment_id")?;
                let subject = match appointment {
                    Some(id) => Some(SubjectRef::Appointment(AppointmentId::from_uuid(id))),
                    None => r.try_get::<Option<String>, _>("subject_ref")?.as_deref().and_then(SubjectRef::parse),
                };
                if let Some(SubjectRef::Visit(v)) = subject {
                    visits.push(v.as_uuid());
                }
                let classes = r.try_get::<Option<String>, _>("classes")?.unwrap_or_default();
                out.push(ScopeRow {
                    subject,
                    recipient: r.try_get("address")?,
                    pseudonym: r.try_get("recipient_pseudonym")?,
                    classes: if classes.is_empty() {
                        DataClasses::EMPTY
                    } else {
                        DataClasses::from_names(&classes).ok_or_else(|| corrupt("outbox classes"))?
                    },
                    messages: u64::try_from(r.try_get::<i64, _>("messages")?).unwrap_or(0),
                    first: from_us(r.try_get("first_at")?)?,
                    last: from_us(r.try_get("last_at")?)?,
                });
            }
            // A visit that came from a booking is about the booking's citizen: one subject, not two.
            visits.sort_unstable();
            visits.dedup();
            let mut booked: std::collections::HashMap<Uuid, Uuid> = std::collections::HashMap::new();
            for chunk in visits.chunks(ID_LIST_MAX) {
                let mut q = id_list(
                    "SELECT id, appointment_id FROM visits WHERE appointment_id IS NOT NULL AND id IN (",
                    chunk,
                );
                for r in q.build().fetch_all(&self.pool).await? {
                    booked.insert(r.try_get("id")?, r.try_get("appointment_id")?);
                }
            }
            for row in &mut out {
                if let Some(SubjectRef::Visit(v)) = row.subject
                    && let Some(appointment) = booked.get(&v.as_uuid())
                {
                    row.subject = Some(SubjectRef::Appointment(AppointmentId::from_uuid(*appointment)));
                }
            }
            Ok(out)
        }

        async fn subject_info(
            &self,
            subjects: &[skranke_core::breach::SubjectRef],
        ) -> StoreResult<Vec<(skranke_core::breach::SubjectRef, skranke_core::breach::SubjectInfo)>> {
            use skranke_core::breach::{SubjectInfo, SubjectRef};
            use skranke_core::ids::{AppointmentId, VisitId};
            let mut out = Vec::with_capacity(subjects.len());
            let appointments: Vec<Uuid> = subjects
                .iter()
                .filter_map(|s| if let SubjectRef::Appointment(a) = s { Some(a.as_uuid()) } else { None })
                .collect();
            let visits: Vec<Uuid> = subjects
                .iter()
                .filter_map(|s| if let SubjectRef::Visit(v) = s { Some(v.as_uuid()) } else { None })
                .collect();
            for chunk in appointments.chunks(ID_LIST_MAX) {
                let mut q =
                    id_list("SELECT id, citizen_name, citizen_email, reference FROM appointments WHERE id IN (", chunk);
                for r in q.build().fetch_all(&self.pool).await? {
                    // Retention blanks a name rather than deleting the booking (statistics keep
                    // their numbers): an empty name is no name.
                    let name = r.try_get::<String, _>("citizen_name")?;
                    out.push((
                        SubjectRef::Appointment(AppointmentId::from_uuid(r.try_get("id")?)),
                        SubjectInfo {
                            name: (!name.is_empty()).then_some(name),
                            email: r.try_get::<Option<String>, _>("citizen_email")?.filter(|e| !e.is_empty()),
                            reference: Some(r.try_get("reference")?),
                        },
                    ));
                }
            }
            for chunk in visits.chunks(ID_LIST_MAX) {
                let mut q = id_list("SELECT id, ticket, day FROM visits WHERE id IN (", chunk);
                for r in q.build().fetch_all(&self.pool).await? {
                    let (ticket, day): (String, String) = (r.try_get("ticket")?, r.try_get("day")?);
                    out.push((
                        SubjectRef::Visit(VisitId::from_uuid(r.try_get("id")?)),
                        SubjectInfo { name: None, email: None, reference: Some(format!("{ticket} ({day})")) },
                    ));
                }
            }
            Ok(out)
        }
    };
}

pub(crate) use breach_store_methods;

/// The `Store` methods of breach cases.
macro_rules! breach_case_store_methods {
    () => {
        async fn create_breach_case(
            &self,
            case: &crate::store::BreachCase,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO breach_cases (id, organisation_id, title, aware_at, opened_by, opened_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(case.id)
            .bind(case.organisation.as_uuid())
            .bind(&case.title)
            .bind(us(case.aware_at))
            .bind(case.opened_by.as_uuid())
            .bind(us(case.opened_at))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn list_breach_cases(
            &self,
            organisation: skranke_core::ids::OrganisationId,
        ) -> StoreResult<Vec<crate::store::BreachCase>> {
            let rows = sqlx::query(
                "SELECT id, organisation_id, title, aware_at, opened_by, opened_at, decision, decision_text, \
                 decided_by, decided_at FROM breach_cases WHERE organisation_id = $1 ORDER BY aware_at DESC, id",
            )
            .bind(organisation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(breach_case_from_row).collect()
        }

        async fn get_breach_case(
            &self,
            id: Uuid,
        ) -> StoreResult<Option<(crate::store::BreachCase, Vec<crate::store::CaseEntry>)>> {
            let row = sqlx::query(
                "SELECT id, organisation_id, title, aware_at, opened_by, opened_at, decision, decision_text, \
                 decided_by, decided_at FROM breach_cases WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let case = breach_case_from_row(&row)?;
            let rows = sqlx::query(
                "SELECT id, case_id, at, by_user, by_label, kind, body FROM breach_case_entries \
                 WHERE case_id = $1 ORDER BY at, id",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            let entries = rows
                .iter()
                .map(|r| {
                    Ok(crate::store::CaseEntry {
                        id: r.try_get("id")?,
                        case_id: r.try_get("case_id")?,
                        at: from_us(r.try_get("at")?)?,
                        by: r.try_get::<Option<Uuid>, _>("by_user")?.map(UserId::from_uuid),
                        by_label: r.try_get("by_label")?,
                        kind: crate::store::EntryKind::parse(&r.try_get::<String, _>("kind")?)
                            .ok_or_else(|| corrupt("breach entry kind"))?,
                        body: r.try_get("body")?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Some((case, entries)))
        }

        async fn add_breach_case_entry(
            &self,
            entry: &crate::store::CaseEntry,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO breach_case_entries (id, case_id, at, by_user, by_label, kind, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(entry.id)
            .bind(entry.case_id)
            .bind(us(entry.at))
            .bind(entry.by.map(|u| u.as_uuid()))
            .bind(&entry.by_label)
            .bind(entry.kind.as_str())
            .bind(&entry.body)
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn decide_breach_case(
            &self,
            id: Uuid,
            decision: &str,
            text: Option<&str>,
            by: UserId,
            at: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            // Once only: a second decision (two officers at once) changes nothing.
            let done = sqlx::query(
                "UPDATE breach_cases SET decision = $2, decision_text = $3, decided_by = $4, decided_at = $5 \
                 WHERE id = $1 AND decision IS NULL",
            )
            .bind(id)
            .bind(decision)
            .bind(text)
            .bind(by.as_uuid())
            .bind(us(at))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !done {
                return Ok(false);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }
    };
}

/// Row decoder for breach cases.
macro_rules! breach_helpers {
    () => {
        fn breach_case_from_row(r: &DbRow) -> StoreResult<crate::store::BreachCase> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            Ok(crate::store::BreachCase {
                id: r.try_get("id")?,
                organisation: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                title: r.try_get("title")?,
                aware_at: from_us(r.try_get("aware_at")?)?,
                opened_by: UserId::from_uuid(r.try_get("opened_by")?),
                opened_at: from_us(r.try_get("opened_at")?)?,
                decision: r.try_get("decision")?,
                decision_text: r.try_get("decision_text")?,
                decided_by: r.try_get::<Option<Uuid>, _>("decided_by")?.map(UserId::from_uuid),
                decided_at: opt_ts("decided_at")?,
            })
        }
    };
}

pub(crate) use {breach_case_store_methods, breach_helpers};
