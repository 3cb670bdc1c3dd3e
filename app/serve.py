"""Starting the Streamlit dashboard as a child process (`aoai-watch dashboard`, the demo). It runs
in a session of its own, so a terminal's Ctrl-C reaches only the parent, which stops it
(app/children.py), and stopping its process group stops anything it started."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .controls import CONFIG_ENV, DB_ENV

ENTRY = Path(__file__).with_name("dashboard.py")
# Debian's chromium, headless, as the browser tests and bench/dashboard drive it (the background
# networking flags keep it from dialling Google's hosts, which this network refuses)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def start(
    database: str | Path | Sequence[str | Path],
    host: str = "127.0.0.1",
    port: int = 8501,
    config: str | Path | None = None,
    quiet: bool = False,
) -> subprocess.Popen[bytes]:
    """Streamlit over `database`: one path, or several read as one (AOAI_WATCH_DB carries them
    os.pathsep-separated, app/controls.py `database()`)."""
    paths = [database] if isinstance(database, str | Path) else list(database)
    env = {**os.environ, DB_ENV: os.pathsep.join(str(Path(p).resolve()) for p in paths)}
    if config:
        env[CONFIG_ENV] = str(Path(config).resolve())
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(command, env=env, stdout=output, stderr=output, start_new_session=True)
