//! Staff sign-in and accounts: sign-in with throttling, sessions, sign-out (here and everywhere),
//! password change, administrator-made reset links, users and their roles, personal API tokens,
//! and the audit search. Every change writes its audit rows in its own transaction.
//!
//! The sign-in is split so that an OpenID Connect provider can be added next without reshaping
//! it: proving who someone is ([`sign_in`] checks a password; an OIDC callback would check an ID
//! token) ends in [`start_session`], which is the same for every method and is where sessions,
//! rotation and the audit entry live.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use skranke_core::access::{self, Grant, Permission, Role, Scope, Target};
use skranke_core::audit::{Action, Actor, AuditEntry, AuditRecord, Detail, Label, ObjectRef};
use skranke_core::ids::{ApiTokenId, CentreId, OrganisationId, SessionId, UserId};
use skranke_core::text::{TextError, clean_line};

use super::{App, AppError, Principal, Via, random_bytes};
use crate::auth::csrf::hmac_sha256;
use crate::auth::password::{self, NewPassword, PasswordParams};
use crate::auth::throttle::{Decision, Failures, ThrottlePolicy};
use crate::auth::token::{Token, TokenKind, parse_token};
use crate::store::{ActiveSession, ApiTokenRecord, AuditQuery, NewSession, Store, User, UserWithGrants};

/// Sign-in settings (`[auth]` in the configuration).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// argon2id cost; tuned so one sign-in costs ~50–100 ms on the server.
    pub password: PasswordParams,
    pub throttle: ThrottlePolicy,
    /// A session unused this long ends (minutes).
    pub session_idle_minutes: i64,
    /// A session ends this long after sign-in whatever happens (hours).
    pub session_absolute_hours: i64,
    /// How long an administrator's password link works (hours).
    pub reset_link_hours: i64,
    /// The longest an API token may live (days).
    pub api_token_max_days: i64,
    /// Mark cookies `Secure` (set when Skranke is reached over HTTPS, also behind a proxy).
    pub secure_cookies: bool,
    /// Days to keep sign-in failures and ended sessions and password links (retention; the audit
    /// log keeps its own record of sign-ins).
    pub sign_in_data_days: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            password: PasswordParams::DEFAULT,
            throttle: ThrottlePolicy::DEFAULT,
            session_idle_minutes: 30,
            session_absolute_hours: 10,
            reset_link_hours: 48,
            api_token_max_days: 365,
            secure_cookies: false,
            sign_in_data_days: 30,
        }
    }
}

impl AuthSettings {
    pub fn idle(&self) -> SignedDuration {
        SignedDuration::from_mins(self.session_idle_minutes)
    }
    pub fn absolute(&self) -> SignedDuration {
        SignedDuration::from_hours(self.session_absolute_hours)
    }
    /// Refuses settings that make no sense, with the setting's name.
    pub fn validate(&self) -> Result<(), String> {
        self.password.validate().map_err(|e| format!("auth.password: {e}"))?;
        self.throttle.validate().map_err(|e| format!("auth.throttle: {e}"))?;
        if !(5..=24 * 60).contains(&self.session_idle_minutes) {
            return Err("auth.session_idle_minutes must be 5–1440".into());
        }
        if !(1..=24 * 7).contains(&self.session_absolute_hours) {
            return Err("auth.session_absolute_hours must be 1–168".into());
        }
        if !(1..=24 * 14).contains(&self.reset_link_hours) {
            return Err("auth.reset_link_hours must be 1–336".into());
        }
        if !(2..=3650).contains(&self.sign_in_data_days) {
            return Err("auth.sign_in_data_days must be 2–3650".into());
        }
        if !(1..=3650).contains(&self.api_token_max_days) {
            return Err("auth.api_token_max_days must be 1–3650".into());
        }
        Ok(())
    }
}

/// Longest e-mail address accepted as a sign-in name (RFC 5321's path limit).
pub(crate) const MAX_EMAIL: usize = 254;

pub(crate) fn action(name: &str) -> Action {
    // Every action name below is a fixed, valid identifier; the fallback only keeps this total.
    Action::new(name).unwrap_or_else(|_| Action::new("unknown").unwrap_or_else(|_| unreachable_action()))
}

#[cold]
fn unreachable_action() -> Action {
    #[allow(clippy::expect_used)]
    Action::new("x").expect("a one-letter action is valid")
}

