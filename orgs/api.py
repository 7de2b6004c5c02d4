import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, Pagination

from . import services
from .models import JobPosition, ReorgPlan, ReorgStep, Unit

router = Router(tags=["organization"])


def _require_manage(request, unit_id: int | None = None) -> frozenset[int]:
    """The units the caller may change; refuses a caller who may change none (or not this unit)."""
    authz.require(request.user, "org.manage", unit_id)
    return authz.scope(request.user, "org.manage").unit_ids


def _visible(request, day) -> authz.Scope:
    visible = authz.scope(request.user, "org.view", day)
    if not visible:
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return visible


class UnitOut(Schema):
    id: int = Field(alias="unit_id")
    code: str
    name: str
    short_name: str
    kind: str = Field(alias="kind.code")
    level: str = Field(alias="level.code")
    parent_id: int | None
    managing_body_id: int | None
    address: str
    valid_from: datetime.date
    valid_to: datetime.date | None


class TreeOut(Schema):
    unit: UnitOut
    children: list["TreeOut"]


class QuotaOut(Schema):
    year: int
    category: str = Field(alias="category.code")
    amount: int


class PositionOut(Schema):
    id: int
    code: str
    name: str
    category: str = Field(alias="category.code")
    count: int
    valid_from: datetime.date
    valid_to: datetime.date | None


class LinkOut(Schema):
    predecessor_id: int
    successor_id: int
    operation: str
    effective_date: datetime.date


class UnitDetailOut(Schema):
    id: int
    established_on: datetime.date
    ended_on: datetime.date | None
    end_reason: str
    current: UnitOut | None
    history: list[UnitOut]
    quotas: list[QuotaOut]
    positions: list[PositionOut]
    predecessors: list[LinkOut]
    successors: list[LinkOut]


class Decision(Schema):
    effective_date: datetime.date = Field(default_factory=timezone.localdate)
    decision_number: str = ""


class UnitIn(Decision):
    name: str
    short_name: str = ""
    code: str = ""
    kind: str
    level: str
    parent: int | str | None = None
    managing_body: int | str | None = None
    address: str = ""
    quotas: list[dict] = []
    positions: list[dict] = []


class UnitPatch(Decision):
    name: str | None = None
    short_name: str | None = None
    code: str | None = None
    kind: str | None = None
    level: str | None = None
    managing_body: int | str | None = None
    address: str | None = None


class MoveIn(Decision):
    parent: int | str


class DissolveIn(Decision):
    children_to: int | str | None = None
    people_to: int | str | None = None


class QuotaIn(Schema):
    year: int
    category: str
    amount: int


class PositionIn(Schema):
    code: str
    name: str
    category: str
    count: int = 1
    valid_from: datetime.date = Field(default_factory=timezone.localdate)


class CloseIn(Schema):
    valid_to: datetime.date = Field(default_factory=timezone.localdate)


class StepIn(Schema):
    operation: ReorgStep.Operation
    params: dict


class StepOut(Schema):
    position: int
    operation: str
    params: dict


class PlanIn(Schema):
    title: str
    effective_date: datetime.date
    decision_number: str = ""
    decision_date: datetime.date | None = None
    steps: list[StepIn] = []


class PlanOut(Schema):
    id: int
    title: str
    decision_number: str
    decision_date: datetime.date | None
    effective_date: datetime.date
    status: str
    applied_at: datetime.datetime | None
    result: dict
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.all())


class TreeChangeOut(Schema):
    plan_id: int
    status: str
    unit_id: int | None


class OrgErrorOut(Schema):
    detail: str
    field: str | None = None
    position: int | None = None


@router.get("/units", response=list[UnitOut], summary="Units in force on a day (default today), optionally searched")
@paginate(Pagination)
def list_units(request, as_of: datetime.date | None = None, q: str = "", parent: DbId | None = None):
    day = as_of or timezone.localdate()
    visible = _visible(request, day)
    qs = (services.search_units(q, day, limit=None, allowed=visible.limit) if q
          else visible.filter(services.versions_on(day)).select_related("kind", "level"))
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("name", "unit_id")


@router.get("/units/tree", response=list[TreeOut], summary="The whole tree as it stood on a day")
def unit_tree(request, as_of: datetime.date | None = None):
    def node(n):
        return {"unit": n.version, "children": [node(c) for c in n.children]}

    day = as_of or timezone.localdate()
    return [node(root) for root in services.tree_on(day, allowed=_visible(request, day).limit)]


@router.get("/units/{unit_id}", response=UnitDetailOut, summary="A unit: its version on a day, history, quotas, positions, successions")
def get_unit(request, unit_id: DbId, as_of: datetime.date | None = None):
    unit = get_object_or_404(Unit, pk=unit_id)
    day = as_of or timezone.localdate()
    authz.require(request.user, "org.view", unit.pk, services.last_day_alive(unit, day))
    links = services.successions_of(unit)
    return {
        "id": unit.pk, "established_on": unit.established_on, "ended_on": unit.ended_on, "end_reason": unit.end_reason,
        "current": services.version_on(unit, day),
        "history": unit.versions.select_related("kind", "level").order_by("valid_from"),
        "quotas": services.quotas_of(unit),
        "positions": services.positions_on(unit, day),
        "predecessors": links["predecessors"], "successors": links["successors"],
    }


