import datetime

from orgs import services
from orgs.models import ReorgPlan
from orgs.tasks import apply_scheduled_plan
from tests.conftest import open_version


def test_worker_task_applies_a_due_plan_and_marks_a_stale_one_failed(small_tree, admin_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    today = datetime.date.today()
    due = services.create_plan(title="due", effective_date=today, user=admin_user,
                               steps=[{"operation": "update", "params": {"unit": "000.00.01.H19", "short_name": "STC"}}])
    stale = services.create_plan(title="stale", effective_date=today, user=admin_user,
                                 steps=[{"operation": "merge", "params": {"source": "000.00.02.H19", "target": "000.00.01.H19"}}])
    ReorgPlan.objects.filter(pk__in=[due.pk, stale.pk]).update(status=ReorgPlan.Status.SCHEDULED)
    # Something else already ended the source before the stale plan's day came.
    services.change_tree("dissolve", {"unit": "000.00.02.H19", "children_to": "000.00.00.H19"},
                         effective_date=today - datetime.timedelta(days=1), user=admin_user, title="meanwhile")
    assert apply_scheduled_plan.call(due.pk) == "applied"
    assert open_version("000.00.01.H19").short_name == "STC"
    stale.refresh_from_db()
    assert stale.status == ReorgPlan.Status.FAILED and stale.result["error"]["field"] == "source"
