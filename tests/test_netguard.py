from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from tests.fakes.netguard import NetworkBlocked, install_network_guard, is_installed, is_loopback


@pytest.fixture
def guard() -> Iterator[None]:
    uninstall = install_network_guard()
    yield
    uninstall()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (("127.0.0.1", 80), True),
        (("127.5.5.5", 80), True),
        (("::1", 80, 0, 0), True),
        (("::ffff:127.0.0.1", 80, 0, 0), True),
        (("localhost", 80), True),
        ("/tmp/some.sock", True),
        (("8.8.8.8", 53), False),
        (("10.0.0.1", 80), False),
        (("2001:4860:4860::8888", 443, 0, 0), False),
        (("api.telegram.org", 443), False),
    ],
)
def test_is_loopback(address: object, expected: bool) -> None:
    assert is_loopback(address) is expected


def test_outside_connection_is_refused_before_any_packet(guard: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routable
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex(("192.0.2.1", 443))


async def test_loopback_still_works(guard: None) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(5))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello")
        assert await reader.read(5) == b"hello"
        writer.close()
        await writer.wait_closed()


async def test_asyncio_clients_are_blocked_too(guard: None) -> None:
    with pytest.raises(OSError):
        await asyncio.open_connection("192.0.2.1", 443)


def test_install_is_idempotent_and_removable() -> None:
    if is_installed():
        # Armed for the whole session (conftest): a nested install must not disarm it.
        guarded = socket.socket.connect
        install_network_guard()()
        assert socket.socket.connect is guarded
        return
    original = socket.socket.connect
    uninstall = install_network_guard()
    patched = socket.socket.connect
    assert patched is not original
    install_network_guard()()  # nested: a no-op, even its remover
    assert socket.socket.connect is patched
    uninstall()
    assert socket.socket.connect is original
