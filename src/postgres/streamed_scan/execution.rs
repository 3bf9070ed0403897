//! Execution: the node's state, the arguments evaluated once, and each row pulled from the
//! source into the scan slot.

use super::{EXEC_METHODS, RowSource, Starter, starter_of};
use crate::error::{internal, raise};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{PgList, PgMemoryContexts};
use std::ffi::CStr;

/// The node's state: PostgreSQL's part first, then ours.
#[repr(C)]
struct StreamState {
    css: pg_sys::CustomScanState,
    /// Owned by the query's memory context, dropped with it (also when an error aborts).
    stream: *mut Stream,
}

struct Stream {
    starter: Starter,
    /// The query's memory: what the source allocates in PostgreSQL lives as long as the scan.
    query_memory: pg_sys::MemoryContext,
    /// The arguments, ready to evaluate (ExprStates).
    args: *mut pg_sys::List,
    row_type: pg_sys::TupleDesc,
    /// Scan column i holds the function's column `columns[i]` (0-based).
    columns: Vec<usize>,
    row_values: Vec<pg_sys::Datum>,
    row_nulls: Vec<bool>,
    source: Option<Box<dyn RowSource>>,
    ended: bool,
    /// The source's `describe`, once started.
    described: Option<&'static CStr>,
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn create_state(_scan: *mut pg_sys::CustomScan) -> *mut pg_sys::Node {
    // SAFETY: a zeroed node of our size; ExecInitCustomScan fills PostgreSQL's part.
    unsafe {
        let state = pg_sys::palloc0(std::mem::size_of::<StreamState>()) as *mut StreamState;
        (*state).css.ss.ps.type_ = pg_sys::NodeTag::T_CustomScanState;
        (*state).css.methods = &EXEC_METHODS.0;
        state as *mut pg_sys::Node
    }
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn begin(
    node: *mut pg_sys::CustomScanState,
    estate: *mut pg_sys::EState,
    _eflags: i32,
) {
    // SAFETY: our node (create_state), its plan (plan_path), and the executor's state.
    unsafe {
        let state = node as *mut StreamState;
        let scan = (*node).ss.ps.plan as *mut pg_sys::CustomScan;
        let private = PgList::<pg_sys::Node>::from_pg((*scan).custom_private);
        let call = private.get_ptr(0).unwrap_or(std::ptr::null_mut()) as *mut pg_sys::FuncExpr;
        let starter = match call.as_ref().and_then(|c| starter_of(c.funcid)) {
            Some(s) => s,
            None => raise(internal("streamed scan: the function is not declared streamable")),
        };
        let row_type = pg_sys::get_expr_result_tupdesc(call as *mut pg_sys::Node, false);
        let columns = (1..private.len())
            .filter_map(|i| private.get_ptr(i))
            .map(|n| (*(n as *mut pg_sys::Integer)).ival as usize - 1)
            .collect();
        let width = (*row_type).natts as usize;
        let stream = Stream {
            starter,
            query_memory: (*estate).es_query_cxt,
            args: pg_sys::ExecInitExprList((*scan).custom_exprs, &mut (*node).ss.ps),
            row_type,
            columns,
            row_values: vec![pg_sys::Datum::null(); width],
            row_nulls: vec![true; width],
            source: None,
            ended: false,
            described: None,
        };
        (*state).stream = PgMemoryContexts::For((*estate).es_query_cxt).leak_and_drop_on_delete(stream);
    }
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn exec(node: *mut pg_sys::CustomScanState) -> *mut pg_sys::TupleTableSlot {
    // SAFETY: our node, begun.
    unsafe {
        let rechecking = !(*(*node).ss.ps.state).es_epq_active.is_null();
        if (*node).ss.ps.qual.is_null() && (*node).ss.ps.ps_ProjInfo.is_null() && !rechecking {
            // Nothing to filter or compute: the scan tuple is the row (no call into ExecScan).
            return next_row(&mut (*node).ss);
        }
        pg_sys::ExecScan(&mut (*node).ss, Some(next_row_guarded), Some(recheck))
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn next_row_guarded(ss: *mut pg_sys::ScanState) -> *mut pg_sys::TupleTableSlot {
    // SAFETY: ExecScan passes our node's ScanState.
    unsafe { next_row(ss) }
}

#[pg_guard]
unsafe extern "C-unwind" fn recheck(_ss: *mut pg_sys::ScanState, _slot: *mut pg_sys::TupleTableSlot) -> bool {
    true
}

/// The next row in the scan slot, or the slot emptied at the end.
unsafe fn next_row(ss: *mut pg_sys::ScanState) -> *mut pg_sys::TupleTableSlot {
    // SAFETY: `ss` is the first member of our StreamState; the slot is the node's scan slot,
    // of `custom_scan_tlist`'s columns.
    unsafe {
        let state = ss as *mut StreamState;
        let stream = &mut *(*state).stream;
        let slot = (*ss).ss_ScanTupleSlot;
        if let Some(clear) = (*(*slot).tts_ops).clear {
            clear(slot);
        }
        match stream.advance(&mut (*ss).ps) {
            Ok(true) => {
                let values = (*slot).tts_values;
                let nulls = (*slot).tts_isnull;
                for (i, &c) in stream.columns.iter().enumerate() {
                    *values.add(i) = stream.row_values[c];
                    *nulls.add(i) = stream.row_nulls[c];
                }
                // ExecStoreVirtualTuple, inline.
                (*slot).tts_flags &= !(pg_sys::TTS_FLAG_EMPTY as u16);
                (*slot).tts_nvalid = stream.columns.len() as i16;
                slot
            }
            Ok(false) => slot,
            Err(e) => raise(e),
        }
    }
}

impl Stream {
    /// The next row into `row_values`, starting the source on the first call.
    unsafe fn advance(&mut self, ps: *mut pg_sys::PlanState) -> Result<bool, ErrorReport> {
        if self.ended {
            return Ok(false);
        }
        if self.source.is_none() {
            // SAFETY: the node's expression context; argument values are read by the starter
            // before anything resets it.
            let args = unsafe { self.evaluate_args((*ps).ps_ExprContext) };
            let (starter, row_type) = (self.starter, self.row_type);
            // SAFETY: the query's memory context outlives the scan; switched back on return.
            let mut reads = vec![false; self.row_values.len()];
            self.columns.iter().for_each(|&c| reads[c] = true);
            let source =
                unsafe { PgMemoryContexts::For(self.query_memory).switch_to(|_| starter(&args, row_type, &reads)) }?;
            self.described = Some(source.describe());
            self.source = Some(source);
        }
        let Some(source) = self.source.as_mut() else { return Ok(false) };
        let more = source.next(&mut self.row_values, &mut self.row_nulls)?;
        if !more {
            self.ended = true;
            self.close();
        }
        Ok(more)
    }

    unsafe fn evaluate_args(&self, econtext: *mut pg_sys::ExprContext) -> Vec<(pg_sys::Datum, bool)> {
        // SAFETY: ExecInitExprList's states, evaluated in the node's context (guarded calls).
        unsafe {
            PgList::<pg_sys::ExprState>::from_pg(self.args)
                .iter_ptr()
                .map(|arg| {
                    let mut null = false;
                    let value = pg_sys::ExecEvalExprSwitchContext(arg, econtext, &mut null);
                    (value, null)
                })
                .collect()
        }
    }

    fn close(&mut self) {
        if let Some(mut source) = self.source.take() {
            source.close();
        }
    }
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn end(node: *mut pg_sys::CustomScanState) {
    // SAFETY: our node, begun.
    unsafe { (*(*(node as *mut StreamState)).stream).close() }
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn rescan(node: *mut pg_sys::CustomScanState) {
    // SAFETY: our node, begun. The arguments are evaluated again (their parameters may have changed).
    unsafe {
        let stream = &mut *(*(node as *mut StreamState)).stream;
        stream.close();
        stream.ended = false;
        pg_sys::ExecScanReScan(&mut (*node).ss);
    }
}

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn explain(
    node: *mut pg_sys::CustomScanState,
    _ancestors: *mut pg_sys::List,
    es: *mut pg_sys::ExplainState,
) {
    // SAFETY: our node, begun; EXPLAIN's own state.
    unsafe {
        if let Some(described) = (*(*(node as *mut StreamState)).stream).described {
            pg_sys::ExplainPropertyText(c"Rows".as_ptr(), described.as_ptr(), es);
        }
    }
}
