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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from tqdm.auto import tqdm
from typer.core import TyperGroup
from typer.exceptions import TyperException

from muri_gen.optional import MissingPackage
from muri_gen.redact import redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_HANDLER = "muri-gen"  # the name of the handlers installed here, so re-configuring replaces only them


class _TqdmHandler(logging.StreamHandler):
    """Writes each line through tqdm.write: open bars are cleared, the line printed, the bars redrawn.

    To ``sys.stderr`` as it is when the line is logged, like logging's last-resort handler: a process
    that outlives the stream it started with (pytest's capture, a notebook) keeps its log lines."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)  # no stream of its own to bind

    @property
    def stream(self):
        return sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
            self.flush()  # in order with what the command prints when stderr is a pipe or a file
        except Exception:  # noqa: BLE001 - logging must never raise; the standard handlers do the same
            self.handleError(record)


class _RedactingFormatter(logging.Formatter):
    """Every line, whichever library logged it (httpx logs each request's URL), without its secrets."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _LogFile(logging.FileHandler):
    """run.log, opened as every output file is: a symbolic link in its place is refused, not followed."""

    def _open(self):
        from muri_gen.runner.layout import open_output  # here: the runner package imports the whole pipeline

        return open(open_output(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "a",
                    encoding=self.encoding, errors=self.errors)


def _install(handler: logging.Handler) -> None:
    handler.set_name(_HANDLER)
    handler.setFormatter(_RedactingFormatter(LOG_FORMAT))
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
    _install(_TqdmHandler())


@contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """Also write every log line to ``path`` (a run's run.log) while the block runs, at the levels
    configure_logging set; where nothing set them (the Python API, tests), muri-gen's own from INFO up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(path, encoding="utf-8")
    _install(handler)
    own = logging.getLogger("muri_gen")
    if own.level == logging.NOTSET:
        own.setLevel(logging.INFO)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def fail(message: str) -> NoReturn:
    """A handled error: the command could not do its work (bad input data, a failed run, the network)."""
    typer.secho(f"error: {redact(message)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def usage_error(message: str) -> NoReturn:
    """The command line itself is wrong: a malformed option value, or one the command does not know."""
    raise typer.BadParameter(message)


def describe(exc: BaseException) -> str:
    """One line a person can act on: the file and the cause, never a traceback."""
    if isinstance(exc, OSError) and exc.filename is not None:
        cause = _OS_CAUSES.get(type(exc), exc.strerror or str(exc))
        return f"{exc.filename}: {cause}"
    if isinstance(exc, EOFError):  # gzip's "truncated" (click would print only "Aborted!")
        return f"a compressed file ends early, truncated? ({exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    # a library's own message usually names what it could not find; the class name only adds noise
    return str(exc) if isinstance(exc, (OSError, ValueError)) and str(exc) else f"{type(exc).__name__}: {exc}"


_OS_CAUSES = {
    FileExistsError: "exists and is not a folder (a folder is needed here)",
    NotADirectoryError: "part of this path is a file, not a folder",
    IsADirectoryError: "is a folder (a file is needed here)",
}


class Commands(TyperGroup):
    """The command group and the one error boundary of every command: an error that no command
    handled (a missing optional package, an unreadable file, a library's exception) ends the
    command with "error: <file>: <cause>" and exit 1 instead of a traceback (--verbose logs it)."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (TyperException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise  # usage errors (exit 2), typer.Exit and Ctrl-C keep their own handling
        except MissingPackage as exc:
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - the boundary: every other error is reported the same way
            logging.getLogger("muri_gen").debug("traceback of the error below", exc_info=True)
            fail(describe(exc))
