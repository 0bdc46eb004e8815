"""What mypy must reject about scope levels and context values: context
that is not a mapping, a level that is not a name, and a scope's level or
parent set by hand. Plain mypy (no plugin); every ``# type: ignore[code]``
pins one expected error under ``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

from dioxide import Container


class CurrentUser:
    pass


container = Container(scopes=("request", "action"))
container.register_context(CurrentUser, scope=2)  # type: ignore[arg-type]
container.create_scope(context=[CurrentUser()])  # type: ignore[arg-type]
Container(scopes=1)  # type: ignore[arg-type]

with container.create_scope() as scope:
    scope.level = "action"  # type: ignore[misc]
    scope.create_scope(context=CurrentUser())  # type: ignore[arg-type]
