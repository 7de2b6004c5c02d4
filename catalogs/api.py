import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from .models import Catalog
from .services import entries

router = Router(tags=["catalogs"])


class CatalogOut(Schema):
    code: str
    name: str
    name_en: str
    version: str
    source: str


class EntryOut(Schema):
    code: str
    name: str
    name_en: str
    parent_code: str | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    attrs: dict

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


@router.get("", response=list[CatalogOut], summary="List the catalogs (danh mục)")
def list_catalogs(request):
    return Catalog.objects.all()


@router.get("/{code}", response=list[EntryOut], summary="Entries of a catalog; with as_of, only those valid that day")
def catalog_entries(request, code: str, as_of: datetime.date | None = None):
    get_object_or_404(Catalog, code=code)
    return entries(code, as_of).select_related("parent")
