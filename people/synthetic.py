"""Synthetic people for the demo and for benchmarks: complete, valid records of a plausible Đồng Nai workforce.

Nothing here is a real person. Codes come from the catalog files (data/catalogs), read once, so generating
100,000 records needs no database; only `load_synthetic` touches the database, to place people in units.
Records are reproducible from a seed, and citizen IDs never repeat: their last six digits are a fixed bijection
of a sequence number (số thứ tự), so people generated with different sequence numbers never collide, whatever the seed.
"""

import bisect
import datetime
import functools
import itertools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings

from common.crypto import blind_index
from common.text import search_key
from orgs.models import UnitVersion

from .form import SECTIONS
from .models import Person
from .services import load_approved
from .validation import years_between

SEQUENCE_LIMIT = 1_000_000  # six digits of the citizen ID
CATEGORY_WEIGHTS = (("CC", 30), ("VC", 55), ("CB", 3), ("NLD", 12))
STATE_CATEGORIES = frozenset({"CB", "CC", "VC"})
# Units created by the 2025 reform (sắp xếp đơn vị hành chính) took over their staff on this day.
REFORM_DAY = datetime.date(2025, 7, 1)


class _Pick:
    """Items with weights, drawn with a binary search (the weights are summed once)."""

    def __init__(self, pairs):
        self.items = [item for item, _weight in pairs]
        self.cumulative = list(itertools.accumulate(weight for _item, weight in pairs))

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


# ---- names (họ, tên đệm, tên) ----

