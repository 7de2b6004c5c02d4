from django_tasks import task

from .models import ReorgPlan


@task()
def apply_scheduled_plan(plan_id: int) -> str:
    from .services import apply_due_plans

    apply_due_plans()
    return ReorgPlan.objects.get(pk=plan_id).status
