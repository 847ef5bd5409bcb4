"""``convert_isolated``: ``convert`` in a child process with a hard time limit and a memory cap.

A conversion stuck in a library call (a pathological PDF) or growing without bound (a bomb that
slipped past the checks) is killed; the caller only waits on a pipe and holds no lock meanwhile.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ConversionError
from .model import Converted
from .options import DEFAULT_OPTIONS, ConvertOptions

log = logging.getLogger(__name__)

_GRACE = 5.0  # seconds beyond max_seconds for starting the child (imports) and sending the result


def _child(conn, path: str, name: str, options: ConvertOptions) -> None:
    """Runs in the child: cap the address space, convert, send progress and then the result."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (options.max_memory_bytes, options.max_memory_bytes))
    except (ValueError, OSError) as err:  # a hard limit below ours: keep it
        log.warning("could not cap the conversion's memory: %s", err)
    from .core import convert

    def progress(done: int, total: int, message: str) -> None:
        conn.send(("progress", (done, total, message)))

    try:
        converted = convert(Path(path), name, options, progress)
        conn.send(("ok", converted.to_json()))
    except ConversionError as err:
        conn.send(("error", str(err)))
    except MemoryError:
        limit = options.max_memory_bytes / 1e9
        conn.send(("error", f"{name}: the conversion needs more than the {limit:.1f} GB of memory allowed"))
    finally:
        conn.close()


def _stop(process) -> None:
    process.terminate()
    process.join(2)
    if process.is_alive():
        process.kill()
        process.join(2)


def convert_isolated(
    path: Path,
    name: str | None = None,
    options: ConvertOptions = DEFAULT_OPTIONS,
    progress: Callable[[int, int, str], None] | None = None,
) -> Converted:
    """Like :func:`assistant.convert.convert`, in a spawned child process.

    The child is killed after ``options.max_seconds`` (ConversionError "... took longer than N s")
    and may use at most ``options.max_memory_bytes`` of address space; progress messages from the
    child are passed to ``progress`` here.
    """
    path = Path(path)
    name = name or path.name
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, str(path), name, options), daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + options.max_seconds + _GRACE
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not receiver.poll(min(left, 1.0)):
                if left <= 0:
                    _stop(process)
                    raise ConversionError(f"{name}: the conversion took longer than {options.max_seconds:g} s")
                if not process.is_alive() and not receiver.poll(0):
                    process.join(1)
                    raise ConversionError(
                        f"{name}: the conversion stopped unexpectedly (exit code {process.exitcode}; out of memory?)"
                    )
                continue
            try:
                kind, payload = receiver.recv()
            except EOFError:
                process.join(1)
                raise ConversionError(
                    f"{name}: the conversion stopped unexpectedly (exit code {process.exitcode}; out of memory?)"
                ) from None
            if kind == "progress":
                if progress is not None:
                    progress(*payload)
            elif kind == "ok":
                return Converted.from_json(payload)
            else:
                raise ConversionError(payload)
    finally:
        receiver.close()
        if process.is_alive():
            process.join(2)
        if process.is_alive():
            _stop(process)
