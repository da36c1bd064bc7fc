"""How every command talks to a person: logging, errors and exit codes, the same for all of them.

- Logging is configured once, before any command runs (``configure_logging``): muri-gen's own
  messages at INFO, third-party libraries (httpx logs every request) at WARNING unless --verbose,
  and every line written through tqdm so it never tears a progress bar.
- A handled error (``fail``: something found wrong while doing the work, in the input, the recipe,
  the run or the network) prints "error: ..." and exits 1. A usage error (``usage_error``: an option
  value the command cannot take, such as an unknown language code, format or method) exits 2, as
  unknown options and missing files named on the command line do. A missing optional package is
  a handled error naming the extra that installs it.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

import typer
from tqdm.auto import tqdm
from typer.core import TyperGroup

from muri_gen.optional import MissingPackage

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_HANDLER = "muri-gen"  # the name of the handlers installed here, so re-configuring replaces only them


class _TqdmHandler(logging.StreamHandler):
    """Writes each line through tqdm.write: open bars are cleared, the line printed, the bars redrawn."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
            self.flush()  # in order with what the command prints when stderr is a pipe or a file
        except Exception:  # noqa: BLE001 - logging must never raise; the standard handlers do the same
            self.handleError(record)


def _install(handler: logging.Handler) -> None:
    handler.set_name(_HANDLER)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)


def configure_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("muri_gen").setLevel(logging.DEBUG if verbose else logging.INFO)
    if not verbose:  # vLLM installs its own handler at INFO when imported (and in servers we launch)
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    _install(_TqdmHandler(sys.stderr))


def log_to_file(path: Path) -> None:
    """Also write every log line to ``path`` (a run's run.log), at the levels configure_logging set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _install(logging.FileHandler(path, encoding="utf-8"))


def fail(message: str) -> NoReturn:
    """A handled error: the command could not do its work (bad input data, a failed run, the network)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def usage_error(message: str) -> NoReturn:
    """The command line itself is wrong: a malformed option value, or one the command does not know."""
    raise typer.BadParameter(message)


class Commands(TyperGroup):
    """The command group: a missing optional package, wherever it is imported, ends the command as a
    handled error with the install hint instead of a traceback."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except MissingPackage as exc:
            fail(str(exc))
