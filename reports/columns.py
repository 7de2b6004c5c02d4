"""The columns of a people list as exported or printed: each reads a Person column and needs its field's clearance (R-4.3).

Lists read the person's mirror columns only (never the encrypted record), so 100,000 rows stream from one query.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts import authz


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sensitivity: str  # key in data/field_sensitivity.json
    catalog: str = ""  # coded values print by their catalog names
    source: str = ""  # the Person attribute; defaults to the key


COLUMNS: tuple[Column, ...] = (
    Column("full_name", _("Full name"), "person.full_name"),
    Column("birth_date", _("Date of birth"), "person.birth_date"),
    Column("gender", _("Sex"), "person.gender", "gender"),
    Column("unit", _("Unit"), "person.unit", source="unit_id"),
    Column("category", _("Category"), "person.category", "person_category"),
    Column("position", _("Position"), "person.position", "position"),
    Column("job_position", _("Job position"), "person.position"),
    Column("rank", _("Civil-servant rank"), "person.rank", "civil_servant_rank"),
    Column("professional_title", _("Professional title"), "person.professional_title", "professional_title"),
    Column("qualification", _("Qualification"), "person.education", "qualification_level"),
    Column("political_theory", _("Political theory"), "person.education", "political_theory"),
    Column("state_management", _("State management"), "person.education", "state_management"),
    Column("ethnicity", _("Ethnicity"), "person.ethnicity", "ethnicity"),
    Column("party_member", _("Party member"), "person.party_membership"),
    Column("status", _("Status"), "person.unit"),
    Column("completeness", _("Completeness (%)"), "person.unit"),
)
BY_KEY = {column.key: column for column in COLUMNS}


def cleared_columns(clearance: int, wanted=None) -> list[Column]:
    """The columns (all, or those wanted, in list order) that a reader of this clearance may see."""
    levels, default = authz.field_levels()
    chosen = [column for column in COLUMNS if wanted is None or column.key in wanted]
    return [column for column in chosen if levels.get(column.sensitivity, default) <= clearance]
