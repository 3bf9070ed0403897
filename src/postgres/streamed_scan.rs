//! A set-returning function in `FROM` whose rows stream through a custom scan node instead of
//! PostgreSQL's function scan. A function scan stores every row the function returns in a
//! tuplestore (spilling to a temporary file past `work_mem`) before the query reads the first;
//! this node asks the function's [`RowSource`] for one row at a time, so rows leave as they are
//! made, nothing is stored, and a `LIMIT` stops the work early.
//!
//! The planner hook takes over only a plain call of a function declared streamable
//! ([`declare_streamable`], from the function's planner support function, whose call also loads
//! this library before the hook is needed): one function, no `WITH ORDINALITY`, no column
//! definition list, no reference to other tables of the query (`LATERAL`), no whole-row
//! reference. `SET anomdet.stream_functions = off` leaves every function scan as it is.

use crate::error::{internal, raise};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{PgList, PgMemoryContexts};
use std::cell::RefCell;
use std::ffi::CStr;

/// Where a streamed scan's rows come from.
pub trait RowSource {
    /// The next row: every column of the function's row type, in order; false when there are
    /// no more.
    fn next(&mut self, values: &mut [pg_sys::Datum], nulls: &mut [bool]) -> Result<bool, ErrorReport>;

    /// The scan ends normally or starts over (not called when an error aborts the query: then
    /// the query's memory and temporary files go with the transaction).
    fn close(&mut self) {}

    /// How the rows are made, for EXPLAIN ANALYZE.
    fn describe(&self) -> &'static CStr;
}

/// Starts a call's rows from its evaluated arguments (in the function's argument order,
/// defaults filled in), its row type, and which of its columns the query reads (the others'
/// values are never looked at: a source may leave them NULL).
pub type Starter = fn(
    args: &[(pg_sys::Datum, bool)],
    row_type: pg_sys::TupleDesc,
    reads: &[bool],
) -> Result<Box<dyn RowSource>, ErrorReport>;

const NAME: &CStr = c"anomdet streamed rows";

thread_local! {
    /// The functions whose calls stream in this backend, as their support functions declared.
    static STREAMABLE: RefCell<Vec<(pg_sys::Oid, Starter)>> = const { RefCell::new(Vec::new()) };
}

/// Calls of `function` may stream, their rows started by `starter`.
pub fn declare_streamable(function: pg_sys::Oid, starter: Starter) {
    STREAMABLE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.iter().any(|(f, _)| *f == function) {
            s.push((function, starter));
        }
    });
}

fn starter_of(function: pg_sys::Oid) -> Option<Starter> {
    STREAMABLE.with(|s| s.borrow().iter().find(|(f, _)| *f == function).map(|(_, st)| *st))
}

/// The method tables PostgreSQL keeps pointers to; they hold C strings, so say they may be shared.
struct Methods<T>(T);
// SAFETY: immutable tables of a constant name and function pointers, read by one backend thread.
unsafe impl<T> Sync for Methods<T> {}

static PATH_METHODS: Methods<pg_sys::CustomPathMethods> = Methods(pg_sys::CustomPathMethods {
    CustomName: NAME.as_ptr(),
    PlanCustomPath: Some(plan_path),
    ReparameterizeCustomPathByChild: None,
});

static SCAN_METHODS: Methods<pg_sys::CustomScanMethods> =
    Methods(pg_sys::CustomScanMethods { CustomName: NAME.as_ptr(), CreateCustomScanState: Some(create_state) });

static EXEC_METHODS: Methods<pg_sys::CustomExecMethods> = Methods(pg_sys::CustomExecMethods {
    CustomName: NAME.as_ptr(),
    BeginCustomScan: Some(begin),
    ExecCustomScan: Some(exec),
    EndCustomScan: Some(end),
    ReScanCustomScan: Some(rescan),
    ExplainCustomScan: Some(explain),
    // SAFETY: the remaining members are optional callbacks; all-zero is None for each.
    ..unsafe { std::mem::zeroed() }
});

static mut PREVIOUS_HOOK: pg_sys::set_rel_pathlist_hook_type = None;

/// Install the planner hook and make the node known (from `_PG_init`, once per backend).
pub fn install() {
    // SAFETY: _PG_init runs once, before any planning in this backend; the previous hook is
    // kept and called first.
    unsafe {
        PREVIOUS_HOOK = pg_sys::set_rel_pathlist_hook;
        pg_sys::set_rel_pathlist_hook = Some(on_rel_pathlist);
        pg_sys::RegisterCustomScanMethods(&SCAN_METHODS.0);
    }
}

// ---- planning ----