pub(crate) fn object(kind: &str, id: impl ToString) -> Option<ObjectRef> {
    ObjectRef::new(kind, &id.to_string()).ok()
}

pub(crate) fn detail(value: serde_json::Value) -> Detail {
    Detail::new(value).unwrap_or_else(|_| Detail::empty())
}

fn user_actor(user: &User) -> Actor {
    Actor::User { id: user.id.as_uuid(), label: label(&user.name) }
}

fn label(name: &str) -> Label {
    Label::new(name).or_else(|_| Label::new("staff")).unwrap_or_else(|_| unreachable_label())
}

#[cold]
fn unreachable_label() -> Label {
    #[allow(clippy::expect_used)]
    Label::new("?").expect("a one-character label is valid")
}

/// The sign-in name as stored: trimmed and lowercased.
pub fn normalise_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| AppError::BadRequest("internal"))
}

impl App {
    async fn throttle_key(&self) -> Result<[u8; 32], AppError> {
        let key = self
            .throttle_key
            .get_or_try_init(|| async {
                let stored = self.store.server_key("throttle", &random_bytes::<32>(), self.clock.now()).await?;
                <[u8; 32]>::try_from(stored.as_slice()).map_err(|_| AppError::BadRequest("internal"))
            })
            .await?;
        Ok(*key)
    }