FAMILY_NAMES = _Pick((
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Huỳnh", 35), ("Hoàng", 25), ("Phan", 45), ("Võ", 40),
    ("Vũ", 20), ("Đặng", 20), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Trương", 10),
    ("Đinh", 8), ("Đoàn", 6), ("Lâm", 5), ("Mai", 5), ("Cao", 4), ("Lương", 4), ("Hà", 4), ("Trịnh", 4), ("Tô", 3),
    ("Châu", 3), ("Thái", 3), ("Lưu", 3), ("La", 2), ("Vương", 2),
))
# Family names common among some ethnic groups of the province (Hoa, Khmer, Xtiêng and Chơ Ro, Tày and Nùng).
ETHNIC_FAMILY_NAMES = {
    "06": ("Lý", "Trương", "Lâm", "Quách", "Hứa", "Tăng", "Diệp", "Mã", "Châu", "Lưu", "Huỳnh"),
    "05": ("Thạch", "Sơn", "Danh", "Kim", "Lâm"),
    "22": ("Điểu", "Điểu", "Lâm"),
    "31": ("Điểu", "Điểu", "Thổ"),
    "20": ("Điểu", "Lâm"),
    "02": ("Hoàng", "Nông", "Lý", "Vi", "Triệu", "Lục"),
    "07": ("Hoàng", "Nông", "Lý", "Vi", "Triệu", "Lục"),
}
MIDDLE_NAMES = {
    "1": _Pick((("Văn", 40), ("Hữu", 6), ("Minh", 8), ("Quốc", 6), ("Đức", 6), ("Thanh", 6), ("Công", 5), ("Hoàng", 4), ("Ngọc", 4),
                ("Tấn", 5), ("Trung", 3), ("Quang", 4), ("Xuân", 3), ("Anh", 3), ("Duy", 3), ("Thành", 3), ("Đình", 3), ("Gia", 2))),
    "2": _Pick((("Thị", 50), ("Ngọc", 8), ("Thanh", 6), ("Thu", 6), ("Kim", 5), ("Minh", 3), ("Mỹ", 4), ("Hồng", 4), ("Thúy", 3),
                ("Phương", 3), ("Bảo", 2), ("Diệu", 2), ("Khánh", 2), ("Hoài", 2), ("Quỳnh", 2))),
}
SECOND_MIDDLE_NAMES = {"1": ("Minh", "Hoàng", "Anh", "Quốc", "Gia"), "2": ("Ngọc", "Kim", "Thu", "Thanh", "Mỹ", "Bảo")}
GIVEN_NAMES = {
    "1": ("Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu", "Hòa", "Hoàng", "Hùng", "Huy", "Hưng",
          "Khải", "Khang", "Khoa", "Khánh", "Kiên", "Lâm", "Long", "Lộc", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Nhật", "Phát",
          "Phong", "Phúc", "Quang", "Quân", "Quý", "Sang", "Sơn", "Tài", "Tâm", "Thái", "Thắng", "Thành", "Thiện", "Thịnh", "Tín",
          "Toàn", "Trí", "Trung", "Tú", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Định", "Hiển"),
    "2": ("Anh", "Ánh", "Bích", "Chi", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hậu", "Hiền", "Hoa", "Hoài",
          "Hồng", "Huệ", "Hương", "Huyền", "Lan", "Lệ", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi",
          "Nhung", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thanh", "Thoa", "Thu", "Thư", "Thủy", "Trang", "Trâm", "Trinh",
          "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến"),
}

# ---- places: (CCCD province code, province as written on papers, places within it) ----

PROVINCES = _Pick((
    (("075", "tỉnh Đồng Nai", ("thành phố Biên Hòa", "thành phố Long Khánh", "huyện Long Thành", "huyện Nhơn Trạch",
                              "huyện Trảng Bom", "huyện Thống Nhất", "huyện Vĩnh Cửu", "huyện Định Quán", "huyện Tân Phú",
                              "huyện Xuân Lộc", "huyện Cẩm Mỹ")), 50),
    (("070", "tỉnh Bình Phước", ("thành phố Đồng Xoài", "thị xã Bình Long", "thị xã Phước Long", "huyện Bù Đăng",
                                "huyện Lộc Ninh", "huyện Chơn Thành", "huyện Đồng Phú", "huyện Phú Riềng")), 18),
    (("079", "thành phố Hồ Chí Minh", ("Quận 3", "Quận 10", "quận Bình Thạnh", "quận Gò Vấp", "thành phố Thủ Đức")), 5),
    (("074", "tỉnh Bình Dương", ("thành phố Thủ Dầu Một", "thành phố Dĩ An")), 2),
    (("077", "tỉnh Bà Rịa - Vũng Tàu", ("thành phố Bà Rịa", "huyện Châu Đức")), 2),
    (("068", "tỉnh Lâm Đồng", ("thành phố Bảo Lộc", "huyện Di Linh")), 2),
    (("072", "tỉnh Tây Ninh", ("thành phố Tây Ninh",)), 1),
    (("080", "tỉnh Long An", ("thành phố Tân An",)), 1),
    (("038", "tỉnh Thanh Hóa", ("huyện Hoằng Hóa", "huyện Quảng Xương")), 3),
    (("040", "tỉnh Nghệ An", ("huyện Nghi Lộc", "huyện Diễn Châu")), 3),
    (("042", "tỉnh Hà Tĩnh", ("huyện Can Lộc",)), 2),
    (("036", "tỉnh Nam Định", ("huyện Hải Hậu",)), 2),
    (("034", "tỉnh Thái Bình", ("huyện Vũ Thư",)), 2),
    (("001", "thành phố Hà Nội", ("quận Đống Đa", "huyện Thanh Trì")), 1),
    (("046", "tỉnh Thừa Thiên Huế", ("huyện Phú Vang",)), 1),
    (("049", "tỉnh Quảng Nam", ("huyện Duy Xuyên",)), 2),
    (("051", "tỉnh Quảng Ngãi", ("huyện Tư Nghĩa",)), 2),
    (("052", "tỉnh Bình Định", ("huyện Phù Cát",)), 1),
    (("066", "tỉnh Đắk Lắk", ("thành phố Buôn Ma Thuột",)), 1),
))
# Where ethnic groups of the province are mostly registered at birth: Xtiêng and Mnông in Bình Phước, Chơ Ro in Đồng Nai.
ETHNIC_PROVINCE = {"22": "070", "20": "070", "31": "075"}
PROVINCE_BY_CODE = {province[0]: province for province in PROVINCES.items}
# Wards and communes of Đồng Nai after the 2025 reform (two-level addresses); plausible names, not a gazetteer.
WARDS = ("phường Trấn Biên", "phường Biên Hòa", "phường Tam Hiệp", "phường Long Bình", "phường Hố Nai", "phường Trảng Dài",
         "phường Long Hưng", "phường Phước Tân", "phường Tam Phước", "phường Long Khánh", "phường Bảo Vinh", "phường Đồng Xoài",
         "phường Bình Phước", "phường Phước Long", "phường Bình Long", "phường An Lộc", "phường Chơn Thành", "phường Minh Hưng")
COMMUNES = ("xã Long Thành", "xã Nhơn Trạch", "xã Đại Phước", "xã Phước An", "xã Trảng Bom", "xã Bàu Hàm", "xã Xuân Lộc",
            "xã Định Quán", "xã Tân Phú", "xã Trị An", "xã Phú Lý", "xã Bù Đăng", "xã Lộc Ninh", "xã Đồng Phú", "xã Phú Riềng")
STREETS = ("Võ Thị Sáu", "Phạm Văn Thuận", "Đồng Khởi", "Nguyễn Ái Quốc", "Hà Huy Giáp", "30 Tháng 4", "Cách Mạng Tháng Tám",
           "Huỳnh Văn Nghệ", "Nguyễn Văn Trỗi", "Phan Trung", "Hùng Vương", "Trần Hưng Đạo", "Lê Duẩn", "Phú Riềng Đỏ",
           "Hoàng Văn Bổn", "Bùi Văn Hòa")
FORMER_DISTRICTS = ("huyện Long Thành", "huyện Trảng Bom", "huyện Xuân Lộc", "huyện Định Quán", "thành phố Biên Hòa",
                    "thành phố Đồng Xoài", "huyện Bù Đăng")

ETHNICITIES = _Pick((("01", 925), ("06", 30), ("07", 12), ("02", 8), ("05", 7), ("22", 6), ("31", 3), ("20", 3), ("04", 2),
                     ("03", 2), ("09", 1), ("14", 1)))
RELIGIONS = _Pick((("00", 620), ("02", 160), ("01", 150), ("05", 20), ("08", 25), ("03", 5), ("09", 5), ("99", 15)))
ETHNIC_RELIGIONS = {"05": _Pick((("01", 85), ("00", 15))), "06": _Pick((("01", 50), ("00", 45), ("02", 5))),
                    "22": _Pick((("00", 50), ("08", 30), ("02", 20)))}
BLOOD_TYPES = _Pick((("O", 42), ("B", 30), ("A", 21), ("AB", 7)))
PHONE_PREFIXES = ("90", "91", "93", "94", "96", "97", "98", "86", "88", "89", "32", "33", "34", "35", "36", "37", "38", "39", "70",
                  "76", "77", "78", "79", "81", "82", "83", "84", "85")
RATINGS = _Pick((("good", 60), ("excellent", 20), ("completed", 18), ("not_completed", 2)))
CATEGORIES = _Pick(CATEGORY_WEIGHTS)
ENGLISH_LEVELS = _Pick((("BAC2", 30), ("BAC3", 50), ("BAC4", 15), ("BAC5", 5)))
HEALTH = _Pick((("Tốt", 70), ("Khá", 20), ("Bình thường", 10)))
FAMILY_BACKGROUNDS = ("Nông dân", "Công nhân", "Công chức", "Viên chức", "Buôn bán", "Cán bộ", "Tiểu thương")
PARENT_JOBS = ("Làm ruộng", "Công nhân", "Buôn bán", "Nội trợ", "Làm vườn", "Viên chức")
RETIRED_JOBS = ("Hưu trí", "Giáo viên nghỉ hưu", "Làm vườn", "Nội trợ")
SELF_ASSESSMENTS = (
    "Có phẩm chất chính trị, đạo đức tốt; chấp hành nghiêm kỷ luật, kỷ cương hành chính; hoàn thành tốt nhiệm vụ được giao.",
    "Lập trường tư tưởng vững vàng; có tinh thần trách nhiệm, đoàn kết với đồng nghiệp; hoàn thành nhiệm vụ được giao.",
    "Nắm vững chuyên môn, chủ động trong công việc; cần tiếp tục nâng cao trình độ ngoại ngữ và tin học.",
)


@dataclass(frozen=True)
class Workplace:
    """The unit a person is placed in, as far as the record needs it."""

    unit_id: int | None
    name: str
    kind: str  # unit_kind catalog code


@dataclass(frozen=True)
class Profile:
    """A line of work: what was studied, the ranks or titles it leads to (ngạch, chức danh nghề nghiệp), the daily job."""

    sector: str
    ladder: tuple[str, ...]  # rank (CC, CB) or professional-title (VC) codes, junior first; empty for contract workers
    majors: tuple[str, ...]
    degree: str
    level: str  # qualification_level of the first degree
    years: int  # length of the first degree
    institutions: tuple[str, ...]
    jobs: tuple[str, ...]
    duty: str
    places: tuple[tuple[str, str], ...]  # (unit kind, name) of typical workplaces, "{commune}" filled in
    female: float = 0.5


ADMIN_SCHOOLS = ("Học viện Hành chính Quốc gia", "Trường Đại học Luật TP. Hồ Chí Minh", "Trường Đại học Kinh tế TP. Hồ Chí Minh",
                 "Trường Đại học Khoa học Xã hội và Nhân văn - ĐHQG TP. Hồ Chí Minh", "Trường Đại học Đồng Nai",
                 "Trường Đại học Lạc Hồng")
ECONOMICS_SCHOOLS = ("Trường Đại học Kinh tế TP. Hồ Chí Minh", "Trường Đại học Tài chính - Marketing", "Trường Đại học Ngân hàng TP. Hồ Chí Minh")
MEDICAL_SCHOOLS = ("Trường Đại học Y Dược TP. Hồ Chí Minh", "Trường Đại học Y khoa Phạm Ngọc Thạch", "Trường Đại học Y Dược Cần Thơ")
NURSING_SCHOOLS = ("Trường Cao đẳng Y tế Đồng Nai", "Trường Cao đẳng Y tế Bình Phước")
TEACHER_SCHOOLS = ("Trường Đại học Sư phạm TP. Hồ Chí Minh", "Trường Đại học Đồng Nai", "Trường Đại học Sài Gòn")
AGRI_SCHOOLS = ("Trường Đại học Nông Lâm TP. Hồ Chí Minh", "Trường Đại học Thủy lợi - Cơ sở 2")
TECH_SCHOOLS = ("Trường Đại học Bách khoa - ĐHQG TP. Hồ Chí Minh", "Trường Đại học Công nghệ Thông tin - ĐHQG TP. Hồ Chí Minh")
VOCATIONAL_SCHOOLS = ("Trường Cao đẳng Công nghệ cao Đồng Nai", "Trường Cao đẳng nghề Đồng Nai", "Trường Trung cấp Kinh tế - Kỹ thuật Đồng Nai")
DEPT, COMMUNE_OFFICE, PSU = "DEPT_OFFICE", "COMMUNE_OFFICE", "PUBLIC_SERVICE_UNIT"
ADMIN_PLACES = ((DEPT, "Phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Đồng Nai"), (DEPT, "Văn phòng Sở Tư pháp tỉnh Đồng Nai"),
                (COMMUNE_OFFICE, "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân {commune}"),
                (COMMUNE_OFFICE, "Phòng Văn hóa - Xã hội, Ủy ban nhân dân {commune}"))
HOSPITALS = ((PSU, "Bệnh viện Đa khoa Đồng Nai"), (PSU, "Bệnh viện Đa khoa khu vực Long Khánh"), (PSU, "Trạm Y tế {commune}"),
             (PSU, "Trung tâm Y tế khu vực Bình Long"))

PROFILES = (
    (Profile("hành chính", ("01.003", "01.002", "01.001"), ("Luật", "Hành chính học", "Quản lý nhà nước", "Kinh tế", "Quản trị kinh doanh"),
             "Cử nhân", "DH", 4, ADMIN_SCHOOLS, ("Chuyên viên tổng hợp", "Chuyên viên tổ chức cán bộ", "Chuyên viên pháp chế",
                                                  "Chuyên viên kế hoạch"),
             "Tham mưu, tổng hợp và theo dõi thực hiện nhiệm vụ của cơ quan", ADMIN_PLACES, 0.5), 150),
    (Profile("hành chính", ("01.004",), ("Quản trị văn phòng",), "Cử nhân cao đẳng", "CD", 3, ("Trường Cao đẳng Nội vụ Hà Nội - Cơ sở miền Nam",),
             ("Cán sự văn phòng",), "Tiếp nhận, xử lý văn bản đến và đi", ADMIN_PLACES, 0.6), 12),
    (Profile("hành chính", ("02.008", "02.007"), ("Văn thư - Lưu trữ",), "Trung cấp văn thư lưu trữ", "TC", 2,
             ("Trường Trung cấp Kinh tế - Kỹ thuật Đồng Nai",), ("Văn thư",), "Quản lý văn bản, lập hồ sơ và lưu trữ", ADMIN_PLACES, 0.75), 12),
    (Profile("tài chính", ("06.031", "06.030", "06.029"), ("Kế toán", "Tài chính - Ngân hàng"), "Cử nhân", "DH", 4, ECONOMICS_SCHOOLS,
             ("Kế toán viên", "Chuyên viên quản lý ngân sách"), "Quản lý ngân sách, kế toán và quyết toán",
             ((DEPT, "Phòng Quản lý ngân sách, Sở Tài chính tỉnh Đồng Nai"), (COMMUNE_OFFICE, "Phòng Kinh tế, Ủy ban nhân dân {commune}")), 0.6), 45),
    (Profile("thanh tra", ("04.025", "04.024", "04.023"), ("Luật",), "Cử nhân", "DH", 4, ADMIN_SCHOOLS, ("Thanh tra viên",),
             "Thanh tra, giải quyết khiếu nại, tố cáo", ((DEPT, "Thanh tra tỉnh Đồng Nai"),), 0.35), 15),
    (Profile("kiểm lâm", ("10.226", "10.225"), ("Lâm học", "Quản lý tài nguyên rừng"), "Kỹ sư", "DH", 4, AGRI_SCHOOLS, ("Kiểm lâm viên",),
             "Tuần tra, bảo vệ rừng và phòng cháy chữa cháy rừng", (("SUB_DEPARTMENT", "Chi cục Kiểm lâm tỉnh Đồng Nai"),), 0.15), 10),
    (Profile("nông nghiệp", ("09.316", "09.315"), ("Thú y",), "Bác sĩ thú y", "DH", 5, AGRI_SCHOOLS, ("Kiểm dịch viên động vật",),
             "Kiểm dịch động vật và sản phẩm động vật", ((DEPT, "Phòng Chăn nuôi và Thú y, Sở Nông nghiệp và Môi trường tỉnh Đồng Nai"),), 0.4), 6),
    (Profile("nông nghiệp", ("11.082", "11.081"), ("Kỹ thuật tài nguyên nước",), "Kỹ sư", "DH", 4, AGRI_SCHOOLS, ("Kiểm soát viên đê điều",),
             "Quản lý công trình thủy lợi, đê điều", (("SUB_DEPARTMENT", "Chi cục Thủy lợi tỉnh Đồng Nai"),), 0.2), 5),
    (Profile("công thương", ("21.189", "21.188", "21.187"), ("Kinh tế", "Luật kinh tế"), "Cử nhân", "DH", 4, ECONOMICS_SCHOOLS,
             ("Kiểm soát viên thị trường",), "Kiểm tra, kiểm soát thị trường", ((DEPT, "Phòng Quản lý thương mại, Sở Công Thương tỉnh Đồng Nai"),), 0.3), 8),
    (Profile("thống kê", ("23.263", "23.262"), ("Thống kê",), "Cử nhân", "DH", 4, ECONOMICS_SCHOOLS, ("Thống kê viên",),
             "Thu thập, tổng hợp số liệu thống kê", ((COMMUNE_OFFICE, "Phòng Kinh tế, Ủy ban nhân dân {commune}"),), 0.55), 6),
    (Profile("y tế", ("V.08.01.03", "V.08.01.02", "V.08.01.01"), ("Y khoa",), "Bác sĩ đa khoa", "DH", 6, MEDICAL_SCHOOLS, ("Bác sĩ điều trị",),
             "Khám bệnh, chữa bệnh", HOSPITALS, 0.45), 80),
    (Profile("y tế", ("V.08.02.06", "V.08.02.05"), ("Y học dự phòng",), "Bác sĩ y học dự phòng", "DH", 6, MEDICAL_SCHOOLS, ("Bác sĩ y học dự phòng",),
             "Phòng, chống dịch bệnh", ((PSU, "Trung tâm Kiểm soát bệnh tật tỉnh Đồng Nai"), (PSU, "Trạm Y tế {commune}")), 0.5), 15),
    (Profile("y tế", ("V.08.03.07",), ("Y sĩ đa khoa",), "Y sĩ", "TC", 2, NURSING_SCHOOLS, ("Y sĩ",), "Khám, chữa bệnh ban đầu tại trạm",
             ((PSU, "Trạm Y tế {commune}"),), 0.6), 25),
    (Profile("y tế", ("V.08.05.12", "V.08.05.11"), ("Điều dưỡng",), "Cử nhân điều dưỡng", "DH", 4, MEDICAL_SCHOOLS, ("Điều dưỡng viên",),
             "Chăm sóc người bệnh", HOSPITALS, 0.8), 45),
    (Profile("y tế", ("V.08.05.13",), ("Điều dưỡng",), "Cao đẳng điều dưỡng", "CD", 3, NURSING_SCHOOLS, ("Điều dưỡng viên",),
             "Chăm sóc người bệnh", HOSPITALS, 0.8), 60),
    (Profile("y tế", ("V.08.06.16",), ("Hộ sinh",), "Cao đẳng hộ sinh", "CD", 3, NURSING_SCHOOLS, ("Hộ sinh viên",),
             "Chăm sóc bà mẹ và trẻ sơ sinh", HOSPITALS, 1.0), 20),
    (Profile("y tế", ("V.08.07.18", "V.08.07.17"), ("Kỹ thuật xét nghiệm y học",), "Cử nhân kỹ thuật xét nghiệm", "DH", 4, MEDICAL_SCHOOLS,
             ("Kỹ thuật viên xét nghiệm",), "Thực hiện xét nghiệm", HOSPITALS, 0.6), 20),
    (Profile("y tế", ("V.08.08.22", "V.08.08.21"), ("Dược học",), "Dược sĩ", "DH", 5, MEDICAL_SCHOOLS, ("Dược sĩ",),
             "Quản lý, cấp phát thuốc", HOSPITALS, 0.65), 20),
    (Profile("giáo dục", ("V.07.02.26", "V.07.02.25"), ("Giáo dục Mầm non",), "Cao đẳng sư phạm mầm non", "CD", 3, TEACHER_SCHOOLS,
             ("Giáo viên mầm non",), "Nuôi dưỡng, chăm sóc, giáo dục trẻ", ((PSU, "Trường Mầm non {commune}"),), 0.98), 90),
    (Profile("giáo dục", ("V.07.03.29", "V.07.03.28", "V.07.03.27"), ("Giáo dục Tiểu học",), "Cử nhân sư phạm", "DH", 4, TEACHER_SCHOOLS,
             ("Giáo viên tiểu học",), "Giảng dạy các môn học ở tiểu học", ((PSU, "Trường Tiểu học {commune}"),), 0.8), 140),
    (Profile("giáo dục", ("V.07.04.32", "V.07.04.31", "V.07.04.30"), ("Sư phạm Toán học", "Sư phạm Ngữ văn", "Sư phạm Tiếng Anh",
                                                                      "Sư phạm Vật lý", "Sư phạm Lịch sử"),
             "Cử nhân sư phạm", "DH", 4, TEACHER_SCHOOLS, ("Giáo viên trung học cơ sở",), "Giảng dạy bộ môn",
             ((PSU, "Trường Trung học cơ sở {commune}"),), 0.7), 110),
    (Profile("giáo dục", ("V.07.05.15", "V.07.05.14", "V.07.05.13"), ("Sư phạm Toán học", "Sư phạm Ngữ văn", "Sư phạm Hóa học",
                                                                      "Sư phạm Tiếng Anh", "Sư phạm Sinh học"),
             "Cử nhân sư phạm", "DH", 4, TEACHER_SCHOOLS, ("Giáo viên trung học phổ thông",), "Giảng dạy bộ môn",
             ((PSU, "Trường Trung học phổ thông Ngô Quyền"), (PSU, "Trường Trung học phổ thông Chuyên Lương Thế Vinh"),
              (PSU, "Trường Trung học phổ thông Nguyễn Trãi")), 0.65), 90),
    (Profile("văn hóa", ("V.10.02.06", "V.10.02.05"), ("Thông tin - Thư viện",), "Cử nhân", "DH", 4, ADMIN_SCHOOLS, ("Thư viện viên",),
             "Phục vụ bạn đọc, xây dựng vốn tài liệu", ((PSU, "Thư viện tỉnh Đồng Nai"), (PSU, "Bảo tàng Đồng Nai")), 0.75), 8),
    (Profile("hành chính", ("V.01.02.02", "V.01.02.01"), ("Lưu trữ học",), "Cử nhân", "DH", 4, ADMIN_SCHOOLS, ("Lưu trữ viên",),
             "Chỉnh lý, bảo quản tài liệu lưu trữ", ((PSU, "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai"),), 0.7), 6),
    (Profile("hành chính", ("V11.06.14", "V11.06.13"), ("Công nghệ thông tin",), "Kỹ sư", "DH", 4, TECH_SCHOOLS, ("Quản trị viên hệ thống",),
             "Vận hành hệ thống thông tin, bảo đảm an toàn thông tin", ((PSU, "Trung tâm Phục vụ hành chính công tỉnh Đồng Nai"),), 0.25), 12),
    # Contract workers (Decree 111/2022/NĐ-CP: support and service jobs).
    (Profile("hành chính", (), ("Bảo vệ",), "Chứng chỉ sơ cấp nghiệp vụ bảo vệ", "SC", 1, VOCATIONAL_SCHOOLS, ("Nhân viên bảo vệ",),
             "Bảo vệ cơ quan", ADMIN_PLACES, 0.05), 30),
    (Profile("hành chính", (), ("Điều khiển phương tiện giao thông",), "Giấy phép lái xe hạng D", "SC", 1, VOCATIONAL_SCHOOLS, ("Lái xe",),
             "Lái xe phục vụ công tác", ADMIN_PLACES, 0.02), 20),
    (Profile("hành chính", (), ("Điện công nghiệp",), "Trung cấp điện công nghiệp", "TC", 2, VOCATIONAL_SCHOOLS, ("Nhân viên kỹ thuật",),
             "Vận hành, sửa chữa điện nước", ADMIN_PLACES, 0.1), 15),
    (Profile("hành chính", (), ("Kế toán",), "Cao đẳng kế toán", "CD", 3, VOCATIONAL_SCHOOLS, ("Nhân viên văn phòng",),
             "Hỗ trợ văn phòng, văn thư", ADMIN_PLACES, 0.7), 15),
    (Profile("y tế", (), ("Chăm sóc người bệnh",), "Chứng chỉ sơ cấp hộ lý", "SC", 1, NURSING_SCHOOLS, ("Hộ lý",),
             "Vệ sinh, hỗ trợ chăm sóc người bệnh", HOSPITALS, 0.85), 25),
    (Profile("giáo dục", (), ("Nấu ăn",), "Chứng chỉ sơ cấp nấu ăn", "SC", 1, VOCATIONAL_SCHOOLS, ("Nhân viên nấu ăn",),
             "Nấu ăn bán trú cho học sinh", ((PSU, "Trường Mầm non {commune}"),), 0.9), 15),
)

# Sector of a unit from words in its name (first match wins); units that name none take people of any line of work.
SECTOR_WORDS = (
    ("y tế", ("Y tế", "Bệnh viện", "bệnh tật", "Khoa Cấp cứu", "Khoa Nội", "Khoa Ngoại")),
    ("giáo dục", ("Trường", "Giáo dục")),
    ("văn hóa", ("Bảo tàng", "Thư viện", "Văn hóa")),
    ("kiểm lâm", ("Kiểm lâm",)),
    ("nông nghiệp", ("Nông nghiệp", "Thủy lợi", "Thú y")),
    ("tài chính", ("Tài chính", "ngân sách")),
    ("thanh tra", ("Thanh tra",)),
    ("công thương", ("Công Thương",)),
    ("thống kê", ("Thống kê",)),
    ("hành chính", ("hành chính", "Nội vụ", "Tư pháp", "pháp lý", "Văn phòng", "Ủy ban nhân dân", "Phòng", "Sở")),
)
# Leadership posts by unit kind: (heads, deputies); deputies are appointed twice as often.
POSTS_BY_KIND = {
    "PROVINCE_COMMITTEE": (("CVP_UBND_TINH",), ("PCVP_UBND_TINH",)),
    "DEPARTMENT": (("GD_SO",), ("PGD_SO",)),
    "DEPT_OFFICE": (("TP_SO",), ("PTP_SO",)),
    "SUB_DEPARTMENT": (("CCT", "TP_CHICUC"), ("PCCT", "PTP_CHICUC")),
    "COMMUNE_COMMITTEE": (("CVP_UBND_XA",), ("PCVP_UBND_XA",)),
    "COMMUNE_OFFICE": (("TP_XA",), ("PTP_XA",)),
    "PUBLIC_SERVICE_UNIT": (("GD_DVSN", "TP_DVSN"), ("PGD_DVSN", "PTP_DVSN")),
    "PSU_SUBUNIT": (("TRUONG_KHOA",), ("PHO_KHOA", "TO_PHO")),
    "OTHER": (("TO_TRUONG",), ("TO_PHO",)),
}
# Cán bộ hold elected posts of people's committees.
ELECTED_POSTS = {"PROVINCE_COMMITTEE": (("PCT_UBND_TINH",), ("PCT_UBND_TINH",)), "COMMUNE_COMMITTEE": (("CT_UBND_XA",), ("PCT_UBND_XA",))}
SCHOOL_POSTS = (("HIEU_TRUONG", "TO_TRUONG"), ("PHO_HIEU_TRUONG", "TO_PHO"))
OFFICE_POSTS = {"DEPT_OFFICE": (("CVP_SO",), ("PCVP_SO",)), "COMMUNE_OFFICE": (("CVP_UBND_XA",), ("PCVP_UBND_XA",))}  # văn phòng
STATION_POSTS = (("TRUONG_TRAM",), ("PHO_TRAM",))
# A rank's salary scale (bảng lương) -> the state-management training it calls for (quản lý nhà nước).
STATE_MANAGEMENT_BY_SCALE = {"A3": "CVCC", "A2": "CVC", "A1": "CV"}
STATE_MANAGEMENT_COURSES = {"CVCC": "chuyên viên cao cấp", "CVC": "chuyên viên chính", "CV": "chuyên viên", "CS": "cán sự"}


# ---- catalogs, read once from the files ----

@functools.cache
def catalog(code: str) -> dict[str, dict]:
    """Entries of a catalog file by code."""
    data = json.loads((settings.BASE_DIR / "data" / "catalogs" / f"{code}.json").read_text(encoding="utf-8"))
    return {entry["code"]: entry for entry in data["entries"]}


@functools.cache
def salary_steps(code: str) -> tuple[str, ...]:
    """The coefficients of a rank's or professional title's salary scale, as stored in the catalog ("2.34", ...)."""
    entry = catalog("civil_servant_rank").get(code) or catalog("professional_title")[code]
    return tuple(catalog("salary_scale")[entry["attrs"]["salary_scale"]]["attrs"]["steps"])


def _scale(code: str) -> str:
    entry = catalog("civil_servant_rank").get(code) or catalog("professional_title")[code]
    return entry["attrs"]["salary_scale"]


def _is_rank(code: str) -> bool:
    return code in catalog("civil_servant_rank")


@functools.cache
def _profiles_for(category: str, sector: str | None) -> _Pick:
    """Lines of work open to a category in a sector (general administration fits every sector)."""
    pairs = [(profile, weight) for profile, weight in PROFILES if _fits(profile, category)]
    if sector is not None:
        pairs = [pair for pair in pairs if pair[0].sector in {sector, "hành chính"}] or pairs
    return _Pick(pairs)


def _fits(profile: Profile, category: str) -> bool:
    if category == "NLD":
        return not profile.ladder
    if category == "CB":  # elected cadres are university graduates on the general administrative ranks
        return profile.ladder[:1] == ("01.003",)
    return bool(profile.ladder) and _is_rank(profile.ladder[0]) == (category == "CC")


def sector_of(unit_name: str) -> str | None:
    for sector, words in SECTOR_WORDS:
        if any(word in unit_name for word in words):
            return sector
    return None


# ---- dates ----

def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.month - 1 + months, 12)
    return datetime.date(day.year + year, month + 1, min(day.day, 28))


