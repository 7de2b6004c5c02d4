from django_tasks import task

from .models import ReorgPlan


@task()
def apply_scheduled_plan(plan_id: int) -> str:
    from accounts.authz import scope

    from .services import apply_due_plans

    apply_due_plans(scope_of=lambda user, day: scope(user, "org.manage", day).unit_ids)
    return ReorgPlan.objects.get(pk=plan_id).status
