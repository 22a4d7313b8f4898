"""Errors a user can act on: each carries a one-line message naming the file and what to do."""

from __future__ import annotations

from pathlib import Path


class EtlError(Exception):
    """An error shown to the user as one line (no traceback unless --verbose). Exit code 2."""

    exit_code = 2


class ConfigError(EtlError):
    """The mappings, settings or command line are wrong."""


def require_warehouse(warehouse: Path) -> Path:
    """The warehouse a command reads, or one line saying how to build it."""
    if not warehouse.exists():
        raise ConfigError(f"{warehouse}: no warehouse there; build one with `python -m etl run INPUT_DIR`")
    return warehouse


class InputFileError(EtlError):
    """A whole input file cannot be read (encoding, truncation, emptiness, missing columns)."""

    def __init__(self, file: str, problem: str, action: str) -> None:
        super().__init__(f"{file}: {problem}; {action}")
        self.file = file


class CheckFailed(EtlError):
    """A data check failed: the new warehouse is discarded and the previous one keeps serving."""

    exit_code = 3


class StorageError(EtlError):
    """The disk is full, a file size limit was hit, or the output folder cannot be written."""


_STORAGE = {
    "No space left": "the disk is full",
    "File too large": "a file size limit was reached",
    "Read-only file system": "the output folder is on a read-only file system",
    "Permission denied": "the output folder cannot be written (permission denied)",
}


def storage_error(exc: BaseException, target: object) -> StorageError | None:
    """A clear, actionable error for a failed write, or None when ``exc`` is not one."""
    text = f"{exc}"
    for needle, problem in _STORAGE.items():
        if needle in text:
            return StorageError(
                f"{target}: {problem} while building the new warehouse; free space or fix the folder's "
                "permissions and run again (nothing was lost: the previous warehouse is untouched, "
                "the half-built one was removed)"
            )
    return None
