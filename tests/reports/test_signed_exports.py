"""Signed exports with legal value (R-9.5): the competent person's signature and the agency seal, the public verification."""

import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pypdf import PdfReader

from approvals.testca import TestCA, TestTSA
from audit.models import AuditEvent
from common.crypto import blind_index
from reports import signed
from reports.demo import seed_demo_seals
from reports.models import SignedExport
from tests.conftest import HEAD_CITIZEN_ID, KEY_PASSWORD, UserFactory, open_version

SEAL_PASSWORD = "mat-khau-con-dau"
FINANCE = "000.00.01.H19"


@pytest.fixture
def seals(ca, settings, tmp_path):
    """Sở Tài chính's seal from the test CA, the CA's current CRL, and a storage of the test's own."""
    settings.SEAL_DIR = tmp_path / "seals"
    settings.SEAL_DIR.mkdir()
    settings.SEAL_PASSWORD = SEAL_PASSWORD
    (settings.SEAL_DIR / f"{FINANCE}.p12").write_bytes(ca.pkcs12("Sở Tài chính tỉnh Đồng Nai", SEAL_PASSWORD.encode(), days=3650))
    settings.APPROVAL_CRL_DIR = tmp_path / "crls"
    settings.APPROVAL_CRL_DIR.mkdir()
    (settings.APPROVAL_CRL_DIR / "root.crl").write_bytes(ca.crl([]))
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    return settings.SEAL_DIR


def sign_resume(head, person, head_key, password=KEY_PASSWORD) -> SignedExport:
    return signed.sign_export(head, kind="resume", params={"person_id": person.pk}, p12=head_key, password=password.encode())


@pytest.fixture
def export(head, person, head_key, seals) -> SignedExport:
    return sign_resume(head, person, head_key)


def signed_bytes(export: SignedExport) -> bytes:
    return default_storage.open(export.storage_name).read()


def test_resume_export_carries_person_and_seal_signatures_R_9_5(export, head, person):
    data = signed_bytes(export)
    assert export.kind == "resume" and export.unit_id == person.unit_id and export.signed_by == head
    assert export.signer_name == "Giám đốc Sở Tài chính" and export.seal_name == "Sở Tài chính tỉnh Đồng Nai"
    assert len(export.code) == signed.CODE_LENGTH and set(export.code) <= set(signed.CODE_ALPHABET)
    assert export.storage_name == f"signed/{export.code}.pdf" and export.size == len(data)
    assert export.subject == {"person_id": person.pk, "version": 1}

    result = signed.verify_pdf(data)
    assert result.valid and result.export == export
    person_check, seal_check = result.signatures
    assert (person_check.field, person_check.signer_name) == (signed.PERSON_FIELD, "Giám đốc Sở Tài chính")
    assert (seal_check.field, seal_check.signer_name) == (signed.SEAL_FIELD, "Sở Tài chính tỉnh Đồng Nai")
    assert all(c.intact and c.trusted and not c.modified_after and c.signed_at for c in result.signatures)

    reader = PdfFileReader(io.BytesIO(data))
    first, second = reader.embedded_regular_signatures
    assert first.docmdp_level.value == 2 and str(first.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"  # certifies; only the seal may follow
    assert second.fieldmdp is not None  # the seal locks the document
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) == 1 and len(dss.certs) >= 3  # the CRL checked against, the chains: verifiable offline

    events = AuditEvent.objects.filter(action="reports.sign_export")
    assert events.get().details == {"kind": "resume", "code": export.code, "subject": export.subject, "seal": open_version(FINANCE).unit_id}
    assert AuditEvent.objects.filter(action="people.print", object_id=str(person.pk)).exists()  # in the person's access history (R-9.4)