    /// The throttle's names for a sign-in name and a client address: keyed hashes, so neither the
    /// typed name nor the address is stored.
    async fn throttle_subjects(&self, email: &str, ip: Option<IpAddr>) -> Result<(String, Option<String>), AppError> {
        let key = self.throttle_key().await?;
        let hex = |b: [u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let account = format!("account:{}", hex(hmac_sha256(&key, email.as_bytes())));
        let ip = ip.map(|ip| format!("ip:{}", hex(hmac_sha256(&key, ip.to_string().as_bytes()))));
        Ok((account, ip))
    }

    async fn failures(&self, subject: &str, since: Timestamp) -> Result<Failures, AppError> {
        let (in_window, last_at) = self.store.sign_in_failures(subject, since).await?;
        Ok(Failures { in_window, last_at })
    }
}

/// Retention: deletes sign-in failures, ended sessions and used or expired password links older
/// than `sign_in_data_days`. Failures inside the throttle windows are always kept.
pub async fn prune_sign_in_data(app: &App) -> Result<u64, AppError> {
    let now = app.clock.now();
    let settings = &app.settings.auth;
    let keep = SignedDuration::from_hours(24 * settings.sign_in_data_days);
    let throttle = settings.throttle.per_account.window.max(settings.throttle.per_ip.window);
    let before = |d: SignedDuration| now.checked_sub(d).map_err(|_| AppError::BadRequest("internal"));
    Ok(app.store.prune_sign_in_data(before(keep.max(throttle))?, before(keep)?).await?)
}

/// A new session: the cookie's token (given to the browser once) and what it is.
#[derive(Debug)]
pub struct SignedIn {
    pub token: Token,
    pub session: SessionId,
    pub user: UserId,
}

/// Signs in with e-mail and password. Wrong name and wrong password are one error
/// ([`AppError::SignInFailed`]) and take the same time; after too many failures for the name or
/// the client address the answer is [`AppError::TooManyAttempts`] without the password being
/// checked. A success starts a new session (a fresh token: the session id is rotated at every
/// sign-in, so a token planted before sign-in is worth nothing).
pub async fn sign_in(
    app: &App,
    email_raw: &str,
    password_raw: &str,
    client: Option<IpAddr>,
) -> Result<SignedIn, AppError> {
    let now = app.clock.now();
    let settings = &app.settings.auth;
    let email = normalise_email(email_raw);
    let (account_subject, ip_subject) = app.throttle_subjects(&email, client).await?;
    let account = app.failures(&account_subject, settings.throttle.per_account.window_start(now)).await?;
    let ip = match &ip_subject {
        Some(s) => app.failures(s, settings.throttle.per_ip.window_start(now)).await?,
        None => Failures::default(),
    };
    if let Decision::Wait(until) = settings.throttle.decide(account, ip, now) {
        let retry_after_secs = Decision::Wait(until).retry_after_secs(now).unwrap_or(1);
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }

    let usable_name = email.len() <= MAX_EMAIL && !email.chars().any(char::is_control);
    let user = if usable_name { app.store.find_user_by_email(&email).await? } else { None };
    let params = settings.password;
    let password_owned = password_raw.to_owned();
    let stored_hash = user.as_ref().filter(|u| u.disabled_at.is_none()).and_then(|u| u.password_hash.clone());
    let hash_for_check = stored_hash.clone();
    let ok = blocking(move || match hash_for_check {
        Some(hash) => password::verify_password(&hash, &password_owned),
        None => password::dummy_verify(&params, &password_owned),
    })
    .await?;

    match (ok, user) {
        (true, Some(user)) => {
            if let Some(old) = stored_hash.filter(|h| password::needs_rehash(h, &params)) {
                rehash(app, &user, &old, password_raw).await;
            }
            let detail = detail(json!({ "method": "password" }));
            start_session(app, &user, vec![account_subject], detail).await
        }
        (_, user) => {
            let reason = match &user {
                None => "unknown_account",
                Some(u) if u.disabled_at.is_some() => "account_disabled",
                Some(u) if u.password_hash.is_none() => "no_password_set",
                Some(_) => "wrong_password",
            };
            // The typed name is not recorded: it may be a password typed into the wrong field.
            let record = AuditRecord {
                at: now,
                organisation: user.as_ref().and_then(|u| u.organisation),
                actor: Actor::Anonymous,
                action: action("auth.sign_in_failed"),
                object: user.as_ref().and_then(|u| object("user", u.id)),
                detail: detail(json!({ "reason": reason })),
            };
            let subjects: Vec<String> = std::iter::once(account_subject).chain(ip_subject).collect();
            app.store.record_sign_in_failure(&subjects, now, &[record]).await?;
            Err(AppError::SignInFailed)
        }
    }
}

/// Replaces a hash made with older parameters. A failure only means the old hash stays.
async fn rehash(app: &App, user: &User, old: &str, password_raw: &str) {
    let params = app.settings.auth.password;
    let Ok(new_password) = NewPassword::parse(password_raw) else { return };
    let salt = random_bytes::<16>();
    if let Ok(Ok(hash)) = blocking(move || password::hash_password(&params, &new_password, salt)).await
        && let Err(e) = app.store.rehash_password(user.id, old, hash.as_str()).await
    {
        tracing::warn!(error = %e, "could not store a rehashed password");
    }
}

/// Starts a session for a user whose identity was proven (password now; an OIDC provider next).
pub async fn start_session(
    app: &App,
    user: &User,
    clear_failures: Vec<String>,
    detail: Detail,
) -> Result<SignedIn, AppError> {
    let now = app.clock.now();
    let token = Token::random(TokenKind::Session);
    let session = NewSession {
        id: SessionId::from_random_bytes(random_bytes()),
        token_hash: token.hash(),
        user: user.id,
        created_at: now,
        expires_at: now.checked_add(app.settings.auth.absolute()).map_err(|_| AppError::BadRequest("internal"))?,
    };
    let record = AuditRecord {
        at: now,
        organisation: user.organisation,
        actor: user_actor(user),
        action: action("auth.sign_in"),
        object: object("user", user.id),
        detail,
    };
    app.store.create_session(&session, &clear_failures, &[record]).await?;
    Ok(SignedIn { token, session: session.id, user: user.id })
}

/// The principal of a session cookie, with the session (for sign-out and the CSRF key), or `None`
/// when the cookie is malformed, unknown, revoked or timed out.
pub async fn session_principal(app: &App, cookie: &str) -> Result<Option<(Principal, ActiveSession, Token)>, AppError> {
    let Ok(token) = parse_token(cookie) else { return Ok(None) };
    if token.kind() != TokenKind::Session {
        return Ok(None);
    }
    let now = app.clock.now();
    let Some(session) = app.store.active_session(&token.hash(), now, app.settings.auth.idle()).await? else {
        return Ok(None);
    };
    let principal = Principal {
        user: session.user.id,
        name: label(&session.user.name),
        organisation: session.user.organisation,
        grants: session.grants.clone(),
        via: Via::Session,
    };
    Ok(Some((principal, session, token)))
}

/// The principal of an API token, acting with the token's one grant, or `None` when the token is
/// malformed, unknown, revoked, expired, or its grant is no longer the user's.
pub async fn api_token_principal(app: &App, bearer: &str) -> Result<Option<Principal>, AppError> {
    let Ok(token) = parse_token(bearer) else { return Ok(None) };
    if token.kind() != TokenKind::Api {
        return Ok(None);
    }
    let Some(active) = app.store.active_api_token(&token.hash(), app.clock.now()).await? else {
        return Ok(None);
    };
    if !active.user_grants.contains(&active.token.grant) {
        return Ok(None);
    }
    Ok(Some(Principal {
        user: active.user.id,
        name: label(&active.user.name),
        organisation: active.user.organisation,
        grants: vec![active.token.grant],
        via: Via::ApiToken(active.token.id),
    }))
}

fn own_record(p: &Principal, now: Timestamp, name: &str, detail: Detail) -> AuditRecord {
    AuditRecord {
        at: now,
        organisation: p.organisation,
        actor: p.actor(),
        action: action(name),
        object: object("user", p.user),
        detail,
    }
}

/// Ends this session.
pub async fn sign_out(app: &App, p: &Principal, session: SessionId) -> Result<(), AppError> {
    let now = app.clock.now();
    let record = own_record(p, now, "auth.sign_out", Detail::empty());
    app.store.revoke_session(session, now, &[record]).await?;
    Ok(())
}

/// Ends every session of the signed-in user, this one included.
pub async fn sign_out_everywhere(app: &App, p: &Principal) -> Result<(), AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    let now = app.clock.now();
    let record = own_record(p, now, "auth.sign_out_everywhere", Detail::empty());
    app.store.revoke_user_sessions(p.user, now, &[record]).await?;
    Ok(())
}

