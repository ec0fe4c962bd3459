//! SQL for the accounts part of the `Store` trait (users, grants, sessions, API tokens, sign-in
//! throttling, reset links, audit search), shared by both databases. Expanded inside
//! `sql::shared_store_impl!`, so the helpers there (`Tx`, `DbRow`, `corrupt`, `append_audit_tx`,
//! `self.begin_write()`) are in scope.

/// Module-level helpers (row decoders) for the account methods.
macro_rules! account_helpers {
    () => {
        use skranke_core::access::{Grant, Role, Scope};
        use skranke_core::ids::{ApiTokenId, OrganisationId, SessionId, UserId};

        use crate::store::{
            ActiveApiToken, ActiveSession, ApiTokenRecord, AuditQuery, NewSession, User, UserWithGrants,
        };

        const USER_COLUMNS: &str = "u.id AS user_id, u.organisation_id AS user_org, u.email, u.name AS user_name, \
             u.password_hash, u.created_at AS user_created_at, u.disabled_at, u.sessions_valid_after";

        /// Sessions and tokens are touched at most this often: a request is a read, not a write.
        const TOUCH_EVERY_US: i64 = 60 * 1_000_000;

        fn user_from_row(r: &DbRow) -> StoreResult<User> {
            Ok(User {
                id: UserId::from_uuid(r.try_get("user_id")?),
                organisation: r.try_get::<Option<Uuid>, _>("user_org")?.map(OrganisationId::from_uuid),
                email: r.try_get("email")?,
                name: r.try_get("user_name")?,
                password_hash: r.try_get("password_hash")?,
                created_at: from_us(r.try_get("user_created_at")?)?,
                disabled_at: r.try_get::<Option<i64>, _>("disabled_at")?.map(from_us).transpose()?,
                sessions_valid_after: from_us(r.try_get("sessions_valid_after")?)?,
            })
        }

        /// A grant from its stored columns; a row the core would refuse is corrupt.
        fn grant_from_parts(role: &str, org: Option<Uuid>, centre: Option<Uuid>) -> StoreResult<Grant> {
            let role = role.parse::<Role>().map_err(|_| corrupt("grant role"))?;
            let scope = Scope::from_parts(org.map(OrganisationId::from_uuid), centre.map(CentreId::from_uuid))
                .ok_or_else(|| corrupt("grant scope"))?;
            Grant::new(role, scope).map_err(|_| corrupt("grant"))
        }

        fn api_token_from_row(r: &DbRow) -> StoreResult<ApiTokenRecord> {
            let opt_ts = |col: &str| -> StoreResult<Option<Timestamp>> {
                r.try_get::<Option<i64>, _>(col)?.map(from_us).transpose()
            };
            Ok(ApiTokenRecord {
                id: ApiTokenId::from_uuid(r.try_get("token_id")?),
                user: UserId::from_uuid(r.try_get("token_user")?),
                hint: r.try_get("hint")?,
                label: r.try_get("label")?,
                grant: grant_from_parts(
                    &r.try_get::<String, _>("role")?,
                    r.try_get("token_org")?,
                    r.try_get("token_centre")?,
                )?,
                created_at: from_us(r.try_get("token_created_at")?)?,
                expires_at: opt_ts("expires_at")?,
                last_used_at: opt_ts("last_used_at")?,
                revoked_at: opt_ts("revoked_at")?,
            })
        }

        const GRANT_COLUMNS: &str = "g.role AS grant_role, g.organisation_id AS grant_org, g.centre_id AS grant_centre";

        /// The grants of rows joined with `role_grants` (LEFT JOIN: a user without grants gives one
        /// row with NULL grant columns).
        fn joined_grants(rows: &[DbRow]) -> StoreResult<Vec<Grant>> {
            let mut grants = Vec::with_capacity(rows.len());
            for r in rows {
                if let Some(role) = r.try_get::<Option<String>, _>("grant_role")? {
                    grants.push(grant_from_parts(&role, r.try_get("grant_org")?, r.try_get("grant_centre")?)?);
                }
            }
            Ok(grants)
        }

        const TOKEN_COLUMNS: &str = "t.id AS token_id, t.user_id AS token_user, t.hint, t.label, t.role, \
             t.organisation_id AS token_org, t.centre_id AS token_centre, t.created_at AS token_created_at, \
             t.expires_at, t.last_used_at, t.revoked_at";

        async fn grants_of<'e, E>(executor: E, user: UserId) -> StoreResult<Vec<Grant>>
        where
            E: sqlx::Executor<'e, Database = <DbRow as sqlx::Row>::Database>,
        {
            let rows = sqlx::query(
                "SELECT role, organisation_id, centre_id FROM role_grants WHERE user_id = $1 ORDER BY created_at, role",
            )
            .bind(user.as_uuid())
            .fetch_all(executor)
            .await?;
            rows.iter()
                .map(|r| {
                    grant_from_parts(
                        &r.try_get::<String, _>("role")?,
                        r.try_get("organisation_id")?,
                        r.try_get("centre_id")?,
                    )
                })
                .collect()
        }

        async fn insert_grant(tx: &mut Tx, user: UserId, grant: &Grant, now: Timestamp) -> StoreResult<bool> {
            let scope = grant.scope();
            let exists: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = $2 \
                 AND organisation_id IS NOT DISTINCT FROM $3 AND centre_id IS NOT DISTINCT FROM $4",
            )
            .bind(user.as_uuid())
            .bind(grant.role().as_str())
            .bind(scope.organisation().map(|o| o.as_uuid()))
            .bind(scope.centre().map(|c| c.as_uuid()))
            .fetch_one(&mut **tx)
            .await?;
            if exists > 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO role_grants (id, user_id, role, organisation_id, centre_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::from_bytes(crate::app::random_bytes::<16>()))
            .bind(user.as_uuid())
            .bind(grant.role().as_str())
            .bind(scope.organisation().map(|o| o.as_uuid()))
            .bind(scope.centre().map(|c| c.as_uuid()))
            .bind(us(now))
            .execute(&mut **tx)
            .await?;
            Ok(true)
        }

        async fn insert_user(tx: &mut Tx, user: &User) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO users (id, organisation_id, email, name, password_hash, created_at, password_changed_at, \
                 disabled_at, sessions_valid_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(user.id.as_uuid())
            .bind(user.organisation.map(|o| o.as_uuid()))
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.password_hash.as_deref())
            .bind(us(user.created_at))
            .bind(user.password_hash.as_ref().map(|_| us(user.created_at)))
            .bind(user.disabled_at.map(us))
            .bind(us(user.sessions_valid_after))
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Voids every session of `user` created before `now`.
        async fn void_sessions(tx: &mut Tx, user: UserId, now: Timestamp) -> StoreResult<()> {
            sqlx::query("UPDATE users SET sessions_valid_after = $2 WHERE id = $1")
                .bind(user.as_uuid())
                .bind(us(now))
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user.as_uuid())
                .bind(us(now))
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
    };
}

