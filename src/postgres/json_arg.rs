//! A `jsonb` argument parsed without panicking: pgrx's own `JsonB` panics (XX000) on jsonb that
//! serde_json cannot read, such as the number 1e400. Here the parse error is kept and reported
//! as a clean 22023 naming the argument.

use pgrx::prelude::*;

pub struct JsonArg(pub Result<serde_json::Value, String>);

impl FromDatum for JsonArg {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        if is_null {
            return None;
        }
        // SAFETY: PostgreSQL hands us a valid jsonb datum; jsonb_out detoasts it and returns a
        // palloc'd C string that lives until the end of the call.
        let text = unsafe { pgrx::direct_function_call::<&core::ffi::CStr>(pg_sys::jsonb_out, &[Some(datum)]) };
        let parsed = match text.map(|c| c.to_str()) {
            Some(Ok(s)) => serde_json::from_str(s).map_err(|e| e.to_string()),
            _ => Err("not valid UTF-8 jsonb".to_string()),
        };
        Some(JsonArg(parsed))
    }
}

impl IntoDatum for JsonArg {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        self.0.ok().and_then(|v| pgrx::JsonB(v).into_datum())
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

pgrx::impl_sql_translatable!(JsonArg, "jsonb");

impl JsonArg {
    pub fn value(&self, argument: &str) -> Result<&serde_json::Value, pgrx::pg_sys::panic::ErrorReport> {
        self.0.as_ref().map_err(|e| {
            crate::error::invalid_argument(
                format!("{argument}: cannot read this JSON ({e})"),
                "numbers must fit in a double precision float",
            )
        })
    }
}

// SAFETY: mirrors pgrx's own impl for types that unbox through FromDatum; a SQL NULL is
// handled by `Option<JsonArg>` in every signature that takes one.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for JsonArg {
    // Unreachable: every signature takes it as an Option; pgrx's own impls panic the same way.
    #[allow(clippy::panic)]
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }.unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: pgrx::callconv::Arg<'_, 'fcx>) -> pgrx::nullable::Nullable<Self> {
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}