/// Checks a new password typed twice against the policy and hashes it.
async fn new_password_hash(app: &App, new: &str, repeat: &str) -> Result<String, AppError> {
    let new_password = NewPassword::parse(new).map_err(AppError::Password)?;
    if new != repeat {
        return Err(AppError::PasswordsDiffer);
    }
    let params = app.settings.auth.password;
    let salt = random_bytes::<16>();
    let hash = blocking(move || password::hash_password(&params, &new_password, salt))
        .await?
        .map_err(|_| AppError::BadRequest("internal"))?;
    Ok(hash.as_str().to_owned())
}

/// Changes the signed-in user's password. Every session of theirs ends (a stolen session does not
/// survive a password change); the caller gets a fresh one to continue in.
pub async fn change_password(
    app: &App,
    p: &Principal,
    current: &str,
    new: &str,
    repeat: &str,
) -> Result<SignedIn, AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    if p.via != Via::Session {
        return Err(AppError::Forbidden);
    }
    let user = app.store.get_user(p.user).await?.ok_or(AppError::Unauthenticated)?;
    let stored = user.password_hash.clone();
    let current_owned = current.to_owned();
    let ok = blocking(move || stored.is_some_and(|h| password::verify_password(&h, &current_owned))).await?;
    if !ok {
        return Err(AppError::WrongCurrentPassword);
    }
    let hash = new_password_hash(app, new, repeat).await?;
    let now = app.clock.now();
    let record = own_record(p, now, "auth.password_changed", Detail::empty());
    app.store.set_password(p.user, &hash, now, &[record]).await?;
    start_session(app, &user, Vec::new(), detail(json!({ "method": "password_change" }))).await
}

/// A one-time password link an administrator hands to a user (new account or forgotten password).
#[derive(Debug)]
pub struct ResetLink {
    /// The token, for the URL `/account/password/<token>`. Shown once; only its hash is stored.
    pub token: Token,
    pub expires_at: Timestamp,
}

/// Makes a password link for a user of the administrator's organisation. Earlier open links of
/// that user stop working.
pub async fn create_reset_link(app: &App, p: &Principal, user_id: UserId) -> Result<ResetLink, AppError> {
    let user = user_in_reach(app, p, user_id).await?;
    issue_reset_link(app, p.actor(), Some(p.user), &user).await
}

/// Stores a new password link for `user`, made by `actor`, with its audit entry.
pub(crate) async fn issue_reset_link(
    app: &App,
    actor: Actor,
    created_by: Option<UserId>,
    user: &User,
) -> Result<ResetLink, AppError> {
    let now = app.clock.now();
    let token = Token::random(TokenKind::PasswordReset);
    let hours = SignedDuration::from_hours(app.settings.auth.reset_link_hours);
    let expires_at = now.checked_add(hours).map_err(|_| AppError::BadRequest("internal"))?;
    let record = AuditRecord {
        at: now,
        organisation: user.organisation,
        actor,
        action: action("user.password_link_created"),
        object: object("user", user.id),
        detail: detail(json!({ "expires_at": expires_at.to_string() })),
    };
    app.store.create_password_reset(&token.hash(), user.id, created_by, now, expires_at, &[record]).await?;
    Ok(ResetLink { token, expires_at })
}