#[pg_guard]
unsafe extern "C-unwind" fn on_rel_pathlist(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    rti: pg_sys::Index,
    rte: *mut pg_sys::RangeTblEntry,
) {
    // SAFETY: the planner's own arguments, valid for the call.
    unsafe {
        if let Some(previous) = PREVIOUS_HOOK {
            previous(root, rel, rti, rte);
        }
        if !crate::settings::STREAM_FUNCTIONS.get() || streamed_call(rel, rte).is_none() || !reads_plain_columns(rel) {
            return;
        }
        let Some(first) = PgList::<pg_sys::Path>::from_pg((*rel).pathlist).get_ptr(0).and_then(|p| p.as_ref()) else {
            return;
        };
        let path = pg_sys::palloc0(std::mem::size_of::<pg_sys::CustomPath>()) as *mut pg_sys::CustomPath;
        (*path).path.type_ = pg_sys::NodeTag::T_CustomPath;
        (*path).path.pathtype = pg_sys::NodeTag::T_CustomScan;
        (*path).path.parent = rel;
        (*path).path.pathtarget = (*rel).reltarget;
        (*path).path.rows = (*rel).rows;
        // No cheaper to run than the function scan, but it replaces it: nothing is stored.
        (*path).path.startup_cost = first.startup_cost;
        (*path).path.total_cost = first.total_cost;
        (*path).methods = &PATH_METHODS.0;
        (*rel).pathlist = std::ptr::null_mut();
        pg_sys::add_path(rel, path as *mut pg_sys::Path);
    }
}

/// The function call of `rte` when this node can stream it.
unsafe fn streamed_call(
    rel: *mut pg_sys::RelOptInfo,
    rte: *mut pg_sys::RangeTblEntry,
) -> Option<*mut pg_sys::FuncExpr> {
    // SAFETY: planner structures, read only.
    unsafe {
        if (*rte).rtekind != pg_sys::RTEKind::RTE_FUNCTION
            || (*rte).funcordinality
            || (*rel).reloptkind != pg_sys::RelOptKind::RELOPT_BASEREL
            || !no_relids((*rel).lateral_relids)
        {
            return None;
        }
        let functions = PgList::<pg_sys::RangeTblFunction>::from_pg((*rte).functions);
        let call = if functions.len() == 1 { functions.get_ptr(0)? } else { return None };
        let expr = (*call).funcexpr as *mut pg_sys::FuncExpr;
        if expr.is_null()
            || (*expr).xpr.type_ != pg_sys::NodeTag::T_FuncExpr
            || !(*call).funccolnames.is_null()
            || starter_of((*expr).funcid).is_none()
            || pg_sys::contain_subplans((*expr).args as *mut pg_sys::Node)
        {
            return None;
        }
        Some(expr)
    }
}

/// An empty set of relations (PostgreSQL 16 on keeps an empty set as NULL only).
unsafe fn no_relids(set: *mut pg_sys::Bitmapset) -> bool {
    #[cfg(feature = "pg15")]
    // SAFETY: a planner Bitmapset (or NULL).
    return unsafe { pg_sys::bms_is_empty(set) };
    #[cfg(not(feature = "pg15"))]
    return set.is_null();
}

/// Whether every column the query reads of `rel` is a plain column of the call (no whole-row
/// reference, which the scan tuple cannot hold).
unsafe fn reads_plain_columns(rel: *mut pg_sys::RelOptInfo) -> bool {
    // SAFETY: planner structures, read only.
    unsafe {
        let relid = (*rel).relid as i32;
        let plain = |node: *mut pg_sys::Node| {
            node_vars(node).iter().all(|&v| (*v).varno == relid && (*v).varattno > 0 && (*v).varlevelsup == 0)
        };
        let target = PgList::<pg_sys::Node>::from_pg((*(*rel).reltarget).exprs);
        let quals = PgList::<pg_sys::RestrictInfo>::from_pg((*rel).baserestrictinfo);
        target.iter_ptr().all(|e| (*e).type_ == pg_sys::NodeTag::T_Var && plain(e))
            && quals.iter_ptr().all(|r| plain((*r).clause as *mut pg_sys::Node))
    }
}

