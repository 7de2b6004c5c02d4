"""Background jobs on Celery with RabbitMQ (TASKS_BACKEND=celery): a django_tasks backend whose every job is a message for
one Celery task, `cbccvc.run_task`, that imports the job's @task() function by its path and calls it; no Celery wrapper per
job. Each django_tasks queue is the Celery queue of the same name (`celery -A config worker -Q default`).

There is no result backend: the jobs keep their outcome in their own models, so results cannot be read back
(supports_get_result is False; get_result raises NotImplementedError)."""

import dataclasses
import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskContext, TaskResult, TaskResultStatus
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError
from django_tasks.signals import task_enqueued, task_finished, task_started
from django_tasks.utils import get_exception_traceback, get_module_path, get_random_id

from config.celery import app

# RabbitMQ closes the channel of a consumer that holds a message unacknowledged longer than its consumer_timeout (30 minutes
# by default), and a Celery worker holds a deferred message until its ETA. So a job deferred further than this (tonight's
# run, a transfer effective next month) is held this long at most, then sent again for the rest of its wait.
HOLD = datetime.timedelta(minutes=10)


class CeleryBackend(BaseTaskBackend):
    supports_defer = True
    supports_async_task = True  # Task.call runs a coroutine to its end
    # No priority: RabbitMQ orders by priority only in queues declared with x-max-priority, and no job sets one.

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        # OPTIONS["queue_prefix"] keeps the queues of several deployments (or test runs) on one broker apart.
        self.queue_prefix = self.options.get("queue_prefix", "")

    def celery_queue(self, queue_name: str) -> str:
        return self.queue_prefix + queue_name

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=timezone.now(), started_at=None,
                            finished_at=None, last_attempted_at=None, args=args, kwargs=kwargs, backend=self.alias, errors=[],
                            worker_ids=[])
        message = {"path": task.module_path, "args": result.args, "kwargs": result.kwargs,
                   "run_after": task.run_after.isoformat() if task.run_after else None, "queue": self.celery_queue(task.queue_name)}
        # As with the database backend, a job enqueued inside a transaction goes when it commits, and never if it rolls back.
        transaction.on_commit(partial(send, message, result.id))
        task_enqueued.send(type(self), task_result=result)
        return result

    def broker_queues(self) -> dict[str, tuple[int, int]]:
        """Per queue: its messages that no worker has taken (deferred ones too while no worker runs) and the workers consuming
        it, as the broker counts them."""
        counts = {}
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=0)
            for name in sorted(self.queues):
                try:
                    with connection.channel() as channel:
                        _, waiting, workers = channel.queue_declare(self.celery_queue(name), passive=True)
                except connection.channel_errors:  # not declared yet: no worker ever consumed it, nothing was ever sent
                    waiting = workers = 0
                counts[name] = (waiting, workers)
        return counts


def send(message: dict, task_id: str) -> None:
    due = datetime.datetime.fromisoformat(message["run_after"]) if message["run_after"] else None
    run_task.apply_async(kwargs=message, task_id=task_id, queue=message["queue"], eta=due and min(due, timezone.now() + HOLD))


@app.task(name="cbccvc.run_task", bind=True)
def run_task(self, path: str, args: list, kwargs: dict, run_after: str | None, queue: str):
    """The worker's side: run the job `path` (a django_tasks Task) with its arguments, once it is due."""
    from common import jobs

    if run_after and datetime.datetime.fromisoformat(run_after) > timezone.now():
        send({"path": path, "args": args, "kwargs": kwargs, "run_after": run_after, "queue": queue}, self.request.id)
        return None
    task = import_string(path)
    if not isinstance(task, Task):
        raise TypeError(f"{path} is not a task")
    started = timezone.now()
    result = TaskResult(task=task, id=self.request.id, status=TaskResultStatus.RUNNING, enqueued_at=None, started_at=started,
                        finished_at=None, last_attempted_at=started, args=args, kwargs=kwargs, backend=task.backend, errors=[],
                        worker_ids=[self.request.hostname or ""])
    jobs.run_started(task)
    task_started.send(CeleryBackend, task_result=result)
    try:
        value = task.call(TaskContext(task_result=result), *args, **kwargs) if task.takes_context else task.call(*args, **kwargs)
    except Exception as exc:
        error = TaskError(exception_class_path=get_module_path(type(exc)), traceback=get_exception_traceback(exc))
        task_finished.send(CeleryBackend, task_result=dataclasses.replace(result, status=TaskResultStatus.FAILED, finished_at=timezone.now(),
                                                                          errors=[error]))
        raise  # Celery logs the failure too
    task_finished.send(CeleryBackend, task_result=dataclasses.replace(result, status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now()))
    return value
