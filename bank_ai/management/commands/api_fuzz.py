"""Fuzz the REST API with schemathesis: no server errors, no status the schema does not document.

By default it creates a throwaway database (`<test database>_fuzz`), loads the demo bank,
serves the product from a live server thread on a free port, issues a device token and a
staff DRF token, and runs `schemathesis run` against /api/schema/ once per credential.
With `--url` it fuzzes a server that is already running on this configuration's database
(the tokens are issued there; the device token is revoked afterwards).

Exit status 1 when any check failed or schemathesis reported an error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET  # noqa: S405 - parses the report schemathesis just wrote
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rest_framework.authtoken.models import Token

from devices.models import Device, DeviceToken
from devices.services import device_token_issue, device_token_revoke

DEFAULT_CHECKS = "not_a_server_error,status_code_conformance"
FUZZ_LABEL = "api_fuzz"
QUIET_LOGGERS = ("django.request", "django.server")


@dataclass
class FuzzResult:
    """One schemathesis run (one credential): what it tried and what failed."""

    principal: str
    returncode: int
    operations: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures and not self.errors


def _schemathesis() -> str:
    return str(Path(sys.executable).parent / "schemathesis")


def _read_junit(path: Path, result: FuzzResult) -> None:
    if not path.exists():
        result.errors.append("schemathesis wrote no report")
        return
    root = ET.parse(path).getroot()  # noqa: S314 - our own subprocess's report file
    for case in root.iter("testcase"):
        result.operations += 1
        for kind, found in (("failure", result.failures), ("error", result.errors)):
            for outcome in case.findall(kind):
                # `message` holds the failure codes (ST103 …), the text what was sent and got.
                message = outcome.get("message") or ""
                detail = (outcome.text or "").strip()
                text = message if detail in ("", message) else f"{message}\n{detail}".strip()
                found.append(f"{case.get('name')}: {text[:3000]}")


def run_schemathesis(
    *,
    base_url: str,
    principal: str,
    authorization: str,
    max_examples: int,
    seed: int | None,
    checks: str = DEFAULT_CHECKS,
    phases: str | None = None,
    workers: int = 1,
) -> FuzzResult:
    """One `schemathesis run` over base_url's /api/schema/ with this Authorization header."""
    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as report_dir:
        junit = Path(report_dir) / "junit.xml"
        command = [
            _schemathesis(),
            "--no-color",
            "run",
            f"{base_url.rstrip('/')}/api/schema/",
            "--checks",
            checks,
            "--header",
            f"Authorization: {authorization}",
            "--max-examples",
            str(max_examples),
            "--workers",
            str(workers),
            "--generation-database",
            "none",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
            "--request-timeout",
            "60",
        ]
        if seed is not None:
            command += ["--seed", str(seed)]
        if phases:
            command += ["--phases", phases]
        completed = subprocess.run(  # noqa: S603 - our schemathesis, arguments we built
            command, capture_output=True, text=True, timeout=1800, check=False, cwd=report_dir
        )
        result = FuzzResult(
            principal=principal,
            returncode=completed.returncode,
            output=completed.stdout + completed.stderr,
        )
        _read_junit(junit, result)
    return result


@dataclass
class Credentials:
    device: Device
    device_token: str
    staff_username: str
    staff_token: str


def issue_credentials(*, device_name: str, staff_username: str) -> Credentials:
    """A fresh device token and the staff user's DRF token, on the current database."""
    try:
        device = Device.objects.get(name=device_name)
    except Device.DoesNotExist as exc:
        raise CommandError(f"no device {device_name!r} (load the demo bank?)") from exc
    try:
        staff = get_user_model().objects.get(username=staff_username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"no user {staff_username!r} (load the demo bank?)") from exc
    token, _ = Token.objects.get_or_create(user=staff)
    return Credentials(
        device=device,
        device_token=device_token_issue(device=device, label=FUZZ_LABEL),
        staff_username=staff_username,
        staff_token=token.key,
    )