/// The account a password link is for, or [`AppError::ResetLinkInvalid`].
pub async fn reset_link_user(app: &App, raw: &str) -> Result<User, AppError> {
    let token = parse_token(raw).map_err(|_| AppError::ResetLinkInvalid)?;
    if token.kind() != TokenKind::PasswordReset {
        return Err(AppError::ResetLinkInvalid);
    }
    app.store.password_reset_user(&token.hash(), app.clock.now()).await?.ok_or(AppError::ResetLinkInvalid)
}

/// Sets a password with a link, once. The user then signs in as usual.
pub async fn complete_reset(app: &App, raw: &str, new: &str, repeat: &str) -> Result<UserId, AppError> {
    let token = parse_token(raw).map_err(|_| AppError::ResetLinkInvalid)?;
    if token.kind() != TokenKind::PasswordReset {
        return Err(AppError::ResetLinkInvalid);
    }
    let hash = new_password_hash(app, new, repeat).await?;
    let now = app.clock.now();
    let make = |user: &User| {
        vec![AuditRecord {
            at: now,
            organisation: user.organisation,
            actor: user_actor(user),
            action: action("auth.password_set_with_link"),
            object: object("user", user.id),
            detail: Detail::empty(),
        }]
    };
    app.store.complete_password_reset(&token.hash(), &hash, now, &make).await?.ok_or(AppError::ResetLinkInvalid)
}

/// A user the principal may administer: one of their organisation's, with `ManageUsers` there.
/// Anyone else's answers 404.
async fn user_in_reach(app: &App, p: &Principal, user_id: UserId) -> Result<User, AppError> {
    let user = app.store.get_user(user_id).await?.ok_or(AppError::NotFound("user"))?;
    let org = user.organisation.ok_or(AppError::NotFound("user"))?;
    p.authorize(Permission::ManageUsers, Target::Organisation(org))?;
    Ok(user)
}

/// An organisation's users with their grants (`ManageUsers`).
pub async fn list_users(app: &App, p: &Principal, org: OrganisationId) -> Result<Vec<UserWithGrants>, AppError> {
    p.authorize(Permission::ManageUsers, Target::Organisation(org))?;
    Ok(app.store.list_users(org).await?)
}

/// What an administrator types to add a user.
#[derive(Clone, Debug)]
pub struct NewUserForm {
    pub email: String,
    pub name: String,
    pub role: String,
    /// Empty for the whole organisation.
    pub centre: String,
}

/// The organisation's own mail domains, for the sign-in address rule.
async fn own_domains(app: &App, org: OrganisationId) -> Result<Vec<String>, AppError> {
    app.store.organisation_mail_domains(org).await?.ok_or(AppError::NotFound("organisation"))
}

/// Checks a sign-in address against the organisation's own domains (RS-10): staff accounts live
/// there, and a lookalike (`fred.dk` for `fredericia.dk`) is named as such.
pub(crate) async fn check_account_email(app: &App, org: OrganisationId, raw: &str) -> Result<String, AppError> {
    let domains = own_domains(app, org).await?;
    email_in_domains(raw, &domains)
}

/// The sign-in address as stored, when it lies in `domains` (RS-10); otherwise why not, naming a
/// lookalike's original.
pub(crate) fn email_in_domains(raw: &str, domains: &[String]) -> Result<String, AppError> {
    let email = normalise_email(raw);
    if email.is_empty() {
        return Err(AppError::Invalid { field: "email", error: TextError::Empty });
    }
    if email.chars().count() > MAX_EMAIL {
        return Err(AppError::Invalid { field: "email", error: TextError::TooLong { max: MAX_EMAIL } });
    }
    let checker = skranke_recipient::judge::Checker::new(domains, &[] as &[String])
        .map_err(|_| AppError::BadRequest("invalid_org_domain"))?;
    use skranke_recipient::judge::Judgement;
    match checker.judge(&email) {
        Judgement::Internal { .. } => Ok(email),
        Judgement::Invalid { .. } => Err(AppError::Invalid { field: "email", error: TextError::InvalidEmail }),
        Judgement::Lookalike { resembles, suggestion, .. } => Err(AppError::AccountEmailNotOwn {
            resembles: Some(resembles),
            suggestion: (!suggestion.is_empty()).then_some(suggestion),
        }),
        Judgement::Ok { .. } => Err(AppError::AccountEmailNotOwn { resembles: None, suggestion: None }),
    }
}

