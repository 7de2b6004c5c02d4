"""A demonstration inspection, for the demo data."""

from django.utils import timezone

from . import services
from .models import Inspection


def seed_demo_inspection(inspector_user, unit_id: int) -> Inspection:
    """One open inspection of a unit, recorded by an inspector whose scope covers it, with two measures proposed."""
    return services.record_inspection(
        inspector_user, unit_id=unit_id, area=Inspection.Area.UPDATING, inspected_on=timezone.localdate(),
        findings="Kiểm tra việc cập nhật hồ sơ trong tháng: một số hồ sơ chưa cập nhật quá trình đào tạo, bồi dưỡng; "
                 "hai thay đổi bị trả lại chưa được sửa trong thời hạn 5 ngày làm việc.",
        measures=["Rà soát và cập nhật quá trình đào tạo, bồi dưỡng của các hồ sơ còn thiếu.",
                  "Sửa và gửi lại các thay đổi bị trả lại; báo cáo kết quả cho đoàn kiểm tra."])
