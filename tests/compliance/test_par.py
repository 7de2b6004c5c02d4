"""The yearly PAR scoring of the units on their database (R-15.4, R-16.3, R-19.2): criteria measured from the data,
weights Sở Nội vụ sets and that add up to 100, the formula beside each score, the units ranked."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from approvals import services as approvals
from approvals.signing import SoftwareSigner
from audit.models import AuditEvent
from common.errors import ServiceError
from compliance import dashboards, par
from compliance.models import Obligation, ParFormula
from people.models import Person
from tests.conftest import KEY_PASSWORD
from tests.people.conftest import unit

TODAY = timezone.localdate()
FINANCE, BUDGET, PLANNING, COMMUNE = "000.00.01.H19", "000.02.01.H19", "000.00.02.H19", "000.00.51.H19"


def obligation(code: str, key: str, *, met: bool) -> Obligation:
    due = TODAY - datetime.timedelta(days=1) if TODAY.timetuple().tm_yday > 1 else TODAY
    return Obligation.objects.create(key=key, kind="account", unit=unit(code), start_on=due, due_on=due, met_on=due if met else None)


@pytest.fixture
def scored(person, admin_user, head, head_key):
    """Sở Tài chính: one record at 80% completeness, signed; one deadline met, one missed. Sở KH&ĐT: a deadline missed."""
    Person.objects.filter(pk=person.pk).update(completeness=80)
    approvals.approve(head, [approvals.version_token(person.pk, 1)], SoftwareSigner(head_key, KEY_PASSWORD.encode()))
    obligation(BUDGET, "t:1", met=True)
    obligation(BUDGET, "t:2", met=False)
    obligation(PLANNING, "t:3", met=False)
    dashboards.take_snapshot()


def test_units_are_ranked_on_the_criteria_with_the_formula_beside_each_score_R_15_4(scored, admin_user):
    data = par.ranking(admin_user, "", TODAY.year)
    rows = {row.code: row for row in data["rows"]}
    finance, planning, commune = rows[FINANCE], rows[PLANNING], rows[COMMUNE]
    assert finance.values == {"completeness": 80.0, "timeliness": 50.0, "approval": 100.0, "sync": None}
    assert finance.score == round((30 * 80 + 30 * 50 + 25 * 100) / 85, 1)
    assert finance.formula.startswith("(30 × 80") and "÷ 85" in finance.formula and str(par.LABELS["sync"]) in finance.formula
    assert planning.score == 0.0 and planning.values["completeness"] is None
    assert commune.score is None  # nothing to measure: ranked after the others
    assert [row.code for row in data["rows"]] == [FINANCE, PLANNING, COMMUNE] and (finance.rank, planning.rank) == (1, 2)


def test_the_weights_sodnoivu_sets_change_the_ranking_R_16_3(scored, admin_user):
    par.set_formula(admin_user, year=TODAY.year, weights={"completeness": 0, "timeliness": 100, "approval": 0, "sync": 0})
    rows = {row.code: row for row in par.ranking(admin_user, "", TODAY.year)["rows"]}
    assert rows[FINANCE].score == 50.0 and rows[PLANNING].score == 0.0
    assert AuditEvent.objects.filter(action="compliance.par_formula", outcome="ok").count() == 1


def test_units_with_the_same_score_share_a_rank_R_19_2(person, admin_user):
    obligation(BUDGET, "t:1", met=False)
    obligation(PLANNING, "t:2", met=False)
    dashboards.take_snapshot()
    par.set_formula(admin_user, year=TODAY.year, weights={"completeness": 0, "timeliness": 100, "approval": 0, "sync": 0})
    rows = par.ranking(admin_user, "", TODAY.year)["rows"]
    assert [(row.rank, row.score) for row in rows[:2]] == [(1, 0.0), (1, 0.0)]


def test_weights_that_do_not_add_up_to_100_are_refused_and_nothing_changes_R_16_3(admin_user):
    with pytest.raises(ServiceError) as refused:
        par.set_formula(admin_user, year=TODAY.year, weights={"completeness": 30, "timeliness": 30, "approval": 20, "sync": 10})
    assert refused.value.field == "weights" and "100" in refused.value.message and "90" in refused.value.message
    assert not ParFormula.objects.exists()
    assert AuditEvent.objects.filter(action="compliance.par_formula", outcome="refused").exists()


def test_a_past_years_formula_stays_as_it_was_scored_R_19_2(admin_user):
    with pytest.raises(ServiceError) as refused:
        par.set_formula(admin_user, year=TODAY.year - 1, weights=ParFormula.DEFAULT)
    assert refused.value.field == "year" and not ParFormula.objects.exists()


def test_only_sodnoivu_sets_the_formula_and_a_unit_sees_only_its_scope_R_15_4(hr, admin_user):
    with pytest.raises(PermissionDenied):
        par.set_formula(hr, year=TODAY.year, weights=ParFormula.DEFAULT)
    with pytest.raises(PermissionDenied):
        par.ranking(hr, PLANNING, TODAY.year)
    assert par.ranking(hr, "", TODAY.year)["unit"].code == FINANCE


def test_a_year_not_started_has_no_scores_R_15_4(admin_user):
    with pytest.raises(ServiceError) as refused:
        par.ranking(admin_user, "", TODAY.year + 1)
    assert refused.value.field == "year"


def test_the_par_page_shows_the_ranking_and_refuses_bad_weights_by_name_R_16_3(client, scored, admin_user):
    client.force_login(admin_user)
    page = client.get("/compliance/par/")
    assert page.status_code == 200 and "Sở Tài chính" in page.content.decode() and "÷ 85" in page.content.decode()
    refused = client.post("/compliance/par/formula/", {"year": TODAY.year, "completeness": 50, "timeliness": 30, "approval": 30, "sync": 0})
    assert refused.status_code == 400 and "110" in refused.content.decode() and "100" in refused.content.decode()
    assert not ParFormula.objects.exists()
    saved = client.post("/compliance/par/formula/", {"year": TODAY.year, "completeness": 40, "timeliness": 30, "approval": 30, "sync": 0})
    assert saved.status_code == 302 and ParFormula.objects.get().weights["completeness"] == 40


def test_the_par_api_ranks_and_sets_the_formula_R_19_2(client, scored, admin_user):
    client.force_login(admin_user)
    body = client.get(f"/api/v1/par?year={TODAY.year}").json()
    assert body["rows"][0]["code"] == FINANCE and body["rows"][0]["rank"] == 1 and body["weights"]["completeness"] == 30
    refused = client.put(f"/api/v1/par/formulas/{TODAY.year}", {"completeness": 10, "timeliness": 10, "approval": 10, "sync": 10},
                         content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "weights"
    saved = client.put(f"/api/v1/par/formulas/{TODAY.year}", {"completeness": 25, "timeliness": 25, "approval": 25, "sync": 25},
                       content_type="application/json")
    assert saved.status_code == 200 and ParFormula.objects.get(year=TODAY.year).sync == 25
