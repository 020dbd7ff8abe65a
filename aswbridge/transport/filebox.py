"""The ASW side as a filesystem mailbox: four folders shared with the NSW.

Under one root folder::

    in/          the NSW puts messages here for the bridge to pull
    out/         the bridge delivers messages here for the NSW
    processed/   pulled messages the bridge has recorded (acknowledged)
    failed/      pulled messages the bridge refused, each with <name>.reason.json
    quarantine/  what in/ held that is not a message file (created when first needed)

Rules that make it safe:

* Every writer (the bridge, and the NSW) writes to a temporary name in the same
  folder, a name starting with ``.`` or ending in ``.tmp`` or ``.part``, then
  renames it into place (``os.replace``, atomic on one filesystem). Readers skip
  such names, so a half-written file is never read.
* Files are ``fsync``-ed, and so is the folder after a rename, before a delivery is
  reported (``durable=False`` skips this, for tests).
* A delivery leaves a marker in ``out/.delivered/``; a repeated message id is
  recognised even after the NSW has taken the file away.
* Only regular files are read, never through a link. A symbolic link, a FIFO, a
  folder, a device or a socket in ``in/``, and a file whose name is not UTF-8 or holds a
  control character or a backslash, is moved to ``quarantine/`` (under a safe name when
  its own is not) with ``<name>.reason.json`` saying what it was, and a warning is
  logged with the name escaped; the files behind it are pulled as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import stat
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aswbridge._xml import DEFAULT_MAX_BYTES
from aswbridge.errors import ConfigurationError
from aswbridge.logs import escape
from aswbridge.transport.base import Delivered, Inbound, Outbound, RemoteRejected, TrackState

__all__ = ["FileboxSide"]

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_TEMP_SUFFIXES = (".tmp", ".part")
_REASON = ".reason.json"
# names the mailbox will not take as a message: a control character, a backslash
_HOSTILE_NAME = re.compile(r"[\x00-\x1f\x7f\\]")

log = logging.getLogger("aswbridge.transport.filebox")


def _safe_name(message_id: str) -> str:
    if _SAFE.fullmatch(message_id):
        return message_id
    return "id-" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def _visible(name: str) -> bool:
    return not name.startswith(".") and not name.endswith((*_TEMP_SUFFIXES, _REASON))


def _not_a_message(entry: os.DirEntry[str]) -> str | None:
    """Why ``entry`` of ``in/`` is not a message file, or None when it is one."""
    try:
        entry.name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not UTF-8"
    if _HOSTILE_NAME.search(entry.name):
        return "the file name holds a control character or a backslash"
    mode = entry.stat(follow_symlinks=False).st_mode
    if stat.S_ISREG(mode):
        return None
    what = (
        "a symbolic link"
        if stat.S_ISLNK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
    )
    return f"{what}, not a regular file"


class FileboxSide:
    """An NSW mailbox of folders, as one side of the bridge.

    Args:
        root: the folder holding ``in``, ``out``, ``processed`` and ``failed``.
        durable: fsync files and folders before reporting success.
        create: create missing folders.
        max_bytes: a pulled file larger than this is read up to one byte more (and
            refused by the pipeline).
        name: the side's name in logs and the store.
    """

    def __init__(
        self,
        *,
        root: str | os.PathLike[str],
        durable: bool = True,
        create: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        name: str = "nsw",
    ) -> None:
        self.name = name
        self.root = Path(root)
        self.inbox = self.root / "in"
        self.outbox = self.root / "out"
        self.processed = self.root / "processed"
        self.failed = self.root / "failed"
        self.quarantine = self.root / "quarantine"
        self._ledger = self.outbox / ".delivered"
        self._durable = durable
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        for folder in (self.inbox, self.outbox, self.processed, self.failed, self._ledger):
            if create:
                folder.mkdir(parents=True, exist_ok=True)
            elif not folder.is_dir():
                raise ConfigurationError(f"mailbox folder missing: {folder}")

    # --- the Side interface -----------------------------------------------------------

    def deliver(self, item: Outbound) -> Delivered:
        """Write the message into ``out/`` atomically; a repeated message id is recognised."""
        name = _safe_name(item.message_id)
        filename = f"{name}.xml"
        marker = self._ledger / name
        if marker.exists():
            return Delivered(message_id=item.message_id, tracking=filename, duplicate=True)
        self._write(self.outbox / filename, item.body)
        record = {"message_id": item.message_id, "kind": item.kind, "at": _now()}
        self._write(marker, json.dumps(record).encode())
        return Delivered(message_id=item.message_id, tracking=filename, duplicate=False)

    def pending(self, *, limit: int = 100) -> list[str]:
        """Names of complete files in ``in/``, oldest first; what is not a message file
        is quarantined on the way."""
        entries: list[tuple[int, str]] = []
        with os.scandir(self.inbox) as scan:
            for entry in scan:
                if not _visible(entry.name):
                    continue
                try:
                    reason = _not_a_message(entry)
                    if reason is None:
                        entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                    else:
                        self._quarantine(entry.name, reason)
                except FileNotFoundError:  # taken away since the listing
                    continue
                except OSError as exc:  # cannot move it aside: skip it, serve the others
                    log.warning(
                        "%s mailbox: in/%s skipped, cannot be quarantined: %s",
                        self.name,
                        escape(entry.name),
                        exc.strerror,
                    )
        entries.sort()
        return [name for _, name in entries[: max(1, limit)]]

    def fetch(self, ref: str) -> Inbound:
        """Read one file of ``in/``; it stays there until acknowledged or rejected.

        The body is returned as it is: a folder carries no metadata, so the message id,
        kind and sender are left for the bridge to read from the verified message.

        Raises:
            RemoteRejected: ``NOT_FOUND`` when there is no such file, ``NOT_A_FILE``
                when it is not a regular file.
        """
        path = self._in_path(ref)
        try:  # never through a link, never blocked on a FIFO put there since the listing
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise RemoteRejected(
                f"no file {ref!r} in the mailbox", remote_code="NOT_FOUND"
            ) from None
        except OSError as exc:  # ELOOP: a symbolic link
            raise RemoteRejected(
                f"{ref!r} is not a regular file ({exc.strerror})", remote_code="NOT_A_FILE"
            ) from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RemoteRejected(f"{ref!r} is not a regular file", remote_code="NOT_A_FILE")
            body = handle.read(self._max_bytes + 1)
        return Inbound(ref=ref, body=body)

    def acknowledge(self, ref: str) -> None:
        """Move the file to ``processed/``. Acknowledging twice is harmless."""
        self._move(ref, self.processed)

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        """Write ``failed/<ref>.reason.json``, then move the file to ``failed/``."""
        self._in_path(ref)
        record = {"ref": ref, "code": code, "reason": reason[:2000], "at": _now()}
        self._write(self.failed / f"{ref}{_REASON}", json.dumps(record, indent=2).encode())
        self._move(ref, self.failed)

    def track(self, message_id: str) -> TrackState:
        """``delivered`` when this mailbox has received the message id, else ``unknown``."""
        name = _safe_name(message_id)
        if (self._ledger / name).exists() or (self.outbox / f"{name}.xml").exists():
            return "delivered"
        return "unknown"

    def close(self) -> None:
        """Nothing to release."""

    # --- plumbing -----------------------------------------------------------------------

    def _quarantine(self, name: str, reason: str) -> None:
        """Move ``in/<name>`` (a link itself, never its target) to ``quarantine/``."""
        raw = os.fsencode(name)
        safe = name if _SAFE.fullmatch(name) else "q-" + hashlib.sha256(raw).hexdigest()[:40]
        with self._lock:
            self.quarantine.mkdir(exist_ok=True)
            target = self.quarantine / safe
            if os.path.lexists(target):
                target = self.quarantine / f"{safe}.{time.time_ns()}"
            record = {"name": escape(name), "name_hex": raw.hex(), "reason": reason, "at": _now()}
            self._write(
                self.quarantine / f"{target.name}{_REASON}", json.dumps(record, indent=2).encode()
            )
            os.replace(self.inbox / name, target)
            self._sync_dir(self.quarantine)
            self._sync_dir(self.inbox)
        log.warning(
            "%s mailbox: in/%s quarantined as %s: %s", self.name, escape(name), target.name, reason
        )

    def _in_path(self, ref: str) -> Path:
        if not _visible(ref) or "/" in ref or "\\" in ref or ref in (".", ".."):
            raise RemoteRejected(f"not a mailbox file name: {ref!r}", remote_code="NOT_FOUND")
        return self.inbox / ref

    def _move(self, ref: str, folder: Path) -> None:
        source = self._in_path(ref)
        with self._lock:
            target = folder / ref
            if target.exists() and source.exists():  # a new file reusing an old name
                target = folder / f"{Path(ref).stem}.{time.time_ns()}{Path(ref).suffix}"
            try:
                os.replace(source, target)
            except FileNotFoundError:
                if (self.processed / ref).exists() or (self.failed / ref).exists():
                    return
                raise RemoteRejected(
                    f"no file {ref!r} in the mailbox", remote_code="NOT_FOUND"
                ) from None
            self._sync_dir(folder)
            self._sync_dir(self.inbox)

    def _write(self, path: Path, data: bytes) -> None:
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with temp.open("xb") as handle:
                handle.write(data)
                if self._durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        self._sync_dir(path.parent)

    def _sync_dir(self, folder: Path) -> None:
        if not self._durable:
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
