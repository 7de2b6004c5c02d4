"""Departures (R-8.5): the record is archived, never deleted; the account closes, or a retiree keeps reading their own record."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from accounts import authz
from accounts.models import User
from people import services
from people.models import Person
from tests.people.conftest import RECORD

TODAY = datetime.date.today()


def test_a_retiree_keeps_reading_their_own_record_but_edits_nothing_R_8_5(person, hr):
    services.set_status(hr, person, status="retired", effective_on=TODAY, decision="120/QĐ-STC")
    account = User.objects.get(pk=person.account_id)
    assert account.usable and authz.can(account, "self.view") and not authz.can(account, "self.edit")
    record, _number = services.read_record(account, Person.objects.get())
    assert record["identity"]["full_name"] == "Nguyễn Văn Dũng"
    with pytest.raises(PermissionDenied):
        services.edit_sections(account, Person.objects.get(), {"contacts": {**RECORD["contacts"], "phone": "0900000000"}})
    assert account.grants.get().changes.filter(action="restrict", details__decision="120/QĐ-STC").exists()


@pytest.mark.parametrize("status", ["resigned", "dismissed", "deceased", "transferred_out"])
def test_other_departures_close_the_account_and_keep_the_record_R_8_5(person, hr, status):
    services.set_status(hr, person, status=status, effective_on=TODAY, decision="121/QĐ-STC")
    account = User.objects.get(pk=person.account_id)
    assert account.closed_at is not None and not account.usable and not account.grants.filter(revoked_at__isnull=True).exists()
    assert Person.objects.get().status == status and services.approved_record(Person.objects.get())["identity"]["full_name"]


def test_retirees_may_be_closed_out_too_by_configuration_R_8_5(person, hr, settings):
    settings.RETIREES_READ_OWN_RECORD = False
    services.set_status(hr, person, status="retired", effective_on=TODAY, decision="122/QĐ-STC")
    assert User.objects.get(pk=person.account_id).closed_at is not None
