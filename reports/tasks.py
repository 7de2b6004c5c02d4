from django_tasks import task


@task()
def write_export(job_id: int) -> str:
    """The worker's half of a large export (reports.exports.request_export): write the file once."""
    from .exports import produce
    from .models import ExportJob

    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.state != ExportJob.State.QUEUED:  # already written, or being written by another worker
        return job.state
    return produce(job).state
