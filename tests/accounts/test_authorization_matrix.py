"""Every role × every page and API endpoint × an object inside and outside the role's scope (R-4.4, R-3.4).

A new URL or API operation without a rule here fails the suite: add its rule (the action it needs and
the object its scope is judged on) together with the check in the view."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import authz
from accounts.models import ApiToken, PasswordReport, Role, RoleGrant, WrittenRequest
from accounts.services import create_token
from approvals.models import SigningBatch
from compliance import annual
from compliance.models import CalendarOverride, Obligation, Reminder
from config.api import api
from inspections.services import record_inspection
from movements.arrivals import request_arrival
from orgs.models import JobPosition, ReorgPlan
from people import services
from problems.services import file_report
from reports.models import ExportJob, SignedExport
from reports.signed import new_code
from tests.conftest import UserFactory, open_version
from tests.people.conftest import RECORD, sample_record

FINANCE, PLANNING = "000.00.01.H19", "000.00.02.H19"
LOGIN_ONLY = "login only"  # any logged-in user: their own account pages, shared catalogs
PUBLIC = "public"
APPROVE = ("records.approve", "records.approve_head")  # either: a head or delegate, or a deputy for the head's record
ARRIVALS = ("people.view", "arrivals.decide")  # the receiving unit's officers, or Sở Nội vụ
INSPECTIONS = ("reports.view", "inspections.record", "inspections.answer")  # who reads a unit's inspections
SIGNED = ("reports.sign", "reports.view")  # who sees a unit's signed exports
MATRIX_PDF = b"%PDF-1.4 matrix\n%%EOF\n"
REPORT_YEAR = timezone.localdate().year - 1  # a year any unit may report on

# route name -> (action, what the scope is judged on)
PAGE_RULES = {
    "health_live": (PUBLIC, None), "health_ready": (PUBLIC, None), "metrics": (PUBLIC, None),
    "login": (PUBLIC, None), "logout": (PUBLIC, None), "set_language": (PUBLIC, None), "accounts:password_report": (PUBLIC, None),
    "accounts:password_report_resolve": ("accounts.manage", "report"),
    "accounts:written_request_scan": ("accounts.view", "request"),
    "catalogs:list": (LOGIN_ONLY, None), "catalogs:detail": (LOGIN_ONLY, None),
    "accounts:me": (LOGIN_ONLY, None), "accounts:password_change": (LOGIN_ONLY, None),
    "accounts:2fa_enroll": (LOGIN_ONLY, None), "accounts:2fa_verify": (LOGIN_ONLY, None),
    "accounts:token_create": (LOGIN_ONLY, None), "accounts:token_revoke": (LOGIN_ONLY, "own_token"),
    "orgs:tree": ("org.view", None), "orgs:unit": ("org.view", "unit"),
    "orgs:unit_create": ("org.manage", None), "orgs:unit_edit": ("org.manage", "unit"), "orgs:unit_move": ("org.manage", "unit"),
    "orgs:unit_dissolve": ("org.manage", "unit"), "orgs:unit_set_quota": ("org.manage", "unit"),
    "orgs:unit_add_position": ("org.manage", "unit"), "orgs:unit_close_position": ("org.manage", "position"),
    "orgs:plans": ("org.manage", None), "orgs:plan_create": ("org.manage", None), "orgs:plan": ("org.manage", "plan"),
    "orgs:plan_add_step": ("org.manage", "plan"), "orgs:plan_upload_steps": ("org.manage", "plan"),
    "orgs:plan_remove_step": ("org.manage", "plan"), "orgs:plan_preview": ("org.manage", "plan"), "orgs:plan_apply": ("org.manage", "plan"),
    "accounts:users": ("accounts.view", None), "accounts:roles": ("accounts.view", None),
    "accounts:delegations": ("accounts.view", None), "accounts:create_personal": ("accounts.manage", None),
    "accounts:create_agency": ("accounts.manage_agency", None), "accounts:create_system": ("roles.grant_any", None),
    "accounts:system_token": ("roles.grant_any", "system"), "accounts:user": ("accounts.view", "user"),
    "accounts:user_grant": ("roles.grant", "user"), "accounts:grant_change": ("roles.grant", "grant"),
    "accounts:user_reset_password": ("accounts.manage", "user"), "accounts:user_lock": ("accounts.manage", "user"),
    "accounts:user_unlock": ("accounts.manage", "user"), "accounts:user_rename": ("accounts.manage", "user"),
    "accounts:user_end_sessions": ("accounts.manage", "user"), "accounts:user_close": ("accounts.manage", "user"),
    "people:list": ("people.view", None), "people:new": ("people.edit", None), "people:me": (LOGIN_ONLY, None),
    "people:me_pdf": (LOGIN_ONLY, None), "people:me_json": (LOGIN_ONLY, None), "people:me_access": (LOGIN_ONLY, None),  # own record: 404 without
    "people:open_changes": ("people.edit", None), "people:retirements": ("people.view", None),
    "people:detail": ("people.view", "person"), "people:edit": ("people.edit", "person"),
    "people:diff": ("people.view", "person"), "people:timeline": ("people.view", "person"), "people:print": ("people.view", "person"),
    "people:status": ("people.edit", "person"),
    "people:change_set": ("people.view", "change_set"), "people:upload": ("people.edit", "change_set"),
    "people:submit": ("people.edit", "change_set"), "people:withdraw": ("people.edit", "change_set"),
    "people:document": ("people.view", "document"),
    "approvals:round": (APPROVE, None), "approvals:sign": (APPROVE, None), "approvals:batch": (APPROVE, "batch"),
    "approvals:reject": (APPROVE, "change_set"), "approvals:windows": ("approvals.open_window", None),
    "movements:transfer": ("people.edit", "person"),
    "movements:arrivals": (ARRIVALS, None), "movements:arrival_new": ("people.edit", None),
    "movements:arrival": (ARRIVALS, "arrival"), "movements:arrival_document": (ARRIVALS, "arrival"),
    "audit:log": ("audit.view", None),
    "exchange:status": ("exchange.view", None), "exchange:packets": ("exchange.view", None), "exchange:resend": ("exchange.operate", None),
    "exchange:send_now": ("exchange.operate", None), "exchange:queue_unsent": ("exchange.operate", None),
    "exchange:reconcile": ("exchange.operate", None), "exchange:reconciliation": ("exchange.view", None),
    "exchange:reconciliation_resend": ("exchange.operate", None), "exchange:fetch_arrival": ("arrivals.decide", "arrival"),
    "imports:list": ("people.import", None), "imports:template": ("people.import", None), "imports:job": ("people.import", None),  # another's: 404
    "imports:errors_csv": ("people.import", None), "imports:apply": ("people.import", None),
    "backups:list": ("backups.view", None), "backups:checks": ("backups.view", None), "backups:detail": ("backups.view", None),
    "backups:start": ("backups.operate", None), "backups:verify": ("backups.operate", None), "backups:download": ("backups.operate", None),
    "problems:list": (LOGIN_ONLY, None), "problems:new": (LOGIN_ONLY, None),  # a handler of the reporter's unit, or the reporter (never the matrix user)
    "problems:detail": ("problems.handle", "problem"), "problems:reply": ("problems.handle", "problem"),
    "problems:state": ("problems.handle", "problem"), "problems:attachment": ("problems.handle", "problem"),
    "people:checked": (LOGIN_ONLY, None), "compliance:tasks": (LOGIN_ONLY, None), "compliance:reminders_read": (LOGIN_ONLY, None),
    "compliance:obligations": ("people.view", None), "compliance:refresh": ("compliance.manage", None),
    "compliance:calendar": ("org.view", None), "compliance:override_add": ("compliance.manage", None),
    "compliance:override_remove": ("compliance.manage", None), "compliance:dashboard": ("reports.view", None),
    "compliance:findings": ("people.view", None), "compliance:run_checks": ("compliance.manage", None),
    "reports:statistics": ("reports.view", None), "reports:standard_form": ("reports.view", None), "reports:staffing": ("reports.view", None),
    "reports:saved_search_create": (LOGIN_ONLY, None), "reports:saved_search_open": (LOGIN_ONLY, None),  # another's search: 404
    "reports:saved_search_delete": (LOGIN_ONLY, None),
    "reports:exports": ("reports.export", None), "reports:export_create": ("reports.export", None),
    "reports:export": ("reports.export", "export"), "reports:export_download": ("reports.export", "export"),  # another's export: 404
    "reports:staff_list": ("people.view", "unit"),
    "reports:sign": ("reports.sign", "person"), "reports:signed_list": (SIGNED, None), "reports:signed": (SIGNED, "signed_export"),
    "reports:signed_download": (SIGNED, "signed_export"), "reports:verify": (PUBLIC, None), "reports:verify_code": (PUBLIC, None),
    "compliance:par": ("reports.view", None), "compliance:par_formula": ("compliance.manage", None),
    "compliance:reports": ("reports.view", None), "compliance:report_create": ("reports.submit", None),
    "compliance:report": ("reports.view", "annual_report"), "compliance:report_edit": ("reports.submit", "annual_report"),
    "compliance:report_regenerate": ("reports.submit", "annual_report"),
    "compliance:report_docx": ("reports.view", "annual_report"), "compliance:report_pdf": ("reports.view", "annual_report"),
    "inspections:list": (INSPECTIONS, None), "inspections:new": ("inspections.record", None),
    "inspections:detail": (INSPECTIONS, "inspection"), "inspections:answer": ("inspections.answer", "inspection"),
    "inspections:close": ("inspections.record", "inspection"),
}
# API operation id -> (action, object)
API_RULES = {
    "audit_api_events": ("audit.view", None), "audit_api_checkpoints": ("audit.view", None),
    "exchange_api_status": ("exchange.view", None), "exchange_api_packet_list": ("exchange.view", None),
    "exchange_api_resend": ("exchange.operate", None), "exchange_api_send_now": ("exchange.operate", None),
    "exchange_api_queue_unsent": ("exchange.operate", None), "exchange_api_packet_schema": (LOGIN_ONLY, None),
    "exchange_api_person_sync": ("people.view", "person"), "exchange_api_reconciliation_list": ("exchange.view", None),
    "exchange_api_reconcile": ("exchange.operate", None), "exchange_api_reconciliation_detail": ("exchange.view", None),
    "exchange_api_difference_list": ("exchange.view", None), "exchange_api_reconciliation_resend": ("exchange.operate", None),
    "exchange_api_fetch_arrival": ("arrivals.decide", "arrival"),
    "imports_api_import_template": ("people.import", None), "imports_api_create_import": ("people.import", None),
    "imports_api_list_imports": ("people.import", None), "imports_api_get_import": ("people.import", None),  # another's: 404
    "imports_api_import_errors": ("people.import", None), "imports_api_apply_import": ("people.import", None),
    "backups_api_list_backups": ("backups.view", None), "backups_api_list_checks": ("backups.view", None),
    "backups_api_get_backup": ("backups.view", None), "backups_api_start_backup": ("backups.operate", None),
    "backups_api_verify_backup": ("backups.operate", None),
    "catalogs_api_list_catalogs": (LOGIN_ONLY, None), "catalogs_api_catalog_entries": (LOGIN_ONLY, None),
    "orgs_api_list_units": ("org.view", None), "orgs_api_unit_tree": ("org.view", None), "orgs_api_get_unit": ("org.view", "unit"),
    "orgs_api_create_unit": ("org.manage", None), "orgs_api_update_unit": ("org.manage", "unit"),
    "orgs_api_move_unit": ("org.manage", "unit"), "orgs_api_dissolve_unit": ("org.manage", "unit"),
    "orgs_api_set_quota": ("org.manage", "unit"), "orgs_api_add_position": ("org.manage", "unit"),
    "orgs_api_close_position": ("org.manage", "position"),
    "orgs_api_list_plans": ("org.manage", None), "orgs_api_create_plan": ("org.manage", None), "orgs_api_get_plan": ("org.manage", "plan"),
    "orgs_api_add_steps": ("org.manage", "plan"), "orgs_api_remove_step": ("org.manage", "plan"),
    "orgs_api_preview_plan": ("org.manage", "plan"), "orgs_api_apply_plan": ("org.manage", "plan"),
    "orgs_api_schedule_plan": ("org.manage", "plan"),
    "accounts_api_me": (LOGIN_ONLY, None), "accounts_api_roles": (LOGIN_ONLY, None),
    "accounts_api_list_tokens": (LOGIN_ONLY, None), "accounts_api_create_token": (LOGIN_ONLY, None),
    "accounts_api_revoke_token": (LOGIN_ONLY, "own_token"),
    "accounts_api_list_users": ("accounts.view", None), "accounts_api_create_user": ("accounts.manage", None),
    "accounts_api_get_user": ("accounts.view", "user"), "accounts_api_list_grants": ("accounts.view", "user"),
    "accounts_api_add_grant": ("roles.grant", "user"), "accounts_api_revoke_grant": ("roles.grant", "grant"),
    "accounts_api_reset_password": ("accounts.manage", "user"), "accounts_api_lock": ("accounts.manage", "user"),
    "accounts_api_unlock": ("accounts.manage", "user"),
    "people_api_search": ("people.view", None), "people_api_retirements": ("people.view", None), "people_api_create": ("people.edit", None),
    "people_api_own_record": (LOGIN_ONLY, None),
    "people_api_own_record_json": (LOGIN_ONLY, None), "people_api_own_record_pdf": (LOGIN_ONLY, None),
    "people_api_own_access_history": (LOGIN_ONLY, None),
    "people_api_get_record": ("people.view", "person"), "people_api_list_versions": ("people.view", "person"),
    "people_api_version_diff": ("people.view", "person"), "people_api_person_timeline": ("people.view", "person"),
    "people_api_quality": ("people.view", "person"),
    "people_api_set_status": ("people.edit", "person"), "people_api_edit": ("people.edit", "person"),
    "people_api_open_changes": ("people.view", "person"), "people_api_get_change_set": ("people.view", "change_set"),
    "people_api_attach": ("people.edit", "change_set"), "people_api_submit": ("people.edit", "change_set"),
    "people_api_withdraw": ("people.edit", "change_set"), "people_api_list_change_sets": ("people.edit", None),
    "approvals_api_approval_status": ("people.view", "unit"),
    "approvals_api_round_info": (APPROVE, None), "approvals_api_items": (APPROVE, None), "approvals_api_sign": (APPROVE, None),
    "approvals_api_prepare": (APPROVE, None), "approvals_api_batch": (APPROVE, "batch"), "approvals_api_complete": (APPROVE, "batch"),
    "approvals_api_reject": (APPROVE, "change_set"), "approvals_api_rejections": ("people.view", "change_set"),
    "approvals_api_open_round": ("approvals.open_window", "unit"), "approvals_api_verification": ("people.view", "person"),
    "movements_api_create": ("people.edit", "person"), "movements_api_list_transfers": ("people.view", "person"),
    "movements_api_create_arrival": ("people.edit", None), "movements_api_list_arrivals": (ARRIVALS, None),
    "movements_api_get_arrival": (ARRIVALS, "arrival"), "movements_api_decide_arrival": ("arrivals.decide", "arrival"),
    "movements_api_bring_in_arrival": ("arrivals.decide", "arrival"),
    "reports_api_aggregate": ("reports.view", None), "reports_api_list_forms": (LOGIN_ONLY, None),
    "reports_api_standard_form": ("reports.view", None), "reports_api_standard_form_xlsx": ("reports.view", None),
    "reports_api_staffing_report": ("reports.view", None), "reports_api_list_saved": (LOGIN_ONLY, None),
    "reports_api_save": (LOGIN_ONLY, None), "reports_api_delete_saved": (LOGIN_ONLY, None),  # another's search: 404
    "reports_api_exports_create_export": ("reports.export", None), "reports_api_exports_list_exports": ("reports.export", None),
    "reports_api_exports_get_export": ("reports.export", "export"), "reports_api_exports_export_file": ("reports.export", "export"),
    "reports_api_exports_staff_list": ("people.view", "unit"),
    "reports_api_signed_create_signed_export": ("reports.sign", "person"), "reports_api_signed_list_signed_exports": (SIGNED, None),
    "reports_api_signed_get_signed_export": (SIGNED, "signed_export"), "reports_api_signed_signed_export_file": (SIGNED, "signed_export"),
    "reports_api_signed_verify_pdf": (PUBLIC, None),
    "problems_api_list_problems": (LOGIN_ONLY, None), "problems_api_create_problem": (LOGIN_ONLY, None),
    "problems_api_get_problem": ("problems.handle", "problem"), "problems_api_add_message": ("problems.handle", "problem"),
    "problems_api_change_state": ("problems.handle", "problem"),
    "people_api_confirm_own_record": (LOGIN_ONLY, None), "compliance_api_my_tasks": (LOGIN_ONLY, None),
    "compliance_api_list_obligations": ("people.view", None), "compliance_api_refresh_obligations": ("compliance.manage", None),
    "compliance_api_list_reminders": (LOGIN_ONLY, None), "compliance_api_read_reminder": (LOGIN_ONLY, None),  # another's: 404
    "compliance_api_get_calendar": ("org.view", None), "compliance_api_add_override": ("compliance.manage", None),
    "compliance_api_delete_override": ("compliance.manage", None), "compliance_api_get_dashboard": ("reports.view", None),
    "compliance_api_list_findings": ("people.view", None), "compliance_api_run_quality_checks": ("compliance.manage", None),
    "compliance_api_get_par": ("reports.view", None), "compliance_api_set_par_formula": ("compliance.manage", None),
    "compliance_api_list_annual_reports": ("reports.view", None), "compliance_api_prepare_annual_report": ("reports.submit", None),
    "compliance_api_get_annual_report": ("reports.view", "annual_report"),
    "compliance_api_edit_annual_report": ("reports.submit", "annual_report"),
    "compliance_api_submit_annual_report": ("reports.submit", "annual_report"),
    "compliance_api_annual_report_document": ("reports.view", "annual_report"),
    "inspections_api_list_inspections": (INSPECTIONS, None), "inspections_api_create_inspection": ("inspections.record", None),
    "inspections_api_get_inspection": (INSPECTIONS, "inspection"),
    "inspections_api_answer_inspection": ("inspections.answer", "inspection"),
    "inspections_api_close_inspection": ("inspections.record", "inspection"),
}


# A valid body per write operation, so the check under test is authorization, not input validation.
API_BODIES = {
    "exchange_api_resend": {"packet_ids": [1]}, "exchange_api_reconciliation_resend": {},
    "reports_api_save": {"kind": "people", "name": "matrix", "query": {}},
    "reports_api_exports_create_export": {"filters": {}, "columns": ["full_name"], "format": "csv"},
    "orgs_api_create_unit": {"name": "Phòng mới", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": FINANCE},
    "orgs_api_update_unit": {"short_name": "Tên ngắn"},
    "orgs_api_move_unit": {"parent": FINANCE},
    "orgs_api_dissolve_unit": {"children_to": FINANCE},
    "orgs_api_set_quota": {"year": 2026, "category": "CC", "amount": 5},
    "orgs_api_add_position": {"code": "MTX", "name": "Vị trí thử", "category": "CC"},
    "orgs_api_close_position": {"valid_to": "2099-01-01"},
    "orgs_api_create_plan": {"title": "Phương án thử", "effective_date": "2025-09-01"},
    "orgs_api_add_steps": [],
    "accounts_api_create_user": {"unit": FINANCE, "username": "api.moi", "last_name": "Lê", "first_name": "Mới",
                                 "citizen_id": "075000000777"},
    "accounts_api_lock": {"reason": "kiểm tra"},
    "accounts_api_create_token": {"name": "t", "scopes": [], "days": 1},
    "people_api_create": {"unit": FINANCE, "sections": {"identity": {"full_name": "Lê Văn Mới"}}},
    "people_api_set_status": {"status": "on_leave", "effective_on": "2026-01-05"},
    "people_api_edit": {"sections": {"contacts": {"permanent_address": "1 Hà Huy Giáp, Đồng Nai"}}},
    "approvals_api_prepare": {"items": ["v1.1"], "certificates": "not a certificate"},
    "approvals_api_complete": {"signatures": []},
    "approvals_api_reject": {"reasons": {"contacts.phone": "Số điện thoại sai"}},
    "movements_api_decide_arrival": {"approve": False, "reason": "Thử quyền"},
    "problems_api_change_state": {"state": "in_progress"},
    "compliance_api_add_override": {"day": "2099-01-03", "working": True, "reason": "Làm bù"},
    "compliance_api_set_par_formula": {"completeness": 25, "timeliness": 25, "approval": 25, "sync": 25},
    "compliance_api_prepare_annual_report": {"unit": FINANCE, "year": REPORT_YEAR},
    "inspections_api_create_inspection": {"unit": FINANCE, "area": "updating", "inspected_on": "2025-08-01",
                                          "findings": "Chưa cập nhật hồ sơ", "measures": ["Cập nhật trong tháng"]},
    "inspections_api_answer_inspection": {"text": "Đã cập nhật"},
    "inspections_api_close_inspection": {"conclusion": "Đã khắc phục"},
    "backups_api_start_backup": {"kind": "daily"},
    "approvals_api_open_round": lambda ids: {"unit_id": ids["unit"], "opens_on": "2026-01-05", "closes_on": "2026-01-06", "reason": ""},
}
# Multipart operations: a written request with its scan.
WRITTEN = {"document_number": "1/ĐN", "document_date": "2025-08-01"}
API_MULTIPART = {
    "accounts_api_add_grant": {**WRITTEN, "role": "employee", "unit": FINANCE},
    "accounts_api_revoke_grant": WRITTEN,
    "people_api_attach": {"section": "contacts"},
    "approvals_api_sign": {"items": ["v1.1"], "password": "x"},
    "movements_api_create": {"to_unit": FINANCE, "decision_number": "1/QĐ", "decision_date": "2026-01-05", "effective_on": "2026-01-05"},
    "movements_api_create_arrival": {"to_unit": FINANCE, "origin": "province", "origin_agency": "Sở Tài chính TP.HCM", "full_name": "Lê Thị Hoa",
                                     "birth_date": "1990-06-01", "citizen_id": "079190012345", "handover_on": "2026-01-05",
                                     "request_number": "1/ĐN", "request_date": "2026-01-05"},
    "movements_api_bring_in_arrival": {},
    "problems_api_create_problem": {"category": "software", "subject": "Thử quyền", "description": "Thử quyền"},
    "problems_api_add_message": {"text": "Thử quyền"},
    "reports_api_signed_create_signed_export": lambda ids: {"kind": "resume", "person_id": ids["person"], "password": "x"},
    "reports_api_signed_verify_pdf": {},
    "imports_api_create_import": {"dry_run": "true"},
}
# The multipart field holding the file, "scan" by default.
FILE_FIELDS = {"people_api_attach": "file", "approvals_api_sign": "p12", "movements_api_create": "file", "movements_api_create_arrival": "file",
               "movements_api_bring_in_arrival": "file", "problems_api_create_problem": "files", "problems_api_add_message": "files",
               "reports_api_signed_create_signed_export": "p12", "reports_api_signed_verify_pdf": "file",
               "imports_api_create_import": "file"}


def page_routes(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "api-v1" or "api" in str(entry.pattern):
                continue
            yield from page_routes(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def api_operations():
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            yield operation["operationId"], method, path


def test_every_page_and_api_operation_has_a_rule():
    assert {name for name, _pattern in page_routes()} - set(PAGE_RULES) == set()
    assert {op for op, _m, _p in api_operations()} - set(API_RULES) == set()


@pytest.fixture
def objects(small_tree, admin_user):
    """For each kind of object, one inside the tested scope (Sở Tài chính) and one outside (Sở KH&ĐT)."""
    made = {}
    for side, code in (("in", FINANCE), ("out", PLANNING)):
        unit = open_version(code).unit
        made[side] = {
            "unit": unit.pk,
            "position": JobPosition.objects.filter(unit=unit).first().pk,
            "user": (person := UserFactory(unit=unit, grant=("employee", code))).pk,
            "report": PasswordReport.objects.create(user=person, username=person.username, kind="lost").pk,
            "system": UserFactory(unit=unit, kind="system").pk,
            "grant": RoleGrant.objects.filter(unit=unit).first().pk,
            "request": attach_request(person, admin_user),
            "plan": ReorgPlan.objects.first().pk,
            "batch": SigningBatch.objects.create(approver=admin_user, certificates="", expires_at=timezone.now()).pk,
            "export": ExportJob.objects.create(requested_by=admin_user, source="people", format="csv").pk,
        }
        made[side].update(person_objects(unit, admin_user))
        made[side].update(problem_objects(person))
        made[side]["arrival"] = request_arrival(admin_user, to_unit_id=unit.pk, origin="province", origin_agency="Bộ Tài chính",
                                                full_name="Lê Thị Hoa", birth_date=datetime.date(1990, 6, 1),
                                                citizen_id=f"0791900{unit.pk:05d}", handover_on=timezone.localdate(), request_number="2/ĐN",
                                                request_date=timezone.localdate(), upload=SimpleUploadedFile("dn.pdf", MATRIX_PDF)).pk
        made[side]["reminder"] = Reminder.objects.create(obligation=Obligation.objects.create(
            key=f"matrix:{side}", kind="account", unit=unit, start_on=timezone.localdate(), due_on=timezone.localdate()), stage="due",
            user=admin_user).pk
        made[side]["annual_report"] = annual.prepare(admin_user, unit_id=unit.pk, year=REPORT_YEAR).pk
        made[side]["override"] = CalendarOverride.objects.create(day=datetime.date(2099, 1, 10 + len(side)), working=True, reason="thử",
                                                                 created_by=admin_user).pk
        made[side]["signed_export"] = SignedExport.objects.create(
            code=new_code(), kind="resume", title="Sơ yếu lý lịch", unit=unit, signed_by=admin_user, signer_name="Giám đốc", seal_name="Sở",
            signed_at=timezone.now(), storage_name=f"signed/matrix-{side}.pdf", sha256="0" * 64).code
        made[side]["inspection"] = record_inspection(admin_user, unit_id=unit.pk, area="updating", inspected_on=timezone.localdate(),
                                                     findings="Chưa cập nhật hồ sơ", measures=["Cập nhật trong tháng"]).pk
    return made


def person_objects(unit, admin_user) -> dict:
    """A person of the unit with a draft change set and its scanned proof."""
    record = sample_record(identity={**RECORD["identity"], "citizen_id": f"07508500{unit.pk:04d}"})
    services.load_approved([(unit.pk, record)], approved_by=admin_user)
    person = services.Person.objects.get(unit=unit)
    change_set = services.edit_sections(admin_user, person, {"contacts": {**RECORD["contacts"], "phone": "0900000001"}})
    attachment = services.attach_document(admin_user, change_set, section_name="contacts",
                                          upload=SimpleUploadedFile("proof.pdf", MATRIX_PDF + str(unit.pk).encode()))
    return {"person": person.pk, "change_set": change_set.pk, "document": attachment.document.sha256}


def problem_objects(reporter) -> dict:
    """A problem report filed by an employee of the unit, with a scan attached."""
    report = file_report(reporter, category="other", subject="Thử quyền", description="Thử quyền",
                         uploads=[SimpleUploadedFile("scan.pdf", MATRIX_PDF + str(reporter.pk).encode())])
    return {"problem": report.pk, "problem_attachment": report.messages.get().attachments.get().pk}


def attach_request(person, recorder) -> int:
    written = WrittenRequest.objects.create(document_number="9/ĐN", document_date=datetime.date(2025, 8, 1), recorded_by=recorder,
                                            scan=SimpleUploadedFile("dn.pdf", b"%PDF-1.4 matrix"))
    person.grants.update(request=written)
    return written.pk


def page_url(name, pattern, object_ids):
    keys = list(pattern.pattern.converters)
    if not keys:
        return reverse(name)
    kwargs = {}
    rule = PAGE_RULES[name][1]
    for key in keys:
        if key == "pk":
            kwargs[key] = object_ids[rule] if rule in object_ids else object_ids.get("unit")
        elif key == "position_id":
            kwargs[key] = object_ids["position"]
        elif key == "position":
            kwargs[key] = 1
        elif key == "code":
            kwargs[key] = object_ids["signed_export"] if rule == "signed_export" else "unit_kind"
        elif key == "kind":
            kwargs[key] = "resume"
        elif key == "section":
            kwargs[key] = "contacts"
        elif key == "sha256":
            kwargs[key] = object_ids["document"]
        elif key == "attachment_id":
            kwargs[key] = object_ids["problem_attachment"]
        elif key == "unit_id":
            kwargs[key] = object_ids["unit"]
    if name == "orgs:unit_close_position":
        kwargs["pk"] = object_ids["unit"]
    if name == "reports:sign":
        return f"{reverse(name, kwargs=kwargs)}?person={object_ids['person']}"
    return reverse(name, kwargs=kwargs)


def api_url(path, object_ids, rule_object):
    if rule_object == "signed_export":
        path = path.replace("{code}", object_ids["signed_export"])
    values = {"unit_id": object_ids["unit"], "position_id": object_ids["position"], "plan_id": object_ids["plan"],
              "code": "unit_kind", "position": 1, "problem_id": object_ids["problem"], "user_id": object_ids["user"], "grant_id": object_ids["grant"],
              "token_id": object_ids.get("own_token", 0), "person_id": object_ids["person"], "change_set_id": object_ids["change_set"],
              "batch_id": object_ids["batch"], "number": 1, "arrival_id": object_ids["arrival"], "reminder_id": object_ids["reminder"],
              "override_id": object_ids["override"], "report_id": object_ids["annual_report"],
              "year": timezone.localdate().year, "inspection_id": object_ids["inspection"], "search_id": 1, "reconciliation_id": 1,
              "job_id": object_ids["export"], "backup_id": 1}
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    return path


def expected_allowed(user, action, side, rule_object):
    if action in (PUBLIC, LOGIN_ONLY):
        return True
    if isinstance(action, tuple):
        return any(expected_allowed(user, one, side, rule_object) for one in action)
    if rule_object in (None, "plan", "own_token", "batch", "export"):  # a batch, an export: their owner's; others find nothing (404)
        return authz.can(user, action)
    return side == "in" and authz.can(user, action, open_version(FINANCE).unit_id)


def call(client, method, url, **extra):
    if method in ("get", "delete"):
        extra.pop("data", None)
        extra.pop("content_type", None)
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        transaction.set_rollback(True)
    return response


ROLE_CODES = ["doha_admin", "account_admin", "hr_officer", "unit_head", "deputy_head", "approval_delegate", "leader_viewer",
              "inspector", "employee", None]


@pytest.mark.parametrize("role", ROLE_CODES)
def test_role_matrix_over_pages_and_api_R_4_4(client, objects, role):
    if role:
        assert Role.objects.filter(code=role).exists()
    user = UserFactory(username=f"matrix-{role}", grant=(role, FINANCE) if role else None)
    client.force_login(user)
    _token, raw = create_token(user, name="matrix", scopes=[], days=1)
    failures = []
    for name, pattern in page_routes():
        action, rule_object = PAGE_RULES[name]
        if action == PUBLIC:
            continue
        for side in ("in", "out"):
            ids = dict(objects[side])
            if rule_object == "own_token":
                ids["own_token"] = ApiToken.objects.get(user=user).pk
            url = page_url(name, pattern, ids)
            for method in ("get", "post"):
                status = call(client, method, url).status_code
                if status == 405:
                    continue
                allowed = expected_allowed(user, action, side, rule_object)
                if allowed and status in (403, 401) or not allowed and status != 403:
                    failures.append(f"{method.upper()} {name} [{side}] -> {status}, expected {'allowed' if allowed else '403'}")
    for operation, method, path in api_operations():
        action, rule_object = API_RULES[operation]
        for side in ("in", "out"):
            ids = {**objects[side], "own_token": ApiToken.objects.get(user=user).pk}
            url = api_url(path, ids, rule_object)
            if operation in API_MULTIPART:
                fields = API_MULTIPART[operation](ids) if callable(API_MULTIPART[operation]) else API_MULTIPART[operation]
                body = {**fields, FILE_FIELDS.get(operation, "scan"): SimpleUploadedFile("scan.pdf", MATRIX_PDF)}
                status = call(client, method, url, data=body, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
            else:
                body = API_BODIES.get(operation, {})
                status = call(client, method, url, content_type="application/json", data=json.dumps(body(ids) if callable(body) else body),
                              HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
            allowed = expected_allowed(user, action, side, rule_object)
            if status == 422 or allowed and status in (403, 401) or not allowed and status != 403:
                failures.append(f"API {method.upper()} {path} [{side}] -> {status}, expected {'allowed' if allowed else '403'}")
    assert failures == []


def test_anonymous_visitors_reach_only_the_login_page(client, objects):
    for name, pattern in page_routes():
        if PAGE_RULES[name][0] == PUBLIC:
            continue
        response = client.get(page_url(name, pattern, objects["in"]))
        assert response.status_code in (302, 405) and (response.status_code == 405 or "/login/" in response.url), name
    for operation, method, path in api_operations():
        if API_RULES[operation][0] == PUBLIC:
            continue
        assert call(client, method, api_url(path, objects["in"], None), content_type="application/json", data="{}").status_code == 401


def test_expired_grant_gives_nothing(client, objects):
    user = UserFactory(username="expired")
    RoleGrant.objects.create(user=user, role=Role.objects.get(code="doha_admin"), unit=open_version(FINANCE).unit,
                             valid_from=datetime.date(2024, 1, 1), valid_to=datetime.date(2025, 1, 1))
    client.force_login(user)
    assert client.get(f"/orgs/units/{objects['in']['unit']}/").status_code == 403