/// Parses a role and an optional centre into a grant of `org`. The centre must be the
/// organisation's own (looked up, never trusted from the form).
async fn parse_grant(app: &App, org: OrganisationId, role: &str, centre: &str) -> Result<Grant, AppError> {
    let role: Role = role.parse().map_err(|_| AppError::BadRequest("invalid_role"))?;
    let scope = if centre.trim().is_empty() {
        Scope::Organisation(org)
    } else {
        let id: CentreId = centre.trim().parse().map_err(|_| AppError::BadRequest("invalid_centre"))?;
        let c = app.store.get_centre(id).await?.ok_or(AppError::NotFound("centre"))?;
        if c.centre.organisation_id != org {
            return Err(AppError::NotFound("centre"));
        }
        Scope::Centre { organisation: org, centre: id }
    };
    Grant::new(role, scope).map_err(|_| AppError::BadRequest("grant_scope_not_allowed"))
}

/// Creates a user of `org` with one first role, and a password link to hand them.
pub async fn create_user(
    app: &App,
    p: &Principal,
    org: OrganisationId,
    form: &NewUserForm,
) -> Result<(UserId, ResetLink), AppError> {
    p.authorize(Permission::ManageUsers, Target::Organisation(org))?;
    let name = clean_line(&form.name, 120).map_err(|error| AppError::Invalid { field: "name", error })?;
    let email = check_account_email(app, org, &form.email).await?;
    let grant = parse_grant(app, org, &form.role, &form.centre).await?;
    if !access::may_assign(&p.grants, &grant) {
        return Err(AppError::Forbidden);
    }
    let now = app.clock.now();
    let user = User {
        id: UserId::from_random_bytes(random_bytes()),
        organisation: Some(org),
        email: email.clone(),
        name: name.clone(),
        password_hash: None,
        created_at: now,
        disabled_at: None,
        sessions_valid_after: Timestamp::UNIX_EPOCH,
    };
    let record = AuditRecord {
        at: now,
        organisation: Some(org),
        actor: p.actor(),
        action: action("user.created"),
        object: object("user", user.id),
        detail: detail(json!({ "email": email, "name": name, "grant": grant_json(&grant) })),
    };
    match app.store.create_user(&user, &[grant], &[record]).await {
        Ok(()) => {}
        Err(crate::store::StoreError::Duplicate(_)) => return Err(AppError::BadRequest("email_taken")),
        Err(e) => return Err(e.into()),
    }
    let link = create_reset_link(app, p, user.id).await?;
    Ok((user.id, link))
}

pub(crate) fn grant_json(g: &Grant) -> serde_json::Value {
    let scope = g.scope();
    json!({
        "role": g.role().as_str(),
        "organisation": scope.organisation().map(|o| o.to_string()),
        "centre": scope.centre().map(|c| c.to_string()),
    })
}

/// Gives a user one more role.
pub async fn grant_role(app: &App, p: &Principal, user_id: UserId, role: &str, centre: &str) -> Result<(), AppError> {
    change_role(app, p, user_id, role, centre, true).await
}

/// Takes a role away; the user's API tokens that used it stop working at once.
pub async fn revoke_role(app: &App, p: &Principal, user_id: UserId, role: &str, centre: &str) -> Result<(), AppError> {
    change_role(app, p, user_id, role, centre, false).await
}

/// Grants (`give`) or revokes a role of another user of the administrator's organisation. Nobody
/// changes their own roles: an administrator can neither lock themselves out nor raise themselves.
async fn change_role(
    app: &App,
    p: &Principal,
    user_id: UserId,
    role: &str,
    centre: &str,
    give: bool,
) -> Result<(), AppError> {
    let user = user_in_reach(app, p, user_id).await?;
    if user.id == p.user {
        return Err(AppError::BadRequest("own_roles"));
    }
    let org = user.organisation.ok_or(AppError::NotFound("user"))?;
    let grant = parse_grant(app, org, role, centre).await?;
    if !access::may_assign(&p.grants, &grant) {
        return Err(AppError::Forbidden);
    }
    let now = app.clock.now();
    let record = AuditRecord {
        at: now,
        organisation: Some(org),
        actor: p.actor(),
        action: action(if give { "user.role_granted" } else { "user.role_revoked" }),
        object: object("user", user.id),
        detail: detail(json!({ "grant": grant_json(&grant) })),
    };
    if give {
        app.store.add_grant(user.id, &grant, now, &[record]).await?;
    } else {
        app.store.remove_grant(user.id, &grant, now, &[record]).await?;
    }
    Ok(())
}

