import copy

from orgs.models import UnitVersion

# A civil servant (chuyên viên, A1 step 3 = 3.00) born 1985 in Đồng Nai: citizen ID 075 + 0 (man, 1900s) + 85 + 6 digits.
RECORD = {
    "identity": {"full_name": "Nguyễn Văn Dũng", "birth_date": "1985-03-14", "gender": "1", "birth_place": "Phường Trấn Biên, Đồng Nai",
                 "home_town": "Xã Long Thành, Đồng Nai", "ethnicity": "01", "religion": "00", "citizen_id": "075085001234",
                 "citizen_id_issued_on": "2021-05-10", "citizen_id_issued_by": "Cục Cảnh sát QLHC về TTXH",
                 "social_insurance_no": "7509123456", "health_insurance_no": "DN4757509123456", "family_background": "Công nhân",
                 "occupation_before": "Sinh viên"},
    "contacts": {"permanent_address": "12 Võ Thị Sáu, phường Trấn Biên, Đồng Nai", "current_address": "12 Võ Thị Sáu, phường Trấn Biên",
                 "phone": "0912345678", "email": "dung.nv@dongnai.gov.vn"},
    "employment": {"category": "CC", "recruited_on": "2008-09-01", "recruiting_agency": "Sở Tài chính tỉnh Đồng Nai",
                   "joined_unit_on": "2008-09-01", "job_position": "Chuyên viên quản lý ngân sách", "main_duty": "Quản lý ngân sách xã"},
    "salary": {"rank": "01.003", "salary_step": 3, "salary_coefficient": "3.00", "salary_from": "2023-09-01"},
    "salary_history": [{"from_date": "2008-09-01", "rank_code": "01.003", "step": 1, "coefficient": "2.34"}],
    "positions": [],
    "party": {"party_admitted_on": "2012-05-19", "party_official_on": "2013-05-19"},
    "education": {"general_education": "12_12", "qualification": "DH", "major": "Tài chính - Ngân hàng", "political_theory": "TRUNG_CAP",
                  "state_management": "CV", "it_level": "CNTT_CB"},
    "languages": [{"language": "EN", "level": "BAC3"}],
    "training": [{"institution": "Đại học Kinh tế TP.HCM", "major": "Tài chính - Ngân hàng", "from_date": "2003-09-01",
                  "to_date": "2007-06-30", "mode": "full_time", "degree": "Cử nhân"}],
    "work_history": [{"from_date": "2008-09-01", "description": "Chuyên viên Phòng Ngân sách, Sở Tài chính tỉnh Đồng Nai"}],
    "personal_history": {},
    "rewards": [],
    "discipline": [],
    "ratings": [{"year": 2024, "rating": "good"}],
    "family": [{"side": "own", "relation": "father", "full_name": "Nguyễn Văn An", "birth_year": 1955, "details": "Hưu trí"}],
    "health": {"health_status": "Tốt", "height_cm": 168, "weight_kg": 62, "blood_type": "O"},
    "income": {},
    "assessment": {"self_assessment": "Hoàn thành tốt nhiệm vụ."},
    "contract": {},
}


def sample_record(**changes) -> dict:
    """The sample record with some sections replaced."""
    record = copy.deepcopy(RECORD)
    record.update(changes)
    return record


def unit(code: str):
    return UnitVersion.objects.get(code=code, valid_to__isnull=True).unit


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
