"""The API object: the OpenAPI document also declares the answers of the layers every operation passes through."""

import ninja.openapi.schema
from ninja import NinjaAPI
from ninja.schema import NinjaGenerateJsonSchema

_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_INVALID = {"type": "object", "required": ["detail"],
            "properties": {"detail": {"type": "array", "items": {"type": "object", "properties": {"loc": {"type": "array"}, "msg": {"type": "string"},
                                                                                              "type": {"type": "string"}}}}}}


def _json(description: str, schema: dict, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


# status -> (when it applies to an operation, the response)
LAYER_RESPONSES = {
    "304": (lambda method, path, op: method == "get",
            {"description": "Not Modified: the If-None-Match header names the current ETag; no body"}),
    "401": (lambda method, path, op: bool(op.get("security")), _json("No valid token or session", _DETAIL)),
    "403": (lambda method, path, op: bool(op.get("security")),
            _json("Outside the caller's scope, or the account must change its password or confirm its second factor first", _DETAIL)),
    "404": (lambda method, path, op: "{" in path, _json("No such object", _DETAIL)),
    "413": (lambda method, path, op: "requestBody" in op, _json("The request body is too large", _DETAIL)),
    "422": (lambda method, path, op: bool(op.get("parameters") or op.get("requestBody")), _json("Input that does not fit the schema", _INVALID)),
    "429": (lambda method, path, op: True,
            _json("Too many requests from this token, account or address; wait Retry-After seconds", _DETAIL,
                  headers={"Retry-After": {"description": "seconds until the limit resets", "required": True,
                                           "schema": {"type": "integer", "minimum": 1}}})),
}


class NestedClassNames(NinjaGenerateJsonSchema):
    """Components of nested classes are named with their outer class: the models' choices (Inspection.State, ExportJob.State...)
    would all be "State" otherwise, and ninja keeps the last of the same-named components for every operation."""

    def get_defs_ref(self, core_mode_ref):
        defs_ref = super().get_defs_ref(core_mode_ref)
        core_ref = core_mode_ref[0]
        if not any(c in core_ref for c in "[],"):
            parts = core_ref.rsplit(":", 1)[0].split(".")
            if len(parts) > 2 and parts[-2][:1].isupper():
                self._prioritized_defsref_choices[defs_ref].insert(0, parts[-2] + parts[-1])
        return defs_ref


# ninja builds every operation's schema with this generator and offers no setting for it.
ninja.openapi.schema.NinjaGenerateJsonSchema = NestedClassNames


class DocumentedApi(NinjaAPI):
    """NinjaAPI whose operations also list 304, 401, 403, 404, 413, 422 and 429: the conditional GET, authentication, account
    state, lookup, body size, validation and rate-limit layers answer them for every operation, so they are declared here once."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                responses = operation.setdefault("responses", {})
                for status, (applies, response) in LAYER_RESPONSES.items():
                    if status not in responses and applies(method, path, operation):
                        responses[status] = response
        return schema
