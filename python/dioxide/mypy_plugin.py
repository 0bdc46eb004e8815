"""A mypy plugin for what dioxide's generic signatures cannot say.

``register_instance(type_: TypeForm[T], instance: T)`` reads as "an instance
of ``type_``", but mypy solves ``T`` from both arguments and widens it to
their join: ``register_instance(Config, "sqlite://")`` becomes ``T = object``
and passes. The same happens to ``register_class(PaymentPort, NotAGateway)``.
And a ``TypeForm`` parameter accepts any type expression, such as the string
``"Config"`` or ``Config | None``, while the container only resolves classes.
The same join hides a factory that returns the wrong type
(``register_factory(Config, make_database)``) and a wrong replacement in
``override(Config, FakeDatabase())``. This plugin reports those calls, as
errors with the code ``arg-type``.

It also types two things a signature cannot say:

- a function decorated with ``@inject(...)`` is called without its
  ``Inject[T]`` parameters: they become optional keyword-only parameters
  (a caller may still pass them), the others stay checked. Without the
  plugin, give them the default ``INJECTED``.
- ``container.factory(T)(...)`` is checked against ``T``'s constructor,
  every parameter optional (any may be injected).

Enable it in the mypy configuration::

    [tool.mypy]
    plugins = ["dioxide.mypy_plugin"]

Without it every other check still works: ``resolve`` still returns the
requested type.
"""

from __future__ import annotations

from typing import Callable, Optional

from mypy.errorcodes import ARG_TYPE
from mypy.messages import format_type
from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    ARG_STAR2,
    Expression,
    FuncDef,
    IndexExpr,
    MypyFile,
    NameExpr,
    OpExpr,
    StrExpr,
    SymbolNode,
    TypeAlias,
)
from mypy.plugin import MethodContext, MethodSigContext, Plugin
from mypy.subtypes import is_subtype
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeType,
    UnboundType,
    get_proper_type,
)
from mypy.typevars import fill_typevars_with_any

__all__ = ["plugin"]

_CONTAINER = "dioxide._container.Container"

#: Return types that wrap what a generator or async provider provides.
_WRAPPERS = {
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in (
        "Iterator",
        "Iterable",
        "Generator",
        "AsyncIterator",
        "AsyncIterable",
        "AsyncGenerator",
    )
}
_SCOPE = "dioxide._scope.ContainerScope"
_INJECT = "dioxide._inject.Inject"
_DECORATOR = "dioxide._inject.Decorator.__call__"
_FACTORY_CALL = "dioxide._factory.Factory.__call__"

#: Methods whose first parameter names the provided type, by full name.
_TAKES_A_CLASS = {
    f"{_CONTAINER}.resolve",
    f"{_CONTAINER}.aresolve",
    f"{_CONTAINER}.register_instance",
    f"{_CONTAINER}.register_class",
    f"{_CONTAINER}.register_factory",
    f"{_SCOPE}.resolve",
    f"{_SCOPE}.aresolve",
}


class DioxidePlugin(Plugin):
    """Checks calls to ``Container`` and ``ContainerScope`` methods."""

    def get_method_hook(self, fullname: str) -> Optional[Callable[[MethodContext], Type]]:
        if fullname == f"{_CONTAINER}.register_instance":
            return _check_register_instance
        if fullname == f"{_CONTAINER}.register_class":
            return _check_register_class
        if fullname == f"{_CONTAINER}.register_factory":
            return _check_register_factory
        if fullname == f"{_CONTAINER}.override":
            return _check_override
        if fullname in _TAKES_A_CLASS:
            return _check_class_argument
        if fullname == _DECORATOR:
            return _without_injected
        return None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Optional[Callable[[MethodSigContext], FunctionLike]]:
        if fullname == _FACTORY_CALL:
            return _factory_signature
        return None


def plugin(version: str) -> type[Plugin]:
    """The entry point mypy calls (``version`` is mypy's own)."""
    return DioxidePlugin


def _instance_type(typ: Type) -> Optional[Type]:
    """The type of the instances of a class argument (``Config`` for the
    class object ``Config``, a ``type[Config]`` or a ``TypeForm[Config]``),
    or None when the argument is not known to be a class."""
    proper = get_proper_type(typ)
    if isinstance(proper, TypeType):
        return proper.item
    if isinstance(proper, FunctionLike) and proper.is_type_obj():
        # A generic class used bare (``Box``) provides ``Box[Any]``.
        return fill_typevars_with_any(proper.type_object())
    return None


