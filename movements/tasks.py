from django_tasks import task


@task()
def apply_scheduled_transfers(transfer_id: int) -> int:
    """Runs on a scheduled transfer's effective date; applies it and any other transfer due by then."""
    from .services import apply_due

    return len(apply_due())
