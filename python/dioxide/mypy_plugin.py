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
from mypy.nodes import Expression, IndexExpr, NameExpr, OpExpr, StrExpr
from mypy.plugin import MethodContext, Plugin
from mypy.subtypes import is_subtype
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeType,
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


def _check_register_instance(ctx: MethodContext) -> Type:
    """``register_instance(type_, instance)``: ``instance`` is a ``type_``."""
    _check_class_argument(ctx)
    if len(ctx.arg_types) < 2 or not ctx.arg_types[0]:
        return ctx.default_return_type
    expected = _instance_type(ctx.arg_types[0][0])
    if expected is None:
        return ctx.default_return_type
    for actual, expr in zip(ctx.arg_types[1], ctx.args[1]):
        if not is_subtype(actual, expected, options=ctx.api.options):
            ctx.api.fail(
                f'Argument "instance" to "register_instance" of "Container" has '
                f"incompatible type {format_type(actual, ctx.api.options)}; "
                f"expected {format_type(expected, ctx.api.options)}",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type


def _check_register_class(ctx: MethodContext) -> Type:
    """``register_class(type_, cls)``: ``cls`` builds ``type_`` instances."""
    _check_class_argument(ctx)
    if len(ctx.arg_types) < 2 or not ctx.arg_types[0]:
        return ctx.default_return_type
    expected = _instance_type(ctx.arg_types[0][0])
    if expected is None:
        return ctx.default_return_type
    for actual, expr in zip(ctx.arg_types[1], ctx.args[1]):
        built = _instance_type(actual)
        if built is not None and not is_subtype(built, expected, options=ctx.api.options):
            ctx.api.fail(
                f'Argument "cls" to "register_class" of "Container" has incompatible '
                f"type {format_type(TypeType.make_normalized(built), ctx.api.options)}; "
                f"expected {format_type(TypeType.make_normalized(expected), ctx.api.options)}",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type


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
    _check_class_argument(ctx)
    if len(ctx.arg_types) < 2 or not ctx.arg_types[0]:
        return ctx.default_return_type
    expected = _instance_type(ctx.arg_types[0][0])
    if expected is None:
        return ctx.default_return_type
    for actual, expr in zip(ctx.arg_types[1], ctx.args[1]):
        provided = _provided_by(actual)
        if provided is not None and not is_subtype(provided, expected, options=ctx.api.options):
            ctx.api.fail(
                f'Argument "factory" to "register_factory" of "Container" returns '
                f"{format_type(provided, ctx.api.options)}; expected a factory of "
                f"{format_type(expected, ctx.api.options)}",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type


def _check_override(ctx: MethodContext) -> Type:
    """``override(type_, replacement)``: a class that builds ``type_``
    instances, a factory that returns one, or an instance (a ``Mock`` passes:
    it is typed as anything)."""
    _check_class_argument(ctx)
    if len(ctx.arg_types) < 2 or not ctx.arg_types[0]:
        return ctx.default_return_type
    expected = _instance_type(ctx.arg_types[0][0])
    if expected is None:
        return ctx.default_return_type
    for actual, expr in zip(ctx.arg_types[1], ctx.args[1]):
        built = _instance_type(actual)
        provided = built if built is not None else _provided_by(actual)
        what = "builds" if built is not None else "returns"
        if provided is None:
            provided, what = actual, "is"
        if not is_subtype(provided, expected, options=ctx.api.options):
            ctx.api.fail(
                f'Argument "replacement" to "override" of "Container" {what} '
                f"{format_type(provided, ctx.api.options)}; expected "
                f"{format_type(expected, ctx.api.options)} (an instance, a class or a factory)",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type
