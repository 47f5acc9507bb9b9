"""`manage.py serve` starts daphne with the accept queue and handshake time a fleet needs."""

from __future__ import annotations

from bank_ai.management.commands.serve import daphne_arguments


def test_daphne_listens_with_the_configured_backlog_and_handshake_timeout(settings) -> None:
    settings.WS_LISTEN_BACKLOG = 4096
    settings.WS_CONNECT_TIMEOUT = 45
    arguments = daphne_arguments("127.0.0.1", 8123)
    assert arguments[:2] == ["-e", "tcp:port=8123:interface=127.0.0.1:backlog=4096"]
    assert arguments[arguments.index("--websocket_connect_timeout") + 1] == "45"
    assert "--proxy-headers" in arguments


def test_an_ipv6_host_is_escaped_in_the_endpoint(settings) -> None:
    settings.WS_LISTEN_BACKLOG = 2048
    assert daphne_arguments("::1", 8000)[1] == r"tcp:port=8000:interface=\:\:1:backlog=2048"
