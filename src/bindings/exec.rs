//! Executing a compiled plan: calling Python providers in dependency order.
//!
//! The walk is iterative (an explicit frame stack) so deep constructor chains
//! cannot overflow the Rust stack, and demand-driven so that a cached
//! singleton's own dependencies are never built again. No Rust lock is held
//! while a provider runs: shared instances are coordinated by `InstanceCell`.

use std::sync::Arc;

use dioxide_core::Lifetime;
use pyo3::prelude::*;
use pyo3::types::PyList;
use smallvec::SmallVec;

use super::build::{build, call};
use super::cell::{Claim, InstanceCell};
use super::compiled::ExecPlan;
use super::errors::add_note;
use super::errors::{render_chain, DioxideError, ErrorKind};
use super::frame::{
    chain, finalizer_owner, node_at, refuse_early, release_claims, Ctx, Frame, Frames,
};
use super::keys::subject_name;
use super::lifecycle::{Finalizer, FinalizerKind};
use super::plan::{ExecArg, ExecNode, Kind, Values};

enum Start {
    Done(Py<PyAny>),
    Build(Option<Arc<InstanceCell>>),
    /// Waiting for another thread's build was interrupted (Ctrl-C): the
    /// exception propagates as it is.
    Interrupted(PyErr),
    /// (Async runs.) Another task or thread is building this shared
    /// instance: wait for it, then start the node again.
    Busy(Arc<InstanceCell>),
}

/// Where a run stopped.
pub(crate) enum Drive {
    /// The requested value.
    Done(Py<PyAny>),
    /// (Async runs.) The top frame's provider returned `awaitable`; its
    /// result finishes the frame (`finish`). `generator` is set for an
    /// async generator provider, which its owner finalizes.
    Await {
        awaitable: Py<PyAny>,
        generator: Option<Py<PyAny>>,
    },
    /// (Async runs.) The top frame's shared instance is being built
    /// elsewhere: wait for `cell`, then drive again.
    Busy(Arc<InstanceCell>),
}

/// Build the plan's last node (the requested type).
pub(crate) fn run(py: Python<'_>, plan: &ExecPlan, ctx: &Ctx<'_>) -> PyResult<Py<PyAny>> {
    let Some(root) = plan.nodes.len().checked_sub(1) else {
        return Err(
            DioxideError::new(ErrorKind::Resolution, "empty resolution plan").into_pyerr(py),
        );
    };
    run_at(py, plan, ctx, root)
}

/// Build node `root` of the plan and what it needs.
pub(crate) fn run_at(
    py: Python<'_>,
    plan: &ExecPlan,
    ctx: &Ctx<'_>,
    root: usize,
) -> PyResult<Py<PyAny>> {
    // Fast path: a singleton that is already built needs no frames at all.
    if let Some(value) = plan
        .nodes
        .get(root)
        .and_then(|n| n.cell.as_ref())
        .and_then(|c| c.get())
    {
        return Ok(value.clone_ref(py));
    }
    refuse_early(py, plan, ctx, root, false)?;
    if plan.nodes.len().checked_sub(1) == Some(root) {
        if let Some(done) = plan.program.as_ref().and_then(|p| p.run(py, plan)) {
            return done;
        }
    }
    let mut frames: Frames = SmallVec::new();
    frames.push(Frame::new(root, 0));
    let mut values: Values = SmallVec::new();
    let result = match drive(py, plan, ctx, &mut frames, &mut values, None) {
        Ok(Drive::Done(value)) => Ok(value),
        Ok(_) => Err(DioxideError::new(
            ErrorKind::Resolution,
            "a synchronous resolve reached an async provider",
        )
        .with_hint("use `await container.aresolve(...)`")
        .into_pyerr(py)),
        Err(err) => Err(err),
    };
    if result.is_err() {
        release_claims(py, &frames);
    }
    result
}

