"""Background jobs: work that keeps the system current by itself (recounts after every copy and
decision, public summaries, snapshots at the set hours, legal reminders, imports, forensic
reports), on Django's tasks API (the `django-tasks` backport with its database backend: no broker
to run, SQLite and PostgreSQL alike).

    from baqylau.jobs import job

    @job(retries=3)
    def recount_pending(contest_id: int) -> dict: ...

    recount_pending.enqueue(contest_id)     # inside the transaction of the change

`baqylau worker` runs the jobs (several workers may run, on several machines) and the schedule
(`baqylau.jobs.schedule`); `baqylau serve` and `baqylau demo` start one worker of their own.
A job that raises is retried `retries` times with a growing delay, and every run, failed ones
with their traceback, is listed in the admin (Tasks → DB task results).
"""

from baqylau.jobs.registry import job

__all__ = ["job"]
