"""Load test of the avatar socket: N real websocket sessions, each sending a turn every R seconds.

    manage.py bench_ws --url ws://127.0.0.1:8000/ws/avatar/ --url ws://127.0.0.1:8001/ws/avatar/ \
        --sessions 500 --rate 30 --duration 120

Sessions are spread round-robin over the given URLs (several daphne processes). Each runs the
credit-card conversation (needs, income, fee, confirmation, a card, a knowledge question) and
starts again when it ends. The table shows the round trip of a turn (user.text sent to its
answer.done received), errors by code, lost messages (gaps in the per-session `seq`) and
duplicates. Without --token the command creates bench devices and tokens in the database the
server uses and revokes the tokens afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SCRIPT = {
    "zh-hans": [
        "我经常出国旅游，也喜欢美食",
        "年收入30万",
        "不想要年费",
        "对",
        "第一张",
        "这张卡的年费怎么免？",
        "没有问题了",
    ],
    "en": [
        "I travel abroad a lot and love dining out",
        "My annual income is 300,000",
        "No annual fee please",
        "Yes",
        "The first one",
        "How is the annual fee waived?",
        "No more questions",
    ],
}


@dataclass
class Stats:
    connected: int = 0
    connect_failed: int = 0
    sessions_started: int = 0
    turns_sent: int = 0
    turns_answered: int = 0
    timeouts: int = 0
    lost: int = 0
    duplicates: int = 0
    disconnects: int = 0
    rtts: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)


class _Session:
    def __init__(self, url: str, token: str, language: str, stats: Stats) -> None:
        self.url = f"{url}{'&' if '?' in url else '?'}token={token}"
        self.language = language
        self.stats = stats
        self.last_seq = 0
        self.session_id: str | None = None
        self.step = 0

    def _track(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        if seq is None or frame.get("type") in {"answer.delta", "turn.ack"}:
            return
        if seq <= self.last_seq:
            self.stats.duplicates += 1
            return
        if seq > self.last_seq + 1:
            self.stats.lost += seq - self.last_seq - 1
        self.last_seq = seq

    async def _until(self, ws: Any, predicate: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            self._track(frame)
            if frame.get("type") == "error" and frame.get("seq") is None:
                self.stats.errors[frame.get("code", "?")] += 1
            if predicate(frame):
                return frame

    async def _start(self, ws: Any, timeout: float) -> None:
        await ws.send(
            json.dumps(
                {"type": "session.start", "scenario": "credit_card", "language": self.language}
            )
        )
        ready = await self._until(ws, lambda f: f["type"] in {"session.ready", "error"}, timeout)
        if ready["type"] == "error":
            raise RuntimeError(ready.get("code"))
        self.session_id = ready["session_id"]
        self.last_seq = 0
        self.step = 0
        await self._until(ws, lambda f: f["type"] == "answer.done", timeout)
        self.stats.sessions_started += 1

    async def run(self, *, start_at: float, stop_at: float, rate: float, timeout: float) -> None:
        import websockets

        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        try:
            ws = await websockets.connect(self.url, open_timeout=timeout, max_queue=None)
        except Exception as exc:  # noqa: BLE001 - any failure to connect counts the same
            self.stats.connect_failed += 1
            self.stats.errors[f"connect:{type(exc).__name__}"] += 1
            return
        self.stats.connected += 1
        try:
            await self._until(ws, lambda f: f["type"] == "hello", timeout)
            await self._start(ws, timeout)
            # Spread the sessions' turns over the period instead of sending them in lockstep.
            next_turn = time.monotonic() + random.uniform(0, rate)  # noqa: S311
            while next_turn < stop_at:
                await asyncio.sleep(max(0.0, next_turn - time.monotonic()))
                await self._turn(ws, timeout)
                next_turn += rate
        except TimeoutError:
            self.stats.timeouts += 1
        except Exception as exc:  # noqa: BLE001 - a dropped socket ends this session's run
            self.stats.disconnects += 1
            self.stats.errors[f"socket:{type(exc).__name__}"] += 1
        finally:
            await ws.close()

    async def _turn(self, ws: Any, timeout: float) -> None:
        script = SCRIPT[self.language]
        text = script[self.step % len(script)]
        self.step += 1
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "user.text", "text": text}))
        self.stats.turns_sent += 1
        answer = await self._until(
            ws, lambda f: f["type"] == "answer.done" or (f["type"] == "error"), timeout
        )
        if answer["type"] == "answer.done":
            self.stats.turns_answered += 1
            self.stats.rtts.append((time.perf_counter() - sent) * 1000)
            if answer.get("status") in {"completed", "handed_over"}:
                await self._start(ws, timeout)
            return
        code = answer.get("code", "?")
        if answer.get("seq") is not None:
            self.stats.errors[code] += 1  # a sequenced refusal (counted once, here)
        if code in {"session_closed"}:
            await self._start(ws, timeout)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Open N avatar websocket sessions, each sending a turn every R seconds; print a table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            action="append",
            help="avatar socket URL; repeat it to spread sessions over several processes "
            "(default ws://127.0.0.1:8000/ws/avatar/)",
        )
        parser.add_argument("--sessions", type=int, default=100)
        parser.add_argument("--rate", type=float, default=10.0, help="seconds between turns")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds of turns")
        parser.add_argument("--ramp", type=float, default=None, help="seconds to open sessions")
        parser.add_argument("--timeout", type=float, default=60.0, help="per reply, seconds")
        parser.add_argument("--token", help="use this device token for every session")
        parser.add_argument("--devices", type=int, default=50, help="bench devices to create")
        parser.add_argument("--language", choices=["zh-hans", "en"], default="zh-hans")

    def handle(self, *args: object, **options: Any) -> None:
        urls = options["url"] or ["ws://127.0.0.1:8000/ws/avatar/"]
        for url in urls:
            if not url.startswith(("ws://", "wss://")):
                raise CommandError(f"--url must be a ws:// or wss:// URL, not {url!r}")
        sessions, rate, duration = options["sessions"], options["rate"], options["duration"]
        if sessions < 1 or rate <= 0 or duration <= 0:
            raise CommandError("--sessions must be at least 1; --rate and --duration positive")
        try:
            import websockets  # noqa: F401
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise CommandError("the 'websockets' package is needed") from exc
        ramp = options["ramp"] if options["ramp"] is not None else min(60.0, sessions / 40)
        tokens, issued = self._tokens(options["token"], min(options["devices"], sessions))
        stats = Stats()
        started = time.monotonic()
        try:
            asyncio.run(self._run(urls, tokens, sessions, rate, duration, ramp, options, stats))
        finally:
            if issued:
                self._revoke(issued)
        self._report(urls, sessions, rate, duration, ramp, stats, time.monotonic() - started)

    def _tokens(self, token: str | None, count: int) -> tuple[list[str], list[str]]:
        if token:
            return [token], []
        from devices.services import device_token_issue
        from scenarios.touchpoints.models import Device
        from scenarios.touchpoints.selectors import device_by_name, device_group_by_name
        from scenarios.touchpoints.services import (
            device_group_create,
            device_group_join,
            device_register,
        )

        group = device_group_by_name("bench") or device_group_create(
            name="bench", description="Devices of manage.py bench_ws"
        )
        tokens = []
        for n in range(1, count + 1):
            # Web channels without capabilities; the name and the group say they are the bench's.
            name = f"bench-ws-{n:04d}"
            device = device_by_name(name) or device_register(name=name, kind=Device.Kind.WEB)
            if not device.groups.filter(pk=group.pk).exists():
                device_group_join(device=device, group=group)
            tokens.append(device_token_issue(device=device, label="bench_ws"))
        return tokens, tokens

    def _revoke(self, tokens: list[str]) -> None:
        from devices.models import DeviceToken
        from devices.services import device_tokens_revoke

        prefixes = [token.split("_")[1] for token in tokens]
        device_tokens_revoke(tokens=DeviceToken.objects.filter(prefix__in=prefixes))

    async def _run(
        self,
        urls: list[str],
        tokens: list[str],
        sessions: int,
        rate: float,
        duration: float,
        ramp: float,
        options: dict[str, Any],
        stats: Stats,
    ) -> None:
        now = time.monotonic()
        stop_at = now + ramp + duration
        workers = [
            _Session(urls[n % len(urls)], tokens[n % len(tokens)], options["language"], stats)
            for n in range(sessions)
        ]
        await asyncio.gather(
            *(
                worker.run(
                    start_at=now + ramp * n / sessions,
                    stop_at=stop_at,
                    rate=rate,
                    timeout=options["timeout"],
                )
                for n, worker in enumerate(workers)
            )
        )

    def _report(
        self,
        urls: list[str],
        sessions: int,
        rate: float,
        duration: float,
        ramp: float,
        stats: Stats,
        elapsed: float,
    ) -> None:
        rtts = stats.rtts
        rows = [
            ("servers", ", ".join(urls)),
            ("sessions requested / connected", f"{sessions} / {stats.connected}"),
            ("connections failed", stats.connect_failed),
            ("conversations started", stats.sessions_started),
            ("turn every / duration / ramp", f"{rate:g} s / {duration:g} s / {ramp:g} s"),
            ("turns sent / answered", f"{stats.turns_sent} / {stats.turns_answered}"),
            ("answered turns per second", f"{stats.turns_answered / max(elapsed, 1e-9):.1f}"),
            ("turn round trip p50", f"{_percentile(rtts, 50):.0f} ms"),
            ("turn round trip p95", f"{_percentile(rtts, 95):.0f} ms"),
            ("turn round trip p99", f"{_percentile(rtts, 99):.0f} ms"),
            ("turn round trip mean", f"{statistics.fmean(rtts):.0f} ms" if rtts else "n/a"),
            ("timeouts", stats.timeouts),
            ("sockets dropped", stats.disconnects),
            (
                "errors",
                ", ".join(f"{code}: {n}" for code, n in stats.errors.most_common()) or "0",
            ),
            ("lost messages (seq gaps)", stats.lost),
            ("duplicate messages", stats.duplicates),
            ("wall time", f"{elapsed:.0f} s"),
        ]
        width = max(len(label) for label, _ in rows)
        self.stdout.write("")
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")
