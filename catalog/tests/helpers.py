from decimal import Decimal

from catalog.services import VersionData, do_create_item


def fields(**overrides):
    data = {
        "field": "食品安全",
        "name": "食品生产企业监督检查",
        "sub_item": "生产环境条件",
        "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
        "object_type": "食品生产企业",
        "content": "生产场所、设备设施、人员管理",
        "methods": ["onsite", "sampling"],
        "category": "key",
        "ratio_min": Decimal("0.05"),
        "ratio_max": None,
        "frequency": "每年不少于1次",
    }
    data.update(overrides)
    return data


POINTS = [
    {"text": "生产场所是否整洁", "method": "onsite", "finding_criteria": "有积水或污垢"},
    {"text": "是否建立进货查验记录", "method": "written", "finding_criteria": "无记录或记录不全"},
]


def make_item(world, points=POINTS, **overrides):
    user = world.users["coordinator"]
    return do_create_item(user, world.county, world.market, VersionData(fields=fields(**overrides), checkpoints=points))
