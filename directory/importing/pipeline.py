"""Reading and checking an import's rows, in a second process when the file is large.

An import does two kinds of work: reading and checking the rows (CSV parsing, the
validator, the draw digest of each key: pure Python) and writing them (the
database driver and the database). On one core they take turns. For a file of at
least ``PIPELINE_MIN_BYTES``, :func:`checked_batches` forks a reader process that
reads and checks the batches and sends each one, pickled, through a pipe, while
this process writes the one before: the machine's second core does the reading.

The reader is forked after the file has been opened and its header mapped, so it
continues the same row iterator and validator (the duplicate-in-file check keeps
its memory of keys in the reader). It never touches the database connection it
inherits and ends with ``os._exit`` (through ``multiprocessing``), so nothing of
the connection is closed or flushed from it. The pipe holds at most the batch
being sent: the reader runs at most one batch ahead, so memory stays bounded.

A ``SourceError`` in the reader (an undecodable line, broken CSV) reaches this
process as the same error, after the batches before it; anything else the reader
raises becomes a ``RuntimeError`` with the reader's traceback. When the import
stops early (an error while writing), the reader is terminated.

Where ``fork`` is not available (not Linux), the file is small, or the setting
``SUIJI_IMPORT_READER`` is off, the same batches are produced in this process, in
the same order, with the same contents.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from directory.importing.sources import Source, SourceError

__all__ = ["PIPELINE_MIN_BYTES", "CheckedBatches", "checked_batches"]

#: Files at least this large are read and checked in a forked reader process.
PIPELINE_MIN_BYTES = 8 * 1024 * 1024

#: One item: (last line of the batch, bytes of the file read so far, the validator's Batch,
#: the draw digests of the batch's good keys).
Item = tuple[int, int, Any, list[int]]


def _items(source: Source, rows: Any, validator: Any) -> Iterator[Item]:
    from directory.importing.runner import draw_digests

    csv = source.kind == "csv"
    for first, chunk in rows:
        checked = validator.batch(first, chunk)
        digests = draw_digests(checked.columns[0]) if checked.lines else []
        yield first + len(chunk) - 1, source.position() if csv else 0, checked, digests


def _reader(sender: Any, source: Source, rows: Any, validator: Any) -> None:
    """The forked reader: every item, then ``("done", peak RSS)``, or the error that stopped it."""
    dumps = pickle.dumps
    try:
        try:
            for item in _items(source, rows, validator):
                sender.send_bytes(dumps(("batch", item), pickle.HIGHEST_PROTOCOL))
            # The reader's own peak resident set (KiB on Linux), which the importing process reports.
            sender.send_bytes(dumps(("done", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
        except SourceError as exc:
            sender.send_bytes(dumps(("source_error", (exc.reason, exc.message_zh, exc.message_en))))
        except BaseException:  # noqa: BLE001 - reported to the importing process, which raises it
            sender.send_bytes(dumps(("crash", traceback.format_exc())))
    except (BrokenPipeError, OSError):
        pass  # the importing process has stopped listening
    finally:
        sender.close()


class CheckedBatches:
    """A context manager over the checked batches of an import; see the module docstring."""

    def __init__(self, source: Source, rows: Any, validator: Any, *, forked: bool) -> None:
        self.source, self.rows, self.validator = source, rows, validator
        self.forked = forked
        self.process: Any = None
        self.receiver: Any = None
        #: The reader process's peak resident set in KiB, once it has finished (0 when there was none).
        self.reader_peak_kib = 0

    def __enter__(self) -> Iterator[Item]:
        if not self.forked:
            return _items(self.source, self.rows, self.validator)
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_reader, args=(sender, self.source, self.rows, self.validator), daemon=True, name="suiji-reader"
        )
        self.process.start()
        sender.close()
        return self._received()

    def _received(self) -> Iterator[Item]:
        loads = pickle.loads
        while True:
            try:
                kind, payload = loads(self.receiver.recv_bytes())
            except EOFError:
                raise RuntimeError(
                    f"the import's reader process ended without a result (exit code {self.process.exitcode})"
                ) from None
            if kind == "batch":
                yield payload
            elif kind == "done":
                self.reader_peak_kib = payload
                return
            elif kind == "source_error":
                raise SourceError(*payload)
            else:
                raise RuntimeError(f"the import's reader process failed:\n{payload}")

    def __exit__(self, *exc: Any) -> None:
        if self.process is None:
            return
        self.receiver.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.process.close()
        self.process = None


def checked_batches(source: Source, rows: Any, validator: Any) -> CheckedBatches:
    """The checked batches of ``rows``, read in a forked process when the file is large enough."""
    forked = sys.platform == "linux" and source.size >= PIPELINE_MIN_BYTES and _fork_allowed()
    return CheckedBatches(source, rows, validator, forked=forked)


def _fork_allowed() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SUIJI_IMPORT_READER", True))
