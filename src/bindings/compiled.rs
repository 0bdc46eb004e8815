//! A compiled plan (`ExecPlan`) and its straight-line form (`Program`),
//! the fast path for plans whose shared instances all exist.

use std::sync::Arc;

use dioxide_core::{Deferral, Key, Lifetime};
use pyo3::prelude::*;
use pyo3::types::PyList;
use smallvec::SmallVec;

use super::build::{call, call0};
use super::cell::InstanceCell;
use super::errors::add_note;
use super::errors::render_chain;
use super::plan::{ExecArg, ExecNode, Kind, Values};
use dioxide_core::Plan;

/// One step of a straight-line program; values live on one stack.
#[derive(Copy, Clone, Debug)]
enum Op {
    /// Push the built singleton of this node.
    Cached(usize),
    /// Push the registered instance of this node.
    Instance(usize),
    /// Call this node's provider with the top `argc` values.
    Call(usize, usize),
    /// Replace the top `argc` values with a list of them.
    List(usize),
    PushNone,
    PushEmptyList,
}

/// The common shape of a plan once its singletons exist: transient
/// constructor calls over cached singletons and instances. Expanded into
/// post-order steps (a transient used twice is called twice, as the frame
/// walker would), it runs as a flat loop with no frames, cell claims or
/// per-node checks: the fast path of every transient resolve (benchmarks S2
/// to S5). Plans with scoped, generator, context-manager or async providers,
/// or too big to expand, have none and use the frame walker.
pub(crate) struct Program {
    ops: Vec<Op>,
    /// Singletons the program reads; all must be built to run it.
    cells: Vec<Arc<InstanceCell>>,
}

impl Program {
    const MAX_OPS: usize = 256;

    pub(crate) fn compile(nodes: &[ExecNode]) -> Option<Self> {
        let root = nodes.len().checked_sub(1)?;
        let mut program = Self {
            ops: Vec::new(),
            cells: Vec::new(),
        };
        program.emit(nodes, root, 0)?;
        Some(program)
    }

    fn emit(&mut self, nodes: &[ExecNode], index: usize, depth: usize) -> Option<()> {
        if self.ops.len() >= Self::MAX_OPS || depth > 64 {
            return None;
        }
        let node = nodes.get(index)?;
        if node.kind == Kind::Instance {
            self.ops.push(Op::Instance(index));
            return Some(());
        }
        if let Some(cell) = &node.cell {
            if !self.cells.iter().any(|c| Arc::ptr_eq(c, cell)) {
                self.cells.push(Arc::clone(cell));
            }
            self.ops.push(Op::Cached(index));
            return Some(());
        }
        if node.lifetime != Lifetime::Transient
            || !matches!(node.kind, Kind::Call | Kind::Alias | Kind::Collection)
        {
            return None;
        }
        for (_, arg) in &node.args {
            match *arg {
                ExecArg::Node(child) => self.emit(nodes, child, depth + 1)?,
                ExecArg::None => self.ops.push(Op::PushNone),
                ExecArg::EmptyList => self.ops.push(Op::PushEmptyList),
                // Made with the owner of the instance: the frame walker's job.
                ExecArg::Deferred(_) => return None,
            }
        }
        match node.kind {
            // The single argument already on the stack is the value.
            Kind::Alias => {}
            Kind::Collection => self.ops.push(Op::List(node.args.len())),
            _ => self.ops.push(Op::Call(index, node.args.len())),
        }
        Some(())
    }

