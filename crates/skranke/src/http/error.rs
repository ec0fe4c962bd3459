//! HTTP errors: one JSON shape for the API (`{"error":{"code","message"}}`) and a friendly page
//! for browsers. Internal causes go to the log with an operation id, never to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::i18n::{Lang, t, tf};

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `slot_unavailable`.
    pub code: String,
    /// A sentence for people, in the request's language.
    pub message: String,
}

pub fn status_of(e: &AppError) -> StatusCode {
    use skranke_core::availability::SlotError;
    match e {
        AppError::Invalid { .. }
        | AppError::BadRequest(_)
        | AppError::NotBookableOnline
        | AppError::WrongCode { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Slot(SlotError::Full) => StatusCode::CONFLICT,
        AppError::Slot(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::CodeAttemptsExhausted | AppError::HoldExpired => StatusCode::GONE,
        AppError::InvalidState => StatusCode::CONFLICT,
        AppError::InvalidToken | AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::CsrfFailed => StatusCode::FORBIDDEN,
        AppError::SignInFailed => StatusCode::UNAUTHORIZED,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Password(_)
        | AppError::PasswordsDiffer
        | AppError::WrongCurrentPassword
        | AppError::AccountEmailNotOwn { .. }
        | AppError::DomainResembles { .. }
        | AppError::Field { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Stale | AppError::QueueConflict(_) => StatusCode::CONFLICT,
        AppError::QueueRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::ResetLinkInvalid => StatusCode::GONE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The sentence for an error, from the catalogue.
pub fn message_of(e: &AppError, lang: Lang) -> String {
    match e {
        AppError::WrongCode { attempts_left } => {
            tf(lang, "error.wrong_code", &[("attempts", &attempts_left.to_string())])
        }
        AppError::TooManyAttempts { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            tf(lang, "error.too_many_attempts", &[("minutes", &minutes.to_string())])
        }
        AppError::AccountEmailNotOwn { resembles, suggestion } => {
            let mut m = t(lang, "error.account_email_not_own").to_owned();
            if let Some(d) = resembles {
                m.push(' ');
                m.push_str(&tf(lang, "error.resembles", &[("domain", d)]));
            }
            if let Some(s) = suggestion {
                m.push(' ');
                m.push_str(&tf(lang, "error.did_you_mean", &[("address", s)]));
            }
            m
        }
        AppError::DomainResembles { domain, resembles } => {
            tf(lang, "error.domain_resembles", &[("domain", domain), ("resembles", resembles)])
        }
        AppError::Field { field, code } => {
            tf(lang, &format!("error.{code}"), &[("field", t(lang, &format!("field.{field}")))])
        }
        AppError::Invalid { field, .. } => {
            let field_name = t(lang, &format!("field.{field}"));
            tf(lang, &format!("error.{}", e.code()), &[("field", field_name)])
        }
        other => t(lang, &format!("error.{}", other.code())).to_owned(),
    }
}

/// Logs server-side failures with the full cause chain and returns an operation id for support.
pub fn log_if_server_error(e: &AppError) -> Option<String> {
    if !matches!(e, AppError::Internal(_) | AppError::Unavailable(_)) {
        return None;
    }
    let op: String = crate::app::random_hex(6);
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(operation_id = %op, error = %chain, "request failed");
    Some(op)
}

/// An `AppError` answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub lang: Lang,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let mut message = message_of(&self.error, self.lang);
        if let Some(op) = log_if_server_error(&self.error) {
            message = format!("{message} ({}: {op})", t(self.lang, "error.operation_id"));
        }
        let body = ErrorBody { error: ErrorDetail { code: self.error.code().to_owned(), message } };
        (status, Json(body)).into_response()
    }
}

/// An error in the request itself (bad JSON, bad path), before any use case ran.
pub fn bad_request(code: &'static str, lang: Lang) -> ApiError {
    ApiError { error: AppError::BadRequest(code), lang }
}