def _not_a_class(expr: Expression, typ: Type, ctx: MethodContext) -> Optional[str]:
    """What the argument is, if it is a type expression that is not a class.

    Only the spellings a ``TypeForm`` parameter admits but the container
    refuses at runtime: a string, ``X | Y``, ``Optional[X]``, ``None``. A
    subscripted class is a key (``Repository[User]``, ``list[Plugin]``,
    ``Annotated[Cache, Named("local")]``). A variable holding a ``TypeForm``
    (a generic helper passing its own argument on) is left alone.
    """
    proper = get_proper_type(typ)
    if not (isinstance(proper, TypeType) and proper.is_type_form):
        return None
    if isinstance(expr, StrExpr):
        return f'the string "{expr.value}"'
    if isinstance(expr, IndexExpr) and isinstance(get_proper_type(proper.item), Instance):
        return None
    if isinstance(expr, (OpExpr, IndexExpr)) or (
        isinstance(expr, NameExpr) and expr.fullname == "builtins.None"
    ):
        return format_type(proper.item, ctx.api.options)
    return None


def _check_class_argument(ctx: MethodContext) -> Type:
    """Report a first argument that is a type expression but not a class."""
    if ctx.args and ctx.args[0] and ctx.arg_types[0]:
        expr = ctx.args[0][0]
        what = _not_a_class(expr, ctx.arg_types[0][0], ctx)
        if what is not None:
            ctx.api.fail(
                f"dioxide needs a class here, not {what}: pass the class itself "
                "(a Protocol or an ABC works too)",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type


def _check_second_argument(
    ctx: MethodContext, misfit: Callable[[Type, Type], Optional[str]]
) -> Type:
    """The check of a ``(type_, x)`` method: ``type_`` is a class, and each
    type ``x`` may have is given to ``misfit`` with the instance type
    ``type_`` stands for; ``misfit`` says what is wrong, or None."""
    _check_class_argument(ctx)
    if len(ctx.arg_types) < 2 or not ctx.arg_types[0]:
        return ctx.default_return_type
    expected = _instance_type(ctx.arg_types[0][0])
    if expected is None:
        return ctx.default_return_type
    for actual, expr in zip(ctx.arg_types[1], ctx.args[1]):
        message = misfit(actual, expected)
        if message is not None:
            ctx.api.fail(message, expr, code=ARG_TYPE)
    return ctx.default_return_type


def _check_register_instance(ctx: MethodContext) -> Type:
    """``register_instance(type_, instance)``: ``instance`` is a ``type_``."""
    options = ctx.api.options

    def misfit(actual: Type, expected: Type) -> Optional[str]:
        if is_subtype(actual, expected, options=options):
            return None
        return (
            f'Argument "instance" to "register_instance" of "Container" has '
            f"incompatible type {format_type(actual, options)}; "
            f"expected {format_type(expected, options)}"
        )

    return _check_second_argument(ctx, misfit)


def _check_register_class(ctx: MethodContext) -> Type:
    """``register_class(type_, cls)``: ``cls`` builds ``type_`` instances."""
    options = ctx.api.options

    def misfit(actual: Type, expected: Type) -> Optional[str]:
        built = _instance_type(actual)
        if built is None or is_subtype(built, expected, options=options):
            return None
        return (
            f'Argument "cls" to "register_class" of "Container" has incompatible '
            f"type {format_type(TypeType.make_normalized(built), options)}; "
            f"expected {format_type(TypeType.make_normalized(expected), options)}"
        )

    return _check_second_argument(ctx, misfit)


def _provided_by(typ: Type) -> Optional[Type]:
    """What a factory provides: its return type, unwrapped from the
    ``Iterator``/``AsyncIterator`` of a generator and the coroutine of an
    ``async def``; None when ``typ`` is not known to be a plain callable."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and proper.type.fullname == "functools.partial":
        returned: Type = proper.args[0] if proper.args else proper
    elif isinstance(proper, CallableType) and not proper.is_type_obj():
        returned = proper.ret_type
        if proper.type_guard is not None or proper.type_is is not None:
            return None
    else:
        return None
    result = get_proper_type(returned)
    if isinstance(result, Instance):
        if result.type.fullname in ("typing.Coroutine", "typing.Awaitable") and result.args:
            result = get_proper_type(result.args[-1])
        if isinstance(result, Instance) and result.type.fullname in _WRAPPERS and result.args:
            result = get_proper_type(result.args[0])
    return result


def _check_register_factory(ctx: MethodContext) -> Type:
    """``register_factory(type_, factory)``: ``factory`` returns a ``type_``."""
    options = ctx.api.options

    def misfit(actual: Type, expected: Type) -> Optional[str]:
        provided = _provided_by(actual)
        if provided is None or is_subtype(provided, expected, options=options):
            return None
        return (
            f'Argument "factory" to "register_factory" of "Container" returns '
            f"{format_type(provided, options)}; expected a factory of "
            f"{format_type(expected, options)}"
        )

    return _check_second_argument(ctx, misfit)


def _check_override(ctx: MethodContext) -> Type:
    """``override(type_, replacement)``: a class that builds ``type_``
    instances, a factory that returns one, or an instance (a ``Mock`` passes:
    it is typed as anything)."""
    options = ctx.api.options

    def misfit(actual: Type, expected: Type) -> Optional[str]:
        built = _instance_type(actual)
        provided = built if built is not None else _provided_by(actual)
        what = "builds" if built is not None else "returns"
        if provided is None:
            provided, what = actual, "is"
        if is_subtype(provided, expected, options=options):
            return None
        return (
            f'Argument "replacement" to "override" of "Container" {what} '
            f"{format_type(provided, options)}; expected "
            f"{format_type(expected, options)} (an instance, a class or a factory)"
        )

    return _check_second_argument(ctx, misfit)


def _without_injected(ctx: MethodContext) -> Type:
    """``@inject(...)`` applied to a function: its ``Inject[T]`` parameters
    become optional and keyword-only, the others stay as they are."""
    returned = get_proper_type(ctx.default_return_type)
    if not (ctx.arg_types and ctx.arg_types[0] and isinstance(returned, CallableType)):
        return ctx.default_return_type
    given = get_proper_type(ctx.arg_types[0][0])
    definition = given.definition if isinstance(given, CallableType) else None
    written = definition.unanalyzed_type if isinstance(definition, FuncDef) else None
    if not isinstance(written, CallableType) or len(written.arg_types) != len(returned.arg_types):
        return ctx.default_return_type
    injected = [
        isinstance(t, UnboundType) and _refers_to(ctx, t.name, _INJECT) for t in written.arg_types
    ]
    if not any(injected):
        return ctx.default_return_type
    kept = [i for i, flag in enumerate(injected) if not flag]
    moved = [i for i, flag in enumerate(injected) if flag]
    star2 = [i for i in kept if returned.arg_kinds[i] == ARG_STAR2]
    kept = [i for i in kept if i not in star2]
    order = kept + moved + star2
    kinds = [ARG_NAMED_OPT if injected[i] else returned.arg_kinds[i] for i in order]
    return returned.copy_modified(
        arg_types=[returned.arg_types[i] for i in order],
        arg_kinds=kinds,
        arg_names=[returned.arg_names[i] for i in order],
    )


def _refers_to(ctx: MethodContext, name: str, fullname: str) -> bool:
    """Whether the (dotted) name, as written in the checked module, is the
    symbol ``fullname`` (through imports and module aliases)."""
    first, *rest = name.split(".")
    try:
        node: Optional[SymbolNode] = ctx.api.lookup_qualified(first).node  # type: ignore[attr-defined]
    except (KeyError, AssertionError):
        return False
    for part in rest:
        if not isinstance(node, MypyFile) or part not in node.names:
            return False
        node = node.names[part].node
    return isinstance(node, TypeAlias) and node.fullname == fullname


def _factory_signature(ctx: MethodSigContext) -> FunctionLike:
    """``Factory[T].__call__``: ``T``'s constructor parameters, each optional."""
    factory = get_proper_type(ctx.type)
    if not (isinstance(factory, Instance) and factory.args):
        return ctx.default_signature
    built = get_proper_type(factory.args[0])
    if not isinstance(built, Instance):
        return ctx.default_signature
    init = built.type.get_method("__init__")
    init_type = get_proper_type(init.type) if init is not None else None
    if not isinstance(init_type, CallableType) or not init_type.arg_types:
        return ctx.default_signature
    optional = {ARG_POS: ARG_OPT, ARG_NAMED: ARG_NAMED_OPT}
    return ctx.default_signature.copy_modified(
        arg_types=init_type.arg_types[1:],
        arg_kinds=[optional.get(kind, kind) for kind in init_type.arg_kinds[1:]],
        arg_names=init_type.arg_names[1:],
        ret_type=built,
    )
