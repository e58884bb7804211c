"""Background jobs: retries of a failing job, the schedule (each run once, snapshots at each
election's own hours, in its own time zone), recovery of a job whose worker died, and the real
`baqylau worker` process keeping a simulated election current with no other command."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baqylau.elections.models import Election
from baqylau.jobs import schedule
from baqylau.jobs.models import ScheduleRun
from baqylau.jobs.registry import RETRY_DELAYS, job
from baqylau.jobs.worker import DEFAULT_NICENESS, lower_priority, run_until_idle

ROOT = Path(__file__).resolve().parents[1]
CALLS: list[int] = []


@job(retries=2)
def flaky(n: int) -> int:
    CALLS.append(n)
    raise RuntimeError("the database is away")


@pytest.mark.django_db
def test_a_failing_job_is_kept_failed_and_retried_later():
    CALLS.clear()
    flaky.enqueue(7)
    before = timezone.now()
    run_until_idle()
    assert CALLS == [7]
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "the database is away" in failed.traceback  # visible to admins, with its traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"_attempt": 2}
    assert retry.run_after >= before + dt.timedelta(seconds=RETRY_DELAYS[0])
    run_until_idle()  # not due yet: nothing runs
    assert CALLS == [7]


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_run_again():
    flaky.enqueue(1)
    result = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="RUNNING", started_at=timezone.now() - schedule.STALE_AFTER - dt.timedelta(minutes=1)
    )
    assert schedule.recover_stale() == 1
    assert DBTaskResult.objects.get(pk=result.pk).status == "READY"


@pytest.mark.django_db
def test_each_scheduled_run_happens_once_whoever_ticks():
    assert schedule.claim("x:1") is True
    assert schedule.claim("x:1") is False
    assert ScheduleRun.objects.filter(key="x:1").count() == 1


@pytest.mark.django_db
def test_snapshots_are_due_at_the_elections_own_hours_in_its_time_zone():
    from baqylau.dashboard.tasks import snapshots_due

    almaty = Election.objects.create(
        code="kz", date=dt.date(2026, 12, 4), kind="presidential", country="KZ",
        time_zone="Asia/Almaty", snapshot_hours=["13:00", "20:00"],
    )  # fmt: skip
    moscow = Election.objects.create(
        code="ru", date=dt.date(2026, 12, 4), kind="presidential", country="RU",
        time_zone="Europe/Moscow", snapshot_hours=["13:00"],
    )  # fmt: skip
    at = dt.datetime(2026, 12, 4, 13, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))
    due = snapshots_due(at)
    assert due == [
        f"{almaty.pk}:{dt.datetime(2026, 12, 4, 13, 0, tzinfo=zoneinfo.ZoneInfo('Asia/Almaty')).isoformat()}"
    ]
    # 13:05 in Almaty is 11:05 in Moscow: Moscow's 13:00 comes two hours later
    later = at + dt.timedelta(hours=2)
    assert any(key.startswith(f"{moscow.pk}:") for key in snapshots_due(later))
    # a day later nothing is due (the election is over)
    assert snapshots_due(at + dt.timedelta(days=2)) == []


@pytest.mark.django_db
def test_a_scheduled_snapshot_is_published_by_the_jobs():
    from baqylau.dashboard.models import Snapshot

    now = timezone.localtime()
    election = Election.objects.create(
        code="kz2", date=now.date(), kind="presidential", country="KZ",
        snapshot_hours=[f"{now:%H:%M}"],
    )  # fmt: skip
    started = schedule.tick()
    assert [k for k in started if k.startswith("dashboard.snapshot:")] == [
        f"dashboard.snapshot:{election.pk}:{now.replace(second=0, microsecond=0).isoformat()}"
    ]
    assert not [k for k in schedule.tick() if k.startswith("dashboard.snapshot:")]  # once
    run_until_idle()
    assert Snapshot.objects.filter(election=election).count() == 1


def test_the_worker_process_keeps_a_simulated_election_current(tmp_path):
    """`baqylau simulate --copies 2` only queues the recount; `baqylau worker` (a real process,
    as `serve` starts it) counts the copies and writes the public summaries."""
    env = {**os.environ, "BAQYLAU_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    baqylau = [sys.executable, "-m", "baqylau"]
    subprocess.run([*baqylau, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*baqylau, "simulate", "--stations", "200", "--copies", "2", "--election", "w"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    db = sqlite3.connect(tmp_path / "baqylau.sqlite3")
    assert db.execute("SELECT count(*) FROM dashboard_unitstats").fetchone()[0] == 0
    worker = subprocess.Popen([*baqylau, "worker"], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = db.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status != 'SUCCESSFUL'"
            ).fetchone()[0]
            stats = db.execute("SELECT count(*) FROM dashboard_unitstats").fetchone()[0]
            if not ready and stats:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert db.execute("SELECT count(*) FROM dashboard_unitstats").fetchone()[0] > 200
    agreed = db.execute(
        "SELECT count(*) FROM tally_stationresult WHERE status = 'agreed'"
    ).fetchone()[0]
    assert agreed > 0
    assert db.execute("SELECT count(*) FROM tally_pendingrecount").fetchone()[0] == 0


def _enqueue_in(env: dict, statement: str) -> None:
    """Queue a job in the database of ``env``'s data dir, from a process of its own."""
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'baqylau.settings'); "
        "django.setup(); from baqylau.jobs.registry import URGENT; "
        f"from tests.jobs_for_worker_tests import hold_until, leave; {statement}"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


def _wait_for(path: Path, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


def test_the_urgent_lane_runs_while_a_long_job_holds_the_worker(tmp_path):
    """A recount after a moderator's decision must not wait behind a full summary or a forensic
    report: the worker runs the urgent lane in a loop of its own."""
    env = {**os.environ, "BAQYLAU_DATA_DIR": str(tmp_path), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "baqylau", "migrate"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    started, release, urgent = tmp_path / "started", tmp_path / "release", tmp_path / "urgent"
    _enqueue_in(env, f"hold_until.enqueue({str(started)!r}, {str(release)!r})")
    worker = subprocess.Popen(
        [sys.executable, "-m", "baqylau", "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    try:
        assert _wait_for(started), "the worker did not start the long job"
        _enqueue_in(env, f"leave.using(queue_name=URGENT).enqueue({str(urgent)!r})")
        assert _wait_for(urgent), "the urgent job waited behind the long one"
        assert not release.exists()  # the long job was still running all along
        # the loop of the ordinary queues yields the CPU; the urgent lane keeps its priority
        main, others = _thread_nice_values(worker.pid)
        base = os.getpriority(os.PRIO_PROCESS, 0)  # the worker started at this test's priority
        assert main == max(base, DEFAULT_NICENESS), (main, others)
        assert len(others) >= 2 and set(others) == {base}, (main, others)
    finally:
        release.touch()
        worker.terminate()
        worker.wait(timeout=60)


def _thread_nice_values(pid: int) -> tuple[int, list[int]]:
    """Nice value of a process's main thread (the ordinary queues' loop) and of its other
    threads (the urgent lane, the schedule; Linux)."""
    main, others = None, []
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        nice = int(stat[stat.rindex(")") + 2 :].split()[16])
        if int(task.name) == pid:
            main = nice
        else:
            others.append(nice)
    return main, others


def test_lower_priority_changes_only_the_calling_thread():
    import threading

    seen = {}
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def background():
        seen["set"] = lower_priority(base + 3)

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["set"] == base + 3
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