/// The Vars in an expression (placeholders, aggregates and window functions looked into).
unsafe fn node_vars(node: *mut pg_sys::Node) -> Vec<*mut pg_sys::Var> {
    let flags = pg_sys::PVC_RECURSE_AGGREGATES | pg_sys::PVC_RECURSE_WINDOWFUNCS | pg_sys::PVC_RECURSE_PLACEHOLDERS;
    // SAFETY: a planner expression; pull_var_clause returns a new list of its Vars.
    unsafe {
        let vars = pg_sys::pull_var_clause(node, flags as i32);
        PgList::<pg_sys::Var>::from_pg(vars).iter_ptr().collect()
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn plan_path(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    best_path: *mut pg_sys::CustomPath,
    tlist: *mut pg_sys::List,
    clauses: *mut pg_sys::List,
    _custom_plans: *mut pg_sys::List,
) -> *mut pg_sys::Plan {
    // SAFETY: the planner's own arguments; the hook checked this rel is a streamable call.
    unsafe {
        let rte = *(*root).simple_rte_array.add((*rel).relid as usize);
        let Some(call) = streamed_call(rel, rte) else {
            raise(internal("streamed scan: the call is no longer streamable"))
        };
        let quals = pg_sys::extract_actual_clauses(clauses, false);
        let row_type = pg_sys::get_expr_result_tupdesc(call as *mut pg_sys::Node, false);
        // The scan tuple: the columns the target list and the quals read, each once.
        let mut columns: Vec<i16> = Vec::new();
        for node in [tlist as *mut pg_sys::Node, quals as *mut pg_sys::Node] {
            for v in node_vars(node) {
                if (*v).varattno <= 0 || (*v).varattno > (*row_type).natts as i16 {
                    raise(internal(format!("streamed scan: column {} of the call is read", (*v).varattno)));
                }
                if !columns.contains(&(*v).varattno) {
                    columns.push((*v).varattno);
                }
            }
        }
        let mut scan_tlist = PgList::<pg_sys::TargetEntry>::new();
        let mut private = PgList::<pg_sys::Node>::new();
        private.push(pg_sys::copyObjectImpl(call as *const _) as *mut pg_sys::Node);
        let row_desc = pgrx::PgTupleDesc::from_pg_unchecked(row_type);
        for (i, &attno) in columns.iter().enumerate() {
            let Some(attr) = row_desc.get(attno as usize - 1) else {
                raise(internal(format!("streamed scan: the call has no column {attno}")))
            };
            let var = pg_sys::makeVar((*rel).relid as _, attno, attr.atttypid, attr.atttypmod, attr.attcollation, 0);
            scan_tlist.push(pg_sys::makeTargetEntry(
                var as *mut pg_sys::Expr,
                (i + 1) as i16,
                std::ptr::null_mut(),
                false,
            ));
            private.push(pg_sys::makeInteger(i32::from(attno)) as *mut pg_sys::Node);
        }
        let scan = pg_sys::palloc0(std::mem::size_of::<pg_sys::CustomScan>()) as *mut pg_sys::CustomScan;
        (*scan).scan.plan.type_ = pg_sys::NodeTag::T_CustomScan;
        (*scan).scan.plan.targetlist = tlist;
        (*scan).scan.plan.qual = quals;
        (*scan).scan.scanrelid = 0; // not a table: the scan tuple is `custom_scan_tlist`
        (*scan).flags = (*best_path).flags;
        (*scan).custom_scan_tlist = scan_tlist.into_pg();
        (*scan).custom_exprs = pg_sys::copyObjectImpl((*call).args as *const _) as *mut pg_sys::List;
        (*scan).custom_private = private.into_pg();
        (*scan).methods = &SCAN_METHODS.0;
        scan as *mut pg_sys::Plan
    }
}

// ---- execution ----

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
unsafe extern "C-unwind" fn create_state(_scan: *mut pg_sys::CustomScan) -> *mut pg_sys::Node {
    // SAFETY: a zeroed node of our size; ExecInitCustomScan fills PostgreSQL's part.
    unsafe {
        let state = pg_sys::palloc0(std::mem::size_of::<StreamState>()) as *mut StreamState;
        (*state).css.ss.ps.type_ = pg_sys::NodeTag::T_CustomScanState;
        (*state).css.methods = &EXEC_METHODS.0;
        state as *mut pg_sys::Node
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn begin(node: *mut pg_sys::CustomScanState, estate: *mut pg_sys::EState, _eflags: i32) {
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
unsafe extern "C-unwind" fn exec(node: *mut pg_sys::CustomScanState) -> *mut pg_sys::TupleTableSlot {
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
unsafe extern "C-unwind" fn end(node: *mut pg_sys::CustomScanState) {
    // SAFETY: our node, begun.
    unsafe { (*(*(node as *mut StreamState)).stream).close() }
}

#[pg_guard]
unsafe extern "C-unwind" fn rescan(node: *mut pg_sys::CustomScanState) {
    // SAFETY: our node, begun. The arguments are evaluated again (their parameters may have changed).
    unsafe {
        let stream = &mut *(*(node as *mut StreamState)).stream;
        stream.close();
        stream.ended = false;
        pg_sys::ExecScanReScan(&mut (*node).ss);
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn explain(
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
