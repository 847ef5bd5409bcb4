"""The one exception the conversion stage raises."""

from __future__ import annotations


class ConversionError(ValueError):
    """A file cannot be turned into text; the message is one line naming the file and the reason."""

    def __init__(self, message: str) -> None:
        # One line, always: messages are shown to users in a status box and written to logs.
        super().__init__(" ".join(str(message).split()))
