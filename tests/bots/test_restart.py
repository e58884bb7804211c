"""A conversation continues after the bot process is killed (SIGKILL) and started again.

The polling bot runs as a subprocess (`baqylau bot run --mode polling`) against the fake Bot API,
with its own file SQLite database in a temporary BAQYLAU_DATA_DIR.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bots.helpers import ALAMAN_TOKEN, GOOD_FIGURES, jpeg

ROOT = Path(__file__).resolve().parents[2]
OBSERVER_TG = 5_100_001

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, fake_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "BOT_SIGNING_KEY", "PYTEST_CURRENT_TEST")
    }
    env.update(
        BAQYLAU_DATA_DIR=str(tmp_path / "data"),
        SECRET_KEY="restart-test-secret",
        DJANGO_SETTINGS_MODULE="baqylau.settings",
        TELEGRAM_API_BASE=fake_url,
        ALAMAN_BOT_TOKEN=ALAMAN_TOKEN,
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _start(env, log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "baqylau", "bot", "run", "--mode", "polling", "--bot", "alaman"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def test_conversation_resumes_after_sigkill(fake_tg, tmp_path):
    fake = fake_tg
    env = _env(tmp_path, fake.url)
    subprocess.run(
        [sys.executable, "-m", "baqylau", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.bots.seed_db"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    code = json.loads(seeded.stdout.strip().splitlines()[-1])["code"]
    log = tmp_path / "bot.log"

    def say(text: str, replies: int = 1) -> list[str]:
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, OBSERVER_TG, text)
        fake.wait_for_sync(lambda: len(fake.sent(OBSERVER_TG, mark)) >= replies, timeout=30)
        return fake.texts(OBSERVER_TG, mark)

    process = _start(env, log)
    try:
        assert "OBS-" in say(f"/link {code}")[-1]
        say("/protocol")
        for page in (1, 2):
            mark = fake.mark()
            fake.photo(ALAMAN_TOKEN, OBSERVER_TG, jpeg(100 + page))
            fake.wait_for_sync(lambda mark=mark: fake.sent(OBSERVER_TG, mark), timeout=30)
        assert "L1" in say("/done")[-1]
        assert "L2" in say("L1=1000")[-1]
        time.sleep(0.5)  # let the bot confirm the last update (next getUpdates offset)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    process = _start(env, log)
    try:
        rest = GOOD_FIGURES.replace("L1=1000 ", "")
        texts = say(rest, replies=2)
        assert "Протокол получен" in texts[0], log.read_text()[-3000:]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    with sqlite3.connect(tmp_path / "data" / "baqylau.sqlite3") as db:
        copies = db.execute("select checks, pages_received from protocols_protocolcopy").fetchall()
        raw_ids = db.execute(
            "select count(*) from bots_botstate where key_hash like ?", (f"%{OBSERVER_TG}%",)
        ).fetchone()[0]
    assert copies == [("passed", 2)]
    assert raw_ids == 0
