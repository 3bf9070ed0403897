//! Errors that reach the user: always a SQLSTATE, a message naming the argument, and a hint.
//! Returning `Result<_, ErrorReport>` from a `#[pg_extern]` keeps the SQLSTATE; a panic would
//! become XX000, which we never want a user to see.

use anomdet_core::ParamError;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

pub type Code = PgSqlErrorCode;

pub fn error(code: Code, message: impl Into<String>, hint: impl Into<String>) -> ErrorReport {
    ErrorReport::new(code, message.into(), "anomdet").set_hint(hint)
}

pub fn invalid_argument(message: impl Into<String>, hint: impl Into<String>) -> ErrorReport {
    error(Code::ERRCODE_INVALID_PARAMETER_VALUE, message, hint)
}

/// Internal failures (an SPI status we did not expect): still a clean error, never a panic.
pub fn internal(what: impl std::fmt::Display) -> ErrorReport {
    error(Code::ERRCODE_INTERNAL_ERROR, format!("anomdet internal error: {what}"), "please report this as a bug")
}

pub trait OrReport<T> {
    fn or_report(self) -> Result<T, ErrorReport>;
}

impl<T> OrReport<T> for Result<T, pgrx::spi::SpiError> {
    fn or_report(self) -> Result<T, ErrorReport> {
        self.map_err(internal)
    }
}

/// A parameter error of a detector (`listing` = "detectors") or injection method ("injectors").
pub fn param_error(listing: &str, name: &str, e: ParamError) -> ErrorReport {
    let hint = match &e {
        ParamError::Unknown { valid, .. } if valid.is_empty() => format!("{name} takes no parameters; pass '{{}}'"),
        ParamError::Unknown { valid, .. } => format!("valid parameters of {name}: {}", valid.join(", ")),
        ParamError::OutOfRange { .. } | ParamError::WrongType { .. } => {
            format!("SELECT params FROM anomdet.{listing}() WHERE name = '{name}' shows every parameter with its range")
        }
        ParamError::NotAnObject(_) => "pass a JSON object of named parameters, or '{}' for all defaults".to_string(),
        ParamError::BadMember { valid, .. } if !valid.is_empty() => {
            format!("detectors that can be members: {}", valid.join(", "))
        }
        ParamError::BadMember { .. } => {
            "a member is a detector name or {\"detector\": name, \"params\": {...}}".to_string()
        }
        ParamError::InMember { detector, .. } => {
            format!("SELECT params FROM anomdet.detectors() WHERE name = '{detector}' shows that member's parameters")
        }
    };
    invalid_argument(format!("params: {e}"), hint)
}

/// Unwrap a SQL argument that may not be NULL, naming it in the error.
pub fn required<T>(argument: &str, value: Option<T>) -> Result<T, ErrorReport> {
    value.ok_or_else(|| {
        error(
            Code::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{argument} must not be NULL"),
            format!("pass a value for {argument}"),
        )
    })
}

/// Raise `e` from a callback PostgreSQL calls, which has no `Result` to return it in.
pub fn raise(e: ErrorReport) -> ! {
    e.report(pgrx::PgLogLevel::ERROR);
    unreachable!("an ERROR does not return")
}
