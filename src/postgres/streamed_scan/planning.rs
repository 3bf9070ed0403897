//! Planning: the hook that puts the custom scan in place of a streamable call's function scan,
//! and the plan node made from it.

use super::{PATH_METHODS, SCAN_METHODS, starter_of};
use crate::error::{internal, raise};
use pgrx::PgList;
use pgrx::pg_sys;
use pgrx::prelude::*;

#[pg_guard]
pub(super) unsafe extern "C-unwind" fn on_rel_pathlist(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    rti: pg_sys::Index,
    rte: *mut pg_sys::RangeTblEntry,
) {
    // SAFETY: the planner's own arguments, valid for the call.
    unsafe {
        if let Some(previous) = super::PREVIOUS_HOOK {
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
            || !crate::postgres::pg_version::relids_empty((*rel).lateral_relids)
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
pub(super) unsafe extern "C-unwind" fn plan_path(
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
