//! The SQL both databases share, written once as a macro that is instantiated for each store type.
//!
//! Every statement uses `$n` placeholders, which PostgreSQL and SQLite both understand, and only
//! types both have (UUID as native/BLOB, instants as 64-bit integers, JSON as text). The caller
//! provides `begin_write()` (SQLite starts write transactions with `BEGIN IMMEDIATE` so writers
//! queue on the lock instead of failing to upgrade) and the outbox claim statement.

macro_rules! shared_store_impl {
    ($store:ty, $db:ty) => {
        use std::collections::BTreeMap;

        use jiff::{SignedDuration, Timestamp};
        use skranke_core::Interval;
        use skranke_core::audit::{self, AuditEntry, AuditRecord, ChainHash, ChainHead};
        use skranke_core::availability::{AvailabilityInput, StaffCalendar};
        use skranke_core::booking::AppointmentStatus;
        use skranke_core::ids::{AppointmentId, CentreId, MessageId, ServiceId, StaffId};
        use skranke_core::reference::BookingReference;
        use skranke_core::secret::SecretHash;
        use skranke_core::service::{Sensitivity, ServiceRules};
        use sqlx::Row as _;
        use uuid::Uuid;

        use crate::i18n::Lang;
        use crate::store::{
            Appointment, Centre, CentreView, DevMail, NewAppointment, NewMessage, NewSlot, Organisation,
            OutboxMessage, OutboxStatus, Queue, Service, StaffMember, Store, StoreError, StoreResult, cells,
            from_us, us,
        };

        type Db = $db;
        type DbRow = <$db as sqlx::Database>::Row;
        type Tx = crate::store::WriteTx<$db>;

        fn corrupt(what: &str) -> StoreError {
            StoreError::Corrupt(what.to_owned())
        }

        fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
            serde_json::from_str(s).map_err(|_| corrupt(what))
        }

        fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
            serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
        }

        fn centre_from_row(r: &DbRow) -> StoreResult<CentreView> {
            Ok(CentreView {
                centre: Centre {
                    id: CentreId::from_uuid(r.try_get("id")?),
                    organisation_id: skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                    name: r.try_get("name")?,
                    address: r.try_get("address")?,
                    opening_hours: json(&r.try_get::<String, _>("opening_hours")?, "opening_hours")?,
                    closed_days: json(&r.try_get::<String, _>("closed_days")?, "closed_days")?,
                },
                timezone: r.try_get("timezone")?,
            })
        }

        fn service_from_row(r: &DbRow) -> StoreResult<Service> {
            let small = |col: &str| -> StoreResult<i32> { Ok(r.try_get::<i32, _>(col)?) };
            let rules = ServiceRules::new(
                small("duration_minutes")?,
                small("buffer_minutes")?,
                u16::try_from(small("capacity")?).map_err(|_| corrupt("capacity"))?,
                small("min_notice_minutes")?,
                small("horizon_days")?,
                r.try_get("online_bookable")?,
            )
            .map_err(|_| corrupt("service rules"))?;
            Ok(Service {
                id: ServiceId::from_uuid(r.try_get("id")?),
                centre_id: CentreId::from_uuid(r.try_get("centre_id")?),
                queue_id: skranke_core::ids::QueueId::from_uuid(r.try_get("queue_id")?),
                name_da: r.try_get("name_da")?,
                name_en: r.try_get("name_en")?,
                rules,
                sensitivity: Sensitivity::parse(&r.try_get::<String, _>("sensitivity")?)
                    .ok_or_else(|| corrupt("sensitivity"))?,
            })
        }

        fn appointment_from_row(r: &DbRow) -> StoreResult<Appointment> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            let slot = Interval::new(from_us(r.try_get("starts_at")?)?, from_us(r.try_get("ends_at")?)?)
                .ok_or_else(|| corrupt("appointment interval"))?;
            Ok(Appointment {
                id: AppointmentId::from_uuid(r.try_get("id")?),
                centre_id: CentreId::from_uuid(r.try_get("centre_id")?),
                service_id: ServiceId::from_uuid(r.try_get("service_id")?),
                staff_id: r.try_get::<Option<Uuid>, _>("staff_id")?.map(StaffId::from_uuid),
                reference: BookingReference::parse(&r.try_get::<String, _>("reference")?)
                    .map_err(|_| corrupt("reference"))?,
                manage_token_hash: SecretHash::from_stored(r.try_get("manage_token_hash")?),
                status: AppointmentStatus::parse(&r.try_get::<String, _>("status")?)
                    .ok_or_else(|| corrupt("status"))?,
                slot,
                occupied_until: from_us(r.try_get("occupied_until")?)?,
                citizen_name: r.try_get("citizen_name")?,
                citizen_email: r.try_get("citizen_email")?,
                citizen_phone: r.try_get("citizen_phone")?,
                language: Lang::parse(&r.try_get::<String, _>("language")?).unwrap_or_default(),
                hold_expires_at: opt_ts("hold_expires_at")?,
                code_hash: r.try_get::<Option<String>, _>("code_hash")?.map(SecretHash::from_stored),
                code_attempts: u8::try_from(r.try_get::<i32, _>("code_attempts")?).unwrap_or(u8::MAX),
                created_at: from_us(r.try_get("created_at")?)?,
            })
        }

        /// Audit rows per INSERT statement: 12 parameters each, far below both databases' limits
        /// (SQLite 32,766, PostgreSQL 65,535).
        const AUDIT_ROWS_PER_INSERT: usize = 64;

        /// Appends `records` to the audit log with the change `tx` makes.
        ///
        /// They go into `audit_inbox` and are chained right after `tx` commits ([`chain_pending`]):
        /// on PostgreSQL holding the head's lock until COMMIT returned made every writing
        /// transaction wait for the one before it to reach the disk; on SQLite reading and moving
        /// the head cost every writing transaction two statements.
        /// An entry exists exactly when its change committed, and it is chained before the store
        /// call that wrote it returns (unless the pass fails; then the next pass takes it).
        async fn append_audit_tx(tx: &mut Tx, records: &[AuditRecord]) -> StoreResult<()> {
            if records.is_empty() {
                return Ok(());
            }
            for chunk in records.chunks(AUDIT_ROWS_PER_INSERT) {
                inbox_insert(chunk).build().execute(&mut **tx).await?;
            }
            tx.arm_after_commit();
            Ok(())
        }

        /// One INSERT of `records` (at most [`AUDIT_ROWS_PER_INSERT`]) into `audit_inbox`.
        fn inbox_insert(records: &[AuditRecord]) -> sqlx::QueryBuilder<Db> {
            let mut insert = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO audit_inbox (at, organisation_id, actor_kind, actor_id, actor_label, action, \
                 object_kind, object_id, detail) ",
            );
            insert.push_values(records, |mut row, record| {
                let object = record.object.as_ref();
                row.push_bind(us(record.at))
                    .push_bind(record.organisation.map(|o| o.as_uuid()))
                    .push_bind(record.actor.kind().to_owned())
                    .push_bind(record.actor.id())
                    .push_bind(record.actor.label().to_owned())
                    .push_bind(record.action.as_str().to_owned())
                    .push_bind(object.map(|o| o.kind().to_owned()))
                    .push_bind(object.map(|o| o.id().to_owned()))
                    .push_bind(record.detail.to_canonical_json());
            });
            insert
        }

        /// The chain's head, locked for this transaction (`FOR UPDATE` on PostgreSQL; SQLite's
        /// `BEGIN IMMEDIATE` already holds the write lock), so two chainings never both follow
        /// the same head; the primary key on `seq` would refuse that anyway.
        async fn read_head_locked(tx: &mut Tx) -> StoreResult<ChainHead> {
            let row = sqlx::query(sqlx::AssertSqlSafe(<$store>::AUDIT_HEAD_SQL)).fetch_one(&mut **tx).await?;
            let seq = u64::try_from(row.try_get::<i64, _>("seq")?).map_err(|_| corrupt("audit_head.seq"))?;
            let hash = ChainHash::from_hex(&row.try_get::<String, _>("hash")?).map_err(|_| corrupt("audit_head.hash"))?;
            Ok(ChainHead { seq, hash })
        }

        /// Chains `records` after `head` into `audit_log` and moves the head; `tx` holds the
        /// head's lock ([`read_head_locked`]).
        async fn chain_into_log(tx: &mut Tx, mut head: ChainHead, records: &[AuditRecord]) -> StoreResult<ChainHead> {
            // Many rows to one INSERT: each statement is a round trip (on SQLite, a hand-over to
            // its thread and back), which was most of the cost of writing a batch of outcomes.
            for chunk in records.chunks(AUDIT_ROWS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO audit_log (seq, at, organisation_id, actor_kind, actor_id, actor_label, action, \
                     object_kind, object_id, detail, prev_hash, hash, format, payload_salt, commitment) ",
                );
                let mut overflow = false;
                insert.push_values(chunk, |mut row, record| {
                    // Format 2 (schema v16): a fresh random salt per entry, so an erased payload's
                    // commitment confirms no guess about what it said.
                    let mut salt = [0u8; 16];
                    rand::fill(&mut salt);
                    let salt = audit::PayloadSalt::from_bytes(salt);
                    let entry = audit::chain(head, record.clone(), salt);
                    let object = entry.record.object.as_ref();
                    overflow |= i64::try_from(entry.seq).is_err();
                    row.push_bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
                        .push_bind(us(entry.record.at))
                        .push_bind(entry.record.organisation.map(|o| o.as_uuid()))
                        .push_bind(entry.record.actor.kind().to_owned())
                        .push_bind(entry.record.actor.id())
                        .push_bind(entry.record.actor.label().to_owned())
                        .push_bind(entry.record.action.as_str().to_owned())
                        .push_bind(object.map(|o| o.kind().to_owned()))
                        .push_bind(object.map(|o| o.id().to_owned()))
                        .push_bind(entry.record.detail.to_canonical_json())
                        .push_bind(entry.prev_hash.to_hex())
                        .push_bind(entry.hash.to_hex())
                        .push_bind(i32::from(entry.payload.format()))
                        .push_bind(entry.payload.salt().map(|s| s.to_hex()))
                        .push_bind(entry.payload.commitment().map(|c| c.to_hex()));
                    head = entry.head();
                });
                if overflow {
                    return Err(corrupt("audit seq overflow"));
                }
                insert.build().execute(&mut **tx).await?;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(i64::try_from(head.seq).map_err(|_| corrupt("audit seq overflow"))?)
                .bind(head.hash.to_hex())
                .execute(&mut **tx)
                .await?;
            Ok(head)
        }

        /// Entries chained per transaction by [`chain_pending`].
        const CHAIN_BATCH: i64 = 2_000;

        /// Chains every entry waiting in `audit_inbox`, oldest id first, in transactions of up to
        /// [`CHAIN_BATCH`] under the head's lock; returns how many. Callers take this process's
        /// turn first (the stores' `chain_pass` and `chainer`, through `store::Chaining`). Entries of
        /// writers that commit meanwhile are chained by their own call: each writer chains after
        /// its commit. Returns at once when nothing waits.
        pub(super) async fn chain_pending(store: &$store) -> StoreResult<u64> {
            let mut chained = 0;
            loop {
                let waiting: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 AS one FROM audit_inbox LIMIT 1) AS t")
                        .fetch_one(&store.pool)
                        .await?;
                if waiting == 0 {
                    return Ok(chained);
                }
                let mut tx = store.begin_write().await?;
                let head = read_head_locked(&mut tx).await?;
                // Read as audit rows (the inbox id standing in for the number, no hashes yet), so
                // the one decoder of audit rows reads them.
                let rows = sqlx::query(
                    "SELECT id AS seq, at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
                     object_id, detail, $2 AS prev_hash, $2 AS hash, 1 AS format, CAST(NULL AS TEXT) AS payload_salt, \
                     CAST(NULL AS TEXT) AS commitment FROM audit_inbox ORDER BY id LIMIT $1",
                )
                .bind(CHAIN_BATCH)
                .bind(ChainHash::GENESIS.to_hex())
                .fetch_all(&mut *tx)
                .await?;
                if rows.is_empty() {
                    // Another chaining took them while this one waited for the lock.
                    return Ok(chained);
                }
                let mut ids = Vec::with_capacity(rows.len());
                let mut records = Vec::with_capacity(rows.len());
                for r in &rows {
                    ids.push(r.try_get::<i64, _>("seq")?);
                    records.push(audit_entry_from_row(r)?.record);
                }
                chain_into_log(&mut tx, head, &records).await?;
                for chunk in ids.chunks(1_000) {
                    let mut delete = sqlx::QueryBuilder::<Db>::new("DELETE FROM audit_inbox WHERE id IN (");
                    let mut list = delete.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    delete.push(")");
                    delete.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                chained += u64::try_from(rows.len()).unwrap_or(u64::MAX);
                // A batch short of full took everything committed when it looked; entries
                // committed since are their writers' to chain (each chains after its commit).
                if rows.len() < usize::try_from(CHAIN_BATCH).unwrap_or(usize::MAX) {
                    return Ok(chained);
                }
            }
        }

        /// One audit row's columns, however they were read.
        struct AuditRowParts {
            seq: i64,
            at: i64,
            organisation_id: Option<Uuid>,
            actor_kind: String,
            actor_id: Option<Uuid>,
            actor_label: String,
            action: String,
            object_kind: Option<String>,
            object_id: Option<String>,
            detail: String,
            prev_hash: String,
            hash: String,
            format: i32,
            payload_salt: Option<String>,
            commitment: Option<String>,
        }

        fn audit_entry_from_row(r: &DbRow) -> StoreResult<AuditEntry> {
            audit_entry_from_parts(AuditRowParts {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                organisation_id: r.try_get("organisation_id")?,
                actor_kind: r.try_get("actor_kind")?,
                actor_id: r.try_get("actor_id")?,
                actor_label: r.try_get("actor_label")?,
                action: r.try_get("action")?,
                object_kind: r.try_get("object_kind")?,
                object_id: r.try_get("object_id")?,
                detail: r.try_get("detail")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
                format: r.try_get("format")?,
                payload_salt: r.try_get("payload_salt")?,
                commitment: r.try_get("commitment")?,
            })
        }

        fn audit_entry_from_parts(p: AuditRowParts) -> StoreResult<AuditEntry> {
            let seq = p.seq;
            let bad = |what: &str| StoreError::Corrupt(format!("audit entry {seq}: {what}"));
            let actor = audit::Actor::from_parts(&p.actor_kind, p.actor_id, &p.actor_label).map_err(|_| bad("actor"))?;
            let object = match (p.object_kind, p.object_id) {
                (Some(kind), Some(id)) => Some(audit::ObjectRef::new(&kind, &id).map_err(|_| bad("object"))?),
                (None, None) => None,
                _ => return Err(bad("object")),
            };
            let record = AuditRecord {
                at: from_us(p.at)?,
                organisation: p.organisation_id.map(skranke_core::ids::OrganisationId::from_uuid),
                actor,
                action: audit::Action::new(&p.action).map_err(|_| bad("action"))?,
                object,
                // An erased payload is the empty text (schema v16), which no detail encodes to.
                detail: if p.detail.is_empty() {
                    audit::Detail::empty()
                } else {
                    audit::Detail::from_json(&p.detail).map_err(|_| bad("detail"))?
                },
            };
            let format = u8::try_from(p.format).map_err(|_| bad("format"))?;
            let payload = audit::Payload::from_parts(
                format,
                p.payload_salt.as_deref(),
                p.commitment.as_deref(),
                p.detail.is_empty(),
            )
            .map_err(|_| bad("payload"))?;
            Ok(AuditEntry {
                seq: u64::try_from(seq).map_err(|_| bad("seq"))?,
                record,
                payload,
                prev_hash: ChainHash::from_hex(&p.prev_hash).map_err(|_| bad("prev_hash"))?,
                hash: ChainHash::from_hex(&p.hash).map_err(|_| bad("hash"))?,
            })
        }

        /// A page read as one JSON value (see `AUDIT_PAGE_JSON_SQL`), or `None` when the page does
        /// not decode that way; the caller then reads it row by row, which names the bad entry.
        fn audit_page_from_json(text: &str) -> Option<Vec<AuditEntry>> {
            type Cols = (
                i64,
                i64,
                Option<String>,
                String,
                Option<String>,
                String,
                String,
                Option<String>,
                Option<String>,
                String,
                String,
                String,
                i32,
                Option<String>,
                Option<String>,
            );
            let uuid = |hex: Option<String>| -> Result<Option<Uuid>, ()> {
                hex.map(|h| Uuid::try_parse(&h).map_err(|_| ())).transpose()
            };
            let rows: Vec<Cols> = serde_json::from_str(text).ok()?;
            rows.into_iter()
                .map(|c| {
                    let parts = AuditRowParts {
                        seq: c.0,
                        at: c.1,
                        organisation_id: uuid(c.2).ok()?,
                        actor_kind: c.3,
                        actor_id: uuid(c.4).ok()?,
                        actor_label: c.5,
                        action: c.6,
                        object_kind: c.7,
                        object_id: c.8,
                        detail: c.9,
                        prev_hash: c.10,
                        hash: c.11,
                        format: c.12,
                        payload_salt: c.13,
                        commitment: c.14,
                    };
                    audit_entry_from_parts(parts).ok()
                })
                .collect()
        }

        const CENTRE_COLUMNS: &str = "SELECT c.id, c.organisation_id, c.name, c.address, c.opening_hours, \
            c.closed_days, o.timezone FROM centres c JOIN organisations o ON o.id = c.organisation_id";

        async fn insert_messages(tx: &mut Tx, messages: &[NewMessage], now: Timestamp) -> StoreResult<()> {
            for m in messages {
                let mut address = m.address_id;
                let mut organisation = m.organisation_id;
                if let (Some(appointment), None) = (m.appointment_id, address) {
                    let (id, org) = citizen_address_tx(tx, appointment, &m.recipient, now).await?;
                    address = Some(id);
                    organisation = organisation.or(Some(org));
                }
                sqlx::query(
                    "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
                     attempts, next_attempt_at, created_at, organisation_id, address_id, purpose) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $8, $9, $10)",
                )
                .bind(m.id.as_uuid())
                .bind(m.appointment_id.map(|a| a.as_uuid()))
                .bind(&m.template)
                .bind(&m.recipient)
                .bind(m.language.code())
                .bind(&m.payload)
                .bind(us(now))
                .bind(organisation.map(|o| o.as_uuid()))
                .bind(address.map(|a| a.as_uuid()))
                .bind(m.purpose.as_str())
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        /// The registry record of a booking's citizen address, filed unverified the first time a
        /// message about the booking is written (RS-13: the code is the only thing it gets until
        /// the citizen types it back; `confirm_hold` then marks it verified).
        async fn citizen_address_tx(
            tx: &mut Tx,
            appointment: AppointmentId,
            address: &str,
            now: Timestamp,
        ) -> StoreResult<(skranke_core::ids::AddressId, skranke_core::ids::OrganisationId)> {
            let existing = sqlx::query(
                "SELECT id, organisation_id FROM addresses WHERE owner_kind = 'appointment' AND owner_id = $1 \
                 AND retired_at IS NULL",
            )
            .bind(appointment.as_uuid())
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(r) = existing {
                return Ok((
                    skranke_core::ids::AddressId::from_uuid(r.try_get("id")?),
                    skranke_core::ids::OrganisationId::from_uuid(r.try_get("organisation_id")?),
                ));
            }
            let org: Uuid = sqlx::query(
                "SELECT c.organisation_id FROM appointments a JOIN centres c ON c.id = a.centre_id WHERE a.id = $1",
            )
            .bind(appointment.as_uuid())
            .fetch_one(&mut **tx)
            .await?
            .try_get("organisation_id")?;
            let (normalised, registrable) = crate::store::normalise_address(address);
            let id = Uuid::new_v4();
            sqlx::query(
                "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
                 registrable_domain, state, created_at) VALUES ($1, $2, 'citizen', 'appointment', $3, $4, $5, 'unverified', $6)",
            )
            .bind(id)
            .bind(org)
            .bind(appointment.as_uuid())
            .bind(&normalised)
            .bind(&registrable)
            .bind(us(now))
            .execute(&mut **tx)
            .await?;
            Ok((skranke_core::ids::AddressId::from_uuid(id), skranke_core::ids::OrganisationId::from_uuid(org)))
        }

        /// Claims a seat of the slot and every cell of one candidate's time for `appointment`.
        /// Rows of an expired hold may be taken over; live rows never. Returns the staff member,
        /// or `SlotTaken` when no seat or no candidate's time could be claimed.
        #[allow(clippy::too_many_arguments)]
        async fn claim(
            tx: &mut Tx,
            appointment: AppointmentId,
            service: ServiceId,
            slot: Interval,
            occupied_until: Timestamp,
            capacity: u16,
            candidates: &[StaffId],
            hold_expires_at: Option<Timestamp>,
            now: Timestamp,
        ) -> StoreResult<StaffId> {
            let mut seated = false;
            for seat in 0..i32::from(capacity) {
                let got = sqlx::query(
                    "INSERT INTO slot_seats (service_id, starts_at, seat, appointment_id, hold_expires_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (service_id, starts_at, seat) DO UPDATE \
                     SET appointment_id = excluded.appointment_id, hold_expires_at = excluded.hold_expires_at \
                     WHERE slot_seats.hold_expires_at IS NOT NULL AND slot_seats.hold_expires_at <= $6 \
                     RETURNING seat",
                )
                .bind(service.as_uuid())
                .bind(us(slot.start()))
                .bind(seat)
                .bind(appointment.as_uuid())
                .bind(hold_expires_at.map(us))
                .bind(us(now))
                .fetch_optional(&mut **tx)
                .await?;
                if got.is_some() {
                    seated = true;
                    break;
                }
            }
            if !seated {
                return Err(StoreError::SlotTaken);
            }
            let wanted = cells(slot.start(), occupied_until);
            let values: Vec<String> =
                (0..wanted.len()).map(|i| format!("($1, $2, $3, ${})", i + 5)).collect();
            let sql = format!(
                "INSERT INTO staff_cells (staff_id, appointment_id, hold_expires_at, cell_at) VALUES {} \
                 ON CONFLICT (staff_id, cell_at) DO UPDATE \
                 SET appointment_id = excluded.appointment_id, hold_expires_at = excluded.hold_expires_at \
                 WHERE staff_cells.hold_expires_at IS NOT NULL AND staff_cells.hold_expires_at <= $4 \
                 RETURNING cell_at",
                values.join(", ")
            );
            // Placeholders: $1 staff, $2 appointment, $3 hold expiry, $4 now, $5… the cells.
            for staff in candidates {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(staff.as_uuid())
                    .bind(appointment.as_uuid())
                    .bind(hold_expires_at.map(us))
                    .bind(us(now));
                for c in &wanted {
                    q = q.bind(*c);
                }
                let got = q.fetch_all(&mut **tx).await?;
                if got.len() == wanted.len() {
                    return Ok(*staff);
                }
                // Partly claimed: give back what we took and try the next candidate.
                sqlx::query("DELETE FROM staff_cells WHERE staff_id = $1 AND appointment_id = $2")
                    .bind(staff.as_uuid())
                    .bind(appointment.as_uuid())
                    .execute(&mut **tx)
                    .await?;
            }
            Err(StoreError::SlotTaken)
        }

        async fn release_claims(tx: &mut Tx, appointment: AppointmentId) -> StoreResult<()> {
            sqlx::query("DELETE FROM slot_seats WHERE appointment_id = $1")
                .bind(appointment.as_uuid())
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM staff_cells WHERE appointment_id = $1")
                .bind(appointment.as_uuid())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        async fn load_appointment(tx: &mut Tx, id: AppointmentId) -> StoreResult<Appointment> {
            let row = sqlx::query("SELECT * FROM appointments WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            appointment_from_row(&row)
        }

        async fn insert_centre(tx: &mut Tx, c: &Centre) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO centres (id, organisation_id, name, address, opening_hours, closed_days, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0)",
            )
            .bind(c.id.as_uuid())
            .bind(c.organisation_id.as_uuid())
            .bind(&c.name)
            .bind(&c.address)
            .bind(to_json(&c.opening_hours)?)
            .bind(to_json(&c.closed_days)?)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn insert_queue(tx: &mut Tx, q: &Queue) -> StoreResult<()> {
            sqlx::query("INSERT INTO queues (id, centre_id, name_da, name_en, prefix) VALUES ($1, $2, $3, $4, $5)")
                .bind(q.id.as_uuid())
                .bind(q.centre_id.as_uuid())
                .bind(&q.name_da)
                .bind(&q.name_en)
                .bind(&q.prefix)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        async fn insert_service(tx: &mut Tx, s: &Service) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO services (id, centre_id, queue_id, name_da, name_en, duration_minutes, buffer_minutes, \
                 capacity, min_notice_minutes, horizon_days, online_bookable, sensitivity) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(s.id.as_uuid())
            .bind(s.centre_id.as_uuid())
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
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn insert_staff(tx: &mut Tx, s: &StaffMember, email: Option<&str>) -> StoreResult<()> {
            sqlx::query("INSERT INTO staff (id, centre_id, name, schedule, email) VALUES ($1, $2, $3, $4, $5)")
                .bind(s.id.as_uuid())
                .bind(s.centre_id.as_uuid())
                .bind(&s.name)
                .bind(to_json(&s.schedule)?)
                .bind(email)
                .execute(&mut **tx)
                .await?;
            set_staff_services(tx, s).await
        }

        /// Replaces the services a staff member gives.
        async fn set_staff_services(tx: &mut Tx, s: &StaffMember) -> StoreResult<()> {
            sqlx::query("DELETE FROM staff_services WHERE staff_id = $1").bind(s.id.as_uuid()).execute(&mut **tx).await?;
            for service in &s.services {
                sqlx::query("INSERT INTO staff_services (staff_id, service_id) VALUES ($1, $2)")
                    .bind(s.id.as_uuid())
                    .bind(service.as_uuid())
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        crate::store::sql_accounts::account_helpers!();
        crate::store::sql_admin::admin_helpers!();
        crate::store::sql_visits::visit_helpers!();
        crate::store::sql_notify::notify_helpers!();
        crate::store::sql_routes::route_helpers!();
        crate::store::sql_breach::breach_helpers!();
        crate::store::sql_retention::retention_helpers!();

        impl Store for $store {
            crate::store::sql_accounts::account_store_methods!();
            crate::store::sql_admin::admin_store_methods!();
            crate::store::sql_visits::visit_store_methods!();
            crate::store::sql_notify::notify_store_methods!();
            crate::store::sql_routes::route_store_methods!();
            crate::store::sql_breach::breach_store_methods!();
            crate::store::sql_breach::breach_case_store_methods!();
            crate::store::sql_retention::retention_store_methods!();

            async fn migrate(&self) -> StoreResult<()> {
                let mut conn = self.pool.acquire().await?;
                // `run_direct` is `run` on a connection we keep (`run(&mut *conn)` is not `Send` here).
                match self.migrator().run_direct(None, &mut *conn, false).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        // A refused or failed run returns without releasing the migration lock,
                        // which PostgreSQL holds per session (pg_advisory_lock). Close this
                        // connection so the lock goes with it; back in the pool it would make every
                        // later `migrate()` on another connection wait forever.
                        conn.close().await.ok();
                        Err(e.into())
                    }
                }
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_organisation(&self, org: &Organisation) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO organisations (id, name, timezone, mail_domains, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(org.id.as_uuid())
                .bind(&org.name)
                .bind(&org.timezone)
                .bind(to_json(&org.mail_domains)?)
                .bind(us(Timestamp::UNIX_EPOCH))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_centre(&self, c: &Centre) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                insert_centre(&mut tx, c).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_closure(&self, centre: CentreId, when: Interval, reason: &str) -> StoreResult<()> {
                sqlx::query("INSERT INTO closures (id, centre_id, starts_at, ends_at, reason) VALUES ($1, $2, $3, $4, $5)")
                    .bind(Uuid::new_v4())
                    .bind(centre.as_uuid())
                    .bind(us(when.start()))
                    .bind(us(when.end()))
                    .bind(reason)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_queue(&self, q: &Queue) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                insert_queue(&mut tx, q).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_service(&self, s: &Service) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                insert_service(&mut tx, s).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_staff(&self, s: &StaffMember) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                insert_staff(&mut tx, s, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_absence(&self, staff: StaffId, when: Interval) -> StoreResult<()> {
                sqlx::query("INSERT INTO absences (id, staff_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)")
                    .bind(Uuid::new_v4())
                    .bind(staff.as_uuid())
                    .bind(us(when.start()))
                    .bind(us(when.end()))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn list_centres(&self) -> StoreResult<Vec<CentreView>> {
                let sql = format!("{CENTRE_COLUMNS} ORDER BY c.name, c.id");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
                rows.iter().map(centre_from_row).collect()
            }

            async fn get_centre(&self, id: CentreId) -> StoreResult<Option<CentreView>> {
                let sql = format!("{CENTRE_COLUMNS} WHERE c.id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
                row.as_ref().map(centre_from_row).transpose()
            }

            async fn list_services(&self, centre: CentreId) -> StoreResult<Vec<Service>> {
                let rows = sqlx::query("SELECT * FROM services WHERE centre_id = $1 ORDER BY name_da, id")
                    .bind(centre.as_uuid())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(service_from_row).collect()
            }

            async fn get_service(&self, id: ServiceId) -> StoreResult<Option<Service>> {
                let row = sqlx::query("SELECT * FROM services WHERE id = $1")
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(service_from_row).transpose()
            }

            async fn availability_input(
                &self,
                service_id: ServiceId,
                window: Interval,
                now: Timestamp,
            ) -> StoreResult<Option<AvailabilityInput>> {
                // One read transaction, so the pieces are a consistent snapshot.
                let mut tx = self.pool.begin().await?;
                let Some(service_row) = sqlx::query("SELECT * FROM services WHERE id = $1")
                    .bind(service_id.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok(None);
                };
                let service = service_from_row(&service_row)?;
                let sql = format!("{CENTRE_COLUMNS} WHERE c.id = $1");
                let centre_row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(service.centre_id.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
                let centre = centre_from_row(&centre_row)?;
                let tz = jiff::tz::TimeZone::get(&centre.timezone).map_err(|_| corrupt("timezone"))?;
                let (w0, w1, n) = (us(window.start()), us(window.end()), us(now));

                let closures = sqlx::query(
                    "SELECT starts_at, ends_at FROM closures WHERE centre_id = $1 AND starts_at < $3 AND ends_at > $2",
                )
                .bind(service.centre_id.as_uuid())
                .bind(w0)
                .bind(w1)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| interval_from(r))
                .collect::<StoreResult<Vec<_>>>()?;

                let staff_rows = sqlx::query(
                    "SELECT s.id, s.schedule FROM staff s JOIN staff_services ss ON ss.staff_id = s.id \
                     WHERE ss.service_id = $1 ORDER BY s.id",
                )
                .bind(service_id.as_uuid())
                .fetch_all(&mut *tx)
                .await?;
                let mut staff: Vec<StaffCalendar> = Vec::with_capacity(staff_rows.len());
                let mut index: BTreeMap<Uuid, usize> = BTreeMap::new();
                for r in &staff_rows {
                    let id: Uuid = r.try_get("id")?;
                    index.insert(id, staff.len());
                    staff.push(StaffCalendar {
                        id: StaffId::from_uuid(id),
                        schedule: json(&r.try_get::<String, _>("schedule")?, "schedule")?,
                        absences: Vec::new(),
                        busy: Vec::new(),
                    });
                }
                let absences = sqlx::query(
                    "SELECT a.staff_id, a.starts_at, a.ends_at FROM absences a \
                     JOIN staff_services ss ON ss.staff_id = a.staff_id \
                     WHERE ss.service_id = $1 AND a.starts_at < $3 AND a.ends_at > $2",
                )
                .bind(service_id.as_uuid())
                .bind(w0)
                .bind(w1)
                .fetch_all(&mut *tx)
                .await?;
                for r in &absences {
                    if let Some(i) = index.get(&r.try_get::<Uuid, _>("staff_id")?) {
                        staff[*i].absences.push(interval_from(r)?);
                    }
                }
                let busy = sqlx::query(
                    "SELECT a.staff_id, a.starts_at, a.occupied_until AS ends_at FROM appointments a \
                     JOIN staff_services ss ON ss.staff_id = a.staff_id \
                     WHERE ss.service_id = $1 AND a.status IN ('held', 'confirmed') \
                     AND (a.hold_expires_at IS NULL OR a.hold_expires_at > $4) \
                     AND a.starts_at < $3 AND a.occupied_until > $2",
                )
                .bind(service_id.as_uuid())
                .bind(w0)
                .bind(w1)
                .bind(n)
                .fetch_all(&mut *tx)
                .await?;
                for r in &busy {
                    if let Some(i) = index.get(&r.try_get::<Uuid, _>("staff_id")?) {
                        staff[*i].busy.push(interval_from(r)?);
                    }
                }
                for s in &mut staff {
                    s.normalise();
                }
                let seats = sqlx::query(
                    "SELECT starts_at, COUNT(*) AS taken FROM slot_seats WHERE service_id = $1 \
                     AND starts_at >= $2 AND starts_at < $3 \
                     AND (hold_expires_at IS NULL OR hold_expires_at > $4) GROUP BY starts_at",
                )
                .bind(service_id.as_uuid())
                .bind(w0)
                .bind(w1)
                .bind(n)
                .fetch_all(&mut *tx)
                .await?;
                let mut seats_taken = BTreeMap::new();
                for r in &seats {
                    let taken: i64 = r.try_get("taken")?;
                    seats_taken.insert(from_us(r.try_get("starts_at")?)?, u16::try_from(taken).unwrap_or(u16::MAX));
                }
                tx.commit().await?;
                Ok(Some(AvailabilityInput {
                    tz,
                    rules: service.rules,
                    opening: centre.centre.opening_hours,
                    closed_days: centre.centre.closed_days,
                    closures,
                    staff,
                    seats_taken,
                }))
            }

            async fn get_appointment(&self, id: AppointmentId) -> StoreResult<Option<Appointment>> {
                let row = sqlx::query("SELECT * FROM appointments WHERE id = $1")
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(appointment_from_row).transpose()
            }

            async fn create_appointment(
                &self,
                new: &NewAppointment,
                messages: &[NewMessage],
                now: Timestamp,
            ) -> StoreResult<Appointment> {
                let a = &new.appointment;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO appointments (id, centre_id, service_id, staff_id, reference, manage_token_hash, status, \
                     starts_at, ends_at, occupied_until, citizen_name, citizen_email, citizen_phone, language, \
                     hold_expires_at, code_hash, code_attempts, created_at, updated_at) \
                     VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, $16)",
                )
                .bind(a.id.as_uuid())
                .bind(a.centre_id.as_uuid())
                .bind(a.service_id.as_uuid())
                .bind(a.reference.as_str())
                .bind(a.manage_token_hash.as_str())
                .bind(a.status.as_str())
                .bind(us(a.slot.start()))
                .bind(us(a.slot.end()))
                .bind(us(a.occupied_until))
                .bind(&a.citizen_name)
                .bind(&a.citizen_email)
                .bind(&a.citizen_phone)
                .bind(a.language.code())
                .bind(a.hold_expires_at.map(us))
                .bind(a.code_hash.as_ref().map(|h| h.as_str().to_owned()))
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
                let staff = claim(
                    &mut tx,
                    a.id,
                    a.service_id,
                    a.slot,
                    a.occupied_until,
                    new.capacity,
                    &new.candidate_staff,
                    a.hold_expires_at,
                    now,
                )
                .await?;
                sqlx::query("UPDATE appointments SET staff_id = $1 WHERE id = $2")
                    .bind(staff.as_uuid())
                    .bind(a.id.as_uuid())
                    .execute(&mut *tx)
                    .await?;
                insert_messages(&mut tx, messages, now).await?;
                tx.commit().await?;
                Ok(Appointment { staff_id: Some(staff), ..a.clone() })
            }

            async fn confirm_hold(
                &self,
                id: AppointmentId,
                expected_attempts: u8,
                messages: &[NewMessage],
                now: Timestamp,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE appointments SET status = 'confirmed', hold_expires_at = NULL, code_hash = NULL, updated_at = $3 \
                     WHERE id = $1 AND status = 'held' AND code_attempts = $2 AND hold_expires_at > $3",
                )
                .bind(id.as_uuid())
                .bind(i32::from(expected_attempts))
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated != 1 {
                    let current = load_appointment(&mut tx, id).await?;
                    return Err(match current.status_at(now) {
                        AppointmentStatus::Held => StoreError::Conflict,
                        _ => StoreError::HoldExpired,
                    });
                }
                // The hold's claims must still be ours: if a later booking took them over after the
                // hold ran out, the confirmation fails and the transaction rolls back.
                let seats = sqlx::query(
                    "UPDATE slot_seats SET hold_expires_at = NULL WHERE appointment_id = $1 AND hold_expires_at > $2",
                )
                .bind(id.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let staff_cells = sqlx::query(
                    "UPDATE staff_cells SET hold_expires_at = NULL WHERE appointment_id = $1 AND hold_expires_at > $2",
                )
                .bind(id.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if seats != 1 || staff_cells == 0 {
                    return Err(StoreError::HoldExpired);
                }
                // The code reached the citizen and came back in this booking session: the
                // address is proven (RS-11, RS-13) for as long as a verification lasts.
                let expires = now.checked_add(crate::store::VERIFICATION_VALIDITY).unwrap_or(now);
                sqlx::query(
                    "UPDATE addresses SET state = 'verified', verified_at = $2, expires_at = $3, version = version + 1 \
                     WHERE owner_kind = 'appointment' AND owner_id = $1 AND retired_at IS NULL AND state <> 'suspended'",
                )
                .bind(id.as_uuid())
                .bind(us(now))
                .bind(us(expires))
                .execute(&mut *tx)
                .await?;
                insert_messages(&mut tx, messages, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_wrong_code(
                &self,
                id: AppointmentId,
                expected_attempts: u8,
                release: bool,
                now: Timestamp,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let status = if release { "expired" } else { "held" };
                let updated = sqlx::query(
                    "UPDATE appointments SET code_attempts = code_attempts + 1, status = $3, updated_at = $4 \
                     WHERE id = $1 AND status = 'held' AND code_attempts = $2",
                )
                .bind(id.as_uuid())
                .bind(i32::from(expected_attempts))
                .bind(status)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated != 1 {
                    return Err(StoreError::Conflict);
                }
                if release {
                    release_claims(&mut tx, id).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn cancel_appointment(&self, id: AppointmentId, messages: &[NewMessage], now: Timestamp) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE appointments SET status = 'cancelled', hold_expires_at = NULL, updated_at = $2 \
                     WHERE id = $1 AND status IN ('held', 'confirmed')",
                )
                .bind(id.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated != 1 {
                    return Err(StoreError::Conflict);
                }
                release_claims(&mut tx, id).await?;
                insert_messages(&mut tx, messages, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reschedule_appointment(
                &self,
                id: AppointmentId,
                to: &NewSlot,
                messages: &[NewMessage],
                now: Timestamp,
            ) -> StoreResult<Appointment> {
                let mut tx = self.begin_write().await?;
                // Lock the appointment row before touching its claims (an UPDATE locks on both
                // databases; SQLite has no FOR UPDATE). Without it, on PostgreSQL a concurrent
                // cancel or second move interleaves with this one: they deadlock on each other's
                // claim rows, or this move re-claims seats and cells for a booking that was just
                // cancelled (or moved elsewhere), leaking claims that block the slot for good.
                let current = sqlx::query("UPDATE appointments SET updated_at = updated_at WHERE id = $1 RETURNING *")
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)
                    .and_then(|row| appointment_from_row(&row))?;
                if current.status_at(now) != AppointmentStatus::Confirmed {
                    return Err(StoreError::Conflict);
                }
                release_claims(&mut tx, id).await?;
                let staff = claim(
                    &mut tx,
                    id,
                    current.service_id,
                    to.slot,
                    to.occupied_until,
                    to.capacity,
                    &to.candidate_staff,
                    None,
                    now,
                )
                .await?;
                sqlx::query(
                    "UPDATE appointments SET starts_at = $2, ends_at = $3, occupied_until = $4, staff_id = $5, updated_at = $6 \
                     WHERE id = $1",
                )
                .bind(id.as_uuid())
                .bind(us(to.slot.start()))
                .bind(us(to.slot.end()))
                .bind(us(to.occupied_until))
                .bind(staff.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
                insert_messages(&mut tx, messages, now).await?;
                tx.commit().await?;
                Ok(Appointment { slot: to.slot, occupied_until: to.occupied_until, staff_id: Some(staff), ..current })
            }

            async fn sweep_expired_holds(&self, now: Timestamp) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let n = us(now);
                let expired = sqlx::query(
                    "UPDATE appointments SET status = 'expired', updated_at = $1 WHERE status = 'held' AND hold_expires_at <= $1",
                )
                .bind(n)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("DELETE FROM slot_seats WHERE hold_expires_at IS NOT NULL AND hold_expires_at <= $1")
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM staff_cells WHERE hold_expires_at IS NOT NULL AND hold_expires_at <= $1")
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(expired)
            }

            async fn claim_outbox(&self, now: Timestamp, lease: SignedDuration, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
                let until = now.checked_add(lease).unwrap_or(now);
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(Self::CLAIM_OUTBOX_SQL))
                    .bind(us(now))
                    .bind(us(until))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows.iter()
                    .map(|r| {
                        Ok(OutboxMessage {
                            appointment_id: r.try_get::<Option<Uuid>, _>("appointment_id")?.map(AppointmentId::from_uuid),
                            organisation_id: r
                                .try_get::<Option<Uuid>, _>("organisation_id")?
                                .map(skranke_core::ids::OrganisationId::from_uuid),
                            address_id: r.try_get::<Option<Uuid>, _>("address_id")?.map(skranke_core::ids::AddressId::from_uuid),
                            purpose: skranke_core::notify::Purpose::parse(&r.try_get::<String, _>("purpose")?)
                                .ok_or_else(|| corrupt("outbox purpose"))?,
                            id: MessageId::from_uuid(r.try_get("id")?),
                            template: r.try_get("template")?,
                            recipient: r.try_get("recipient")?,
                            language: Lang::parse(&r.try_get::<String, _>("language")?).unwrap_or_default(),
                            payload: r.try_get("payload")?,
                            attempts: u32::try_from(r.try_get::<i32, _>("attempts")?).unwrap_or(0),
                        })
                    })
                    .collect()
            }

            async fn mark_outbox_sent(&self, id: MessageId, now: Timestamp) -> StoreResult<()> {
                sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL, last_error = NULL, payload = '{}' WHERE id = $1")
                    .bind(id.as_uuid())
                    .bind(us(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_outbox_retry(
                &self,
                id: MessageId,
                error: &str,
                next_attempt_at: Timestamp,
                give_up: bool,
            ) -> StoreResult<()> {
                let status = if give_up { "failed" } else { "pending" };
                // Only a message still pending: a worker whose lease ran out while it waited on the
                // relay must not turn a message another worker has since sent (or held) back into
                // a pending one (`mail_faults::a_late_failure_does_not_undo_another_workers_delivery`).
                sqlx::query(
                    "UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = $4, locked_until = NULL \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id.as_uuid())
                .bind(status)
                .bind(error)
                .bind(us(next_attempt_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbox_counts(&self) -> StoreResult<Vec<(String, i64)>> {
                let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
            }

            async fn list_outbox_for(&self, appointment: AppointmentId) -> StoreResult<Vec<(String, OutboxStatus)>> {
                let rows = sqlx::query(
                    "SELECT template, status FROM outbox WHERE appointment_id = $1 ORDER BY created_at, template",
                )
                .bind(appointment.as_uuid())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let status = match r.try_get::<String, _>("status")?.as_str() {
                            "pending" => OutboxStatus::Pending,
                            "sent" => OutboxStatus::Sent,
                            "held" => OutboxStatus::Held,
                            _ => OutboxStatus::Failed,
                        };
                        Ok((r.try_get("template")?, status))
                    })
                    .collect()
            }

            async fn deliver_dev_mail(&self, mail: &DevMail) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO dev_mailbox (id, outbox_id, recipient, subject, body_text, delivered_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (outbox_id) DO NOTHING",
                )
                .bind(Uuid::new_v4())
                .bind(mail.outbox_id.as_uuid())
                .bind(&mail.recipient)
                .bind(&mail.subject)
                .bind(&mail.body_text)
                .bind(us(mail.delivered_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_dev_mail(&self, limit: u32) -> StoreResult<Vec<DevMail>> {
                let rows = sqlx::query(
                    "SELECT outbox_id, recipient, subject, body_text, delivered_at FROM dev_mailbox \
                     ORDER BY delivered_at DESC, id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DevMail {
                            outbox_id: MessageId::from_uuid(r.try_get("outbox_id")?),
                            recipient: r.try_get("recipient")?,
                            subject: r.try_get("subject")?,
                            body_text: r.try_get("body_text")?,
                            delivered_at: from_us(r.try_get("delivered_at")?)?,
                        })
                    })
                    .collect()
            }

            async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()> {
                if records.is_empty() {
                    return Ok(());
                }
                if records.len() <= AUDIT_ROWS_PER_INSERT {
                    // One statement is a transaction of its own: no BEGIN and COMMIT round trips,
                    // which were two thirds of a sign-in's audit append.
                    let turn = self.write_turn().await;
                    inbox_insert(records).build().execute(&self.pool).await?;
                    drop(turn);
                    self.chainer()().await;
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                append_audit_tx(&mut tx, records).await?;
                // Chained by the commit's after-work (see `append_audit_tx`).
                tx.commit().await?;
                Ok(())
            }

            async fn chain_audit_inbox(&self) -> StoreResult<u64> {
                self.chain_pass().await
            }

            async fn audit_head(&self) -> StoreResult<ChainHead> {
                let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
                let seq = u64::try_from(row.try_get::<i64, _>("seq")?).map_err(|_| corrupt("audit_head.seq"))?;
                let hash = ChainHash::from_hex(&row.try_get::<String, _>("hash")?).map_err(|_| corrupt("audit_head.hash"))?;
                Ok(ChainHead { seq, hash })
            }

            async fn audit_page(&self, after: u64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                if let Some(sql) = <$store>::AUDIT_PAGE_JSON_SQL {
                    let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .bind(i64::try_from(after).unwrap_or(i64::MAX))
                        .bind(i64::from(limit))
                        .fetch_one(&self.pool)
                        .await?;
                    match text.as_deref() {
                        None => return Ok(Vec::new()),
                        Some(text) => {
                            if let Some(page) = audit_page_from_json(text) {
                                return Ok(page);
                            }
                        }
                    }
                }
                let rows = sqlx::query(
                    "SELECT seq, at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
                     object_id, detail, prev_hash, hash, format, payload_salt, commitment FROM audit_log \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(audit_entry_from_row).collect()
            }
        }

        fn interval_from(r: &DbRow) -> StoreResult<Interval> {
            Interval::new(from_us(r.try_get("starts_at")?)?, from_us(r.try_get("ends_at")?)?)
                .ok_or_else(|| corrupt("interval"))
        }
    };
}

pub(crate) use shared_store_impl;
