"""One convention for refusals, across every job.

Pure rules (a job's ``_logic.py``) refuse with :class:`Refused`, naming *why* with a
member of the job's own ``StrEnum`` and the details a sentence needs; they import no
Discord and word nothing. The job's ``_render.py`` turns each code into a sentence
under ``_()``, registered with :func:`explains`::

    @explains(Problem)
    def refusal(code: Problem, details: Mapping[str, object]) -> str:
        ...

:func:`bot.errors.message_for` words a :class:`Refused` that reaches it (from a
command, a button or a form) in the member's language, ephemeral, as it does a
:class:`bot.errors.UserError`; code that needs the sentence itself calls
:func:`explain`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from enum import Enum
from typing import Any
from typing import TypeVar

E = TypeVar("E", bound=Enum)
Explainer = Callable[[Any, Mapping[str, object]], str]

_explainers: dict[type[Enum], Explainer] = {}


class Refused(ValueError):
    """A rule said no: ``code`` names why, ``details`` fill in the sentence."""

    def __init__(self, code: Enum, **details: object) -> None:
        super().__init__(f"{code.value}: {details}" if details else str(code.value))
        self.code = code
        self.details: dict[str, object] = details


def explains(
    kind: type[E],
) -> Callable[
    [Callable[[E, Mapping[str, object]], str]], Callable[[E, Mapping[str, object]], str]
]:
    """Register the function that words every refusal code of ``kind``."""

    def register(
        function: Callable[[E, Mapping[str, object]], str],
    ) -> Callable[[E, Mapping[str, object]], str]:
        _explainers[kind] = function
        return function

    return register


def explain(refused: Refused) -> str:
    """The sentence for ``refused``, in the current language."""
    explainer = _explainers.get(type(refused.code))
    if explainer is None:
        raise LookupError(f"nothing words refusals of {type(refused.code).__name__}")
    return explainer(refused.code, refused.details)
