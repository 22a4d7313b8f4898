"""Errors a user can act on: each carries a one-line message naming the file and what to do."""

from __future__ import annotations


class EtlError(Exception):
    """An error shown to the user as one line (no traceback unless --verbose). Exit code 2."""

    exit_code = 2


class ConfigError(EtlError):
    """The mappings, settings or command line are wrong."""


class InputFileError(EtlError):
    """A whole input file cannot be read (encoding, truncation, emptiness, missing columns)."""

    def __init__(self, file: str, problem: str, action: str) -> None:
        super().__init__(f"{file}: {problem}; {action}")
        self.file = file


class CheckFailed(EtlError):
    """A data check failed: the new warehouse is discarded and the previous one keeps serving."""

    exit_code = 3