/// Run the plan from the frames on the stack until the requested value is
/// built or, in an async run (`task` is the running task), until a
/// provider's awaitable must be awaited or a shared instance is being built
/// elsewhere: the same executor for `resolve` and `aresolve`.
pub(crate) fn drive(
    py: Python<'_>,
    plan: &ExecPlan,
    ctx: &Ctx<'_>,
    frames: &mut Frames,
    values: &mut Values,
    task: Option<u64>,
) -> PyResult<Drive> {
    while let Some(frame) = frames.last_mut() {
        let node = node_at(py, plan, frame.node)?;
        if !frame.started {
            frame.started = true;
            match start(py, node, ctx, task) {
                Ok(Start::Done(value)) => {
                    frames.pop();
                    values.push(value);
                    continue;
                }
                Ok(Start::Build(cell)) => frame.claimed = cell,
                Ok(Start::Interrupted(err)) => return Err(err),
                Ok(Start::Busy(cell)) => {
                    frame.started = false;
                    return Ok(Drive::Busy(cell));
                }
                Err(err) => return Err(err.with_chain(chain(py, plan, frames)).into_pyerr(py)),
            }
        }
        if let Some((_, arg)) = node.args.get(frame.next) {
            frame.next += 1;
            match *arg {
                ExecArg::Node(index) => {
                    let base = values.len();
                    frames.push(Frame::new(index, base));
                }
                ExecArg::None => values.push(py.None()),
                ExecArg::EmptyList => values.push(PyList::empty(py).into_any().unbind()),
            }
            continue;
        }
        let base = frame.base.min(values.len());
        if task.is_some() && node.kind.is_async() {
            return match call(py, node, values, base) {
                Ok(produced) => Ok(awaiting(py, node, produced)?),
                Err(err) => Err(building_failed(py, plan, frames, err)),
            };
        }
        let owner = || finalizer_owner(plan, frames, node, ctx);
        let built = match build(py, node, values, base, owner) {
            Ok(value) => value,
            Err(err) => return Err(building_failed(py, plan, frames, err)),
        };
        settle(py, frames, values, built);
    }
    match values.pop() {
        Some(value) => Ok(Drive::Done(value)),
        None => Err(
            DioxideError::new(ErrorKind::Resolution, "resolution produced no value").into_pyerr(py),
        ),
    }
}

/// The top frame's value is built: store it where its lifetime says and
/// hand it to the frame below.
fn settle(py: Python<'_>, frames: &mut Frames, values: &mut Values, built: Py<PyAny>) {
    let claimed = frames.last_mut().and_then(|f| f.claimed.take());
    let value = match claimed {
        Some(cell) => cell.fill(py, built),
        None => built,
    };
    frames.pop();
    values.push(value);
}

/// A provider raised: its exception goes on, with a note naming the chain.
pub(crate) fn building_failed(
    py: Python<'_>,
    plan: &ExecPlan,
    frames: &[Frame],
    err: PyErr,
) -> PyErr {
    add_note(
        py,
        &err,
        &format!(
            "dioxide: raised while building {}",
            render_chain(py, &chain(py, plan, frames))
        ),
    );
    err
}

/// What an async provider's call returned, as something to await: the
/// coroutine itself, or an async generator's first step.
fn awaiting(py: Python<'_>, node: &ExecNode, produced: Bound<'_, PyAny>) -> PyResult<Drive> {
    if node.kind == Kind::AsyncGenerator {
        let step = py
            .import(pyo3::intern!(py, "dioxide._lifecycle"))?
            .getattr(pyo3::intern!(py, "_first_step"))?
            .call1((&produced,))?;
        return Ok(Drive::Await {
            awaitable: step.unbind(),
            generator: Some(produced.unbind()),
        });
    }
    Ok(Drive::Await {
        awaitable: produced.unbind(),
        generator: None,
    })
}

/// The awaited value of the top frame's async provider: hand an async
/// generator to its owner to finalize, then settle the frame. When the
/// owner began closing meanwhile, the generator is handed back: nobody
/// would finalize it later.
pub(crate) fn finish(
    py: Python<'_>,
    plan: &ExecPlan,
    ctx: &Ctx<'_>,
    frames: &mut Frames,
    values: &mut Values,
    value: Py<PyAny>,
    generator: Option<Py<PyAny>>,
) -> Result<(), (Finalizer, PyErr)> {
    if let (Some(generator), Some(frame)) = (generator, frames.last()) {
        if let Some(node) = plan.nodes.get(frame.node) {
            let finalizer = Finalizer {
                kind: FinalizerKind::AsyncGenerator,
                handle: generator,
                provides: node.provides.clone_ref(py),
            };
            let owner = finalizer_owner(plan, frames, node, ctx);
            if let Err(refused) = owner.push(finalizer) {
                let error = owner.closing_error(py, &refused.provides);
                return Err((refused, error));
            }
        }
    }
    settle(py, frames, values, value);
    Ok(())
}