def _between(rng: random.Random, low: datetime.date, high: datetime.date) -> datetime.date:
    return low + datetime.timedelta(days=rng.randint(0, (high - low).days))


def _early(rng: random.Random, low: datetime.date, high: datetime.date) -> datetime.date:
    """A day between low and high, more often near low (people are mostly recruited soon after their studies)."""
    span = (high - low).days
    return low + datetime.timedelta(days=int(rng.triangular(0, span, 0)))


DAY = datetime.timedelta(days=1)


# ---- the record ----

def citizen_id(province: str, gender: str, birth: datetime.date, serial: int) -> str:
    """A CCCD number (Circular 59/2021/TT-BCA Art. 7): province of birth registration, sex and century, year, serial."""
    century = (0 if gender == "1" else 1) + (2 if birth.year >= 2000 else 0)
    return f"{province}{century}{birth.year % 100:02d}{serial:06d}"


def serial_of(sequence: int) -> int:
    """The citizen ID's last six digits for a sequence number: a bijection on 0..999,999 that looks random."""
    if not 0 <= sequence < SEQUENCE_LIMIT:
        raise ValueError(f"sequence numbers go from 0 to {SEQUENCE_LIMIT - 1}")
    return (sequence * 738_919 + 104_729) % SEQUENCE_LIMIT


