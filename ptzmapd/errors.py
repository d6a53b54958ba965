"""The exception tree: every error a user can cause or meet has a class here."""


class PtzmapdError(Exception):
    """Base of every error ptzmapd raises on purpose."""


class ConfigError(PtzmapdError):
    """One or more problems in the configuration; ``problems`` holds each as a line.

    Each line reads ``FILE:LINE:COL: dotted.path: problem`` so editors can jump to it.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ProtocolError(PtzmapdError):
    """A command the protocol cannot express, or a reply that makes no sense."""


class TransportError(PtzmapdError):
    """The wire to a camera is not usable (socket closed, device missing, ...)."""
