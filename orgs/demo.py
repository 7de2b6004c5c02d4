"""Builds the demo province and the synthetic province as plans, through the same code path as real changes."""

import datetime
import json
import random

from django.conf import settings

from . import services

DEMO_FILE = settings.BASE_DIR / "data" / "demo" / "province.json"


def demo_steps(data: dict) -> list[dict]:
    codes = {unit["key"]: unit["code"] for unit in data["units"]}
    steps = []
    for unit in data["units"]:
        params = {k: unit.get(k, "") for k in ("name", "short_name", "code", "kind", "level", "address")}
        params["parent"] = codes[unit["parent"]] if unit["parent"] else None
        if unit.get("managing_body"):
            params["managing_body"] = codes[unit["managing_body"]]
        params["quotas"] = unit.get("quotas", [])
        params["positions"] = unit.get("positions", [])
        steps.append({"operation": "create", "params": params})
    return steps


def reform_steps(data: dict) -> list[dict]:
    """The demo's example reform (a merge and a consolidation) as plan steps."""
    codes = {unit["key"]: unit["code"] for unit in data["units"]}
    steps = []
    for item in data.get("reform_example", []):
        if item["op"] == "merge":
            steps.append({"operation": "merge", "params": {"source": codes[item["source"]], "target": codes[item["target"]]}})
        elif item["op"] == "consolidate":
            new = {k: v for k, v in item["new"].items() if k != "key"}
            steps.append({"operation": "consolidate", "params": {"sources": [codes[k] for k in item["sources"]], "new": new}})
    return steps


def seed_demo_tree(user) -> services.ReorgPlan:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    day = datetime.date.fromisoformat(data["effective_date"])
    plan = services.create_plan(title="Cây tổ chức tỉnh Đồng Nai (dữ liệu mẫu)", effective_date=day, user=user,
                                decision_number="Dữ liệu mẫu", steps=demo_steps(data))
    services.apply_plan(plan, user)
    services.create_plan(title="Ví dụ: sắp xếp Sở KH&CN và hai xã (bản nháp)", effective_date=datetime.date.today(),
                         user=user, decision_number="", steps=reform_steps(data))
    return plan


SYLLABLES = [
    "An", "Bình", "Hòa", "Phú", "Long", "Tân", "Thành", "Xuân", "Lộc", "Định", "Quán", "Trảng", "Bom",
    "Vĩnh", "Cửu", "Nhơn", "Trạch", "Đồng", "Xoài", "Bù", "Đăng", "Phước", "Lợi", "Hưng", "Thịnh", "Mỹ",
    "Gia", "Kiệm", "Thuận", "Tiến", "Đức", "Hiệp", "Sơn", "Phong", "Trung", "Nam", "Bắc", "Tây", "Đông",
]
SECTORS = ["Tài chính", "Giáo dục và Đào tạo", "Y tế", "Xây dựng", "Nông nghiệp và Môi trường", "Công Thương",
           "Khoa học và Công nghệ", "Văn hóa, Thể thao và Du lịch", "Tư pháp", "Nội vụ", "Ngoại vụ", "Dân tộc và Tôn giáo"]
OFFICES = ["Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch", "Phòng Pháp chế", "Thanh tra", "Phòng Quản lý",
           "Phòng Kinh tế", "Phòng Văn hóa - Xã hội"]


def _group(n: int, width: int) -> str:
    """n-th code group (1-based) in digits then capital letters, e.g. 99 -> '99', 100 -> '2S' in base 36."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


def synthetic_steps(units: int, seed: int) -> list[dict]:
    """A province-shaped tree of about `units` units: departments and communes, each with offices and sub-units."""
    rng = random.Random(seed)
    steps = [{"operation": "create", "params": {"name": "Ủy ban nhân dân tỉnh (tổng hợp)", "short_name": "UBND tỉnh",
                                                 "code": "000.00.00.H19", "kind": "PROVINCE_COMMITTEE", "level": "PROVINCE"}}]
    per_top = 16
    departments = max(1, units // per_top // 5)
    t = 0
    while len(steps) < units:
        t += 1
        l2 = _group(t, 2)
        is_dept = t <= departments
        place = " ".join(rng.sample(SYLLABLES, 2))
        name = f"Sở {SECTORS[(t - 1) % len(SECTORS)]} {t}" if is_dept else f"Ủy ban nhân dân xã {place} {t}"
        top_code = f"000.00.{l2}.H19"
        steps.append({"operation": "create", "params": {
            "name": name, "code": top_code, "parent": "000.00.00.H19",
            "kind": "DEPARTMENT" if is_dept else "COMMUNE_COMMITTEE", "level": "PROVINCE" if is_dept else "COMMUNE",
            "quotas": [{"year": 2026, "category": "CC", "amount": rng.randint(10, 80)}],
            "positions": [{"code": "VTVL-01", "name": "Chuyên viên tổng hợp", "category": "CC", "count": rng.randint(2, 20)}],
        }})
        for s in range(1, per_top // 3 + 1):
            l3 = _group(s, 2)
            mid_code = f"000.{l3}.{l2}.H19"
            psu = s > 3
            steps.append({"operation": "create", "params": {
                "name": f"{'Trung tâm ' + rng.choice(SYLLABLES) if psu else OFFICES[(s - 1) % len(OFFICES)]} {t}.{s}",
                "code": mid_code, "parent": top_code,
                "kind": "PUBLIC_SERVICE_UNIT" if psu else ("DEPT_OFFICE" if is_dept else "COMMUNE_OFFICE"),
                "level": "PROVINCE" if is_dept else "COMMUNE",
                "quotas": [{"year": 2026, "category": "VC" if psu else "CC", "amount": rng.randint(3, 40)}],
            }})
            for k in range(1, 3):
                steps.append({"operation": "create", "params": {
                    "name": f"Tổ {rng.choice(SYLLABLES)} {t}.{s}.{k}", "code": f"{_group(k, 3)}.{l3}.{l2}.H19",
                    "parent": mid_code, "kind": "PSU_SUBUNIT" if psu else "OTHER",
                    "level": "PROVINCE" if is_dept else "COMMUNE",
                }})
    return steps[:units]


def seed_synthetic_tree(units: int, seed: int, user) -> services.ReorgPlan:
    plan = services.create_plan(title=f"Tỉnh tổng hợp ({units} đơn vị, seed {seed})", effective_date=datetime.date(2025, 7, 1),
                                user=user, decision_number="Dữ liệu tổng hợp", steps=synthetic_steps(units, seed))
    services.apply_plan(plan, user)
    return plan
