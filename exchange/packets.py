"""Packets to the national database (R-11.3, R-18.1): an approved record version, its unit's identifier code and its
approval signature, in a JSON envelope with a published JSON Schema (exchange/schema/packet.schema.json).

The national field standard is not published yet, so the record is our résumé form's sections (people/form.py), exactly
as the approver signed them: the receiver recomputes the RFC 8785 bytes of `payload`, checks their SHA-256 and verifies
the detached CMS signature over them. The schema file is generated from the form (`manage.py packet_schema`) and a test
keeps it in step.
"""

import base64
import datetime
import json
from functools import cache
from pathlib import Path

import jsonschema_rs
from django.utils import translation

from approvals.signing import FORMAT as PAYLOAD_FORMAT
from approvals.signing import canonical_bytes, payload_hash
from people.form import SECTIONS

FORMAT = "cbccvc-national-packet/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "packet.schema.json"
SCHEMA_ID = "https://csdl-cbccvc.gov.vn/schema/national-packet/1"
IDENTIFIER_CODE = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-K][0-9]{2}$"
HASH = r"^[0-9a-f]{64}$"
KINDS = {"int": "integer", "year": "integer", "bool": "boolean"}


def _field_schema(kind: str, max_length: int) -> dict:
    if kind in KINDS:
        return {"type": [KINDS[kind], "null"]}
    if kind == "date":
        return {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    if kind == "decimal":
        return {"type": ["string", "null"], "pattern": r"^\d+(\.\d{1,2})?$"}
    if kind == "citizen_id":
        return {"type": ["string", "null"], "pattern": r"^\d{12}$"}
    return {"type": ["string", "null"], "maxLength": max_length}


def _section_schema(section) -> dict:
    row = {"type": "object", "additionalProperties": False,
           "properties": {item.name: {**_field_schema(item.kind, item.max_length), "title": str(item.label)} for item in section.fields}}
    body = {"type": "array", "items": row} if section.repeating else row
    return {**body, "title": str(section.label)}


def build_schema() -> dict:
    """The packet's JSON Schema (draft 2020-12), from the résumé form's sections."""
    with translation.override("vi"):
        sections = {section.name: _section_schema(section) for section in SECTIONS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Gói dữ liệu hồ sơ CBCCVC gửi CSDL quốc gia",
        "description": "One approved version of a personnel record, signed by the unit's approver (R-11.3).",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "packet_id", "sender", "record", "payload", "signature"],
        "properties": {
            "format": {"const": FORMAT},
            "packet_id": {"type": "string", "pattern": r"^[0-9a-f]{32}$", "description": "idempotency key: a resend carries the same"},
            "created_at": {"type": "string", "format": "date-time"},
            "sender": {
                "type": "object", "additionalProperties": False, "required": ["agency_code"],
                "properties": {"agency_code": {"type": "string", "pattern": IDENTIFIER_CODE}, "system": {"type": "string", "maxLength": 200}},
            },
            "record": {
                "type": "object", "additionalProperties": False,
                "required": ["source_id", "citizen_id", "version", "unit_code", "valid_from", "previous_hash", "payload_hash"],
                "properties": {
                    "source_id": {"type": "integer", "minimum": 1, "description": "the record's number in the province"},
                    "citizen_id": {"type": "string", "pattern": r"^\d{12}$"},
                    "version": {"type": "integer", "minimum": 1},
                    "unit_code": {"type": "string", "pattern": IDENTIFIER_CODE,
                                  "description": "the unit's identifier code when the version began (today's if it had none then)"},
                    "valid_from": {"type": "string", "format": "date"},
                    "previous_hash": {"type": "string", "pattern": HASH},
                    "payload_hash": {"type": "string", "pattern": HASH},
                },
            },
            "payload": {
                "type": "object", "additionalProperties": False,
                "required": ["format", "person", "version", "unit", "record", "documents", "previous"],
                "description": "what the approver signed: its RFC 8785 bytes hash to record.payload_hash",
                "properties": {
                    "format": {"const": PAYLOAD_FORMAT},
                    "person": {"type": "integer"},
                    "version": {"type": "integer"},
                    "unit": {"type": "string"},
                    "record": {"type": "object", "additionalProperties": False, "properties": sections},
                    "documents": {"type": "array", "items": {"type": "string", "pattern": HASH}},
                    "previous": {"type": "string", "pattern": HASH},
                },
            },
            "signature": {"type": "string", "contentEncoding": "base64", "description": "detached CMS SignedData (DER), CAdES-BES or -T"},
        },
    }


def schema_text() -> str:
    return json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"


@cache
def _validator():
    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def problems(packet) -> list[str]:
    """What makes a packet invalid against the published schema (at most ten), each with its JSON path."""
    found = []
    for error in _validator().iter_errors(packet):
        path = "/".join(str(part) for part in error.instance_path) or "(packet)"
        found.append(f"{path}: {error.message[:300]}")
        if len(found) == 10:
            break
    return found


def build(*, key: str, agency_code: str, person_id: int, version: int, unit_code: str, valid_from: datetime.date, previous_hash: str,
          payload: bytes, signature: bytes, created_at: datetime.datetime) -> dict:
    """The packet of one signed version; `payload` is the canonical JSON that was signed."""
    content = json.loads(payload)
    citizen_id = str((content["record"].get("identity") or {}).get("citizen_id", ""))
    return {
        "format": FORMAT,
        "packet_id": key,
        "created_at": created_at.isoformat(),
        "sender": {"agency_code": agency_code, "system": "CSDL CBCCVC"},
        "record": {"source_id": person_id, "citizen_id": citizen_id, "version": version, "unit_code": unit_code,
                   "valid_from": valid_from.isoformat(), "previous_hash": previous_hash,
                   "payload_hash": payload_hash(payload)},
        "payload": content,
        "signature": base64.b64encode(signature).decode(),
    }


def signed_bytes(packet: dict) -> bytes:
    """The bytes the approver signed, from a received packet (whose header says what they hash to)."""
    return canonical_bytes(packet["payload"], packet["record"]["payload_hash"])