/// Disables or re-enables an account; disabling ends its sessions and stops its tokens.
pub async fn set_user_disabled(app: &App, p: &Principal, user_id: UserId, disabled: bool) -> Result<(), AppError> {
    let user = user_in_reach(app, p, user_id).await?;
    if user.id == p.user {
        return Err(AppError::BadRequest("own_roles"));
    }
    let now = app.clock.now();
    let record = AuditRecord {
        at: now,
        organisation: user.organisation,
        actor: p.actor(),
        action: action(if disabled { "user.disabled" } else { "user.enabled" }),
        object: object("user", user.id),
        detail: Detail::empty(),
    };
    app.store.set_user_disabled(user.id, disabled.then_some(now), now, &[record]).await?;
    Ok(())
}

/// A new API token: the record and the token text, which is shown this once.
#[derive(Debug)]
pub struct NewApiToken {
    pub record: ApiTokenRecord,
    pub token: Token,
}

/// Creates a personal API token acting with one of the user's own grants (by its index in
/// `p.grants`), for `days` days. Only from a signed-in session: a token cannot mint tokens.
pub async fn create_api_token(
    app: &App,
    p: &Principal,
    label_raw: &str,
    grant_index: usize,
    days: i64,
) -> Result<NewApiToken, AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    if p.via != Via::Session {
        return Err(AppError::Forbidden);
    }
    let label_text = clean_line(label_raw, 80).map_err(|error| AppError::Invalid { field: "label", error })?;
    let grant = *p.grants.get(grant_index).ok_or(AppError::BadRequest("invalid_role"))?;
    if !(1..=app.settings.auth.api_token_max_days).contains(&days) {
        return Err(AppError::BadRequest("invalid_token_days"));
    }
    let now = app.clock.now();
    let token = Token::random(TokenKind::Api);
    let record = ApiTokenRecord {
        id: ApiTokenId::from_random_bytes(random_bytes()),
        user: p.user,
        hint: token.hint(),
        label: label_text.clone(),
        grant,
        created_at: now,
        expires_at: Some(
            now.checked_add(SignedDuration::from_hours(24 * days)).map_err(|_| AppError::BadRequest("internal"))?,
        ),
        last_used_at: None,
        revoked_at: None,
    };
    let audit = AuditRecord {
        at: now,
        organisation: p.organisation,
        actor: p.actor(),
        action: action("api_token.created"),
        object: object("api_token", record.id),
        detail: detail(json!({ "label": label_text, "grant": grant_json(&grant), "days": days })),
    };
    app.store.create_api_token(&record, &token.hash(), &[audit]).await?;
    Ok(NewApiToken { record, token })
}

pub async fn list_api_tokens(app: &App, p: &Principal) -> Result<Vec<ApiTokenRecord>, AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    Ok(app.store.list_api_tokens(p.user).await?)
}

/// Revokes one of the user's own tokens; someone else's answers 404.
pub async fn revoke_api_token(app: &App, p: &Principal, id: ApiTokenId) -> Result<(), AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    let now = app.clock.now();
    let audit = AuditRecord {
        at: now,
        organisation: p.organisation,
        actor: p.actor(),
        action: action("api_token.revoked"),
        object: object("api_token", id),
        detail: Detail::empty(),
    };
    if app.store.revoke_api_token(id, p.user, now, &[audit]).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("api_token"))
    }
}

/// Searches the audit log of `org` (`None`: platform-level entries). `ViewAudit` there.
pub async fn search_audit(app: &App, p: &Principal, mut query: AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let target = match query.organisation {
        Some(org) => Target::Organisation(org),
        None => Target::Platform,
    };
    p.authorize(Permission::ViewAudit, target)?;
    query.limit = query.limit.clamp(1, 200);
    Ok(app.store.search_audit(&query).await?)
}
