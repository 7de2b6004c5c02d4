"""Certificates for mutual TLS on loopback: the simulator's server certificate and this system's client certificate,
issued by a throw-away CA. For the demo and the tests only; production uses the certificates NDXP issues."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Files:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, *, ca: bool = False, usage=None, names=None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=825))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, certificate: x509.Certificate, key=None, key_path: Path | None = None) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        key_path.chmod(0o600)


def loopback_certificates(directory: Path, agency_code: str) -> Files:
    """The CA, server and client files in `directory`, made once and reused."""
    files = Files(directory / "ca.pem", directory / "server.pem", directory / "server.key", directory / "client.pem", directory / "client.key")
    if all(path.exists() for path in vars(files).values()):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("CA thử nghiệm NDXP (loopback)")
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, ca=True)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    loopback = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    _write(files.ca, ca)
    _write(files.server_cert, _certificate(_name("CSDL quốc gia (mô phỏng)"), server_key, ca_name, ca_key, usage=ExtendedKeyUsageOID.SERVER_AUTH,
                                           names=loopback), server_key, files.server_key)
    _write(files.client_cert, _certificate(_name(agency_code), client_key, ca_name, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH),
           client_key, files.client_key)
    return files
