"""The personnel record: change sets, proofs, rules, versions, statuses, encryption and scope."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from common.errors import ServiceError
from people import services
from people.form import BY_NAME
from people.models import ChangeSet, Document, Person, RecordVersion
from people.validation import check_citizen_id, check_record, completeness
from tests.conftest import UserFactory
from tests.people.conftest import PDF, RECORD, sample_record, unit

TODAY = datetime.date.today()


def contacts(**changes):
    return {"contacts": {**RECORD["contacts"], **changes}}


def identity(**changes):
    return {"identity": {**RECORD["identity"], **changes}}


def submitted(actor, person, sections, proof_sections=("identity",)):
    change_set = services.edit_sections(actor, person, sections)
    for name in proof_sections:
        services.attach_document(actor, change_set, section_name=name, upload=SimpleUploadedFile("proof.pdf", PDF))
    return services.submit(actor, change_set)


def test_person_enters_changes_that_wait_for_approval_R_3_12(person, head):
    change_set = services.edit_sections(person.account, person, contacts(phone="0987654321"))
    assert change_set.state == ChangeSet.State.DRAFT and change_set.author == person.account
    assert services.approved_record(person)["contacts"]["phone"] == "0912345678"
    assert services.working_record(person)["contacts"]["phone"] == "0987654321"
    services.submit(person.account, change_set)
    version = services.make_version(head, change_set)
    person.refresh_from_db()
    assert version.number == person.version == 2
    assert services.approved_record(person)["contacts"]["phone"] == "0987654321"
    assert services.approved_record(person, 1)["contacts"]["phone"] == "0912345678"


def test_change_of_identity_needs_a_scanned_proof_R_6_5(person):
    change_set = services.edit_sections(person.account, person, identity(home_town="Xã Phú Hữu, Đồng Nai"))
    with pytest.raises(ServiceError) as refused:
        services.submit(person.account, change_set)
    assert refused.value.field == "file" and str(BY_NAME["identity"].label) in refused.value.message
    services.attach_document(person.account, change_set, section_name="identity", upload=SimpleUploadedFile("cccd.pdf", PDF))
    assert services.submit(person.account, change_set).state == ChangeSet.State.SUBMITTED


def test_a_file_renamed_to_pdf_is_refused_by_its_content_R_6_4(person):
    change_set = services.edit_sections(person.account, person, identity(home_town="Xã Phú Hữu"))
    for fake in (b"MZ\x90\x00 an executable", b"<html>not a scan</html>", b"%PDF-1.7 truncated without its end"):
        with pytest.raises(ServiceError) as refused:
            services.attach_document(person.account, change_set, section_name="identity", upload=SimpleUploadedFile("scan.pdf", fake))
        assert refused.value.field == "file"
    assert not change_set.attachments.exists() and not Document.objects.exists()


def test_documents_are_stored_once_under_their_sha256_R_6_4(person, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path)}}}
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    change_set = services.edit_sections(person.account, person, identity(home_town="Xã Phú Hữu"))
    first = services.attach_document(person.account, change_set, section_name="identity", upload=SimpleUploadedFile("a.png", png))
    second = services.attach_document(person.account, change_set, section_name="identity", upload=SimpleUploadedFile("b.pdf", png))
    assert first.document == second.document and first.document.content_type == "image/png"
    assert len(list((tmp_path / "documents").rglob("*"))) == 2  # one directory, one file
    assert default_storage.open(first.document.storage_name).read() == png


def test_an_oversized_upload_is_refused_and_nothing_is_stored_R_6_4(person, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    change_set = services.edit_sections(person.account, person, identity(home_town="Xã Phú Hữu"))
    with pytest.raises(ServiceError) as refused:
        services.attach_document(person.account, change_set, section_name="identity",
                                 upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))
    assert "KB" in refused.value.message
    assert not Document.objects.exists()


@pytest.mark.parametrize(("sections", "field"), [
    (identity(birth_date=(TODAY + datetime.timedelta(days=3)).isoformat()), "identity.birth_date"),
    (identity(ethnicity="99"), "identity.ethnicity"),
    (identity(citizen_id="07508500123"), "identity.citizen_id"),
    (contacts(email="not-an-address"), "contacts.email"),
    ({"salary": {**RECORD["salary"], "salary_step": 40}}, "salary.salary_step"),
    ({"salary": {**RECORD["salary"], "salary_coefficient": "abc"}}, "salary.salary_coefficient"),
    ({"work_history": [{"description": "Chuyên viên"}]}, "work_history.0.from_date"),
    ({"nonsense": {}}, "section"),
    ({"identity": {"shoe_size": 42}}, "identity"),
])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing_R_13_5(person, sections, field):
    with pytest.raises(ServiceError) as refused:
        services.edit_sections(person.account, person, sections)
    assert refused.value.field == field
    assert not ChangeSet.objects.exists()


def test_a_salary_grade_outside_the_rank_table_is_refused_R_13_5(person):
    with pytest.raises(ServiceError) as refused:
        services.edit_sections(person.account, person, {"salary": {**RECORD["salary"], "salary_step": 10, "salary_coefficient": "4.98"}})
    assert refused.value.field == "salary.salary_step" and "9" in refused.value.message  # A1 has 9 steps
    with pytest.raises(ServiceError) as refused:
        services.edit_sections(person.account, person, {"salary": {**RECORD["salary"], "salary_step": 4, "salary_coefficient": "3.00"}})
    assert refused.value.field == "salary.salary_coefficient" and "3.33" in refused.value.message
    assert not ChangeSet.objects.exists()


def test_citizen_id_follows_its_structure_R_13_5():
    assert check_citizen_id("075085001234", "1", datetime.date(1985, 3, 14)) is None
    assert check_citizen_id("075185001234", "2", datetime.date(1985, 3, 14)) is None
    assert check_citizen_id("075301001234", "2", datetime.date(2001, 1, 1)) is None
    assert check_citizen_id("075185001234", "1", datetime.date(1985, 3, 14))  # a woman's digit for a man
    assert check_citizen_id("075086001234", "1", datetime.date(1985, 3, 14))  # another birth year
    assert check_citizen_id("099085001234", "1", datetime.date(1985, 3, 14))  # no such province


def test_a_citizen_id_is_unique_across_the_province_R_4_3(person, hr, small_tree):
    other = sample_record(identity={**RECORD["identity"], "full_name": "Trần Văn Bình"})
    with pytest.raises(ServiceError) as refused:
        services.create_person(hr, unit=unit("000.02.01.H19"), sections={"identity": other["identity"], "employment": other["employment"]})
    assert refused.value.field == "identity.citizen_id"
    assert Person.objects.count() == 1


def test_dates_in_order_and_periods_not_overlapping_R_13_5(catalogs):
    record = sample_record(
        employment={**RECORD["employment"], "recruited_on": "1999-01-01"},
        work_history=[{"from_date": "2008-09-01", "to_date": "2015-01-01", "description": "A"},
                      {"from_date": "2014-06-01", "description": "B"}],
        party={"party_admitted_on": "2013-05-19", "party_official_on": "2012-05-19"})
    fields = {p.field for p in check_record(record, TODAY)}
    assert fields == {"employment.recruited_on", "work_history.1.from_date", "party.party_official_on"}


def test_contract_worker_needs_the_labor_contract_fields_R_6_1b(catalogs):
    record = sample_record(employment={"category": "NLD"}, salary={}, contract={"contract_no": "15/2025/HĐLĐ", "contract_type": "definite",
                                                                                 "start_date": "2025-01-02", "end_date": "2029-01-01"})
    fields = {p.field for p in check_record(record, TODAY)}
    assert {"contract.signed_on", "contract.job", "contract.pay_amount", "contract.end_date"} <= fields
    assert "employment.recruited_on" not in fields  # required of civil servants, not of contract workers


def test_category_is_required_and_from_the_catalog_R_2_2(hr, small_tree):
    with pytest.raises(ServiceError) as refused:
        services.create_person(hr, unit=unit("000.02.01.H19"), sections={"identity": RECORD["identity"], "employment": {"category": "XX"}})
    assert refused.value.field == "employment.category"
    with pytest.raises(ServiceError) as refused:
        services.create_person(hr, unit=unit("000.02.01.H19"), sections={"identity": RECORD["identity"]})
    assert refused.value.field == "employment.category"
    assert not Person.objects.exists()


def test_completeness_counts_what_the_category_expects_R_13_5():
    assert completeness(sample_record()) == (100, [])
    score, missing = completeness(sample_record(family=[], contacts={"permanent_address": "Đồng Nai"}))
    assert score < 100
    assert {"family", "contacts.phone", "contacts.email", "contacts.current_address"} == {path for path, _label in missing}


def test_an_edit_out_of_scope_is_refused_and_audited_R_4_4(person, small_tree):
    outsider = UserFactory(username="tccb.khdt", grant=("hr_officer", "000.00.02.H19"))
    with pytest.raises(PermissionDenied):
        services.edit_sections(outsider, person, contacts(phone="0900000000"))
    assert not ChangeSet.objects.exists()
    assert AuditEvent.objects.filter(actor=outsider, action="people.edit", outcome="refused").exists()


def test_an_approved_version_is_immutable_R_4_1(person, head):
    version = person.versions.get()
    with pytest.raises(ValueError):
        version.save()
    submitted(person.account, person, identity(home_town="Xã Phú Hữu"))
    services.make_version(head, person.change_sets.get())
    assert services.version_record(RecordVersion.objects.get(person=person, number=1))["identity"]["home_town"] == "Xã Long Thành, Đồng Nai"


def test_the_record_as_of_any_date_R_4_1(person, head):
    change_set = submitted(person.account, person, identity(home_town="Xã Phú Hữu"))
    services.make_version(head, change_set, valid_from=datetime.date(2026, 3, 1))
    before, version = services.record_as_of(person, datetime.date(2026, 2, 28))
    after, _version = services.record_as_of(person, datetime.date(2026, 3, 1))
    assert version.number == 1 and before["identity"]["home_town"] == "Xã Long Thành, Đồng Nai"
    assert after["identity"]["home_town"] == "Xã Phú Hữu"
    assert services.record_as_of(person, datetime.date(2024, 12, 31))[1] is None
    changes = services.diff(before, after)
    assert [(c.section, c.field, c.old, c.new) for c in changes] == [("identity", "home_town", "Xã Long Thành, Đồng Nai", "Xã Phú Hữu")]


def test_a_change_approved_meanwhile_is_not_overwritten(person, head, hr):
    stale = submitted(person.account, person, identity(home_town="Xã Phú Hữu"))
    services.withdraw(person.account, stale)
    first = services.edit_sections(person.account, person, identity(home_town="Xã Phú Hữu"))
    services.attach_document(person.account, first, section_name="identity", upload=SimpleUploadedFile("p.pdf", PDF))
    services.submit(person.account, first)
    first.base_version = 0  # as if made before version 1 changed the identity section
    first.save(update_fields=["base_version"])
    with pytest.raises(ServiceError) as refused:
        services.make_version(head, first)
    assert refused.value.field == "change_set"
    assert person.versions.count() == 1


def test_a_closed_record_is_read_only_and_kept_R_4_1(person, hr):
    draft = services.edit_sections(person.account, person, contacts(phone="0987654321"))
    with pytest.raises(ServiceError) as refused:
        services.set_status(hr, person, status="retired", effective_on=TODAY)
    assert refused.value.field == "decision"
    services.set_status(hr, person, status="retired", effective_on=TODAY, decision="125/QĐ-STC")
    draft.refresh_from_db()
    assert draft.state == ChangeSet.State.WITHDRAWN
    with pytest.raises(ServiceError) as refused:
        services.edit_sections(hr, person, contacts(phone="0911111111"))
    assert refused.value.field == "status"
    found = services.search_people(hr, services.PeopleQuery(status="retired"))
    assert list(found) == [person] and services.approved_record(person)["identity"]["full_name"] == "Nguyễn Văn Dũng"


def test_sensitive_fields_are_encrypted_at_rest_and_found_by_blind_index_R_4_3(person, hr):
    with connection.cursor() as cursor:
        cursor.execute("SELECT content, sealed FROM people_recordversion")
        content, sealed = cursor.fetchone()
    assert "075085001234" not in str(content) and b"075085001234" not in bytes(sealed)
    assert "Nguyễn Văn An" not in str(content)  # the family
    assert "full_name" in str(content) and "citizen_id" not in str(content)  # names stay in clear, identity numbers do not
    assert "075085001234" not in person.citizen_id_index
    assert list(services.search_people(hr, services.PeopleQuery(text="075085001234"))) == [person]


def test_keys_rotate_without_losing_data_R_16_4(person, settings):
    before = services.approved_record(person)
    old_key = person.versions.get().data_key_id
    settings.FIELD_MASTER_KEYS = "m2:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=" + "," + settings.FIELD_MASTER_KEYS
    call_command("rotate_keys", "--data-key", stdout=io.StringIO())
    version = RecordVersion.objects.get(person=person)
    assert version.data_key_id != old_key and version.data_key.master_key_id == "m2"
    assert services.version_record(version) == before


def test_readers_see_only_fields_they_are_cleared_for_and_reads_are_audited_R_4_3(person, viewer, hr):
    seen, _number = services.read_record(viewer, person)
    assert "citizen_id" not in seen.get("identity", {}) and "family" not in seen and "party" not in seen
    assert seen["identity"]["full_name"] == "Nguyễn Văn Dũng"
    full, _number = services.read_record(hr, person)
    assert full["identity"]["citizen_id"] == "075085001234" and full["family"]
    event = AuditEvent.objects.get(actor=hr, action="people.read_sensitive")
    assert "person.citizen_id" in event.details["fields"]
    own, _number = services.read_record(person.account, person)
    assert own["party"] and not AuditEvent.objects.filter(actor=person.account, action="people.read_sensitive").exists()


def test_search_without_diacritics_with_filters_and_scope(person, hr, viewer, admin_user):
    outside = sample_record(identity={**RECORD["identity"], "full_name": "Nguyễn Văn Dương", "citizen_id": "075085009999"})
    services.load_approved([(unit("000.00.02.H19").pk, outside)])
    assert [p.full_name for p in services.search_people(hr, services.PeopleQuery(text="nguyen van d"))] == ["Nguyễn Văn Dũng"]
    assert len(services.search_people(viewer, services.PeopleQuery(text="nguyen van"))) == 2
    query = services.PeopleQuery(unit_id=unit("000.00.01.H19").pk, category="CC", rank="01.003", gender="1", age_from=30, age_to=50,
                                 qualification="DH")
    assert list(services.search_people(viewer, query)) == [person]
    assert not services.search_people(viewer, services.PeopleQuery(age_to=30)).exists()
    assert list(services.search_people(admin_user, services.PeopleQuery(party_member=True, ethnicity="01", text="dung"))) == [person]
    for sensitive in ({"ethnicity": "01"}, {"party_member": False}):
        with pytest.raises(ServiceError) as refused:
            services.search_people(viewer, services.PeopleQuery(**sensitive))
        assert refused.value.field == next(iter(sensitive))


def test_one_account_per_person_linked_by_citizen_id_R_12_2(hr, small_tree):
    account = UserFactory(username="binh")
    account.citizen_id_index = services.blind_index("075090004321")
    account.save()
    record = sample_record(identity={**RECORD["identity"], "full_name": "Lê Văn Bình", "birth_date": "1990-02-02", "citizen_id": "075090004321"})
    person, change_set = services.create_person(hr, unit=unit("000.02.01.H19"), sections={"identity": record["identity"],
                                                                                         "employment": record["employment"]})
    assert person.account == account and change_set.base_version == 0 and person.version == 0
    assert services.person_for_user(account) == person


def test_a_new_record_becomes_version_one_when_approved_R_6_4(hr, head, small_tree):
    record = sample_record(identity={**RECORD["identity"], "citizen_id": "075085007777"})
    person, change_set = services.create_person(hr, unit=unit("000.02.01.H19"), sections={"identity": record["identity"],
                                                                                         "employment": record["employment"]})
    services.edit_sections(hr, person, {name: record[name] for name in ("salary", "education", "contacts", "work_history", "family")})
    for name in ("identity", "salary", "education", "work_history", "family", "employment"):
        services.attach_document(hr, change_set, section_name=name, upload=SimpleUploadedFile(f"{name}.pdf", PDF + name.encode()))
    services.submit(hr, change_set)
    services.make_version(head, change_set)
    person.refresh_from_db()
    assert person.version == 1 and person.rank == "01.003" and person.completeness > 80


def test_missing_fields_wait_for_the_submission_R_13_5(person):
    change_set = services.edit_sections(person.account, person, identity(home_town=""))
    with pytest.raises(ServiceError) as refused:
        services.submit(person.account, change_set)
    assert refused.value.field == "identity.home_town"


def test_a_status_takes_effect_between_recruitment_and_today_R_4_1(person, hr):
    for day in (datetime.date(2007, 1, 1), TODAY + datetime.timedelta(days=1)):
        with pytest.raises(ServiceError) as refused:
            services.set_status(hr, person, status="on_leave", effective_on=day)
        assert refused.value.field == "effective_on"
    person.refresh_from_db()
    assert person.status == "working" and not person.status_changes.exists()


def test_an_account_made_after_the_record_finds_it_by_citizen_id_R_12_2(person):
    person.account.citizen_id_index = ""
    person.account.save()
    account = UserFactory(username="dung2")
    account.citizen_id_index, person.account = person.citizen_id_index, None
    account.save()
    person.save()
    assert services.person_for_user(account) == person
    person.refresh_from_db()
    assert person.account == account


def test_the_annual_assessment_is_entered_by_the_unit_not_the_person(person, hr):
    ratings = {"ratings": [{"year": 2024, "rating": "excellent"}]}
    with pytest.raises(ServiceError) as refused:
        services.edit_sections(person.account, person, ratings)
    assert refused.value.field == "ratings"
    assert services.edit_sections(hr, person, ratings).state == ChangeSet.State.DRAFT
