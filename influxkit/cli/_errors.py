"""The command line's exit statuses, and its error for a failed command."""

from __future__ import annotations

from typing import Final

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "CliError",
]

EXIT_OK: Final = 0  # done
EXIT_FAILED: Final = 1  # the operation failed: the server refused it, a bad input line...
EXIT_USAGE: Final = 2  # a usage error: a bad option, a missing file (click's own status)
EXIT_PARTIAL: Final = 3  # part of the data was stored, part not (listed on stderr)
EXIT_CONNECTION: Final = 4  # the server could not be reached, or did not answer in time
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (128 + SIGINT), as shells report it


class CliError(Exception):
    """A command failed: its message (shown on stderr, never holding a credential) and
    the exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
