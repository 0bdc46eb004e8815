//! `aresolve` as the same executor as `resolve`, suspended on awaitables.
//!
//! A [`Resolution`] is the awaitable `aresolve` awaits. It keeps the
//! executor's frames and values between steps: `drive` runs the plan until
//! an async provider returns something to await, or until a shared instance
//! it needs is being built by another task or thread. The resolution then
//! delegates to that awaitable (as `yield from` does): what it yields goes
//! to the event loop, and its result, sent back in, finishes the frame and
//! the plan runs on. No Python code walks the plan, and no event loop is
//! blocked: a task that waits for another's build is woken by it.

use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;

use super::cell::InstanceCell;
use super::compiled::ExecPlan;
use super::errors::{DioxideError, ErrorKind};
use super::exec::{building_failed, drive, finish, Drive};
use super::frame::{release_claims, Ctx, Frame, Frames};
use super::lifecycle::{Finalizer, Finalizers};
use super::owner::ScopeState;
use super::plan::Values;

/// What the resolution is waiting for.
enum Waiting {
    /// The top frame's async provider: its result is the frame's value.
    Provider {
        iter: Py<PyAny>,
        generator: Option<Py<PyAny>>,
    },
    /// A shared instance another task or thread builds: then start again.
    Shared { iter: Py<PyAny> },
    /// An async generator built while its owner closed, being finalized
    /// before `error` is raised.
    Cleanup { iter: Py<PyAny>, error: PyErr },
}

impl Waiting {
    fn iter(&self) -> &Py<PyAny> {
        match self {
            Self::Provider { iter, .. } | Self::Shared { iter } | Self::Cleanup { iter, .. } => {
                iter
            }
        }
    }
}

/// How the event loop resumes the resolution.
enum Resume {
    Send(Py<PyAny>),
    Throw(Py<PyAny>),
}

#[pyclass(module = "dioxide._dioxide_core", name = "_Resolution")]
pub(crate) struct Resolution {
    plan: Arc<ExecPlan>,
    /// Where what it builds is finalized: the container's finalizers, and
    /// the scope it runs in.
    container: Arc<Finalizers>,
    scope: Option<Arc<ScopeState>>,
    task: u64,
    frames: Frames,
    values: Values,
    waiting: Option<Waiting>,
    done: bool,
}

impl Resolution {
    pub(crate) fn new(
        plan: Arc<ExecPlan>,
        container: Arc<Finalizers>,
        scope: Option<Arc<ScopeState>>,
        task: u64,
    ) -> Self {
        let mut frames = Frames::new();
        if let Some(root) = plan.nodes.len().checked_sub(1) {
            frames.push(Frame::new(root, 0));
        }
        Self {
            plan,
            container,
            scope,
            task,
            frames,
            values: Values::new(),
            waiting: None,
            done: false,
        }
    }

    /// Advance until the next value to yield to the event loop (`Ok`), or
    /// the end: `StopIteration` with the resolved value, or the error.
    fn step(&mut self, py: Python<'_>, mut resume: Resume) -> PyResult<Py<PyAny>> {
        if self.done {
            return Err(PyRuntimeError::new_err(
                "this aresolve() has already been awaited",
            ));
        }
        let outcome = self.advance(py, &mut resume);
        if !matches!(outcome, Ok(Some(_))) {
            self.end(py);
        }
        match outcome {
            Ok(Some(yielded)) => Ok(yielded),
            Ok(None) => {
                let value = self.values.pop().unwrap_or_else(|| py.None());
                Err(PyStopIteration::new_err((value,)))
            }
            Err(err) => Err(err),
        }
    }