def _name(rng: random.Random, gender: str, ethnicity: str) -> str:
    family = rng.choice(ETHNIC_FAMILY_NAMES[ethnicity]) if ethnicity in ETHNIC_FAMILY_NAMES else FAMILY_NAMES(rng)
    middle = MIDDLE_NAMES[gender](rng)
    if rng.random() < 0.15:
        middle += " " + rng.choice(SECOND_MIDDLE_NAMES[gender])
    return f"{family} {middle} {rng.choice(GIVEN_NAMES[gender])}"


def _email(rng: random.Random, full_name: str, state: bool) -> str:
    words = search_key(full_name).split()
    local = words[-1] + "".join(word[0] for word in words[:-1])
    if state and rng.random() < 0.6:
        return f"{local}@dongnai.gov.vn"
    return f"{local}{rng.randint(1, 99)}@gmail.com"


def _address(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"Số {rng.randint(1, 350)} đường {rng.choice(STREETS)}, {rng.choice(WARDS)}, tỉnh Đồng Nai"
    return f"Ấp {rng.randint(1, 12)}, {rng.choice(COMMUNES)}, tỉnh Đồng Nai"


def _birth(rng: random.Random, today: datetime.date, youngest: int, oldest: int) -> datetime.date:
    """A birth date giving an age from youngest to oldest, most often in the late thirties."""
    low, high = add_years(today, -oldest - 1) + DAY, add_years(today, -youngest)
    span = (high - low).days
    return high - datetime.timedelta(days=int(rng.triangular(0, span, span * 0.4)))


def _workplace(rng: random.Random, profile: Profile, category: str) -> Workplace:
    """A plausible workplace when the caller places people nowhere in particular."""
    if category == "CB":
        return Workplace(None, f"Ủy ban nhân dân {rng.choice(WARDS + COMMUNES)}", "COMMUNE_COMMITTEE")
    kind, name = rng.choice(profile.places)
    return Workplace(None, name.format(commune=rng.choice(WARDS + COMMUNES)), kind)


def _post(rng: random.Random, workplace: Workplace, category: str) -> str | None:
    """A leadership post fitting the unit, or None when the unit kind has none."""
    if category == "CB":
        posts = ELECTED_POSTS.get(workplace.kind, ELECTED_POSTS["COMMUNE_COMMITTEE"])
    elif workplace.kind == "PUBLIC_SERVICE_UNIT" and workplace.name.startswith("Trường"):
        posts = SCHOOL_POSTS
    elif workplace.kind == "PUBLIC_SERVICE_UNIT" and workplace.name.startswith("Trạm"):
        posts = STATION_POSTS
    elif workplace.kind in OFFICE_POSTS and workplace.name.startswith("Văn phòng"):
        posts = OFFICE_POSTS[workplace.kind]
    else:
        posts = POSTS_BY_KIND.get(workplace.kind)
    if posts is None:
        return None
    heads, deputies = posts
    return rng.choice(heads) if rng.random() < 1 / 3 else rng.choice(deputies)


def _decision(rng: random.Random, day: datetime.date, issuer: str = "UBND") -> str:
    return f"{rng.randint(12, 3999)}/QĐ-{issuer} ngày {day.day:02d}/{day.month:02d}/{day.year}"


@dataclass(frozen=True)
class _Life:
    """The facts every section of a record must agree with."""

    today: datetime.date
    category: str
    profile: Profile
    workplace: Workplace
    gender: str
    birth: datetime.date
    graduated: datetime.date
    recruited: datetime.date
    joined: datetime.date
    major: str
    job: str

    @property
    def state(self) -> bool:
        return self.category in STATE_CATEGORIES

    @property
    def service(self) -> int:
        return years_between(self.recruited, self.today)


def synthetic_record(rng: random.Random, *, today: datetime.date, category: str | None = None, sequence: int | None = None,
                     gender: str | None = None, full_name: str | None = None, workplace: Workplace | None = None) -> dict:
    """A complete record that check_record accepts, in stored form (ISO dates, decimals as strings, NFC text).

    `sequence` fixes the citizen ID's last six digits (unique per sequence number); without it they are drawn at random.
    `gender` and `full_name` describe a known person (a demo account); `workplace` is the unit the person works in.
    """
    category = category or CATEGORIES(rng)
    profile = _profiles_for(category, sector_of(workplace.name) if workplace else None)(rng)
    workplace = workplace or _workplace(rng, profile, category)
    gender = gender or ("2" if rng.random() < profile.female else "1")
    ethnicity = ETHNICITIES(rng)
    full_name = full_name or _name(rng, gender, ethnicity)
    employment = {"category": category}

    # Retirement ages (2025): women leave around 57, men around 61; cán bộ are elected after some years of work.
    served_in_army = gender == "1" and rng.random() < 0.03
    youngest = max(22 if category != "CB" else 30, 18 + profile.years + 1 + (3 if served_in_army else 0))
    birth = _birth(rng, today, youngest, 56 if gender == "2" else 60)

    # Studies, after military service for a few men (nghĩa vụ quân sự).
    study_from = datetime.date(birth.year + 18, 9, 5)
    if served_in_army:
        employment["enlisted_on"] = datetime.date(birth.year + 18, 2, rng.randint(10, 25)).isoformat()
        employment["discharged_on"] = datetime.date(birth.year + 20, 2, rng.randint(5, 25)).isoformat()
        employment["military_rank"] = rng.choice(("Binh nhất", "Hạ sĩ", "Trung sĩ"))
        study_from = datetime.date(birth.year + 20, 9, 5)
    graduated = datetime.date(study_from.year + profile.years, 6, 30)
    major = rng.choice(profile.majors)
    training = [{"institution": rng.choice(profile.institutions), "major": major, "from_date": study_from.isoformat(),
                 "to_date": graduated.isoformat(), "mode": "full_time", "degree": profile.degree, "level": profile.level}]

    # Recruitment (tuyển dụng), from 20 and after the studies; the current unit, often since the 2025 reform.
    recruited = _early(rng, max(graduated + 30 * DAY, add_years(birth, 20)), today - 60 * DAY)
    joined = recruited
    if category in STATE_CATEGORIES and workplace.kind in {"COMMUNE_OFFICE", "COMMUNE_COMMITTEE", "DEPT_OFFICE", "DEPARTMENT"} and \
            recruited < REFORM_DAY < today - 30 * DAY and rng.random() < 0.3:
        joined = REFORM_DAY
    elif rng.random() < 0.45 and recruited + 365 * DAY < today - 30 * DAY:
        joined = _between(rng, recruited + 365 * DAY, today - 30 * DAY)
    life = _Life(today, category, profile, workplace, gender, birth, graduated, recruited, joined, major, rng.choice(profile.jobs))
    employment.update({"recruited_on": recruited.isoformat(), "joined_unit_on": joined.isoformat(), "job_position": life.job,
                       "main_duty": profile.duty, "recruiting_agency": _agency(profile, workplace)})

    postgraduate = _postgraduate(rng, life)
    training += postgraduate
    qualification = postgraduate[-1]["level"] if postgraduate else profile.level
    if qualification == "TS" and years_between(birth, today) >= 45 and rng.random() < 0.15:
        employment["academic_title"] = "PGS"
    salary, salary_history = _salary(rng, life, qualification)
    positions = _positions(rng, life)
    if positions and catalog("position")[positions[0]["position"]]["attrs"].get("allowance"):
        salary["position_allowance"] = catalog("position")[positions[0]["position"]]["attrs"]["allowance"]
    work_history, before_recruitment = _work_history(rng, life, positions)
    education, courses = _education(rng, life, qualification, salary, leader=bool(positions))
    training = sorted(training + courses, key=lambda row: row["from_date"])
    ratings, rewards, discipline = _assessments(rng, life)

    registered = PROVINCE_BY_CODE[ETHNIC_PROVINCE[ethnicity]] if ethnicity in ETHNIC_PROVINCE else PROVINCES(rng)
    province_code, province, places = registered
    _code, home_province, home_places = PROVINCES(rng) if rng.random() < 0.35 else registered
    serial = serial_of(sequence) if sequence is not None else rng.randrange(SEQUENCE_LIMIT)
    issued_low = min(max(add_years(birth, 14), datetime.date(2016, 1, 1)), today)
    issued = _between(rng, max(issued_low, min(datetime.date(2021, 1, 1), today)) if rng.random() < 0.8 else issued_low, today)
    insurance = f"{province_code[1:] if province_code in {'070', '075'} else '75'}{rng.randrange(10**8):08d}"
    permanent = _address(rng)
    return {
        "identity": {
            "full_name": full_name, "birth_date": birth.isoformat(), "gender": gender, "birth_place": f"{rng.choice(places)}, {province}",
            "home_town": f"{rng.choice(home_places)}, {home_province}", "ethnicity": ethnicity,
            "religion": ETHNIC_RELIGIONS.get(ethnicity, RELIGIONS)(rng), "citizen_id": citizen_id(province_code, gender, birth, serial),
            "citizen_id_issued_on": issued.isoformat(), "citizen_id_issued_by": _issuer(issued),
            "social_insurance_no": insurance, "health_insurance_no": f"{'HC' if life.state else 'CH'}4{insurance[:2]}{insurance}",
            "family_background": rng.choice(FAMILY_BACKGROUNDS), "occupation_before": before_recruitment,
        },
        "contacts": {"permanent_address": permanent, "current_address": permanent if rng.random() < 0.7 else _address(rng),
                     "phone": f"0{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**7):07d}", "email": _email(rng, full_name, life.state)},
        "employment": employment,
        "salary": salary,
        "salary_history": salary_history,
        "positions": positions,
        "party": _party(rng, life, leader=bool(positions)),
        "education": education,
        "languages": _languages(rng, life, ethnicity),
        "training": training,
        "work_history": work_history,
        "personal_history": {},
        "rewards": rewards,
        "discipline": discipline,
        "ratings": ratings,
        "family": _family(rng, full_name, gender, birth, today, home_places, home_province),
        "health": _health(rng, gender),
        "income": {"housing_own": rng.choice(("Nhà cấp 4, 80 m²", "Nhà ở riêng lẻ 2 tầng, 120 m²", "Căn hộ chung cư, 70 m²"))}
        if rng.random() < 0.4 else {},
        "assessment": {"self_assessment": rng.choice(SELF_ASSESSMENTS)} if life.state else {},
        "contract": {} if life.state else _contract(rng, life),
    }


def _postgraduate(rng: random.Random, life: _Life) -> list[dict]:
    """Master's and doctoral studies in service (sau đại học), finished before today."""
    if life.profile.level != "DH" or life.service < 5 or rng.random() >= (0.25 if life.category != "VC" else 0.15):
        return []
    start = _between(rng, add_years(life.recruited, 2), add_years(life.today, -3))
    end = add_years(start, 2) - 60 * DAY
    rows = [{"institution": rng.choice(life.profile.institutions), "major": life.major, "from_date": start.isoformat(),
             "to_date": end.isoformat(), "mode": "in_service", "degree": "Thạc sĩ", "level": "THS"}]
    if years_between(end, life.today) >= 6 and rng.random() < 0.12:
        start = _between(rng, add_years(end, 1), add_years(life.today, -5))
        rows.append({"institution": rng.choice(life.profile.institutions), "major": life.major, "from_date": start.isoformat(),
                     "to_date": add_years(start, 4).isoformat(), "mode": "in_service", "degree": "Tiến sĩ", "level": "TS"})
    return rows


def _salary(rng: random.Random, life: _Life, qualification: str) -> tuple[dict, list[dict]]:
    """Rank or professional title, promotions and salary steps (nâng bậc lương every 3 years, 2 below university level)."""
    ladder, today = life.profile.ladder, life.today
    if not ladder:
        return {}, []
    terms = [(ladder[0], life.recruited)]
    chance = 0.5 if qualification in {"THS", "TS"} else 0.3
    while len(terms) < len(ladder) and add_years(terms[-1][1], 9) <= today - 30 * DAY and rng.random() < chance:
        terms.append((ladder[len(terms)], _between(rng, add_years(terms[-1][1], 9), today - 30 * DAY)))
        chance /= 2
    history = []
    for index, (code, start) in enumerate(terms):
        until = terms[index + 1][1] if index + 1 < len(terms) else today + DAY
        steps = salary_steps(code)
        every = 3 if _scale(code).startswith("A") else 2
        for step in range(1, len(steps) + 1):
            since = add_years(start, every * (step - 1))
            if since >= until:
                break
            history.append({"from_date": since.isoformat(), "rank_code": code, "step": step, "coefficient": steps[step - 1],
                            "decision": _decision(rng, since, "SNV")})
    current = history[-1]
    salary = {"rank" if _is_rank(current["rank_code"]) else "professional_title": current["rank_code"], "salary_step": current["step"],
              "salary_coefficient": current["coefficient"], "salary_from": current["from_date"]}
    # Over-frame seniority (phụ cấp thâm niên vượt khung): 5% three years after the last step, then 1% a year.
    frame = add_years(datetime.date.fromisoformat(current["from_date"]), 3)
    if current["step"] == len(salary_steps(current["rank_code"])) and frame <= today:
        extra = years_between(frame, today)
        salary.update({"over_frame_percent": 5 + extra, "over_frame_from": add_years(frame, extra).isoformat()})
    return salary, history


def _positions(rng: random.Random, life: _Life) -> list[dict]:
    """A leadership post (chức vụ) in the current unit for some, always for cán bộ: five-year terms, re-appointed once."""
    if not life.state or not (life.category == "CB" or (life.service >= 6 and rng.random() < 0.14)):
        return []
    post = _post(rng, life.workplace, life.category)
    if post is None:
        return []
    entry, today = catalog("position")[post], life.today
    valid_from = datetime.date.fromisoformat(entry["valid_from"]) if entry.get("valid_from") else datetime.date.min
    experience = add_years(life.recruited, 5) if life.category != "CB" else life.recruited + 30 * DAY
    low = max(experience, life.joined + DAY, valid_from, add_years(today, -9))
    if low > today - 30 * DAY:
        return []
    appointed = _between(rng, low, today - 30 * DAY)
    row = {"position": post, "unit_name": life.workplace.name, "appointed_on": appointed.isoformat()}
    term_from = appointed
    if add_years(appointed, 5) <= today:
        term_from = add_years(appointed, 5)
        row["reappointed_on"] = term_from.isoformat()
    row.update({"until": add_years(term_from, 5).isoformat(), "decision": _decision(rng, appointed)})
    return [row]


def _work_history(rng: random.Random, life: _Life, positions: list[dict]) -> tuple[list[dict], str]:
    """Work history (quá trình công tác), each period ending the day before the next begins; and the occupation before recruitment."""
    periods = []
    if life.recruited - life.graduated > 500 * DAY and rng.random() < 0.5:
        periods.append((life.graduated + 60 * DAY, f"Nhân viên Công ty TNHH {rng.choice(('Thành Phát', 'Tân Hiệp', 'Đông Á', 'Phú Cường'))}"))
        before_recruitment = "Nhân viên công ty tư nhân"
    else:
        before_recruitment = "Sinh viên"
    if life.joined > life.recruited:
        before = rng.choice(life.profile.places)[1].format(commune=rng.choice(WARDS + COMMUNES))
        if life.joined == REFORM_DAY or before == life.workplace.name:
            before = f"Ủy ban nhân dân {rng.choice(FORMER_DISTRICTS)}"
        periods.append((life.recruited, f"{life.job}, {before}"))
    periods.append((life.joined, f"{life.job}, {life.workplace.name}"))
    for row in positions:
        periods.append((datetime.date.fromisoformat(row["appointed_on"]), f"{catalog('position')[row['position']]['name']}, {life.workplace.name}"))
    rows = []
    for (start, text), following in itertools.zip_longest(periods, periods[1:]):
        row = {"from_date": start.isoformat(), "description": text}
        if following:
            row["to_date"] = (following[0] - DAY).isoformat()
        rows.append(row)
    return rows, before_recruitment


def _party(rng: random.Random, life: _Life, *, leader: bool) -> dict:
    """Party membership (đảng viên) for about a third of state staff, admitted from 18 and official a year later; a mass organization."""
    party = {}
    if life.state and rng.random() < (1.0 if life.category == "CB" else 0.9 if leader else 0.36 if life.category == "CC" else 0.22):
        admitted = _between(rng, max(add_years(life.birth, 18), add_years(life.recruited, -3)), add_years(life.today, -1) - DAY)
        party = {"party_admitted_on": admitted.isoformat(), "party_official_on": add_years(admitted, 1).isoformat()}
        if leader:
            party["party_position"] = rng.choice(("Bí thư chi bộ", "Phó Bí thư chi bộ", "Chi ủy viên"))
    if years_between(life.birth, life.today) < 30 and rng.random() < 0.6:
        party.update({"mass_organization": "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
                      "mass_organization_joined_on": datetime.date(life.birth.year + 16, 3, 26).isoformat()})
    else:
        party.update({"mass_organization": "Công đoàn Việt Nam", "mass_organization_joined_on": life.recruited.isoformat()})
    return party


def _education(rng: random.Random, life: _Life, qualification: str, salary: dict, *, leader: bool) -> tuple[dict, list[dict]]:
    """Education levels and the in-service courses behind them (lý luận chính trị, quản lý nhà nước), which state staff all have."""
    education = {"general_education": "12_12" if life.profile.level != "SC" or rng.random() < 0.7 else "9_12",
                 "qualification": qualification, "major": life.major}
    if not life.state:
        if rng.random() < 0.4:
            education["it_level"] = "CNTT_CB"
        return education, []
    today, recruited = life.today, life.recruited
    scale = _scale(salary.get("rank") or salary["professional_title"])
    education["state_management"] = STATE_MANAGEMENT_BY_SCALE.get(scale[:2], "CS")
    education["it_level"] = "TH_CD_DH" if life.major == "Công nghệ thông tin" else ("CNTT_NC" if rng.random() < 0.18 else "CNTT_CB")
    senior = leader or life.category == "CB"
    if life.service >= 10 and rng.random() < (0.5 if senior else 0.08):
        theory, course, months, school = "CAO_CAP", "Cao cấp lý luận chính trị", 18, "Học viện Chính trị khu vực II"
        start = _between(rng, add_years(recruited, 8), add_years(today, -2))
    elif life.service >= 5 and rng.random() < (0.8 if senior else 0.35):
        theory, course, months, school = "TRUNG_CAP", "Trung cấp lý luận chính trị - hành chính", 10, "Trường Chính trị tỉnh Đồng Nai"
        start = _between(rng, add_years(recruited, 3), add_years(today, -1) - 30 * DAY)
    else:
        theory, course, months, school = "SO_CAP", "Sơ cấp lý luận chính trị", 1, "Trung tâm Chính trị thành phố Biên Hòa"
        start = _between(rng, recruited, today - 45 * DAY)
    education["political_theory"] = theory
    courses = [{"institution": school, "major": course, "from_date": start.isoformat(),
                "to_date": min(add_months(start, months), today).isoformat(), "mode": "in_service"}]
    start = _between(rng, recruited, today - 45 * DAY)
    courses.append({"institution": "Trường Chính trị tỉnh Đồng Nai",
                    "major": f"Bồi dưỡng kiến thức quản lý nhà nước chương trình {STATE_MANAGEMENT_COURSES[education['state_management']]}",
                    "from_date": start.isoformat(), "to_date": min(start + 40 * DAY, today).isoformat(), "mode": "short_course",
                    "degree": "Chứng chỉ"})
    return education, courses


def _languages(rng: random.Random, life: _Life, ethnicity: str) -> list[dict]:
    rows = []
    if life.state or rng.random() < 0.3:
        rows.append({"language": "EN", "level": ENGLISH_LEVELS(rng)})
        if rng.random() < 0.08:
            rows.append({"language": rng.choice(("FR", "ZH", "KO", "JA")), "level": rng.choice(("BAC1", "BAC2", "BAC3"))})
    if ethnicity == "05":
        rows.append({"language": "KM"})
    elif ethnicity in {"22", "31", "20"}:
        rows.append({"language": "DTTS", "certificate": "Tiếng dân tộc mẹ đẻ"})
    return rows


def _assessments(rng: random.Random, life: _Life) -> tuple[list[dict], list[dict], list[dict]]:
    """Annual assessment (đánh giá, xếp loại) of the last three years worked, rewards after the best ones, a rare reprimand."""
    ratings, rewards, discipline = [], [], []
    today = life.today
    for year in range(today.year - 3, today.year):
        if life.recruited <= datetime.date(year, 6, 30):
            rating = RATINGS(rng)
            ratings.append({"year": year, "rating": rating})
            decided = datetime.date(year + 1, rng.randint(1, 4), rng.randint(1, 28))
            if rating == "excellent" and decided <= today:
                title, authority = rng.choice((("Giấy khen", "Thủ trưởng cơ quan"), ("Bằng khen", "Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai"),
                                               ("Chiến sĩ thi đua cơ sở", "Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai")))
                rewards.append({"decided_on": decided.isoformat(), "title": f"{title} năm {year}", "decision": _decision(rng, decided),
                                "authority": authority})
    if rng.random() < 0.005 and ratings:
        decided = _between(rng, max(life.recruited, today - 700 * DAY), today - 30 * DAY)
        discipline.append({"decided_on": decided.isoformat(), "form": "Khiển trách", "reason": "Vi phạm quy định về thời giờ làm việc",
                           "decision": _decision(rng, decided), "authority": "Thủ trưởng cơ quan", "until": add_years(decided, 1).isoformat()})
    return ratings, rewards, discipline


def _health(rng: random.Random, gender: str) -> dict:
    health = {"health_status": HEALTH(rng), "height_cm": rng.randint(160, 178) if gender == "1" else rng.randint(150, 166),
              "weight_kg": rng.randint(55, 80) if gender == "1" else rng.randint(43, 62), "blood_type": BLOOD_TYPES(rng)}
    if rng.random() < 0.02:
        health["policy_family"] = rng.choice(("Con thương binh", "Cháu liệt sĩ", "Gia đình có công với cách mạng"))
    return health


def _agency(profile: Profile, workplace: Workplace) -> str:
    if workplace.kind.startswith("COMMUNE"):
        return "Ủy ban nhân dân tỉnh Đồng Nai" if workplace.kind == "COMMUNE_COMMITTEE" else "Sở Nội vụ tỉnh Đồng Nai"
    return {"y tế": "Sở Y tế tỉnh Đồng Nai", "giáo dục": "Sở Giáo dục và Đào tạo tỉnh Đồng Nai", "tài chính": "Sở Tài chính tỉnh Đồng Nai",
            "văn hóa": "Sở Văn hóa, Thể thao và Du lịch tỉnh Đồng Nai"}.get(profile.sector, "Sở Nội vụ tỉnh Đồng Nai")


def _issuer(issued: datetime.date) -> str:
    """The authority printed on the card: the national police directorate until mid-2024, the Ministry after."""
    if issued >= datetime.date(2024, 7, 1):
        return "Bộ Công an"
    if issued >= datetime.date(2021, 1, 1):
        return "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
    return "Cục Cảnh sát đăng ký, quản lý cư trú và dữ liệu quốc gia về dân cư"


def _family(rng: random.Random, full_name: str, gender: str, birth: datetime.date, today: datetime.date, places, province) -> list[dict]:
    """Parents, spouse and children (quan hệ gia đình), named as Vietnamese families are: children take the father's family name."""
    family_name = full_name.split()[0]
    home = f"Quê quán {rng.choice(places)}, {province}"

    def parent(relation, parent_gender, name_family, low, high):
        year = birth.year - rng.randint(low, high)
        age = today.year - year
        details = "đã mất" if age >= 75 and rng.random() < 0.6 else rng.choice(PARENT_JOBS if age < 60 else RETIRED_JOBS)
        return {"side": "own", "relation": relation, "full_name": f"{name_family} {_given(rng, parent_gender)}", "birth_year": year,
                "details": f"{home}; {details}"}

    rows = [parent("father", "1", family_name, 22, 35), parent("mother", "2", FAMILY_NAMES(rng), 20, 32)]
    if years_between(birth, today) >= 25 and rng.random() < 0.82:
        spouse_gender = "2" if gender == "1" else "1"
        spouse_family = FAMILY_NAMES(rng)
        older = rng.randint(-1, 6)  # husbands are mostly a few years older
        rows.append({"side": "own", "relation": "spouse", "full_name": f"{spouse_family} {_given(rng, spouse_gender)}",
                     "birth_year": birth.year + older if gender == "1" else birth.year - older,
                     "details": rng.choice(("Giáo viên", "Công nhân", "Kinh doanh", "Nhân viên văn phòng", "Nội trợ", "Viên chức"))})
        father_family = family_name if gender == "1" else spouse_family
        first_child = birth.year + rng.randint(25, 32)
        for index in range(rng.choice((0, 1, 1, 2, 2, 2, 3))):
            year = first_child + 3 * index
            if year > today.year:
                break
            child_gender = rng.choice("12")
            rows.append({"side": "own", "relation": "child", "full_name": f"{father_family} {_given(rng, child_gender)}", "birth_year": year,
                         "details": "Học sinh" if today.year - year < 18 else rng.choice(("Sinh viên", "Nhân viên văn phòng", "Công nhân"))})
    return rows


def _given(rng: random.Random, gender: str) -> str:
    return f"{MIDDLE_NAMES[gender](rng)} {rng.choice(GIVEN_NAMES[gender])}"


def _contract(rng: random.Random, life: _Life) -> dict:
    """A labor contract (Circular 05/2023/TT-BNV, Annex II): definite terms of at most 36 months, indefinite after two renewals."""
    if life.service >= 6 or rng.random() < 0.3:
        contract_type, start, end = "indefinite", life.joined, None
    else:
        months = rng.choice((12, 24, 36))
        start = max(life.joined, add_months(life.today, -months + 1))
        end = add_months(start, months) - DAY
        contract_type = "definite"
    contract = {"contract_no": f"{rng.randint(1, 300)}/{start.year}/HĐLĐ", "signed_on": start.isoformat(), "contract_type": contract_type,
                "start_date": start.isoformat(), "job": life.job, "workplace": life.workplace.name, "working_hours": "8 giờ/ngày, 40 giờ/tuần",
                "pay_amount": str(rng.randrange(500, 1200) * 10_000), "pay_form": "Theo thời gian, chuyển khoản qua ngân hàng",
                "pay_schedule": "Một lần vào ngày 05 hằng tháng",
                "social_insurance": "Tham gia bảo hiểm xã hội, bảo hiểm y tế, bảo hiểm thất nghiệp bắt buộc"}
    if end:
        contract["end_date"] = end.isoformat()
    return contract


# ---- populations ----

def synthetic_people(count: int, *, seed: int, today: datetime.date, first: int = 0) -> Iterator[dict]:
    """`count` records from sequence number `first` on: reproducible from the seed, citizen IDs all different."""
    if first + count > SEQUENCE_LIMIT:
        raise ValueError(f"at most {SEQUENCE_LIMIT} people per population")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    for sequence in range(first, first + count):
        yield synthetic_record(rng, today=today, sequence=sequence)


# Where people of a category work (weights by unit kind): offices and communes hold most civil servants,
# public-service units the public employees; contract workers are everywhere.
UNIT_WEIGHTS = {
    "CC": {"DEPT_OFFICE": 4, "COMMUNE_OFFICE": 4, "SUB_DEPARTMENT": 3, "DEPARTMENT": 2, "COMMUNE_COMMITTEE": 2, "PROVINCE_COMMITTEE": 1,
           "OTHER": 1},
    "CB": {"COMMUNE_COMMITTEE": 4, "PROVINCE_COMMITTEE": 1},
    "VC": {"PUBLIC_SERVICE_UNIT": 4, "PSU_SUBUNIT": 3},
    "NLD": {"PUBLIC_SERVICE_UNIT": 4, "PSU_SUBUNIT": 3, "DEPT_OFFICE": 2, "COMMUNE_OFFICE": 2, "SUB_DEPARTMENT": 1, "DEPARTMENT": 1,
            "COMMUNE_COMMITTEE": 1, "PROVINCE_COMMITTEE": 1, "OTHER": 1},
}


def place_people(units: Sequence[Workplace], *, seed: int, today: datetime.date, first: int = 0) -> Iterator[tuple[int, dict]]:
    """(unit id, record) pairs for load_approved, each person in a unit that suits their category, from sequence `first` up to the limit."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    pools = {}
    for category, weights in UNIT_WEIGHTS.items():
        pairs = [(unit, weights[unit.kind]) for unit in units if unit.kind in weights]
        pools[category] = _Pick(pairs or [(unit, 1) for unit in units])
    for sequence in range(first, SEQUENCE_LIMIT):
        category = CATEGORIES(rng)
        unit = pools[category](rng)
        yield unit.unit_id, synthetic_record(rng, today=today, category=category, sequence=sequence, workplace=unit)


def open_workplaces() -> list[Workplace]:
    rows = UnitVersion.objects.filter(valid_to__isnull=True).values_list("unit_id", "name", "kind__code").order_by("unit_id")
    return [Workplace(unit_id, name, kind) for unit_id, name, kind in rows]


def load_synthetic(count: int, *, seed: int, today: datetime.date, approved_by=None, first: int | None = None, batch_size: int = 1000,
                   progress: Callable[[int], None] | None = None, incomplete: float = 0.0) -> int:
    """Generate `count` people over the open units and load them as approved records, one atomic batch at a time.

    A share `incomplete` of the records lack some of the fields their category expects (never a required one), as real
    records migrated from paper do, so that completeness tracking (R-13.5) has something to chase.

    Sequence numbers start after the people already in the database (unless `first` is given), and a generated citizen ID
    that some record already holds is skipped, so loading again on top of earlier data never breaks the one-ID rule.
    """
    units = open_workplaces()
    if not units:
        raise ValueError("the database has no open unit to place people in")
    taken = set(Person.objects.values_list("citizen_id_index", flat=True))
    pairs = place_people(units, seed=seed, today=today, first=len(taken) if first is None else first)
    gaps = random.Random(seed + 1)  # noqa: S311 - synthetic data, not secrets
    loaded, batch = 0, []
    for unit_id, record in pairs:
        if loaded + len(batch) >= count:
            break
        if blind_index(record["identity"]["citizen_id"]) in taken:
            continue
        if gaps.random() < incomplete:
            leave_gaps(record, gaps)
        batch.append((unit_id, record))
        if len(batch) == batch_size:
            loaded += load_approved(batch, approved_by=approved_by, batch_size=batch_size)
            batch = []
            if progress:
                progress(loaded)
    if batch:
        loaded += load_approved(batch, approved_by=approved_by, batch_size=batch_size)
        if progress:
            progress(loaded)
    return loaded


def leave_gaps(record: dict, rng: random.Random) -> None:
    """Empty a few fields the record's category expects but does not require, and maybe a repeating section."""
    category = record["employment"]["category"]
    optional = [(sec.name, item.name) for sec in SECTIONS if not sec.repeating for item in sec.fields
                if category in item.expected_for and category not in item.required_for and item.name in record[sec.name]]
    for name, field_name in rng.sample(optional, min(len(optional), rng.randint(1, 4))):
        del record[name][field_name]
    if rng.random() < 0.3:
        record["family"] = []
