"""What became of each command given to a camera controller: :class:`Outcome` and its
:class:`Answer` (the per-command answer API that ``ptzmapd send`` waits on)."""

from __future__ import annotations

from enum import Enum
from typing import Callable

from ptzmapd.commands import Command


class Answer(Enum):
    """What became of one command (:class:`Outcome`)."""

    PENDING = "pending"
    #: The camera answered it as its own (ACK, completion, response, inquiry answer).
    ACKNOWLEDGED = "acknowledged"
    #: On the wire of a protocol that never answers (Pelco on one-way wiring).
    SENT = "sent"
    #: The camera refused it (``Outcome.message`` has the camera's words).
    REFUSED = "refused"
    #: A newer value of its motion slot replaced it before it was answered.
    SUPERSEDED = "superseded"
    #: Dropped before it was sent (the queue overflowed, the controller closed).
    DROPPED = "dropped"
    #: The camera's protocol cannot express it.
    UNSENDABLE = "unsendable"


#: Which answer tells most about several (a stop's three slots): the worst one wins.
_SEVERITY: tuple[Answer, ...] = (
    Answer.REFUSED, Answer.DROPPED, Answer.PENDING, Answer.SUPERSEDED, Answer.ACKNOWLEDGED, Answer.SENT, Answer.UNSENDABLE,
)


class Outcome:
    """The answer to one command given to the controller: the per-command answer API.

    ``answer`` is :attr:`Answer.PENDING` until the command's own answer arrives (see
    :mod:`ptzmapd.protocols.pairing`); callbacks given to :meth:`on_done` run then, on the
    controller's thread, once. A command that is never answered stays pending: the caller
    decides how long to wait (``ptzmapd send`` waits a few seconds). ``refusal`` keeps the
    last temporary refusal of a command that is being sent again (a stop refused with 503).
    """

    __slots__ = ("command", "answer", "message", "refusal", "_callbacks")

    def __init__(self, command: Command) -> None:
        self.command = command
        self.answer = Answer.PENDING
        self.message = ""
        self.refusal: str | None = None
        self._callbacks: list[Callable[[Outcome], None]] = []

    def __repr__(self) -> str:
        return f"Outcome({self.command!r}, {self.answer.value}{', ' + repr(self.message) if self.message else ''})"

    @property
    def done(self) -> bool:
        return self.answer is not Answer.PENDING

    def on_done(self, callback: Callable[["Outcome"], None]) -> None:
        """Call ``callback(outcome)`` when the answer is known (at once if it is)."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def resolve(self, answer: Answer, message: str = "") -> None:
        """Settle the outcome (the first answer counts); for the controller."""
        if self.done or answer is Answer.PENDING:
            return
        self.answer, self.message = answer, message
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    @classmethod
    def gather(cls, command: Command, parts: list["Outcome"]) -> "Outcome":
        """One outcome for several (a stop of every slot): done when all are, the worst answer."""
        whole = cls(command)

        def part_done(_: Outcome) -> None:
            if all(part.done for part in parts):
                worst = min(parts, key=lambda part: _SEVERITY.index(part.answer))
                whole.refusal = next((part.refusal for part in parts if part.refusal), None)
                whole.resolve(worst.answer, worst.message)

        for part in parts:
            part.on_done(part_done)
        if not parts:
            whole.resolve(Answer.ACKNOWLEDGED)
        return whole


def resolve_all(outcomes: list[Outcome], answer: Answer, message: str = "") -> None:
    """Settle every outcome in ``outcomes`` with ``answer``, and empty the list."""
    for outcome in outcomes:
        outcome.resolve(answer, message)
    outcomes.clear()
