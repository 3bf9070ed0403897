//! A `regclass` argument taken as its OID only. pgrx's `PgRelation` opens the relation while
//! unpacking the argument, so a dangling OID (`99999::regclass`) failed there with XX000;
//! `Source::resolve` looks the OID up itself and answers 42P01 instead.

use pgrx::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct RelArg(pub pg_sys::Oid);

impl FromDatum for RelArg {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        // SAFETY: a regclass datum is an Oid passed by value.
        unsafe { pg_sys::Oid::from_datum(datum, is_null) }.map(RelArg)
    }
}

impl IntoDatum for RelArg {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        self.0.into_datum()
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::REGCLASSOID
    }
}

pgrx::impl_sql_translatable!(RelArg, "regclass");

// SAFETY: mirrors pgrx's own impl for by-value types that unbox through FromDatum; SQL NULL is
// handled by `Option<RelArg>` in every signature that takes one.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for RelArg {
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