def test_the_stamp_area_shows_the_verification_address_and_both_signers_R_9_5(export, settings):
    reader = PdfReader(io.BytesIO(signed_bytes(export)))
    text = " ".join(reader.pages[-1].extract_text().split())
    assert f"{settings.PUBLIC_URL}/reports/verify/{export.code}/" in text and f"mã {export.code}" in text
    assert "Ký bởi: Giám đốc Sở Tài chính" in text and "Sở Tài chính tỉnh Đồng Nai" in text
    assert len(reader.pages) == 3  # the résumé's last page had room: no page added


def test_the_stamp_area_gets_a_page_of_its_own_when_the_last_is_full_R_9_5(ca, head, head_key, seals):
    full = FPDF()
    full.add_page()
    full.rect(10, 10, 190, 270, style="F")
    person_signer = signed.competent_signer(head, head_key, KEY_PASSWORD.encode())
    data = signed.signed_pdf(bytes(full.output()), code="TEST", person=person_signer, seal=signed.seal_for(open_version(FINANCE).unit_id),
                             signed_at=timezone.now(), roots=signed._roots(), crls=[])
    assert len(PdfReader(io.BytesIO(data)).pages) == 2
    assert signed.verify_pdf(data).valid


def test_a_staff_list_is_signed_too_R_9_5(head, head_key, seals, person):
    unit_id = open_version(FINANCE).unit_id
    export = signed.sign_export(head, kind="staff_list", params={"unit_id": unit_id}, p12=head_key, password=KEY_PASSWORD.encode())
    assert export.kind == "staff_list" and export.unit_id == unit_id and export.title.startswith("Danh sách cán bộ")
    assert signed.verify_pdf(signed_bytes(export)).valid


def test_the_ministry_form_is_signed_as_an_official_copy_R_9_5(head, head_key, seals, person):
    unit_id = open_version(FINANCE).unit_id
    export = signed.sign_export(head, kind="report", params={"unit_id": unit_id, "form": "civil-servants", "day": ""}, p12=head_key,
                                password=KEY_PASSWORD.encode())
    assert export.kind == "report" and export.subject["form"] == "civil-servants" and "Số lượng, chất lượng" in export.title
    assert signed.verify_pdf(signed_bytes(export)).valid


def test_the_public_verify_page_says_intact_R_9_5(client, export):
    response = client.post("/reports/verify/", {"file": SimpleUploadedFile("ho-so.pdf", signed_bytes(export))})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-valid="true"' in page and export.code in page and "Giám đốc Sở Tài chính" in page


def test_one_changed_byte_in_the_signed_range_is_not_intact_R_9_5(client, export):
    data = bytearray(signed_bytes(export))
    at = data.index(b"/Producer") + 12  # inside the first revision's document information, which both signatures cover
    data[at] = ord("X") if data[at] != ord("X") else ord("Y")
    result = signed.verify_pdf(bytes(data))
    assert not result.valid and result.export is None
    assert not any(check.intact for check in result.signatures)
    response = client.post("/reports/verify/", {"file": SimpleUploadedFile("ho-so.pdf", bytes(data))})
    assert 'data-valid="false"' in response.content.decode()


def test_an_incremental_update_after_the_seal_is_detected_R_9_5(export):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_bytes(export)))
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f")))
    out = io.BytesIO()
    writer.write(out)
    result = signed.verify_pdf(out.getvalue())
    assert not result.valid
    person_check, seal_check = result.signatures
    assert seal_check.intact and seal_check.trusted and seal_check.modified_after
    assert seal_check.problem == "Tài liệu đã bị thay đổi sau chữ ký này."


