"""Make any test that tries to reach the network fail loudly instead of leaking out.

`install_network_guard()` patches `socket.socket.connect` / `connect_ex`, which every
client (asyncio, httpx, aiohttp, urllib) goes through: loopback and Unix sockets pass,
anything else raises `NetworkBlocked`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

_original: tuple[Callable[..., Any], Callable[..., Any]] | None = None


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to connect to a non-loopback address. (A ConnectionError, so clients
    report it like an unreachable host instead of hanging.)"""


def is_loopback(address: Any) -> bool:
    if isinstance(address, str | bytes):
        return True  # AF_UNIX path: local by definition
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name: resolving it would already be network traffic
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def install_network_guard() -> Callable[[], None]:
    """Install the guard. Returns a function that removes it again, or does nothing when
    the guard was already installed (so a test can't disarm the session-wide guard)."""
    global _original
    if _original is not None:
        return lambda: None
    _original = (socket.socket.connect, socket.socket.connect_ex)
    connect: Callable[..., Any] = _original[0]
    connect_ex: Callable[..., Any] = _original[1]

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        result: int = connect_ex(self, address)
        return result

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    return _uninstall


def is_installed() -> bool:
    return _original is not None


def _uninstall() -> None:
    global _original
    if _original is not None:
        socket.socket.connect, socket.socket.connect_ex = _original  # type: ignore[method-assign]
        _original = None


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX or is_loopback(address):
        return
    raise NetworkBlocked(f"tests may only connect to 127.0.0.1, not {address!r}")
