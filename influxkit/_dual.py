"""Methods that follow their object's mode, typed by it.

An object whose methods follow a :class:`~influxkit._blocking.ModeSwitch` (the client, a
session) is generic in its mode: ``InfluxDBClient[Literal["blocking"]]`` is what
``InfluxDBClient(mode="blocking")`` makes. A :class:`dual` method of it returns its
coroutine's result in blocking mode and the coroutine in async mode, and type checkers
and editors see exactly that, so blocking code written the obvious way checks clean
(``df: pd.DataFrame = client.query(...)``) and async code still awaits. Where the mode
is not known statically (a ``str``, or a client made from a URL), the result is
``Any``.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Coroutine
from typing import (
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
    overload,
)

from ._blocking import ModeSwitch

__all__ = ["AsyncMode", "BlockingMode", "Dual", "Moded", "dual"]

AsyncMode = Literal["async"]
BlockingMode = Literal["blocking"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
M_co = TypeVar("M_co", covariant=True)


class Moded(Protocol[M_co]):
    """An object whose coroutine methods follow a :class:`ModeSwitch`, its mode known
    to type checkers as ``M_co``."""

    _modes: ModeSwitch

    @property
    def _mode_type(self) -> M_co: ...


def dual(method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]]) -> Dual[P, R]:
    """Make a coroutine method follow its object's :class:`ModeSwitch` (``_modes``):
    in async mode a call returns the coroutine, in blocking mode its result."""
    return Dual(method)


class Dual(Generic[P, R]):
    """A method made by :func:`dual`: a descriptor whose bound method is typed by the
    mode of the object it is bound to."""

    def __init__(self, method: Callable[..., Coroutine[Any, Any, R]]) -> None:
        @functools.wraps(method)
        def call(owner: Moded[Any], *args: Any, **kwargs: Any) -> Any:
            return owner._modes(method(owner, *args, **kwargs))

        self._call = call
        functools.update_wrapper(cast(Any, self), method)

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Dual[P, R]: ...

    @overload
    def __get__(self, instance: Moded[BlockingMode], owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(self, instance: Moded[AsyncMode], owner: type[Any]
                ) -> Callable[P, Coroutine[Any, Any, R]]: ...

    @overload
    def __get__(self, instance: Moded[str], owner: type[Any]) -> Callable[P, Any]: ...

    def __get__(self, instance: Moded[Any] | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        return types.MethodType(self._call, instance)