@pytest.mark.parametrize("content", [b"not a pdf at all", b"", b"%PDF-1.7\n garbage \x00\xff", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_garbage_gets_a_clear_verdict_R_9_5(client, db, content):
    result = signed.verify_pdf(content)
    assert not result.valid and result.problem and not result.signatures
    response = client.post("/api/v1/verify-pdf", {"file": SimpleUploadedFile("x.pdf", content)})
    assert response.status_code == 200 and response.json()["valid"] is False and response.json()["verdict"] == result.verdict


def test_a_non_pdf_upload_gets_a_clear_message_R_9_5(client, db):
    response = client.post("/reports/verify/", {"file": SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)})
    assert response.status_code == 200 and "Tệp không phải là tài liệu PDF." in response.content.decode()


def test_a_pdf_without_signatures_gets_a_clear_message_R_9_5(db):
    plain = FPDF()
    plain.add_page()
    assert signed.verify_pdf(bytes(plain.output())).problem == "Tài liệu PDF không mang chữ ký số nào."


class Exploding:
    """A request body that must never be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.parametrize("url", ["/reports/verify/", "/reports/verify/ABCDEFGHJKMNPQRSTUVW/", "/api/v1/verify-pdf"])
def test_a_two_gigabyte_upload_is_refused_without_reading_it_R_9_5(client, db, url):
    response = client.generic("POST", url, b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(2 * 1024**3),
                              **{"wsgi.input": Exploding()})
    assert response.status_code == 413


def test_a_file_above_the_limit_is_refused_by_the_page_itself_R_9_5(client, db, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    response = client.post("/reports/verify/", {"file": SimpleUploadedFile("lon.pdf", b"%PDF-1.7\n" + b"0" * 2000)})
    assert response.status_code == 400 and "vượt quá dung lượng cho phép" in response.content.decode()
    response = client.post("/api/v1/verify-pdf", {"file": SimpleUploadedFile("lon.pdf", b"%PDF-1.7\n" + b"0" * 2000)})
    assert response.status_code == 400 and response.json()["field"] == "file"


def test_an_unknown_code_is_404_R_9_5(client, db):
    response = client.get("/reports/verify/ABCDEFGHJKMNPQRSTUVW/")
    assert response.status_code == 404 and "ABCDEFGHJKMNPQRSTUVW" in response.content.decode()
    assert "Không có văn bản nào được phát hành với mã" in response.content.decode()


def test_the_public_code_page_shows_no_personal_data_R_9_5(client, export, person):
    response = client.get(f"/reports/verify/{export.code.lower()}/")  # typed from paper in any case
    page = response.content.decode()
    assert response.status_code == 200 and "Sơ yếu lý lịch" in page and "Phòng Ngân sách" in page and export.sha256 in page
    assert person.full_name not in page and "075085001234" not in page and export.title not in page
    same = client.post(f"/reports/verify/{export.code}/", {"file": SimpleUploadedFile("ho-so.pdf", signed_bytes(export))})
    assert 'id="same-file" class="ok"' in same.content.decode()


def test_the_qr_lookup_form_leads_to_the_code_page_R_9_5(client, export):
    response = client.get("/reports/verify/", {"code": "-".join([export.code[:10], export.code[10:]])})
    assert response.status_code == 302 and response.url == f"/reports/verify/{export.code}/"


def test_a_user_without_the_sign_right_is_refused_and_audited_R_9_5(client, hr, person, ca, seals):
    key = ca.pkcs12("Trưởng phòng TCCB", KEY_PASSWORD.encode(), citizen_id=HEAD_CITIZEN_ID)
    with pytest.raises(PermissionDenied):
        signed.sign_export(hr, kind="resume", params={"person_id": person.pk}, p12=key, password=KEY_PASSWORD.encode())
    refusal = AuditEvent.objects.get(action="reports.sign_export")
    assert refusal.outcome == "refused" and refusal.actor == hr and refusal.unit_id == person.unit_id
    client.force_login(hr)
    assert client.get(f"/reports/sign/resume/?person={person.pk}").status_code == 403
    assert client.post("/api/v1/signed-exports", {"kind": "resume", "person_id": person.pk, "p12": SimpleUploadedFile("k.p12", key),
                                                  "password": KEY_PASSWORD}).status_code == 403
    assert not SignedExport.objects.exists() and not default_storage.exists("signed")


def test_a_wrong_key_password_names_the_field_in_vietnamese_and_english_R_9_5(client, head, person, head_key, seals):
    client.force_login(head)
    url = f"/reports/sign/resume/?person={person.pk}"
    response = client.post(url, {"p12": SimpleUploadedFile("giamdoc.p12", head_key), "password": "sai"})
    assert response.status_code == 400
    assert "Khóa ký số: không mở được tệp (sai mật khẩu, hoặc không phải tệp PKCS#12)." in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.post(url, {"p12": SimpleUploadedFile("giamdoc.p12", head_key), "password": "sai"})
    assert "Signing key: the file cannot be opened (wrong password, or not a PKCS#12 file)." in response.content.decode()
    with pytest.raises(signed.ServiceError) as refused:
        sign_resume(head, person, b"not a key at all")
    assert refused.value.field == "p12"
    assert not SignedExport.objects.exists()
    assert AuditEvent.objects.filter(action="reports.sign_export", outcome="refused").count() == 3


def test_a_certificate_not_from_a_trusted_root_is_refused_R_9_5(head, person, head_key, seals):
    stranger = TestCA("CA không được tin cậy")
    key = stranger.pkcs12("Giám đốc Sở Tài chính", KEY_PASSWORD.encode(), citizen_id=HEAD_CITIZEN_ID)
    with pytest.raises(signed.ServiceError) as refused:
        sign_resume(head, person, key)
    assert refused.value.field == "p12" and "không do tổ chức chứng thực tin cậy cấp" in refused.value.message
    assert not SignedExport.objects.exists()


def test_a_certificate_of_someone_else_is_refused_R_9_5(head, person, head_key, ca, seals):
    key = ca.pkcs12("Người khác", KEY_PASSWORD.encode(), citizen_id="075080009999")
    with pytest.raises(signed.ServiceError) as refused:
        sign_resume(head, person, key)
    assert refused.value.field == "p12" and "Người khác" in refused.value.message


def test_a_revoked_certificate_is_refused_R_9_5(head, person, ca, seals, settings):
    head.citizen_id_index = blind_index(HEAD_CITIZEN_ID)
    head.save(update_fields=["citizen_id_index"])
    key, certificate = ca.issue("Giám đốc Sở Tài chính", citizen_id=HEAD_CITIZEN_ID)
    p12 = pkcs12.serialize_key_and_certificates(b"k", key, certificate, [ca.certificate], serialization.BestAvailableEncryption(b"pw"))
    (settings.APPROVAL_CRL_DIR / "root.crl").write_bytes(ca.crl([(certificate, timezone.now())]))
    with pytest.raises(signed.ServiceError) as refused:
        sign_resume(head, person, p12, password="pw")
    assert refused.value.field == "p12" and "bị thu hồi" in refused.value.message


def test_a_unit_without_a_seal_is_named_R_9_5(head, person, head_key, seals):
    (seals / f"{FINANCE}.p12").unlink()
    with translation.override("vi"), pytest.raises(signed.ServiceError) as refused:
        sign_resume(head, person, head_key)
    assert refused.value.field == "seal" and "Phòng Ngân sách" in refused.value.message
    assert "chưa có chữ ký số cơ quan" in refused.value.message


def test_the_seal_of_the_nearest_ancestor_signs_R_9_5(head, person, head_key, seals, ca):
    (seals / "000.02.01.H19.p12").write_bytes(ca.pkcs12("Phòng Ngân sách", SEAL_PASSWORD.encode()))
    assert sign_resume(head, person, head_key).seal_name == "Phòng Ngân sách"


def test_both_signatures_are_timestamped_when_a_tsa_is_set_R_9_5(head, person, head_key, seals, ca, settings):
    tsa = TestTSA(*ca.issue_tsa("TSA thử nghiệm"))
    with tsa.serve() as url:
        settings.APPROVAL_TSA_URL = url
        export = sign_resume(head, person, head_key)
    result = signed.verify_pdf(signed_bytes(export))
    assert result.valid and all(check.timestamped for check in result.signatures)


def test_the_verify_pdf_command_exit_codes_R_9_5(export, tmp_path, capsys):
    good = tmp_path / "good.pdf"
    good.write_bytes(signed_bytes(export))
    call_command("verify_pdf", str(good))
    assert export.code in capsys.readouterr().out
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(CommandError) as failed:
        call_command("verify_pdf", str(bad))
    assert failed.value.returncode == 1
    with pytest.raises(CommandError) as missing:
        call_command("verify_pdf", str(tmp_path / "none.pdf"))
    assert missing.value.returncode == 1


def test_the_signer_finds_downloads_and_lists_their_exports_R_9_5(client, export, head, viewer):
    client.force_login(head)
    assert export.code in client.get("/reports/signed/").content.decode()
    detail = client.get(f"/reports/signed/{export.code}/")
    assert detail.status_code == 200 and "Sơ yếu lý lịch" in detail.content.decode()
    download = client.get(f"/reports/signed/{export.code}/file/")
    assert download.status_code == 200 and download.content == signed_bytes(export)
    assert AuditEvent.objects.filter(action="reports.download_signed_export", object_id=str(export.pk)).exists()
    other = UserFactory(username="gd.khdt", grant=("unit_head", "000.00.02.H19"))
    client.force_login(other)
    assert export.code not in client.get("/reports/signed/").content.decode()
    assert client.get(f"/reports/signed/{export.code}/").status_code == 403


def test_the_api_signs_lists_and_verifies_R_9_5(client, head, person, head_key, seals):
    client.force_login(head)
    response = client.post("/api/v1/signed-exports", {"kind": "resume", "person_id": person.pk, "password": KEY_PASSWORD,
                                                      "p12": SimpleUploadedFile("giamdoc.p12", head_key)})
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["verification_url"].endswith(f"/reports/verify/{made['code']}/") and made["seal_name"] == "Sở Tài chính tỉnh Đồng Nai"
    assert [item["code"] for item in client.get("/api/v1/signed-exports").json()["items"]] == [made["code"]]
    assert client.get(f"/api/v1/signed-exports/{made['code']}").json()["sha256"] == made["sha256"]
    data = client.get(f"/api/v1/signed-exports/{made['code']}/file").content
    assert client.get("/api/v1/signed-exports/NOSUCHCODE").status_code == 404
    client.logout()
    verdict = client.post("/api/v1/verify-pdf", {"file": SimpleUploadedFile("ho-so.pdf", data)}).json()
    assert verdict["valid"] and verdict["registered"] and verdict["code"] == made["code"] and len(verdict["signatures"]) == 2
    wrong = client.post("/api/v1/signed-exports", {"kind": "resume", "person_id": person.pk, "password": "sai",
                                                   "p12": SimpleUploadedFile("giamdoc.p12", head_key)})
    assert wrong.status_code == 401  # logged out
    client.force_login(head)
    wrong = client.post("/api/v1/signed-exports", {"kind": "resume", "person_id": person.pk, "password": "sai",
                                                   "p12": SimpleUploadedFile("giamdoc.p12", head_key)})
    assert wrong.status_code == 400 and wrong.json()["field"] == "p12"
    assert json.loads(client.get("/api/v1/openapi.json").content)["paths"]["/api/v1/verify-pdf"]["post"].get("security") in (None, [{}], [])


def test_the_person_page_offers_signing_to_those_who_may_R_9_5(client, head, hr, person):
    client.force_login(head)
    assert f"/reports/sign/resume/?person={person.pk}" in client.get(f"/people/{person.pk}/").content.decode()
    client.force_login(hr)
    assert "/reports/sign/" not in client.get(f"/people/{person.pk}/").content.decode()


def test_the_demo_seals_open_with_the_demo_password_R_9_5(small_tree, settings, tmp_path):
    settings.SEAL_DIR = tmp_path / "seals"
    finance = open_version(FINANCE).unit_id
    seed_demo_seals(TestCA(), [finance])
    assert signed.seal_for(open_version("000.02.01.H19").unit_id).name == "Sở Tài chính"
