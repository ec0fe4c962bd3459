use skranke_core::availability::SlotError;
use skranke_core::text::TextError;

use crate::store::StoreError;

/// What a use case can answer besides success. Each variant has a stable `code()` (the API's
/// error code and the catalogue key `error.<code>`) and an HTTP status in `http::error`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid {field}: {error}")]
    Invalid { field: &'static str, error: TextError },
    #[error("invalid request: {0}")]
    BadRequest(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Slot(SlotError),
    #[error("the service cannot be booked online")]
    NotBookableOnline,
    #[error("wrong code; {attempts_left} attempts left")]
    WrongCode { attempts_left: u8 },
    #[error("too many wrong codes; the hold was released")]
    CodeAttemptsExhausted,
    #[error("the hold has expired")]
    HoldExpired,
    #[error("the booking is not in a state that allows this")]
    InvalidState,
    #[error("missing or wrong manage token")]
    InvalidToken,
    /// No valid session or API token: sign in first.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but the role does not allow this here.
    #[error("not allowed")]
    Forbidden,
    /// A state-changing request without its session's CSRF token.
    #[error("missing or wrong CSRF token")]
    CsrfFailed,
    /// Wrong e-mail or password. Deliberately one error for both, so the answer does not tell
    /// whether the account exists.
    #[error("sign-in failed")]
    SignInFailed,
    #[error("too many failed sign-ins; retry after {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("the new password is refused: {0}")]
    Password(crate::auth::password::PasswordPolicyError),
    #[error("the two new passwords differ")]
    PasswordsDiffer,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the password link is unknown, used or expired")]
    ResetLinkInvalid,
    /// A sign-in address outside the organisation's own mail domains (RS-10); `resembles` names
    /// the own or protected domain it looks like, `suggestion` the address probably meant.
    #[error("the address is not in the organisation's own mail domains")]
    AccountEmailNotOwn { resembles: Option<String>, suggestion: Option<String> },
    /// A form field refused for a reason with its own catalogue message (`error.<code>`, which
    /// may name the field).
    #[error("invalid {field}: {code}")]
    Field { field: &'static str, code: &'static str },
    /// The form was loaded before someone else changed the same thing.
    #[error("changed by someone else meanwhile")]
    Stale,
    /// An own mail domain that looks like a protected one (RS-61): kept only with a written reason.
    #[error("{domain} resembles {resembles}; a written reason is required")]
    DomainResembles { domain: String, resembles: String },
    /// A queue step that does not fit what the visit, desk or queue is doing now (`error.<code>`).
    #[error("queue conflict: {0}")]
    QueueConflict(&'static str),
    /// A queue request that can never succeed as asked (`error.<code>`).
    #[error("queue request refused: {0}")]
    QueueRefused(&'static str),
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { error, .. } => match error {
                TextError::InvalidEmail => "invalid_email",
                TextError::InvalidPhone => "invalid_phone",
                TextError::TooLong { .. } => "too_long",
                TextError::ControlCharacter => "control_character",
                TextError::Empty => "missing_value",
            },
            AppError::BadRequest(code) => code,
            AppError::NotFound(_) => "not_found",
            AppError::Slot(e) => e.code(),
            AppError::NotBookableOnline => "not_bookable_online",
            AppError::WrongCode { .. } => "wrong_code",
            AppError::CodeAttemptsExhausted => "code_attempts_exhausted",
            AppError::HoldExpired => "hold_expired",
            AppError::InvalidState => "invalid_state",
            AppError::InvalidToken => "invalid_token",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::CsrfFailed => "csrf_failed",
            AppError::SignInFailed => "sign_in_failed",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::Password(e) => e.code(),
            AppError::PasswordsDiffer => "passwords_differ",
            AppError::WrongCurrentPassword => "wrong_current_password",
            AppError::ResetLinkInvalid => "reset_link_invalid",
            AppError::AccountEmailNotOwn { .. } => "account_email_not_own",
            AppError::DomainResembles { .. } => "domain_resembles",
            AppError::Field { code, .. } => code,
            AppError::Stale => "stale",
            AppError::QueueConflict(code) | AppError::QueueRefused(code) => code,
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// Which input field the error is about, for forms.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { field, .. } | AppError::Field { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::SlotTaken => AppError::Slot(SlotError::Full),
            StoreError::HoldExpired => AppError::HoldExpired,
            StoreError::Conflict => AppError::InvalidState,
            StoreError::Database(ref db) if is_transient(db) => AppError::Unavailable(e),
            other => AppError::Internal(other),
        }
    }
}

/// A failure of the moment, not of the request: answered 503 ("try again shortly"), not 500.
/// Besides lost connections and lock timeouts, a full disk (SQLite `SQLITE_FULL`, PostgreSQL
/// `disk_full`): nothing was written, and the request will succeed once space is freed.
fn is_transient(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
        || matches!(e, sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("5" | "6" | "13" | "40001" | "40P01" | "57P01" | "53100")))
}
