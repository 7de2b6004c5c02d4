"""Approved versions signed in a batch and verified again from the stored data: tampering is detected (R-3.11, R-19.1)."""

import asyncio
import io
import multiprocessing

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from approvals import services, signing
from approvals.signing import SoftwareSigner
from people import services as people
from people.models import Attachment, Document, RecordVersion
from tests.conftest import KEY_PASSWORD
from tests.people.conftest import PDF, RECORD


@pytest.fixture
def signed(person, head, head_key):
    """Version 1 signed in the first campaign, then version 2 (a change with a scanned proof) approved and signed, by the head."""
    signer = SoftwareSigner(head_key, KEY_PASSWORD.encode())
    first = services.approve(head, [services.Item(person, None).token], signer)
    change_set = people.edit_sections(person.account, person, {"identity": {**RECORD["identity"], "home_town": "Xã Phú Hữu"}})
    people.attach_document(person.account, change_set, section_name="identity", upload=SimpleUploadedFile("cccd.pdf", PDF))
    change_set = people.submit(person.account, change_set)
    return first + services.approve(head, [services.Item(person, change_set).token], signer)


def test_a_head_signs_the_versions_in_one_batch_and_they_chain_R_19_1(signed):
    first, second = signed
    assert first.previous_hash == services.GENESIS and second.previous_hash == first.payload_hash
    for signature in signed:
        result = services.verify_version(signature)
        assert result.valid, result.reason
        assert "Giám đốc Sở Tài chính" in result.signer_name


def test_a_record_changed_behind_the_signature_is_detected_R_3_11(signed):
    version = signed[1].version
    content = {**version.content, "identity": {**version.content["identity"], "full_name": "Nguyễn Văn Dởm"}}
    RecordVersion.objects.filter(pk=version.pk).update(content=content)
    assert not services.verify_version(type(signed[1]).objects.get(pk=signed[1].pk)).valid
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_approvals", stdout=out)
    assert f"person {version.person_id} version 2" in out.getvalue() and "1 failed" in out.getvalue()


def test_a_swapped_scanned_proof_is_detected_R_3_11(signed):
    other = Document.objects.create(sha256="f" * 64, size=1, content_type="application/pdf")
    Attachment.objects.filter(change_set=signed[1].version.change_set).update(document=other)
    assert not services.verify_version(signed[1]).valid


def test_untampered_records_pass_the_command(signed):
    out = io.StringIO()
    call_command("verify_approvals", "--unit", "000.02.01.H19", stdout=out)
    assert "2 signatures checked, 0 failed." in out.getvalue()


def test_a_signature_cannot_be_rewritten(signed):
    with pytest.raises(ValueError):
        signed[0].save()


def test_the_record_page_shows_the_signature_status_and_signer_R_3_11(client, signed, person):
    client.force_login(person.account)
    client.cookies["django_language"] = "en"
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Giám đốc Sở Tài chính" in page and page.count('<span class="ok">valid</span>') == 2
    version = signed[0].version
    RecordVersion.objects.filter(pk=version.pk).update(content={**version.content, "contacts": {"phone": "0900000000"}})
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "not valid: The stored record no longer matches what was signed." in page


def _run_on_validation_loop() -> int:
    return asyncio.run_coroutine_threadsafe(asyncio.sleep(0, result=7), signing._validation_loop()).result(timeout=10)


def test_forked_verification_workers_validate_certificates_too_R_3_11():
    """verify_approvals --workers forks after the parent has validated certificates; a child must not wait on the parent's
    validation thread, which the fork did not copy."""
    assert _run_on_validation_loop() == 7
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_run_on_validation_loop).get(timeout=30) == 7
