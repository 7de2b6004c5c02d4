"""A signer whose key lives on a PKCS#11 hardware token (R-3.11).

The agency seal, or a head's own key, is issued on a USB token or an HSM and never leaves it: the token signs, the
server only sends it the bytes to sign. Any PKCS#11 library works (the vendor's, or SoftHSM2 in the tests).
"""

import hashlib
import threading

import pkcs11
from cryptography import x509
from django.utils.translation import gettext as _
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import MultipleTokensReturned, NoSuchToken, PinIncorrect, PinInvalid, PinLenRange, PinLocked, PKCS11Error, UserAlreadyLoggedIn
from pkcs11.util.ec import encode_ecdsa_signature


class Pkcs11Signer:
    """The private key labelled `key_label` on the token labelled `token_label`, and its certificate: given, or the
    certificate object with the same label on the token.

    One logged-in session serves every signature until `close()`, so a batch of approvals logs in once. PKCS#11 logs a
    whole process in or out of a token at once, so a process holds one open signer per token at a time."""

    def __init__(self, library: str, token_label: str, pin: str, key_label: str, certificate: x509.Certificate | None = None, chain=()):
        # A PKCS#11 session runs one operation at a time; the lock lets threads share the signer.
        self._lock = threading.Lock()
        self._session = None
        try:
            token = pkcs11.lib(library).get_token(token_label=token_label)
        except NoSuchToken as exc:
            raise ValueError(_("No token labelled “%(label)s” is plugged in.") % {"label": token_label}) from exc
        except MultipleTokensReturned as exc:
            raise ValueError(_("More than one token is labelled “%(label)s”.") % {"label": token_label}) from exc
        except PKCS11Error as exc:
            raise ValueError(_("The PKCS#11 library %(library)s cannot be used: %(why)s") % {"library": library, "why": exc}) from exc
        try:
            self._session = token.open(user_pin=pin)
        except PinLocked as exc:
            raise ValueError(_("The token's PIN is locked after too many wrong tries.")) from exc
        except (PinIncorrect, PinInvalid, PinLenRange) as exc:
            raise ValueError(_("The token's PIN was refused.")) from exc
        except UserAlreadyLoggedIn as exc:
            raise ValueError(_("The token “%(label)s” is already open for another signer; close that one first.") % {"label": token_label}) from exc
        try:
            self._key = self._find(ObjectClass.PRIVATE_KEY, key_label, _("The token holds no private key labelled “%(label)s”."))
            if self._key.key_type not in (KeyType.RSA, KeyType.EC):
                raise ValueError(_("Only RSA and EC keys can sign approvals."))
            if certificate is None:
                stored = self._find(ObjectClass.CERTIFICATE, key_label, _("The token holds no certificate labelled “%(label)s”."))
                certificate = x509.load_der_x509_certificate(stored[Attribute.VALUE])
        except Exception:
            self.close()  # or the token stays logged in for this process
            raise
        self.certificate = certificate
        self.chain = list(chain)

    def _find(self, object_class: ObjectClass, label: str, missing: str):
        found = list(self._session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label}))
        if not found:
            raise ValueError(missing % {"label": label})
        if len(found) > 1:
            raise ValueError(_("The token holds more than one object of the same kind labelled “%(label)s”.") % {"label": label})
        return found[0]

    def sign_raw(self, data: bytes) -> bytes:
        with self._lock:
            if self._session is None:
                raise ValueError(_("The token's session is closed."))
            try:
                if self._key.key_type == KeyType.RSA:
                    return self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
                # Many tokens (SoftHSM2 among them) offer only plain ECDSA over a digest, not ECDSA_SHA256: hash here. The token
                # gives r || s; CMS wants the DER Ecdsa-Sig-Value.
                return encode_ecdsa_signature(self._key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA))
            except PKCS11Error as exc:  # token pulled out, key not allowed to sign, ...
                raise ValueError(_("The token could not sign: %(why)s") % {"why": exc.__class__.__name__}) from exc

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
