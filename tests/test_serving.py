"""Starting a browser app where it cannot listen: one line naming the option, exit code 2, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

RELSIM = Path(sys.executable).with_name("relsim")


@pytest.mark.parametrize("command", ["dashboard", "classroom"])
def test_a_busy_port_is_one_line_and_exit_2(command):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([str(RELSIM), command, "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""  # no address printed for a server that never started
    assert proc.stderr.strip() == (f"error: --port={port} is not allowed: port {port} on 127.0.0.1 is in use; "
                                   "choose another with --port"), proc.stderr


@pytest.mark.parametrize("command", ["dashboard", "classroom"])
@pytest.mark.parametrize("args, message", [
    (["--lang", "fr"], "error: --lang='fr' is not allowed: expected one of en, ko"),
    (["--port", "70000"], "error: --port=70000 is not allowed: expected an integer in [0, 65535]"),
    (["--host", "no.such.host.invalid"], "error: --host='no.such.host.invalid' is not allowed: expected an address "
                                         "of this computer, e.g. 127.0.0.1 or 0.0.0.0"),
])
def test_bad_options_are_one_line_and_exit_2(command, args, message):
    proc = subprocess.run([str(RELSIM), command, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    assert proc.stderr.strip() == message
