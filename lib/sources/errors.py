"""The one error every source raises for input it cannot read at all."""


class SourceError(ValueError):
    """A sweep source could not be read; the message says what to do about it."""
