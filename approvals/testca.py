"""A certification authority and a timestamp authority for the test suite and the demo: real keys, certificates,
revocation lists and timestamps, never trusted in production."""

import contextlib
import datetime
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from approvals.signing import TimeStampResponse, raw_sign

# A policy identifier under the UUID arc (ITU-T X.667), so it names no real timestamp policy.
TEST_TSA_POLICY = "2.25.180150289516744785315224616404617125498"
# Where certificates say their CRL and OCSP responder are, as public CAs' certificates do: the validator checks revocation
# only for certificates that declare it. Reserved names (RFC 2606), never fetched: verification is given its CRLs.
CRL_URL = "http://ca-thu-nghiem.invalid/root.crl"
OCSP_URL = "http://ca-thu-nghiem.invalid/ocsp"


def _name(common_name: str, citizen_id: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if citizen_id:  # as Vietnamese public CAs write it in a personal certificate's subject
        attributes.append(x509.NameAttribute(NameOID.USER_ID, f"CCCD:{citizen_id}"))
    return x509.Name(attributes)


def _key(kind: str):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestCA:
    """A root that issues signer and timestamp authority certificates, and revokes them (CRL, OCSP)."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "CA thử nghiệm CSDL CBCCVC", kind: str = "ec"):
        self.key = _key(kind)
        self.crl_number = 0
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name)).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=3650))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def save(self, path) -> None:
        """Key and certificate in one PEM file, for a test CA that outlives the process (the benchmark's database)."""
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        path.write_bytes(key + self.certificate.public_bytes(serialization.Encoding.PEM))

    @classmethod
    def load(cls, path) -> "TestCA":
        authority = cls.__new__(cls)
        data = path.read_bytes()
        authority.key = serialization.load_pem_private_key(data, password=None)
        authority.certificate = x509.load_pem_x509_certificate(data)
        authority.crl_number = 0
        return authority

    def issue(self, common_name: str, *, kind: str = "ec", valid_from: datetime.datetime | None = None, days: int = 730,
              can_sign: bool = True, citizen_id: str = "", public_key=None) -> tuple[object, x509.Certificate]:
        """A key (None when `public_key` is given: certify a key held elsewhere, say on a token) and its certificate."""
        key = None if public_key is not None else _key(kind)
        usage = x509.KeyUsage(digital_signature=can_sign, content_commitment=can_sign, key_encipherment=not can_sign, data_encipherment=False,
                              key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        certificate = self._certify(_name(common_name, citizen_id), public_key or key.public_key(), valid_from, days, usage,
                                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), extended_critical=False)
        return key, certificate

    def issue_tsa(self, common_name: str) -> tuple[object, x509.Certificate]:
        """The key and certificate of a timestamp authority: RFC 3161 asks for the sole, critical, extended key usage timeStamping."""
        key = _key("ec")
        usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                              key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        return key, self._certify(_name(common_name), key.public_key(), None, 730, usage, x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                  extended_critical=True)

    def _certify(self, subject: x509.Name, public_key, valid_from, days, usage: x509.KeyUsage, extended: x509.ExtendedKeyUsage, *,
                 extended_critical: bool) -> x509.Certificate:
        start = valid_from or datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(self.certificate.subject).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(extended, critical=extended_critical)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]),
                           critical=False)
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                                                                   x509.UniformResourceIdentifier(OCSP_URL))]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def pkcs12(self, common_name: str, password: bytes, **options) -> bytes:
        key, certificate = self.issue(common_name, **options)
        return pkcs12.serialize_key_and_certificates(common_name.encode(), key, certificate, [self.certificate],
                                                     serialization.BestAvailableEncryption(password))

    def crl(self, revoked: list[tuple[x509.Certificate, datetime.datetime]], next_update_days: int = 7) -> bytes:
        """A DER certificate revocation list, issued now, of the certificates given with when each was revoked."""
        self.crl_number += 1
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject).last_update(now)
            .next_update(now + datetime.timedelta(days=next_update_days))
            .add_extension(x509.CRLNumber(self.crl_number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for certificate, revoked_at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(revoked_at).build())
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp(self, certificate: x509.Certificate, revoked_at: datetime.datetime | None = None) -> bytes:
        """A DER OCSP response, signed by the root itself, saying the certificate is good or was revoked at `revoked_at`."""
        now = datetime.datetime.now(datetime.UTC)
        status = ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(cert=certificate, issuer=self.certificate, algorithm=hashes.SHA256(), cert_status=status, this_update=now,
                          next_update=now + datetime.timedelta(days=1), revocation_time=revoked_at, revocation_reason=None)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.certificate)
            .sign(self.key, hashes.SHA256())
        )
        return response.public_bytes(serialization.Encoding.DER)


class TestTSA:
    """An RFC 3161 timestamp authority, in process (`respond`) or over HTTP (`serve`). Set `status` to "rejection" to
    refuse requests, `wrong_nonce` to answer with another nonce than the request's."""

    __test__ = False  # not a pytest class

    def __init__(self, key, certificate: x509.Certificate):
        self.key, self.certificate = key, certificate
        self.status = "granted"
        self.wrong_nonce = False

    def respond(self, request: bytes) -> bytes:
        """The DER TimeStampResp to a DER TimeStampReq."""
        if self.status != "granted":
            return TimeStampResponse({"status": {"status": self.status, "status_string": ["Yêu cầu cấp dấu thời gian bị từ chối"]}}).dump()
        query = tsp.TimeStampReq.load(request)
        nonce = query["nonce"].native
        tst_info = tsp.TSTInfo({
            "version": "v1", "policy": TEST_TSA_POLICY, "message_imprint": query["message_imprint"], "serial_number": x509.random_serial_number(),
            "gen_time": datetime.datetime.now(datetime.UTC).replace(microsecond=0), "nonce": nonce + 1 if self.wrong_nonce else nonce,
        })
        return TimeStampResponse({"status": {"status": "granted"}, "time_stamp_token": self._token(tst_info)}).dump()

    def _token(self, tst_info: tsp.TSTInfo) -> cms.ContentInfo:
        """A TimeStampToken: a CMS SignedData over the TSTInfo, naming and carrying the authority's certificate."""
        certificate_der = self.certificate.public_bytes(serialization.Encoding.DER)
        authority = asn1_x509.Certificate.load(certificate_der)
        attributes = cms.CMSAttributes(sorted([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_info.dump()).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2",
                              "values": [tsp.SigningCertificateV2({"certs": [{"cert_hash": hashlib.sha256(certificate_der).digest()}]})]}),
        ], key=lambda attribute: attribute.dump()))  # DER orders the members of a SET OF by their encoding
        algorithm = "sha256_ecdsa" if isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey) else "sha256_rsa"
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": authority.issuer, "serial_number": authority.serial_number}}),
            "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attributes, "signature_algorithm": {"algorithm": algorithm},
            "signature": raw_sign(self.key, attributes.dump()),
        })
        signed_data = cms.SignedData({
            "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info.dump())},
            "certificates": [authority], "signer_infos": [signer_info],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    @contextlib.contextmanager
    def serve(self):
        """Answer timestamp requests over HTTP on 127.0.0.1, an ephemeral port, while the block runs; yields the URL."""
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                answer = tsa.respond(request)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # keep the test output quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, name="test-tsa", daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            server.server_close()
