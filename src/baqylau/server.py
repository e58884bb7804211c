"""Serving the WSGI app with gunicorn (threaded workers), configured in code.

The views and middleware are synchronous: under WSGI a request runs on one thread with its own
database connection. gunicorn's threaded workers cost far less per request than uvicorn's WSGI
adapter (measured with bench/intake.py: about 300 vs 240 reports/s on SQLite on 2 cores).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """The app, loaded once in the master before the workers fork (``preload_app``), with
        everything that Django would otherwise import inside the first request of each worker:
        the URLconf imports every view, the bots' aiogram among them (seconds on this machine),
        and imagehash imports scipy on the first photo."""
        import scipy.fftpack  # noqa: F401
        from django.db import connections
        from django.urls import get_resolver

        from baqylau.wsgi import application

        get_resolver().url_patterns  # noqa: B018 - imported now, not in a visitor's request
        connections.close_all()  # no connection may be shared by the forked workers
        return application


#: threads per worker process: reports arriving together are written in one transaction, so more
#: threads than cores pay off (measured with bench/intake.py: 16 better than 4 and 8, as good as 32)
DEFAULT_THREADS = 16


def run_wsgi(host: str, port: int, workers: int, threads: int = DEFAULT_THREADS) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "accesslog": None,
            "loglevel": "info",
            "timeout": 60,
            "preload_app": True,
        }
    ).run()


@contextlib.contextmanager
def background_worker(enabled: bool = True) -> Iterator[subprocess.Popen | None]:
    """A `baqylau worker` process beside the web server, stopped with it."""
    if not enabled:
        yield None
        return
    process = subprocess.Popen([sys.executable, "-m", "baqylau", "worker"])
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