    /// Run it, or `None` when a singleton it reads is not built yet.
    pub(crate) fn run(&self, py: Python<'_>, plan: &ExecPlan) -> Option<PyResult<Py<PyAny>>> {
        if self.cells.iter().any(|cell| cell.get().is_none()) {
            return None;
        }
        if let [Op::Call(index, 0)] = self.ops[..] {
            // One class with no dependencies: no value stack.
            let node = plan.nodes.get(index)?;
            return Some(match call0(py, node) {
                Ok(value) => Ok(value.unbind()),
                Err(err) => Err(plan.noted(py, err, index)),
            });
        }
        let mut values: Values = SmallVec::new();
        for op in &self.ops {
            let pushed = match *op {
                Op::Cached(index) => plan
                    .nodes
                    .get(index)
                    .and_then(|n| n.cell.as_ref())
                    .and_then(|c| c.get())
                    .map(|v| v.clone_ref(py))?,
                Op::Instance(index) => plan.nodes.get(index)?.target.clone_ref(py),
                Op::Call(index, argc) => {
                    let node = plan.nodes.get(index)?;
                    let base = values.len().saturating_sub(argc);
                    match call(py, node, &mut values, base) {
                        Ok(value) => value.unbind(),
                        Err(err) => return Some(Err(plan.noted(py, err, index))),
                    }
                }
                Op::List(argc) => {
                    let base = values.len().saturating_sub(argc);
                    match PyList::new(py, values.drain(base..)) {
                        Ok(list) => list.into_any().unbind(),
                        Err(err) => return Some(Err(err)),
                    }
                }
                Op::PushNone => py.None(),
                Op::PushEmptyList => PyList::empty(py).into_any().unbind(),
            };
            values.push(pushed);
        }
        values.pop().map(Ok)
    }
}

impl ExecPlan {
    /// `err`, raised building node `index`, with a note naming the chain
    /// that led there.
    #[cold]
    fn noted(&self, py: Python<'_>, err: PyErr, index: usize) -> PyErr {
        let chain = self.chain_to(py, index);
        add_note(
            py,
            &err,
            &format!(
                "dioxide: raised while building {}",
                render_chain(py, &chain)
            ),
        );
        err
    }

    /// The types from the requested one down to node `target`, along the
    /// path the domain plan reports.
    fn chain_to(&self, py: Python<'_>, target: usize) -> Vec<Py<PyAny>> {
        self.plan
            .chain_to(target)
            .into_iter()
            .filter_map(|key| self.nodes.iter().find(|n| n.key == key))
            .map(|n| n.provides.clone_ref(py))
            .collect()
    }
}

pub(crate) struct ExecPlan {
    pub(crate) nodes: Vec<ExecNode>,
    /// The domain plan these nodes were compiled from (its structure answers
    /// which chain led to a node).
    pub(crate) plan: Plan,
    /// The straight-line form of the plan, when it has one (see `Program`).
    pub(crate) program: Option<Program>,
    /// The keys, types and handles of the plan's deferred arguments.
    pub(crate) deferred: Vec<(Key, Py<PyAny>, Deferral)>,
}

impl ExecPlan {
    /// The requested instance, when it is a singleton already built.
    pub(crate) fn built(&self) -> Option<&Py<PyAny>> {
        self.nodes.last()?.cell.as_ref()?.get()
    }

    /// `nodes` are the binding's form of `plan`'s nodes, index for index.
    pub(crate) fn new(
        plan: Plan,
        nodes: Vec<ExecNode>,
        deferred: Vec<(Key, Py<PyAny>, Deferral)>,
    ) -> Self {
        let program = Program::compile(&nodes);
        Self {
            nodes,
            plan,
            program,
            deferred,
        }
    }
}

impl ExecPlan {
    /// Report the references the plan owns to the garbage collector, each
    /// exactly once. Singletons are not among them: their slots are shared
    /// with the container's singleton table (and other plans), which reports
    /// them. Reporting one reference twice makes the collector think an
    /// object has fewer outside references than it has: it then keeps
    /// cycles alive, or frees objects that are still in use.
    pub(crate) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        for node in &self.nodes {
            visit.call(&node.provides)?;
            visit.call(&node.target)?;
            if let Some(direct) = &node.direct {
                direct.visit(visit)?;
            }
        }
        for (_, type_, _) in &self.deferred {
            visit.call(type_)?;
        }
        Ok(())
    }
}