def _change(request, operation, params, decision: Decision, title) -> dict:
    allowed = _require_manage(request, params.get("unit"))
    plan = services.change_tree(operation, params, effective_date=decision.effective_date, user=request.user,
                                title=title, decision_number=decision.decision_number, allowed=allowed)
    created = plan.result.get("steps", [{}])[0].get("units_created") if plan.status == "applied" else None
    unit_id = params.get("unit")
    if created:
        unit_id = Unit.objects.filter(versions__step__plan=plan).order_by("-pk").values_list("pk", flat=True).first()
    return {"plan_id": plan.pk, "status": plan.status, "unit_id": unit_id}


@router.post("/units", response={201: TreeChangeOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Create a unit")
def create_unit(request, payload: UnitIn):
    params = payload.dict(exclude={"effective_date", "decision_number"})
    return Status(201, _change(request, "create", params, payload, f"Tạo {payload.name}"))


@router.patch("/units/{unit_id}", response={200: TreeChangeOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Change a unit's information")
def update_unit(request, unit_id: DbId, payload: UnitPatch):
    params = payload.dict(exclude={"effective_date", "decision_number"}, exclude_none=True)
    return _change(request, "update", {"unit": unit_id, **params}, payload, f"Thay đổi đơn vị #{unit_id}")


@router.post("/units/{unit_id}/move", response={200: TreeChangeOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Move a unit under another parent")
def move_unit(request, unit_id: DbId, payload: MoveIn):
    return _change(request, "move", {"unit": unit_id, "parent": payload.parent}, payload, f"Chuyển đơn vị #{unit_id}")


@router.post("/units/{unit_id}/dissolve", response={200: TreeChangeOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Dissolve a unit")
def dissolve_unit(request, unit_id: DbId, payload: DissolveIn):
    params = {"unit": unit_id, "children_to": payload.children_to, "people_to": payload.people_to}
    return _change(request, "dissolve", params, payload, f"Giải thể đơn vị #{unit_id}")


@router.put("/units/{unit_id}/quotas", response={200: QuotaOut, 400: OrgErrorOut, 403: OrgErrorOut},
            summary="Set the staffing quota (biên chế) of a unit for a year and category")
def set_quota(request, unit_id: DbId, payload: QuotaIn):
    _require_manage(request, unit_id)
    return services.set_quota(get_object_or_404(Unit, pk=unit_id), **payload.dict())


@router.post("/units/{unit_id}/positions", response={201: PositionOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Open a job position")
def add_position(request, unit_id: DbId, payload: PositionIn):
    _require_manage(request, unit_id)
    return Status(201, services.add_position(get_object_or_404(Unit, pk=unit_id), **payload.dict()))


@router.post("/units/{unit_id}/positions/{position_id}/close", response={200: PositionOut, 400: OrgErrorOut, 403: OrgErrorOut},
             summary="Close a job position from a date")
def close_position(request, unit_id: DbId, position_id: DbId, payload: CloseIn):
    _require_manage(request, unit_id)
    return services.close_position(get_object_or_404(JobPosition, pk=position_id, unit_id=unit_id), valid_to=payload.valid_to)


@router.get("/reorganizations", response=list[PlanOut], summary="Reorganization plans, newest first")
@paginate(Pagination)
def list_plans(request):
    _require_manage(request)
    return ReorgPlan.objects.prefetch_related("steps").order_by("-created_at")


@router.post("/reorganizations", response={201: PlanOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Create a plan, with its steps")
def create_plan(request, payload: PlanIn):
    _require_manage(request)
    plan = services.create_plan(
        title=payload.title, effective_date=payload.effective_date, user=request.user,
        decision_number=payload.decision_number, decision_date=payload.decision_date,
        steps=[step.dict() for step in payload.steps],
    )
    return Status(201, plan)


@router.get("/reorganizations/{plan_id}", response=PlanOut, summary="A plan with its steps and result")
def get_plan(request, plan_id: DbId):
    _require_manage(request)
    return get_object_or_404(ReorgPlan, pk=plan_id)


@router.post("/reorganizations/{plan_id}/steps", response={201: PlanOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Append steps to a draft plan")
def add_steps(request, plan_id: DbId, payload: list[StepIn]):
    _require_manage(request)
    plan = get_object_or_404(ReorgPlan, pk=plan_id)
    services.add_steps(plan, [step.dict() for step in payload])
    return Status(201, plan)


@router.delete("/reorganizations/{plan_id}/steps/{position}", response={200: PlanOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Remove a step")
def remove_step(request, plan_id: DbId, position: DbId):
    _require_manage(request)
    plan = get_object_or_404(ReorgPlan, pk=plan_id)
    services.remove_step(plan, position)
    return plan


@router.post("/reorganizations/{plan_id}/preview", response=dict, summary="What the plan would do; changes nothing")
def preview_plan(request, plan_id: DbId):
    allowed = _require_manage(request)
    return services.preview_plan(get_object_or_404(ReorgPlan, pk=plan_id), allowed).as_dict()


@router.post("/reorganizations/{plan_id}/apply", response={200: PlanOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Apply the plan now, all or nothing")
def apply_plan(request, plan_id: DbId):
    allowed = _require_manage(request)
    plan = get_object_or_404(ReorgPlan, pk=plan_id)
    services.apply_plan(plan, request.user, allowed=allowed)
    return plan


@router.post("/reorganizations/{plan_id}/schedule", response={200: PlanOut, 400: OrgErrorOut, 403: OrgErrorOut}, summary="Apply the plan on its effective date")
def schedule_plan(request, plan_id: DbId):
    allowed = _require_manage(request)
    plan = get_object_or_404(ReorgPlan, pk=plan_id)
    services.schedule_plan(plan, request.user, allowed)
    return plan
