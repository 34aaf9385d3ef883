"""`corridor dashboard`: serve the live workshop dashboard (model/outputs/dashboard.py) on localhost.

The page is a Solara app; this command runs `solara run model.outputs.dashboard` in a child process
with the scenario in $CORRIDOR_DASHBOARD_SCENARIO and every front-end asset served from the
local `solara-assets` package, so the page renders in a room with no internet.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from model.errors import InputError

DEFAULT_PORT = 8765
# Solara's settings, read from the environment by the child process
OFFLINE_ENV = {
    "SOLARA_ASSETS_PROXY": "True",        # serve /_solara/cdn/ from the installed solara-assets ...
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",   # ... and never fall back to jsdelivr
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "MPLBACKEND": "Agg",
}


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 1 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 1 and 65535, got {v}")
    return v


def register(subparsers) -> None:
    d = subparsers.add_parser("dashboard", help="serve the live workshop dashboard on localhost")
    d.add_argument("scenario", type=Path, nargs="?", default=Path("scenarios/baseline.toml"),
                   help="scenario TOML file (default: scenarios/baseline.toml)")
    d.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    d.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 to share on the room's network)")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", "model.outputs.dashboard", "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_dashboard(args) -> int:
    from model.scenario import load_scenario

    try:
        import mesa.visualization  # noqa: F401  (needs solara and altair)
        import solara_assets  # noqa: F401
    except ImportError as exc:
        raise InputError(None, None, f"the dashboard needs its extra packages ({exc.name} is missing): "
                         "pip install -e \".[dashboard]\"") from None
    load_scenario(args.scenario)                 # bad file: one line, exit 2, before any server
    probe = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    if _answers(probe, args.port):
        raise InputError("--port", None, f"port {args.port} is already in use; pick another")
    env = {**os.environ, **OFFLINE_ENV, "CORRIDOR_DASHBOARD_SCENARIO": str(args.scenario.resolve())}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    # the server's own messages go to stderr: stdout carries only the address, for scripts
    proc = subprocess.Popen(server_command(args.host, args.port), env=env, cwd=root, stdout=sys.stderr)
    # a `kill PID` of this command must not orphan the server: treat it like Ctrl-C
    signal.signal(signal.SIGTERM, _interrupt)
    url = f"http://{probe}:{args.port}/"
    try:
        deadline = time.monotonic() + 120
        while not _answers(probe, args.port):
            if proc.poll() is not None:
                print(f"corridor: error: the dashboard server stopped (exit status {proc.returncode})",
                      file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                proc.terminate()
                print("corridor: error: the dashboard server did not start within 120 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"Corridor dashboard for {args.scenario}: {url}  (Ctrl-C to stop)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("corridor: dashboard stopped", file=sys.stderr)
        return 0


HANDLERS = {"dashboard": cmd_dashboard}
