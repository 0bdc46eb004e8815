//! The state of one run of a plan: where it runs (the container's
//! finalizers, the active scope), its frames, who owns what it builds, and
//! the refusals found before it starts.

use std::sync::Arc;

use dioxide_core::KeyMap;
use dioxide_core::Lifetime;
use pyo3::prelude::*;
use smallvec::SmallVec;

use super::cell::InstanceCell;
use super::compiled::ExecPlan;
use super::errors::{DioxideError, ErrorKind};
use super::lifecycle::Finalizers;
use super::owner::ScopeState;
use super::plan::{ExecNode, Kind};

/// Where a resolution runs: the container's finalizers and the active scope.
pub(crate) struct Ctx<'a> {
    pub(crate) container_finalizers: &'a Finalizers,
    pub(crate) scope: Option<&'a Arc<ScopeState>>,
    /// The container resolved from: `Lazy` handles made by the run resolve
    /// from it (and from the scope, for what a scope's instance holds).
    pub(crate) source: &'a Py<PyAny>,
}

pub(crate) struct Frame {
    pub(crate) node: usize,
    pub(crate) next: usize,
    pub(crate) base: usize,
    pub(crate) started: bool,
    pub(crate) claimed: Option<Arc<InstanceCell>>,
}

impl Frame {
    pub(crate) fn new(node: usize, base: usize) -> Self {
        Self {
            node,
            next: 0,
            base,
            started: false,
            claimed: None,
        }
    }
}

/// Whatever was half-built is dropped; release the slots a run claimed so
/// the next resolve (here or in another thread or task) retries.
pub(crate) fn release_claims(py: Python<'_>, frames: &[Frame]) {
    for frame in frames {
        if let Some(cell) = &frame.claimed {
            cell.release(py);
        }
    }
}

/// Refuse before anything is built when the plan needs a scope it runs
/// without, or an async provider (this executor runs synchronously): the
/// plan says whether that can happen, so plans without scoped or async
/// nodes pay nothing here.
#[inline]
pub(crate) fn refuse_early(
    py: Python<'_>,
    plan: &ExecPlan,
    ctx: &Ctx<'_>,
    root: usize,
    awaiting: bool,
) -> PyResult<()> {
    let facts = &plan.plan;
    let open = ctx.scope.map(|s| (s.depth, s.level));
    if !(facts.awaits && !awaiting || facts.may_need_scope(open.map(|(d, _)| d))) {
        return Ok(());
    }
    refuse_early_slow(py, plan, ctx, root, awaiting, open)
}

#[cold]
#[inline(never)]
fn refuse_early_slow(
    py: Python<'_>,
    plan: &ExecPlan,
    ctx: &Ctx<'_>,
    root: usize,
    awaiting: bool,
    open: Option<(usize, dioxide_core::Level)>,
) -> PyResult<()> {
    let facts = &plan.plan;
    let available = |index: usize| {
        plan.nodes.get(index).is_some_and(|node| {
            node.kind == Kind::Instance
                || node.cell.as_ref().is_some_and(|c| c.get().is_some())
                || node.lifetime.is_scoped()
                    && ctx
                        .scope
                        .and_then(|s| s.owner(node.depth))
                        .is_some_and(|s| s.has_built(node.scope_key))
        })
    };
    let Some(refusal) = facts.refusal(root, open, awaiting, available) else {
        return Ok(());
    };
    let types: KeyMap<Py<PyAny>> = plan
        .nodes
        .iter()
        .map(|n| (n.key, n.provides.clone_ref(py)))
        .collect();
    let mut error = super::render::render(py, &refusal, &types);
    if awaiting
        && matches!(
            refusal,
            dioxide_core::DomainError::NeedsScope { open: None, .. }
        )
    {
        let scoped = error.names.last().cloned().unwrap_or_default();
        error = error.with_hint(format!(
            "use `async with container.create_scope() as scope: await scope.aresolve(...)`, \
             or register {scoped} as a singleton or transient"
        ));
    }
    Err(error.into_pyerr(py))
}

pub(crate) fn node_at<'a>(
    py: Python<'_>,
    plan: &'a ExecPlan,
    index: usize,
) -> PyResult<&'a ExecNode> {
    plan.nodes.get(index).ok_or_else(|| {
        DioxideError::new(ErrorKind::Resolution, "corrupt resolution plan").into_pyerr(py)
    })
}

pub(crate) fn chain(py: Python<'_>, plan: &ExecPlan, frames: &[Frame]) -> Vec<Py<PyAny>> {
    frames
        .iter()
        .filter_map(|f| plan.nodes.get(f.node))
        .map(|n| n.provides.clone_ref(py))
        .collect()
}

/// Inline capacities chosen so typical graphs never touch the heap.
pub(crate) type Frames = SmallVec<[Frame; 16]>;

/// Who finalizes what `node` builds: the owner of the instance that will
/// hold on to it. A transient is held by its nearest non-transient
/// dependant, so a transient built for a singleton lives (and is finalized)
/// with the container even when the singleton is first resolved in a scope,
/// and one built for a request-level instance inside an action scope with
/// the request scope. A transient nothing holds belongs to the scope it is
/// resolved in.
pub(crate) fn finalizer_owner<'a>(
    plan: &ExecPlan,
    frames: &[Frame],
    node: &ExecNode,
    ctx: &Ctx<'a>,
) -> &'a Finalizers {
    let holder = match node.lifetime {
        Lifetime::Transient => frames
            .iter()
            .rev()
            .skip(1)
            .filter_map(|f| plan.nodes.get(f.node))
            .find(|n| n.lifetime != Lifetime::Transient),
        _ => Some(node),
    };
    let owner = match holder {
        Some(n) if n.lifetime == Lifetime::Singleton => None,
        Some(n) => ctx.scope.and_then(|s| s.owner(n.depth)),
        None => ctx.scope.map(|s| &**s),
    };
    owner.map_or(ctx.container_finalizers, |s| &s.finalizers)
}

/// The scope that owns what the top frame builds (`None`: the container),
/// by the same rule as `finalizer_owner`: a `Lazy` or `Factory` handle
/// resolves from the owner of the instance that holds it.
pub(crate) fn holder_scope(
    plan: &ExecPlan,
    frames: &[Frame],
    ctx: &Ctx<'_>,
) -> Option<Arc<ScopeState>> {
    let holder = frames
        .iter()
        .rev()
        .filter_map(|f| plan.nodes.get(f.node))
        .find(|n| n.lifetime != Lifetime::Transient);
    let scope = ctx.scope?;
    match holder {
        Some(n) if n.lifetime == Lifetime::Singleton => None,
        Some(n) => {
            let mut owner = scope;
            loop {
                if owner.depth == n.depth {
                    return Some(Arc::clone(owner));
                }
                if owner.depth < n.depth {
                    return None;
                }
                owner = owner.parent.as_ref()?;
            }
        }
        None => Some(Arc::clone(scope)),
    }
}
