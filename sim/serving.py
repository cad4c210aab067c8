"""What the browser apps (``relsim dashboard``, ``relsim classroom``) share before they start serving.

``check_port`` tries the address first, so that a busy port or an unknown host is one plain line
(and exit code 2) instead of an address printed and then a server's traceback.
"""

from __future__ import annotations

import errno
import socket

from .i18n import LANGS  # noqa: F401 (the languages of --lang)


def check_port(host: str, port: int) -> str | None:
    """None when ``host:port`` can be listened on now, else one line saying why not."""
    if not 0 <= port <= 65535:
        return f"--port={port!r} is not allowed: expected an integer in [0, 65535]"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        return f"--host={host!r} is not allowed: expected an address of this computer, e.g. 127.0.0.1 or 0.0.0.0"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closed port's TIME_WAIT is free
        try:
            s.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"--port={port} is not allowed: port {port} on {host} is in use; choose another with --port"
            return f"--host={host!r} is not allowed: cannot listen there ({e.strerror})"
    return None