/// The account methods of `impl Store`.
macro_rules! account_store_methods {
    () => {
        async fn create_user(&self, user: &User, grants: &[Grant], audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            insert_user(&mut tx, user).await?;
            for grant in grants {
                insert_grant(&mut tx, user.id, grant, user.created_at).await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
            let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            row.as_ref().map(user_from_row).transpose()
        }

        async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
            let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(&self.pool).await?;
            row.as_ref().map(user_from_row).transpose()
        }

        async fn list_users(&self, organisation: OrganisationId) -> StoreResult<Vec<UserWithGrants>> {
            let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.organisation_id = $1 ORDER BY u.name, u.email");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation.as_uuid()).fetch_all(&self.pool).await?;
            let grant_rows = sqlx::query(
                "SELECT g.user_id, g.role, g.organisation_id, g.centre_id FROM role_grants g \
                 JOIN users u ON u.id = g.user_id WHERE u.organisation_id = $1 ORDER BY g.created_at, g.role",
            )
            .bind(organisation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
            let mut by_user: BTreeMap<Uuid, Vec<Grant>> = BTreeMap::new();
            for r in &grant_rows {
                let grant =
                    grant_from_parts(&r.try_get::<String, _>("role")?, r.try_get("organisation_id")?, r.try_get("centre_id")?)?;
                by_user.entry(r.try_get("user_id")?).or_default().push(grant);
            }
            rows.iter()
                .map(|r| {
                    let user = user_from_row(r)?;
                    let grants = by_user.remove(&user.id.as_uuid()).unwrap_or_default();
                    Ok(UserWithGrants { user, grants })
                })
                .collect()
        }

        async fn user_grants(&self, user: UserId) -> StoreResult<Vec<Grant>> {
            grants_of(&self.pool, user).await
        }

        async fn add_grant(&self, user: UserId, grant: &Grant, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            if !insert_grant(&mut tx, user, grant, now).await? {
                return Ok(false);
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn remove_grant(&self, user: UserId, grant: &Grant, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool> {
            let scope = grant.scope();
            let mut tx = self.begin_write().await?;
            let removed = sqlx::query(
                "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 \
                 AND organisation_id IS NOT DISTINCT FROM $3 AND centre_id IS NOT DISTINCT FROM $4",
            )
            .bind(user.as_uuid())
            .bind(grant.role().as_str())
            .bind(scope.organisation().map(|o| o.as_uuid()))
            .bind(scope.centre().map(|c| c.as_uuid()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                return Ok(false);
            }
            // The API tokens that acted with this grant stop working now, not at their next use.
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $5 WHERE user_id = $1 AND role = $2 AND revoked_at IS NULL \
                 AND organisation_id IS NOT DISTINCT FROM $3 AND centre_id IS NOT DISTINCT FROM $4",
            )
            .bind(user.as_uuid())
            .bind(grant.role().as_str())
            .bind(scope.organisation().map(|o| o.as_uuid()))
            .bind(scope.centre().map(|c| c.as_uuid()))
            .bind(us(now))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn set_user_disabled(
            &self,
            user: UserId,
            disabled_at: Option<Timestamp>,
            now: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
                .bind(user.as_uuid())
                .bind(disabled_at.map(us))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if disabled_at.is_some() {
                void_sessions(&mut tx, user, now).await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn set_password(&self, user: UserId, password_hash: &str, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
                .bind(user.as_uuid())
                .bind(password_hash)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            void_sessions(&mut tx, user, now).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn rehash_password(&self, user: UserId, old: &str, new: &str) -> StoreResult<()> {
            sqlx::query("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
                .bind(user.as_uuid())
                .bind(old)
                .bind(new)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn create_session(&self, s: &NewSession, clear_failures: &[String], audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5)",
            )
            .bind(s.id.as_uuid())
            .bind(s.token_hash.as_str())
            .bind(s.user.as_uuid())
            .bind(us(s.created_at))
            .bind(us(s.expires_at))
            .execute(&mut *tx)
            .await?;
            for subject in clear_failures {
                sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1").bind(subject).execute(&mut *tx).await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn active_session(
            &self,
            token_hash: &SecretHash,
            now: Timestamp,
            idle: SignedDuration,
        ) -> StoreResult<Option<ActiveSession>> {
            let sql = format!(
                "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at, s.expires_at, \
                 {USER_COLUMNS}, {GRANT_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
                 LEFT JOIN role_grants g ON g.user_id = u.id \
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 \
                 AND s.created_at >= u.sessions_valid_after AND u.disabled_at IS NULL \
                 ORDER BY g.created_at, g.role"
            );
            let idle_start = now.checked_sub(idle).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // One round trip: a row per grant (or one with NULL grant columns), as every staff
            // request pays for this lookup.
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token_hash.as_str())
                .bind(us(now))
                .bind(us(idle_start))
                .fetch_all(&self.pool)
                .await?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let grants = joined_grants(&rows)?;
            let user = user_from_row(row)?;
            let id = SessionId::from_uuid(row.try_get("session_id")?);
            let last_seen_at = from_us(row.try_get("last_seen_at")?)?;
            if us(now) - us(last_seen_at) >= TOUCH_EVERY_US {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2")
                    .bind(id.as_uuid())
                    .bind(us(now))
                    .execute(&self.pool)
                    .await?;
            }
            Ok(Some(ActiveSession {
                id,
                grants,
                created_at: from_us(row.try_get("session_created_at")?)?,
                last_seen_at,
                expires_at: from_us(row.try_get("expires_at")?)?,
                user,
            }))
        }

        async fn revoke_session(&self, id: SessionId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn revoke_user_sessions(&self, user: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            void_sessions(&mut tx, user, now).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn sign_in_failures(&self, subject: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)> {
            let row = sqlx::query("SELECT COUNT(*) AS n, MAX(at) AS last_at FROM sign_in_failures WHERE subject = $1 AND at >= $2")
                .bind(subject)
                .bind(us(since))
                .fetch_one(&self.pool)
                .await?;
            let n = u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
            let last = row.try_get::<Option<i64>, _>("last_at")?.map(from_us).transpose()?;
            Ok((n, last))
        }

        async fn record_sign_in_failure(&self, subjects: &[String], now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            for subject in subjects {
                sqlx::query("INSERT INTO sign_in_failures (subject, at) VALUES ($1, $2)")
                    .bind(subject)
                    .bind(us(now))
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn prune_sign_in_data(&self, failures_before: Timestamp, ended_before: Timestamp) -> StoreResult<u64> {
            let mut tx = self.begin_write().await?;
            let mut n = sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
                .bind(us(failures_before))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            n += sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
                .bind(us(ended_before))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            n += sqlx::query("DELETE FROM password_resets WHERE expires_at < $1 OR used_at < $1")
                .bind(us(ended_before))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n)
        }

        async fn server_key(&self, name: &str, fresh: &[u8; 32], now: Timestamp) -> StoreResult<Vec<u8>> {
            let mut tx = self.begin_write().await?;
            sqlx::query("INSERT INTO server_keys (name, key_bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(&fresh[..])
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            let key: Vec<u8> =
                sqlx::query_scalar("SELECT key_bytes FROM server_keys WHERE name = $1").bind(name).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(key)
        }

        async fn create_api_token(&self, t: &ApiTokenRecord, token_hash: &SecretHash, audit: &[AuditRecord]) -> StoreResult<()> {
            let scope = t.grant.scope();
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, token_hash, hint, label, role, organisation_id, centre_id, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(t.id.as_uuid())
            .bind(t.user.as_uuid())
            .bind(token_hash.as_str())
            .bind(&t.hint)
            .bind(&t.label)
            .bind(t.grant.role().as_str())
            .bind(scope.organisation().map(|o| o.as_uuid()))
            .bind(scope.centre().map(|c| c.as_uuid()))
            .bind(us(t.created_at))
            .bind(t.expires_at.map(us))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn list_api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiTokenRecord>> {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at DESC");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.as_uuid()).fetch_all(&self.pool).await?;
            rows.iter().map(api_token_from_row).collect()
        }

        async fn revoke_api_token(&self, id: ApiTokenId, user: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
                .bind(id.as_uuid())
                .bind(user.as_uuid())
                .bind(us(now))
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

        async fn active_api_token(&self, token_hash: &SecretHash, now: Timestamp) -> StoreResult<Option<ActiveApiToken>> {
            let sql = format!(
                "SELECT {TOKEN_COLUMNS}, {USER_COLUMNS}, {GRANT_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 LEFT JOIN role_grants g ON g.user_id = u.id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
                 AND u.disabled_at IS NULL ORDER BY g.created_at, g.role"
            );
            let rows =
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash.as_str()).bind(us(now)).fetch_all(&self.pool).await?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let user_grants = joined_grants(&rows)?;
            let token = api_token_from_row(row)?;
            let user = user_from_row(row)?;
            if token.last_used_at.is_none_or(|t| us(now) - us(t) >= TOUCH_EVERY_US) {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token.id.as_uuid())
                    .bind(us(now))
                    .execute(&self.pool)
                    .await?;
            }
            Ok(Some(ActiveApiToken { token, user, user_grants }))
        }

        async fn create_password_reset(
            &self,
            token_hash: &SecretHash,
            user: UserId,
            created_by: Option<UserId>,
            now: Timestamp,
            expires_at: Timestamp,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            // A new link replaces any earlier one still open: only the newest link works.
            sqlx::query("UPDATE password_resets SET expires_at = $2 WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(user.as_uuid())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO password_resets (token_hash, user_id, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash.as_str())
            .bind(user.as_uuid())
            .bind(created_by.map(|u| u.as_uuid()))
            .bind(us(now))
            .bind(us(expires_at))
            .execute(&mut *tx)
            .await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn password_reset_user(&self, token_hash: &SecretHash, now: Timestamp) -> StoreResult<Option<User>> {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM password_resets r JOIN users u ON u.id = r.user_id \
                 WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.disabled_at IS NULL"
            );
            let row =
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash.as_str()).bind(us(now)).fetch_optional(&self.pool).await?;
            row.as_ref().map(user_from_row).transpose()
        }

        async fn complete_password_reset(
            &self,
            token_hash: &SecretHash,
            password_hash: &str,
            now: Timestamp,
            audit: &(dyn Fn(&User) -> Vec<AuditRecord> + Sync),
        ) -> StoreResult<Option<UserId>> {
            let mut tx = self.begin_write().await?;
            let used = sqlx::query(
                "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING user_id",
            )
            .bind(token_hash.as_str())
            .bind(us(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(used) = used else {
                return Ok(None);
            };
            let user_id = UserId::from_uuid(used.try_get("user_id")?);
            let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL");
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id.as_uuid()).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            let user = user_from_row(&row)?;
            sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
                .bind(user_id.as_uuid())
                .bind(password_hash)
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            void_sessions(&mut tx, user_id, now).await?;
            append_audit_tx(&mut tx, &audit(&user)).await?;
            tx.commit().await?;
            Ok(Some(user_id))
        }

        async fn list_organisations(&self) -> StoreResult<Vec<Organisation>> {
            let rows = sqlx::query("SELECT id, name, timezone, mail_domains FROM organisations ORDER BY name, id")
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Organisation {
                        id: OrganisationId::from_uuid(r.try_get("id")?),
                        name: r.try_get("name")?,
                        timezone: r.try_get("timezone")?,
                        mail_domains: json(&r.try_get::<String, _>("mail_domains")?, "mail_domains")?,
                    })
                })
                .collect()
        }

        async fn create_organisation_with_admin(
            &self,
            org: &Organisation,
            admin: &User,
            grant: &Grant,
            audit: &[AuditRecord],
        ) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query("INSERT INTO organisations (id, name, timezone, mail_domains, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(org.id.as_uuid())
                .bind(&org.name)
                .bind(&org.timezone)
                .bind(to_json(&org.mail_domains)?)
                .bind(us(admin.created_at))
                .execute(&mut *tx)
                .await?;
            insert_user(&mut tx, admin).await?;
            insert_grant(&mut tx, admin.id, grant, admin.created_at).await?;
            append_audit_tx(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn organisation_mail_domains(&self, organisation: OrganisationId) -> StoreResult<Option<Vec<String>>> {
            let row: Option<String> = sqlx::query_scalar("SELECT mail_domains FROM organisations WHERE id = $1")
                .bind(organisation.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(|text| json(&text, "mail_domains")).transpose()
        }

        async fn search_audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
            // Built from fixed fragments only; every value is a bound parameter.
            let mut sql = String::from(
                "SELECT seq, at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
                 object_id, detail, prev_hash, hash, format, payload_salt, commitment FROM audit_log WHERE ",
            );
            let mut n = 0;
            let mut next = || {
                n += 1;
                format!("${n}")
            };
            let mut clauses = vec![match q.organisation {
                Some(_) => format!("organisation_id = {}", next()),
                None => "organisation_id IS NULL".to_owned(),
            }];
            if q.actor.is_some() {
                clauses.push(format!("actor_id = {}", next()));
            }
            if q.object_kind.is_some() {
                clauses.push(format!("object_kind = {}", next()));
            }
            if q.object_id.is_some() {
                clauses.push(format!("object_id = {}", next()));
            }
            if q.action_prefix.is_some() {
                // substr rather than LIKE: no wildcard characters to escape in what a person typed.
                clauses.push(format!("substr(action, 1, {}) = {}", next(), next()));
            }
            if q.from.is_some() {
                clauses.push(format!("at >= {}", next()));
            }
            if q.to.is_some() {
                clauses.push(format!("at < {}", next()));
            }
            if q.before_seq.is_some() {
                clauses.push(format!("seq < {}", next()));
            }
            sql.push_str(&clauses.join(" AND "));
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", next()));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Some(org) = q.organisation {
                query = query.bind(org.as_uuid());
            }
            if let Some(actor) = q.actor {
                query = query.bind(actor);
            }
            if let Some(kind) = &q.object_kind {
                query = query.bind(kind.clone());
            }
            if let Some(id) = &q.object_id {
                query = query.bind(id.clone());
            }
            if let Some(prefix) = &q.action_prefix {
                // INTEGER (i32): PostgreSQL has substr(text, int, int) but no bigint variant.
                let chars = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                query = query.bind(chars).bind(prefix.clone());
            }
            if let Some(from) = q.from {
                query = query.bind(us(from));
            }
            if let Some(to) = q.to {
                query = query.bind(us(to));
            }
            if let Some(before) = q.before_seq {
                query = query.bind(i64::try_from(before).unwrap_or(i64::MAX));
            }
            query = query.bind(i64::from(q.limit.clamp(1, 1000)));
            let rows = query.fetch_all(&self.pool).await?;
            rows.iter().map(audit_entry_from_row).collect()
        }
    };
}

pub(crate) use {account_helpers, account_store_methods};
