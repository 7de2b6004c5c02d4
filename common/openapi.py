"""The API object: the OpenAPI document also declares the answers of the layers every operation passes through."""

from ninja import NinjaAPI

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
    "422": (lambda method, path, op: bool(op.get("parameters") or op.get("requestBody")), _json("Input that does not fit the schema", _INVALID)),
    "429": (lambda method, path, op: True,
            _json("Too many requests from this token, account or address; wait Retry-After seconds", _DETAIL,
                  headers={"Retry-After": {"description": "seconds until the limit resets", "required": True,
                                           "schema": {"type": "integer", "minimum": 1}}})),
}


class DocumentedApi(NinjaAPI):
    """NinjaAPI whose operations also list 304, 401, 403, 404, 422 and 429: the conditional GET, authentication, account
    state, lookup, validation and rate-limit layers answer them for every operation, so they are declared here once."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                responses = operation.setdefault("responses", {})
                for status, (applies, response) in LAYER_RESPONSES.items():
                    if status not in responses and applies(method, path, operation):
                        responses[status] = response
        return schema
