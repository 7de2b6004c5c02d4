"""Types shared by the API routers."""

from typing import Annotated

from ninja import Field as NinjaField
from ninja import Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import Field

# A database id: larger numbers cannot exist and would overflow the database's integer.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Pagination(LimitOffsetPagination):
    """limit/offset pages whose offset is bounded too, so no request asks the database for an absurd slice."""

    class Input(Schema):
        limit: int = NinjaField(100, ge=1, le=1000)
        offset: int = NinjaField(0, ge=0, le=10_000_000)


class ErrorOut(Schema):
    detail: str
    field: str | None = None
