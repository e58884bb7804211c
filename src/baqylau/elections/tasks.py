"""Background jobs of the elections app: an import started from the admin, run by a worker with
its progress saved as it goes (the admin page shows it)."""

from __future__ import annotations

import logging
from pathlib import Path

from baqylau.elections.models import ImportJob
from baqylau.jobs import job

logger = logging.getLogger(__name__)

#: How often (rows) the progress is saved.
PROGRESS_EVERY = 5000


@job(retries=0)
def run_uploaded_import(job_id: int) -> str:
    """Import the file of an `ImportJob` (validate every row, then write all or nothing)."""
    from baqylau.elections.importing import MappingError, load_mapping, run_import

    found = ImportJob.objects.get(pk=job_id)
    if found.finished:
        return found.state
    path = Path(found.stored_path)

    def progress(phase: str, done: int, total: int | None) -> None:
        if total is not None or done % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job_id).update(
                state=ImportJob.State.VALIDATING
                if phase == "validate"
                else ImportJob.State.WRITING,
                rows_done=done,
                **({"rows_total": total} if total is not None else {}),
            )

    try:
        mapping = load_mapping(found.mapping)
        report = run_import(
            path,
            mapping,
            existing_units=found.existing_units,
            display_name=found.file_name,
            progress=progress,
        )
    except MappingError as exc:
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.REFUSED, problems=[{"reason": str(exc)}], problems_total=1
        )
        return ImportJob.State.REFUSED
    except Exception as exc:  # noqa: BLE001 - kept on the job for the admin to read
        logger.exception("import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.FAILED, summary=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    finally:
        path.unlink(missing_ok=True)
    state = ImportJob.State.DONE if report.ok else ImportJob.State.REFUSED
    ImportJob.objects.filter(pk=job_id).update(
        state=state,
        rows_done=report.rows,
        rows_total=report.rows,
        problems=[
            {"file": p.file, "line": p.line, "column": p.column, "reason": p.reason}
            for p in report.problems[:500]
        ],
        problems_total=report.problems_total,
        summary=report.summary() if report.ok else "",
        import_run_id=report.import_run_id,
    )
    return state
