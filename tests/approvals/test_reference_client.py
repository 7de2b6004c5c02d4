"""The reference client of external signing (tools/sign_batch.py), run as the approver runs it, against a live server (R-3.11).

The live server answers from another thread, so these tests commit their data (transaction=True)."""

import os
import subprocess
import sys
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Attribute, CertificateType, ObjectClass

from accounts.services import create_token
from approvals import services
from approvals.models import SigningBatch, VersionSignature
from tests.approvals.test_pkcs11 import LIBRARY, generate_on_token
from tests.conftest import HEAD_CITIZEN_ID, KEY_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def run_client(live_server, user, arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    _token, raw = create_token(user, name="sign_batch", scopes=[], days=1)  # no scopes: all of the user's rights
    command = [sys.executable, "tools/sign_batch.py", "--api", f"{live_server.url}/api/v1/", "--token", raw, *arguments]
    return subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120)


def sign_batch(live_server, user, p12: bytes, tmp_path, password: str, *arguments: str) -> subprocess.CompletedProcess:
    key = tmp_path / "key.p12"
    key.write_bytes(p12)
    return run_client(live_server, user, ["--p12", str(key), *arguments], {"SIGN_P12_PASSWORD": password})


@pytest.mark.django_db(transaction=True)
def test_the_reference_client_signs_a_batch_in_two_steps_over_http_R_3_11(live_server, person, head, head_key, tmp_path):
    done = sign_batch(live_server, head, head_key, tmp_path, KEY_PASSWORD, "--kind", "unsigned", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert person.full_name in done.stdout and "Approved and signed 1 version(s)." in done.stdout
    stored = VersionSignature.objects.get(version__person=person, version__number=1)
    result = services.verify_version(stored)
    assert result.valid, result.reason
    assert "Giám đốc Sở Tài chính" in stored.signer_subject
    assert SigningBatch.objects.get().state == SigningBatch.State.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_the_reference_client_reports_a_key_of_someone_else_refused_R_3_11(live_server, person, head, head_key, ca, tmp_path):
    other = ca.pkcs12("Người khác", b"pw", citizen_id="079099999999")
    done = sign_batch(live_server, head, other, tmp_path, "pw", "--kind", "unsigned", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "This certificate belongs to someone other than you" in done.stderr and "079099999999" in done.stderr
    assert not VersionSignature.objects.exists() and not SigningBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_reference_client_signs_a_batch_prepared_earlier_R_3_11(live_server, person, head, head_key, tmp_path):
    _key, certificate, chain = pkcs12.load_key_and_certificates(head_key, KEY_PASSWORD.encode())
    pem = "".join(services.certificate_pem(c) for c in [certificate, *chain])
    batch = services.prepare_batch(head, [services.Item(person, None).token], pem)
    done = sign_batch(live_server, head, head_key, tmp_path, KEY_PASSWORD, "--batch", str(batch.pk), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert services.verify_version(VersionSignature.objects.get(version__person=person)).valid
    again = sign_batch(live_server, head, head_key, tmp_path, KEY_PASSWORD, "--batch", str(batch.pk), "--yes")
    assert again.returncode == 1 and "completed" in again.stderr


@pytest.fixture
def token_key(ca, head_key, tmp_path, request):
    """A fresh SoftHSM2 token holding the head's key (made on the token) and its certificate, both labelled by the key type."""
    if not Path(LIBRARY).exists():
        pytest.skip(f"SoftHSM2 is not installed ({LIBRARY})")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf), "SIGN_PIN": "246810"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        pkcs11.unload(LIBRARY)  # SoftHSM reads SOFTHSM2_CONF when loaded
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "Token", "--so-pin", "13579111", "--pin", env["SIGN_PIN"]],
                       check=True, capture_output=True)
        with pkcs11.lib(LIBRARY).get_token(token_label="Token").open(rw=True, user_pin=env["SIGN_PIN"]) as session:
            _, certificate = ca.issue("Giám đốc Sở Tài chính", public_key=generate_on_token(session, request.param), citizen_id=HEAD_CITIZEN_ID)
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                Attribute.LABEL: request.param, Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER)})
        pkcs11.unload(LIBRARY)
    return ["--pkcs11-lib", LIBRARY, "--token-label", "Token", "--key-label", request.param, "--pin-env", "SIGN_PIN"], env


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("token_key", ["rsa", "ec"], indirect=True)
def test_the_reference_client_signs_with_a_key_on_a_token_R_3_11(live_server, person, head, token_key):
    arguments, env = token_key
    done = run_client(live_server, head, [*arguments, "--kind", "unsigned", "--yes"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert services.verify_version(VersionSignature.objects.get(version__person=person)).valid
