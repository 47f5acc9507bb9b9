"""Which server processes are alive: a row per process and a heartbeat thread.

An answer's `seq` is reserved by the process generating it (devices.outbox). When that process
is killed mid-answer nothing completes the reservation, and every later frame of the session
waits behind it. Knowing the owner is dead lets readers close the answer as interrupted at
once: a process is dead when it said it stopped, when its beat is older than
`AVATAR_PROCESS_DEAD_AFTER`, or, on the same host, as soon as its pid no longer runs.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone

from devices import conf
from devices.models import ServerProcess

logger = logging.getLogger(__name__)

# This process; the pending frames it reserves carry it as their owner.
PROCESS_ID = uuid.uuid4()
HOST = socket.gethostname()

_start_lock = threading.Lock()
_started = False


def current_process_id() -> uuid.UUID:
    return PROCESS_ID


def is_started() -> bool:
    return _started


def server_process_beat() -> None:
    """Record that this process is alive (creating its row on the first beat)."""
    now = timezone.now()
    updated = ServerProcess.objects.filter(pk=PROCESS_ID).update(beat_at=now, stopped_at=None)
    if not updated:
        ServerProcess.objects.update_or_create(
            pk=PROCESS_ID,
            defaults={"host": HOST, "pid": os.getpid(), "beat_at": now, "stopped_at": None},
            create_defaults={"host": HOST, "pid": os.getpid(), "started_at": now, "beat_at": now},
        )


def server_process_stop() -> None:
    """A clean shutdown: this process's pending answers need not wait for its beat to expire."""
    ServerProcess.objects.filter(pk=PROCESS_ID).update(stopped_at=timezone.now())


def _pid_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The state follows the command name in parentheses; a zombie has exited already.
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except FileNotFoundError:
        return False
    except OSError:
        pass  # no /proc: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_is_dead(process: ServerProcess, *, now: Any = None) -> bool:
    if process.pk == PROCESS_ID:
        return False
    if process.stopped_at is not None:
        return True
    now = now or timezone.now()
    if process.beat_at < now - timedelta(seconds=conf.process_dead_after_seconds()):
        return True
    return process.host == HOST and not _pid_running(process.pid)


def owner_is_dead(owner: Any) -> bool:
    """Whether the process that reserved a pending frame is known to be dead.

    An owner without a row (heartbeats off, or not yet written) is not known to be dead: its
    frames wait for the pending timeout as before.
    """
    if owner is None:
        return False
    process = ServerProcess.objects.filter(pk=owner).first()
    return process is not None and process_is_dead(process)


def dead_processes() -> list[ServerProcess]:
    now = timezone.now()
    return [p for p in ServerProcess.objects.all() if process_is_dead(p, now=now)]


def _beat_forever(interval: float) -> None:
    from devices.outbox import session_frames_recover
    from devices.services import device_connections_reap

    stop = threading.Event()
    while not stop.wait(interval):
        try:
            server_process_beat()
            session_frames_recover()
            device_connections_reap()
        except Exception:
            logger.warning("server process heartbeat failed", exc_info=True)
        finally:
            close_old_connections()


def server_process_start() -> None:
    """Once per process (the first socket): register, recover what dead processes left, beat.

    Does nothing when beats are off (`AVATAR_PROCESS_BEAT_SECONDS` 0; the test suite's
    conftest turns them off, since their database work would escape the tests' transactions).
    """
    global _started
    interval = conf.process_beat_seconds()
    if interval <= 0 or _started:
        return
    with _start_lock:
        if _started:
            return
        from devices.outbox import session_frames_recover

        try:
            server_process_beat()
            recovered = session_frames_recover()
        except Exception:
            # Not fatal for the socket asking: the next one tries again.
            logger.warning("could not register this server process", exc_info=True)
            return
        if recovered:
            logger.warning("recovered %d pending answer(s) of dead server processes", recovered)
        threading.Thread(
            target=_beat_forever, args=(interval,), name="server-process-beat", daemon=True
        ).start()
        atexit.register(_stop_at_exit)
        _started = True


def _stop_at_exit() -> None:
    try:
        server_process_stop()
        connection.close()
    except Exception:  # noqa: BLE001 - best effort while the interpreter exits
        logger.debug("could not mark the server process stopped", exc_info=True)