    fn advance(&mut self, py: Python<'_>, resume: &mut Resume) -> PyResult<Option<Py<PyAny>>> {
        loop {
            if let Some(waiting) = self.waiting.take() {
                let iter = waiting.iter().bind(py);
                let stepped = match std::mem::replace(resume, Resume::Send(py.None())) {
                    Resume::Send(value) => iter.call_method1(pyo3::intern!(py, "send"), (value,)),
                    Resume::Throw(error) => iter.call_method1(pyo3::intern!(py, "throw"), (error,)),
                };
                match stepped {
                    Ok(yielded) => {
                        let yielded = yielded.unbind();
                        self.waiting = Some(waiting);
                        return Ok(Some(yielded));
                    }
                    Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
                        let value = err.value(py).getattr(pyo3::intern!(py, "value"))?.unbind();
                        self.resumed(py, waiting, value)?;
                    }
                    Err(err) => return Err(self.failed(py, waiting, err)),
                }
                continue;
            }
            if let Resume::Throw(error) = std::mem::replace(resume, Resume::Send(py.None())) {
                // Thrown in before anything was awaited (a cancelled task).
                return Err(PyErr::from_value(error.into_bound(py)));
            }
            let drove = {
                let ctx = ctx_of(&self.container, &self.scope);
                drive(
                    py,
                    &self.plan,
                    &ctx,
                    &mut self.frames,
                    &mut self.values,
                    Some(self.task),
                )?
            };
            match drove {
                Drive::Done(value) => {
                    self.values.push(value);
                    return Ok(None);
                }
                Drive::Await {
                    awaitable,
                    generator,
                } => {
                    let iter = awaitable
                        .bind(py)
                        .call_method0(pyo3::intern!(py, "__await__"))
                        .map_err(|err| building_failed(py, &self.plan, &self.frames, err))?;
                    self.waiting = Some(Waiting::Provider {
                        iter: iter.unbind(),
                        generator,
                    });
                }
                Drive::Busy(cell) => {
                    if let Some(iter) = subscribe(py, &cell)? {
                        self.waiting = Some(Waiting::Shared { iter });
                    }
                }
            }
        }
    }

    /// The awaited `value` is in: finish what was waited for.
    fn resumed(&mut self, py: Python<'_>, waiting: Waiting, value: Py<PyAny>) -> PyResult<()> {
        match waiting {
            Waiting::Provider { generator, .. } => {
                let ctx = ctx_of(&self.container, &self.scope);
                let refused = finish(
                    py,
                    &self.plan,
                    &ctx,
                    &mut self.frames,
                    &mut self.values,
                    value,
                    generator,
                );
                if let Err((refused, error)) = refused {
                    self.cleanup(py, refused, error)?;
                }
                Ok(())
            }
            Waiting::Shared { .. } => Ok(()),
            Waiting::Cleanup { error, .. } => Err(error),
        }
    }

    /// The owner closed while `refused` (an async generator) was built:
    /// finalize it, then fail.
    fn cleanup(&mut self, py: Python<'_>, refused: Finalizer, error: PyErr) -> PyResult<()> {
        let finishing = py
            .import(pyo3::intern!(py, "dioxide._lifecycle"))?
            .getattr(pyo3::intern!(py, "_finish_async_generator"))?
            .call1((refused.handle.bind(py), py.None()))?
            .call_method0(pyo3::intern!(py, "__await__"))?;
        self.waiting = Some(Waiting::Cleanup {
            iter: finishing.unbind(),
            error,
        });
        Ok(())
    }

    /// What an awaited step raised.
    fn failed(&mut self, py: Python<'_>, waiting: Waiting, err: PyErr) -> PyErr {
        match waiting {
            Waiting::Provider {
                generator: Some(_), ..
            } if err.is_instance_of::<PyStopAsyncIteration>(py) => {
                let what = self
                    .frames
                    .last()
                    .and_then(|f| self.plan.nodes.get(f.node))
                    .map(|n| {
                        let provides = n.provides.bind(py);
                        let subject = super::keys::subject_name(provides);
                        if super::keys::is_key(provides) {
                            format!("the async generator provider of {subject}")
                        } else {
                            format!("the async generator provider {subject}")
                        }
                    })
                    .unwrap_or_else(|| "an async generator provider".to_owned());
                DioxideError::new(
                    ErrorKind::Resolution,
                    format!("{what} returned without yielding an instance"),
                )
                .with_hint("an async generator provider must `yield` exactly one instance")
                .into_pyerr(py)
            }
            Waiting::Provider { .. } => building_failed(py, &self.plan, &self.frames, err),
            Waiting::Shared { .. } => err,
            Waiting::Cleanup { error, .. } => {
                error.set_cause(py, Some(err));
                error
            }
        }
    }

    /// Done, one way or another: release what this run claimed.
    fn end(&mut self, py: Python<'_>) {
        self.done = true;
        release_claims(py, &self.frames);
        self.frames.clear();
        if let Some(waiting) = self.waiting.take() {
            let _ = waiting
                .iter()
                .bind(py)
                .call_method0(pyo3::intern!(py, "close"));
        }
    }
}

/// Where the resolution's runs build: its container's finalizers and scope.
/// (A free function: `drive` borrows the frames mutably beside it.)
fn ctx_of<'a>(container: &'a Finalizers, scope: &'a Option<Arc<ScopeState>>) -> Ctx<'a> {
    Ctx {
        container_finalizers: container,
        scope: scope.as_deref(),
    }
}

/// Wait for `cell`'s build to end: a future of the running event loop,
/// woken from whichever thread ends the build. `None` when it has ended
/// already (start again at once).
fn subscribe(py: Python<'_>, cell: &Arc<InstanceCell>) -> PyResult<Option<Py<PyAny>>> {
    let pair = py
        .import(pyo3::intern!(py, "dioxide._lifecycle"))?
        .getattr(pyo3::intern!(py, "_waiter"))?
        .call0()?;
    let future = pair.get_item(0)?;
    let wake = pair.get_item(1)?.unbind();
    if cell.subscribe(wake).is_err() {
        return Ok(None);
    }
    let iter = future.call_method0(pyo3::intern!(py, "__await__"))?;
    Ok(Some(iter.unbind()))
}

#[pymethods]
impl Resolution {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.step(py, Resume::Send(py.None()))
    }

    fn send(&mut self, py: Python<'_>, value: Py<PyAny>) -> PyResult<Py<PyAny>> {
        self.step(py, Resume::Send(value))
    }

    /// The event loop throws in (a cancelled task): the awaited step gets
    /// it; what it does not handle ends the resolution.
    #[pyo3(signature = (error, _value=None, _traceback=None))]
    fn throw(
        &mut self,
        py: Python<'_>,
        error: Bound<'_, PyAny>,
        _value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let error = if error.is_instance_of::<pyo3::types::PyType>() {
            error.call0()?
        } else {
            error
        };
        self.step(py, Resume::Throw(error.unbind()))
    }

    fn close(&mut self, py: Python<'_>) {
        if !self.done {
            self.end(py);
        }
    }
}

impl Drop for Resolution {
    fn drop(&mut self) {
        if self.frames.iter().any(|f| f.claimed.is_some()) {
            Python::attach(|py| release_claims(py, &self.frames));
        }
    }
}
