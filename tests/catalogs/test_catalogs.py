import datetime
import json
from decimal import Decimal

import pytest

from catalogs.models import Catalog, CatalogEntry
from catalogs.services import CATALOG_DIR, CatalogFileError, entries, load_catalogs, salary_coefficients


def test_every_catalog_file_names_its_source_R_6_1a(catalogs):
    files = sorted(CATALOG_DIR.glob("*.json"))
    assert {f.stem for f in files} >= {
        "ethnicity", "religion", "general_education", "qualification_level", "political_theory", "state_management",
        "foreign_language", "foreign_language_level", "it_level", "civil_servant_rank", "professional_title",
        "salary_scale", "position", "person_category", "admin_unit", "unit_kind", "unit_level",
    }
    for catalog in Catalog.objects.all():
        assert catalog.source.strip(), catalog.code


def test_the_54_ethnic_groups_have_official_codes_R_6_1a(catalogs):
    ethnic = {e.code: e.name for e in entries("ethnicity")}
    assert ethnic["01"] == "Kinh"
    assert len([code for code in ethnic if code.isdigit() and int(code) <= 54]) == 54


def test_person_categories_cover_the_regulation_R_2_2(catalogs):
    names = {e.code for e in entries("person_category")}
    assert {"CB", "CC", "VC", "NLD"} <= names


def test_rank_salary_table_is_decimal_and_in_order_R_6_1a(catalogs):
    rank = CatalogEntry.objects.get(catalog__code="civil_servant_rank", code="01.003")  # chuyên viên
    steps = salary_coefficients(rank.attrs["salary_scale"])
    assert steps[0] == Decimal("2.34") and len(steps) == 9
    assert all(isinstance(s, Decimal) for s in steps) and steps == sorted(steps)


def test_loading_twice_changes_nothing(catalogs):
    before = list(CatalogEntry.objects.order_by("pk").values())
    results = load_catalogs()
    assert all(r.created == 0 and r.updated == 0 for r in results)
    assert list(CatalogEntry.objects.order_by("pk").values()) == before


def test_retired_entry_stays_readable_for_old_records(catalogs):
    level = CatalogEntry.objects.get(catalog__code="unit_level", code="DISTRICT")
    assert level.valid_to == datetime.date(2025, 7, 1)
    assert level in entries("unit_level", as_of=datetime.date(2024, 1, 1))
    assert level not in entries("unit_level", as_of=datetime.date(2025, 7, 1))


def _write(tmp_path, name, data):
    (tmp_path / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _catalog(entries_):
    return {"code": "demo", "name": "Demo", "version": "1", "source": "test", "entries": entries_}


def test_bad_catalog_file_changes_nothing_and_names_the_problem(db, tmp_path):
    _write(tmp_path, "a.json", _catalog([{"code": "1", "name": "Một"}]))
    _write(tmp_path, "b.json", {**_catalog([{"code": "1", "name": "x"}, {"code": "1", "name": "y"}]), "code": "other"})
    with pytest.raises(CatalogFileError, match="b.json #2.*“1”"):
        load_catalogs(tmp_path)
    assert not Catalog.objects.exists()


def test_catalog_text_must_be_nfc(db, tmp_path):
    _write(tmp_path, "a.json", _catalog([{"code": "1", "name": "Nguye\u0302\u0303n"}]))
    with pytest.raises(CatalogFileError, match="NFC"):
        load_catalogs(tmp_path)


def test_entry_dropped_from_file_is_kept(db, tmp_path):
    _write(tmp_path, "a.json", _catalog([{"code": "1", "name": "Một"}, {"code": "2", "name": "Hai"}]))
    load_catalogs(tmp_path)
    _write(tmp_path, "a.json", _catalog([{"code": "1", "name": "Một (sửa)"}]))
    [result] = load_catalogs(tmp_path)
    assert result.updated == 1 and result.missing_from_file == ["2"]
    assert CatalogEntry.objects.filter(code="2").exists()


def test_catalog_api_filters_by_date_R_6_1a(client, viewer):
    client.force_login(viewer)
    codes = [e["code"] for e in client.get("/api/v1/catalogs/unit_level", {"as_of": "2026-01-01"}).json()]
    assert codes == ["PROVINCE", "COMMUNE"]
    assert client.get("/api/v1/catalogs/nope").status_code == 404