/// Decide whether a node needs building: cached and prebuilt values end here.
// The error is large next to `Start`, but rare and turned into a Python
// exception at once; boxing it would only add an allocation to that path.
#[allow(clippy::result_large_err)]
fn start(
    py: Python<'_>,
    node: &ExecNode,
    ctx: &Ctx<'_>,
    task: Option<u64>,
) -> Result<Start, DioxideError> {
    if node.kind == Kind::Instance {
        return Ok(Start::Done(node.target.clone_ref(py)));
    }
    let cell = match node.lifetime {
        Lifetime::Transient => None,
        Lifetime::Singleton => node.cell.clone(),
        Lifetime::Scoped(level) => {
            let Some(scope) = ctx.scope.and_then(|s| s.owner(node.depth)) else {
                let open = ctx.scope.map(|s| s.level);
                return Err(super::render::outside_level(
                    node.provides.bind(py),
                    level,
                    open,
                ));
            };
            if node.kind == Kind::Context {
                return match scope.context_value(py, node.key) {
                    Some(value) => Ok(Start::Done(value)),
                    None => Err(missing_context(py, node, level)),
                };
            }
            Some(scope.cell(node.scope_key))
        }
    };
    if let Some(cell) = &cell {
        let claim = match task {
            Some(task) => cell.claim_async(py, task),
            None => cell.claim(py),
        };
        match claim {
            Claim::Ready(value) => return Ok(Start::Done(value)),
            Claim::Interrupted(err) => return Ok(Start::Interrupted(err)),
            Claim::Busy => return Ok(Start::Busy(Arc::clone(cell))),
            Claim::Build => {}
            Claim::Reentrant => {
                let name = super::keys::display_name(node.provides.bind(py));
                return Err(DioxideError::new(
                    ErrorKind::Circular,
                    format!("{name} was requested again while its own provider was running"),
                )
                .with_hint(format!(
                    "a constructor or factory resolves {name} (directly or through another \
                     resolve call) while {name} is being built; inject what it needs instead"
                )));
            }
            Claim::Deadlock => {
                let name = super::keys::display_name(node.provides.bind(py));
                return Err(DioxideError::new(
                    ErrorKind::Circular,
                    format!(
                        "{name} is being built by another thread, which waits for something this \
                         thread is building: their providers resolve each other"
                    ),
                )
                .with_hint(format!(
                    "constructors or factories that call resolve() for each other form a cycle \
                     dioxide cannot see in their parameters; inject {name} as a parameter instead"
                )));
            }
        }
    }
    if node.kind.is_async() && task.is_none() {
        if let Some(cell) = &cell {
            cell.release(py);
        }
        let what = if super::keys::is_key(node.provides.bind(py)) {
            format!("{} has an async provider", subject(py, node))
        } else {
            format!("{} is an async provider", subject(py, node))
        };
        return Err(DioxideError::new(
            ErrorKind::Resolution,
            format!("{what}, so it cannot be built by the synchronous resolve()"),
        )
        .with_hint("use `await container.aresolve(...)` (or `await scope.aresolve(...)`)"));
    }
    Ok(Start::Build(cell))
}

/// A context value the scope of its level was opened without.
fn missing_context(py: Python<'_>, node: &ExecNode, level: dioxide_core::Level) -> DioxideError {
    let name = super::keys::display_name(node.provides.bind(py));
    let level = super::keys::level_name(level);
    DioxideError::new(
        ErrorKind::Scope,
        format!(
            "{name} is a context value of the {level:?} scope level, and this {level:?} scope \
             was opened without it"
        ),
    )
    .with_hint(format!(
        "supply it when opening the scope: `create_scope(context={{{name}: ...}})`"
    ))
}

/// How messages name a node: its class, or `name()` for a provider function
/// (decorated functions are keyed by themselves; the type they return is an
/// interface in front of them).
fn subject(py: Python<'_>, node: &ExecNode) -> String {
    subject_name(node.provides.bind(py))
}