@contextlib.contextmanager
def throwaway_database(stdout) -> Iterator[str]:  # noqa: ANN001 - the command's OutputWrapper
    """A new test database with the demo bank, dropped afterwards; yields its name."""
    from bank_ai.demo import seed_all

    test_settings = connection.settings_dict.setdefault("TEST", {})
    base_name = test_settings.get("NAME") or f"test_{connection.settings_dict['NAME']}"
    test_settings["NAME"] = f"{base_name}_fuzz"
    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        stdout.write(f"Loading the demo bank into {name} ...")
        seed_all(log=lambda line: None)
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def live_server() -> Iterator[str]:
    """The product's WSGI app served from a thread on a free loopback port."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    host = "127.0.0.1"
    if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
    thread = LiveServerThread(host, StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://{host}:{thread.port}"
    finally:
        thread.terminate()


@contextlib.contextmanager
def quiet_request_logs() -> Iterator[None]:
    """Every refused request logs a warning; keep only errors (server errors show)."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Fuzz /api/ with schemathesis (checks: server errors, undocumented status codes) "
        "as a device and as a staff user; exit 1 on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            help="fuzz this running server (e.g. http://127.0.0.1:8000); its database must be "
            "this configuration's. Default: a live server on a throwaway test database.",
        )
        parser.add_argument("--max-examples", type=int, default=20, help="per operation")
        parser.add_argument("--seed", type=int, default=None, help="reproduce a run")
        parser.add_argument("--device", default="demo-app", help="device for the device token")
        parser.add_argument("--staff-user", default="admin", help="user for the DRF token")
        parser.add_argument("--checks", default=DEFAULT_CHECKS, help="schemathesis checks")
        parser.add_argument("--phases", default=None, help="schemathesis phases (default: all)")
        parser.add_argument("--verbose-output", action="store_true", help="print its output")

    def handle(self, *args: object, **options: object) -> None:
        if options["url"]:
            results = self._fuzz(str(options["url"]), options)
        else:
            with throwaway_database(self.stdout), live_server() as url, quiet_request_logs():
                results = self._fuzz(url, options)
        self._summary(results, verbose=bool(options["verbose_output"]))
        if not all(result.ok for result in results):
            raise CommandError("the API fuzz found failures (see above)", returncode=1)

    def _fuzz(self, base_url: str, options: dict) -> list[FuzzResult]:
        credentials = issue_credentials(
            device_name=str(options["device"]), staff_username=str(options["staff_user"])
        )
        runs = [
            (f"device {credentials.device.name}", f"Device {credentials.device_token}"),
            (f"staff {credentials.staff_username}", f"Token {credentials.staff_token}"),
        ]
        results = []
        try:
            for principal, authorization in runs:
                self.stdout.write(f"schemathesis against {base_url}/api/schema/ as {principal} ...")
                results.append(
                    run_schemathesis(
                        base_url=base_url,
                        principal=principal,
                        authorization=authorization,
                        max_examples=int(options["max_examples"]),
                        seed=options["seed"],
                        checks=str(options["checks"]),
                        phases=options["phases"],
                    )
                )
        finally:
            for token in DeviceToken.objects.filter(
                device=credentials.device, label=FUZZ_LABEL, revoked_at__isnull=True
            ):
                device_token_revoke(token=token)
        return results

    def _summary(self, results: list[FuzzResult], *, verbose: bool) -> None:
        self.stdout.write("")
        for result in results:
            verdict = self.style.SUCCESS("ok") if result.ok else self.style.ERROR("FAILED")
            self.stdout.write(
                f"{result.principal}: {result.operations} operations, "
                f"{len(result.failures)} failures, {len(result.errors)} errors "
                f"(schemathesis exit {result.returncode}) {verdict}"
            )
            for line in result.failures + result.errors:
                self.stdout.write(f"  - {line}")
            if verbose or (not result.ok and not (result.failures or result.errors)):
                self.stdout.write(result.output[-20000:])
        if os.environ.get("CI"):
            self.stdout.write("(run `manage.py api_fuzz --seed <n>` to reproduce)")
