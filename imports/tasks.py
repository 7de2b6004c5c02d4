"""The worker's half of an import (imports.services.start_import, request_apply): check the file, or check and apply it."""

from django.utils import timezone
from django_tasks import task


@task()
def validate_import(job_id: int) -> str:
    """A dry run: every row checked, nothing written. Runs once: a job already taken by a worker is left to it."""
    from . import services
    from .models import ImportJob

    if not ImportJob.objects.filter(pk=job_id, state=ImportJob.State.UPLOADED, started_at__isnull=True).update(
            state=ImportJob.State.VALIDATING, started_at=timezone.now()):
        return ImportJob.objects.get(pk=job_id).state
    return services.validate(ImportJob.objects.select_related("created_by").get(pk=job_id)).state


@task()
def apply_import(job_id: int) -> str:
    """Check the file again and apply it all or nothing: an upload that is not a dry run, or a valid dry run asked to apply."""
    from . import services
    from .models import ImportJob

    waiting = ImportJob.objects.filter(pk=job_id, started_at__isnull=True, state__in=[ImportJob.State.UPLOADED, ImportJob.State.APPLYING])
    if not waiting.filter(dry_run=False).update(state=ImportJob.State.APPLYING, started_at=timezone.now()) and \
            not waiting.filter(state=ImportJob.State.APPLYING).update(started_at=timezone.now()):
        return ImportJob.objects.get(pk=job_id).state
    return services.apply(ImportJob.objects.select_related("created_by").get(pk=job_id)).state
