"""The standard résumé (sơ yếu lý lịch) as data: its sections and fields, in the form's order.

Source: the résumé form in the annex of Circular 06/2023/TT-BNV (4 May 2023), which keeps the
layout of form 2C (items numbered as on the form), and for contract workers the labor-contract
template of Circular 05/2023/TT-BNV, Annex II. See docs/record-form.md for each field's source
and what still needs checking against the printed annex.

Everything else (validation, edit forms, diffs, completeness, printing, encryption, the API)
is driven by this one description, so a field is added here once.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

# Categories (danh mục person_category) for which a field is required.
STATE = frozenset({"CB", "CC", "VC", "CBX", "CCX"})
ALL = STATE | {"NHDKCT", "NLD"}
CONTRACT = frozenset({"NLD"})
NONE = frozenset()


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, long_text, date, choice, decimal, int, bool, email, phone, citizen_id, year, options
    catalog: str | None = None  # for kind "choice": the catalog (danh mục) its codes come from
    options: tuple = ()  # for kind "options": fixed (code, label) pairs from the form itself
    required_for: frozenset = NONE
    expected_for: frozenset = NONE  # counted by the completeness score, not refused when empty
    max_length: int = 300
    sensitivity: str = ""  # key in data/field_sensitivity.json; defaults to the section's
    number: str = ""  # the item number on the printed form


@dataclass(frozen=True)
class Section:
    name: str
    label: str
    fields: tuple[Field, ...]
    repeating: bool = False  # a list of dated rows
    sensitivity: str = ""
    needs_proof: bool = True  # a change needs a scanned document
    expected_rows_for: frozenset = NONE  # repeating sections that should hold at least one row
    order_by: str = ""  # the date field rows are sorted by
    periods: tuple[str, str] | None = None  # (from, to) fields of rows whose periods must not overlap
    editable_by_person: bool = True
    fields_by_name: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        self.fields_by_name.update({f.name: f for f in self.fields})

    def sensitivity_of(self, item: Field) -> str:
        return item.sensitivity or self.sensitivity


F = Field
CONTRACT_TYPES = (("indefinite", _("indefinite term")), ("definite", _("definite term (up to 36 months)")))
FAMILY_SIDES = (("own", _("own family")), ("spouse", _("spouse's family")))
RELATIONS = (
    ("father", _("father")), ("mother", _("mother")), ("spouse", _("spouse")), ("child", _("child")),
    ("sibling", _("sibling")), ("adoptive_parent", _("adoptive parent")),
)
RATINGS = (
    ("excellent", _("excellently completed duties")), ("good", _("well completed duties")),
    ("completed", _("completed duties")), ("not_completed", _("did not complete duties")),
)
BLOOD_TYPES = (("A", "A"), ("B", "B"), ("AB", "AB"), ("O", "O"))
TRAINING_MODES = (
    ("full_time", _("full-time")), ("in_service", _("in-service")), ("distance", _("distance")),
    ("joint", _("joint programme")), ("short_course", _("short course")),
)
ACADEMIC_TITLES = (("GS", _("professor")), ("PGS", _("associate professor")))

SECTIONS: tuple[Section, ...] = (
    Section("identity", _("Identity"), sensitivity="person.identity", fields=(
        F("full_name", _("Full name at birth"), required_for=ALL, max_length=120, sensitivity="person.full_name", number="1"),
        F("other_names", _("Other names"), max_length=120, sensitivity="person.full_name", number="2"),
        F("birth_date", _("Date of birth"), "date", required_for=ALL, sensitivity="person.birth_date", number="3"),
        F("gender", _("Sex"), "choice", "gender", required_for=ALL, sensitivity="person.gender", number="3"),
        F("birth_place", _("Place of birth"), required_for=ALL, sensitivity="person.birth_place", number="4"),
        F("home_town", _("Home town"), required_for=STATE, expected_for=ALL, sensitivity="person.home_town", number="5"),
        F("ethnicity", _("Ethnicity"), "choice", "ethnicity", required_for=ALL, sensitivity="person.ethnicity", number="8"),
        F("religion", _("Religion"), "choice", "religion", required_for=STATE, expected_for=ALL, sensitivity="person.religion", number="9"),
        F("citizen_id", _("Citizen ID number"), "citizen_id", required_for=ALL, sensitivity="person.citizen_id", number="10"),
        F("citizen_id_issued_on", _("Citizen ID issued on"), "date", expected_for=ALL, sensitivity="person.citizen_id_issue", number="10"),
        F("citizen_id_issued_by", _("Citizen ID issued by"), expected_for=ALL, sensitivity="person.citizen_id_issue", number="10"),
        F("social_insurance_no", _("Social insurance number"), max_length=10, expected_for=ALL,
          sensitivity="person.social_insurance_no", number="11"),
        F("health_insurance_no", _("Health insurance card number"), max_length=15, expected_for=ALL,
          sensitivity="person.health_insurance_no", number="11"),
        F("family_background", _("Family background"), expected_for=STATE, sensitivity="person.family", number="13"),
        F("occupation_before", _("Occupation before recruitment"), expected_for=STATE, sensitivity="person.work_history", number="14"),
    )),
    Section("contacts", _("Addresses and contacts"), sensitivity="person.address", needs_proof=False, fields=(
        F("permanent_address", _("Permanent residence"), required_for=ALL, number="6"),
        F("current_address", _("Current address"), expected_for=ALL, number="7"),
        F("phone", _("Phone"), "phone", expected_for=ALL, max_length=20, sensitivity="person.phone", number="7"),
        F("email", _("E-mail"), "email", expected_for=ALL, max_length=254, sensitivity="person.email", number="7"),
    )),
    Section("employment", _("Recruitment and work"), sensitivity="person.work_history", fields=(
        F("category", _("Category"), "choice", "person_category", required_for=ALL, sensitivity="person.category"),
        F("recruited_on", _("First recruited on"), "date", required_for=STATE, number="15"),
        F("recruiting_agency", _("Recruiting agency"), required_for=STATE, number="15"),
        F("joined_unit_on", _("Joined the current unit on"), "date", expected_for=ALL, number="16"),
        F("revolution_joined_on", _("Joined the revolution on"), "date", number="17"),
        F("job_position", _("Job position"), expected_for=STATE, sensitivity="person.position", number="25"),
        F("main_duty", _("Main duty assigned"), expected_for=STATE, number="26"),
        F("strength", _("Professional strength"), number="27"),
        F("longest_job", _("Longest-held job"), number="28"),
        F("enlisted_on", _("Enlisted on"), "date", number="20"),
        F("discharged_on", _("Discharged on"), "date", number="20"),
        F("military_rank", _("Highest military rank"), max_length=80, number="20"),
        F("academic_title", _("Academic title"), "options", options=ACADEMIC_TITLES, number="22"),
        F("state_honours", _("State honorary titles"), number="23"),
    )),
    Section("salary", _("Rank, professional title and salary"), sensitivity="person.salary", fields=(
        F("rank", _("Civil-servant rank"), "choice", "civil_servant_rank", sensitivity="person.rank", number="29"),
        F("professional_title", _("Professional title"), "choice", "professional_title", sensitivity="person.professional_title", number="29"),
        F("salary_step", _("Salary step"), "int", expected_for=STATE, number="29"),
        F("salary_coefficient", _("Salary coefficient"), "decimal", expected_for=STATE, number="29"),
        F("salary_from", _("Salary effective from"), "date", expected_for=STATE, number="29"),
        F("over_frame_percent", _("Over-frame seniority allowance (%)"), "int", number="29"),
        F("over_frame_from", _("Over-frame allowance effective from"), "date", number="29"),
        F("position_allowance", _("Leadership allowance coefficient"), "decimal", sensitivity="person.allowances", number="29"),
        F("other_allowances", _("Other allowances"), sensitivity="person.allowances", number="29"),
    )),
    Section("salary_history", _("Salary history"), repeating=True, sensitivity="person.salary", order_by="from_date", fields=(
        F("from_date", _("From"), "date", required_for=ALL),
        F("rank_code", _("Rank or title code"), max_length=20),
        F("step", _("Step"), "int"),
        F("coefficient", _("Coefficient"), "decimal"),
        F("decision", _("Decision"), max_length=120),
    )),
    Section("positions", _("Positions held"), repeating=True, sensitivity="person.position", order_by="appointed_on", fields=(
        F("position", _("Position"), "choice", "position", required_for=ALL, number="18"),
        F("unit_name", _("At unit"), number="18"),
        F("appointed_on", _("Appointed on"), "date", required_for=ALL, number="18"),
        F("reappointed_on", _("Re-appointed on"), "date", number="18"),
        F("until", _("Until"), "date"),
        F("concurrent", _("Concurrent post"), "bool", number="19"),
        F("decision", _("Decision"), max_length=120),
    )),
    Section("party", _("Party and mass organizations"), sensitivity="person.party_membership", fields=(
        F("party_admitted_on", _("Admitted to the Communist Party of Viet Nam on"), "date", number="19"),
        F("party_official_on", _("Official party member since"), "date", number="19"),
        F("party_position", _("Party position"), number="18"),
        F("mass_organization", _("Socio-political organization"), number="21"),
        F("mass_organization_joined_on", _("Joined the socio-political organization on"), "date", number="21"),
        F("planned_for", _("Planned for the post of"), number="18"),
    )),
    Section("education", _("Education and qualifications"), sensitivity="person.education", fields=(
        F("general_education", _("General education"), "choice", "general_education", required_for=STATE, expected_for=ALL, number="24"),
        F("qualification", _("Highest professional qualification"), "choice", "qualification_level", required_for=STATE,
          expected_for=ALL, number="24"),
        F("major", _("Field of study"), expected_for=STATE, number="24"),
        F("political_theory", _("Political theory"), "choice", "political_theory", expected_for=STATE, number="24"),
        F("state_management", _("State management"), "choice", "state_management", expected_for=STATE, number="24"),
        F("it_level", _("Information technology"), "choice", "it_level", expected_for=STATE, number="24"),
    )),
    Section("languages", _("Foreign and ethnic languages"), repeating=True, sensitivity="person.education", fields=(
        F("language", _("Language"), "choice", "foreign_language", required_for=ALL, number="24"),
        F("level", _("Level"), "choice", "foreign_language_level", number="24"),
        F("certificate", _("Certificate"), max_length=120),
    )),
    Section("training", _("Training and courses"), repeating=True, sensitivity="person.training", order_by="from_date",
            expected_rows_for=STATE, fields=(
        F("institution", _("Institution"), required_for=ALL, number="30"),
        F("major", _("Field or course"), required_for=ALL, number="30"),
        F("from_date", _("From"), "date", required_for=ALL, number="30"),
        F("to_date", _("To"), "date", number="30"),
        F("mode", _("Mode of study"), "options", options=TRAINING_MODES, number="30"),
        F("degree", _("Degree or certificate"), number="30"),
        F("level", _("Level"), "choice", "qualification_level"),
    )),
    Section("work_history", _("Work history"), repeating=True, sensitivity="person.work_history", order_by="from_date",
            periods=("from_date", "to_date"), expected_rows_for=ALL, fields=(
        F("from_date", _("From"), "date", required_for=ALL, number="31"),
        F("to_date", _("To"), "date", number="31"),
        F("description", _("Position, title and unit"), "long_text", required_for=ALL, max_length=1000, number="31"),
    )),
    Section("personal_history", _("Personal history"), sensitivity="person.criminal_record", fields=(
        F("detention", _("Arrests or imprisonment (when, where, what was declared)"), "long_text", max_length=2000, number="32"),
        F("foreign_organizations", _("Membership of foreign organizations"), "long_text", max_length=2000, number="32"),
        F("relatives_abroad", _("Relatives living abroad"), "long_text", max_length=2000, number="32"),
    )),
    Section("rewards", _("Rewards"), repeating=True, sensitivity="person.rewards", order_by="decided_on", fields=(
        F("decided_on", _("Date"), "date", required_for=ALL, number="33"),
        F("title", _("Form of reward"), required_for=ALL, number="33"),
        F("decision", _("Decision"), max_length=120, number="33"),
        F("authority", _("Decided by"), number="33"),
    )),
    Section("discipline", _("Discipline"), repeating=True, sensitivity="person.discipline", order_by="decided_on", fields=(
        F("decided_on", _("Date"), "date", required_for=ALL, number="34"),
        F("form", _("Form of discipline"), required_for=ALL, number="34"),
        F("reason", _("Reason"), "long_text", max_length=1000, number="34"),
        F("decision", _("Decision"), max_length=120, number="34"),
        F("authority", _("Decided by"), number="34"),
        F("until", _("In effect until"), "date"),
    )),
    # The annual assessment (đánh giá, xếp loại) is decided by the unit, not declared by the person.
    Section("ratings", _("Annual assessment"), repeating=True, sensitivity="person.self_assessment", order_by="year",
            editable_by_person=False, fields=(
        F("year", _("Year"), "year", required_for=ALL),
        F("rating", _("Rating"), "options", options=RATINGS, required_for=ALL),
    )),
    Section("family", _("Family relations"), repeating=True, sensitivity="person.family", expected_rows_for=ALL, fields=(
        F("side", _("Side"), "options", options=FAMILY_SIDES, required_for=ALL, number="35"),
        F("relation", _("Relation"), "options", options=RELATIONS, required_for=ALL, number="35"),
        F("full_name", _("Full name"), required_for=ALL, max_length=120, number="35"),
        F("birth_year", _("Year of birth"), "year", number="35"),
        F("details", _("Home town, occupation, workplace, residence, organizations"), "long_text", max_length=1000, number="35"),
    )),
    Section("health", _("Health and policy status"), sensitivity="person.health", needs_proof=False, fields=(
        F("health_status", _("Health"), expected_for=STATE, number="12"),
        F("height_cm", _("Height (cm)"), "int", number="12"),
        F("weight_kg", _("Weight (kg)"), "int", number="12"),
        F("blood_type", _("Blood type"), "options", options=BLOOD_TYPES, number="12"),
        F("war_invalid_grade", _("War invalid grade"), max_length=40, number="12"),
        F("policy_family", _("Family of martyrs or people with merit"), number="12"),
    )),
    Section("income", _("Income and housing"), sensitivity="person.income", needs_proof=False, fields=(
        F("other_income", _("Other sources of income"), "long_text", max_length=1000, number="36"),
        F("housing_allocated", _("Housing allocated or rented from the State (type, area m²)"), number="36"),
        F("housing_own", _("Own housing (type, area m²)"), number="36"),
        F("land_allocated", _("Residential land allocated (m²)"), number="36"),
        F("land_own", _("Residential land bought (m²)"), number="36"),
        F("production_land", _("Production and business land (m²)"), number="36"),
    )),
    Section("assessment", _("Self-assessment"), sensitivity="person.self_assessment", needs_proof=False, fields=(
        F("self_assessment", _("Self-assessment"), "long_text", max_length=4000, expected_for=STATE),
    )),
    # Circular 05/2023/TT-BNV, Annex II: the labor contract of a contract worker (người lao động).
    Section("contract", _("Labor contract"), sensitivity="person.salary", fields=(
        F("contract_no", _("Contract number"), required_for=CONTRACT, max_length=60),
        F("signed_on", _("Signed on"), "date", required_for=CONTRACT),
        F("contract_type", _("Contract type"), "options", options=CONTRACT_TYPES, required_for=CONTRACT),
        F("start_date", _("Works from"), "date", required_for=CONTRACT),
        F("end_date", _("Works until"), "date"),
        F("job", _("Job or professional title"), required_for=CONTRACT),
        F("workplace", _("Place of work"), expected_for=CONTRACT),
        F("working_hours", _("Working hours"), expected_for=CONTRACT),
        F("pay_amount", _("Pay (VND per month)"), "decimal", required_for=CONTRACT),
        F("pay_form", _("Form of pay"), expected_for=CONTRACT),
        F("allowances", _("Allowances and supplements"), sensitivity="person.allowances"),
        F("pay_schedule", _("Pay schedule"), expected_for=CONTRACT),
        F("social_insurance", _("Social, health and unemployment insurance"), expected_for=CONTRACT),
        F("training", _("Training and skills")),
        F("other_terms", _("Other terms"), "long_text", max_length=2000),
    )),
)

BY_NAME = {section.name: section for section in SECTIONS}


def section(name: str) -> Section:
    return BY_NAME[name]


def empty_record() -> dict:
    return {s.name: ([] if s.repeating else {}) for s in SECTIONS}
