"""Writes of the elections app that are not the importers themselves: an import started from the
admin (queued for a worker, with its progress recorded)."""

from __future__ import annotations

from django.db import transaction

from baqylau.elections.models import ImportJob


def import_job_start(
    *, file_name: str, stored_path: str, mapping: str, existing_units, user
) -> ImportJob:
    """Record the upload and queue its import (the job runs on a worker)."""
    from baqylau.elections.tasks import run_uploaded_import

    with transaction.atomic():
        job = ImportJob.objects.create(
            file_name=file_name[:500],
            stored_path=stored_path,
            mapping=mapping,
            existing_units=existing_units,
            created_by=user,
        )
        run_uploaded_import.enqueue(job.pk)
    return job
