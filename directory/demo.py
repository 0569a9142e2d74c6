"""Generates a realistic demo county: organisations, departments, units, users, firms and inspectors.

Firms get valid USCCs (both check characters right, GB 32100) or, for a share
of individual businesses, valid 15-digit registration numbers; regions,
industries, credit classes A–D, list flags and complaint counts follow
plausible, documented shares. Everything is derived from ``--seed`` so two
runs with the same seed produce the same directory.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User, UserRole
from core import audit
from core.models import AuditAction
from core.uscc import make_registration_number, make_uscc
from directory import namesearch
from directory.models import Expertise, Inspector, Target
from orgs.models import Department, DepartmentKind, Organisation, OrgLevel, Unit, UnitKind
from refdata.models import Division, Industry
from suiji_draw import candidate_digest

PROVINCE = ("河南省", "410000")
CITY = ("驻马店市", "411700")
COUNTIES = [("上蔡县", "411722"), ("西平县", "411721")]

OTHER_DEPARTMENTS = [
    (DepartmentKind.TAXATION, "税务局"),
    (DepartmentKind.ENVIRONMENT, "生态环境分局"),
    (DepartmentKind.HEALTH, "卫生健康委员会"),
    (DepartmentKind.CULTURE_TOURISM, "文化广电和旅游局"),
    (DepartmentKind.EMERGENCY, "应急管理局"),
    (DepartmentKind.AGRICULTURE, "农业农村局"),
    (DepartmentKind.HOUSING, "住房和城乡建设局"),
    (DepartmentKind.TRANSPORT, "交通运输局"),
    (DepartmentKind.EDUCATION, "教育局"),
    (DepartmentKind.PUBLIC_SECURITY, "公安局"),
    (DepartmentKind.COMMERCE, "商务局"),
    (DepartmentKind.STATISTICS, "统计局"),
    (DepartmentKind.HUMAN_RESOURCES, "人力资源和社会保障局"),
    (DepartmentKind.DEVELOPMENT, "发展和改革委员会"),
    (DepartmentKind.FINANCE, "财政局"),
]
MARKET_UNITS = [
    (UnitKind.SECTION, "信用监管股"),
    (UnitKind.SECTION, "登记注册股"),
    (UnitKind.SECTION, "食品安全监管股"),
    (UnitKind.SECTION, "特种设备安全监察股"),
    (UnitKind.BRIGADE, "综合行政执法大队"),
    (UnitKind.STATION, "城关市场监管所"),
    (UnitKind.STATION, "东岸市场监管所"),
    (UnitKind.STATION, "黄埠市场监管所"),
    (UnitKind.STATION, "杨集市场监管所"),
]
EXPERTISE = [
    ("food", "食品安全"),
    ("special-equipment", "特种设备"),
    ("product-quality", "产品质量"),
    ("measurement", "计量"),
    ("drugs", "药品医疗器械"),
    ("advertising", "广告监管"),
    ("registration", "登记与信息公示"),
    ("pricing", "价格监管"),
    ("competition", "反不正当竞争"),
    ("tax", "税务稽查"),
    ("environment", "环境监测"),
    ("health", "卫生监督"),
    ("work-safety", "安全生产"),
]
ROLE_USERS = [
    ("admin", Role.ADMINISTRATOR, "系统管理员"),
    ("coordinator", Role.COORDINATOR, "信用监管股 协调员"),
    ("organiser", Role.ORGANISER, "食品安全监管股 组织人"),
    ("participant", Role.PARTICIPANT, "税务局 配合联络人"),
    ("inspector", Role.INSPECTOR, "执法检查人员"),
    ("approver", Role.APPROVER, "分管局领导"),
    ("auditor", Role.AUDITOR, "纪检监察 审计员"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰志文斌辉鹏飞宇浩然欣怡子轩梓涵一诺"
TOWNS = [
    "蔡都",
    "芦岗",
    "黄埠",
    "重阳",
    "杨集",
    "洙湖",
    "党店",
    "朱里",
    "华陂",
    "塔桥",
    "东洪",
    "邵店",
    "五龙",
    "和店",
    "大路李",
    "无量寺",
    "杨屯",
    "韩寨",
    "齐海",
    "百尺",
    "东岸",
    "西洪",
    "小岳寺",
    "蔡沟",
]
WORDS = [
    "鑫源",
    "华盛",
    "恒达",
    "宏图",
    "金穗",
    "丰泽",
    "瑞祥",
    "永兴",
    "新锐",
    "宏远",
    "嘉禾",
    "顺通",
    "天成",
    "福满",
    "润丰",
    "安康",
    "百味",
    "聚德",
    "汇通",
    "盛世",
    "兴旺",
    "明珠",
    "福源",
    "益民",
]
TRADES = [
    "食品",
    "商贸",
    "农业科技",
    "建材",
    "服装",
    "餐饮",
    "电子",
    "机械",
    "印刷",
    "物流",
    "药房",
    "超市",
    "酒业",
    "化工",
    "家具",
    "汽车维修",
    "五金",
    "纺织",
    "粮油",
    "广告",
]
SUFFIX = ["有限公司", "有限责任公司", "股份有限公司", "商行", "店", "农民专业合作社"]
# Credit class shares A/B/C/D: most firms ordinary, few high risk.
CLASS_CUM = [(0.30, "A"), (0.85, "B"), (0.96, "C"), (1.0, "D")]


@dataclass
class DemoResult:
    passwords: dict[str, str]
    firms: int
    inspectors: int


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def ensure_structure() -> tuple[Organisation, list[Organisation]]:
    """The province > city > counties tree with departments and units (idempotent)."""
    province, _ = Organisation.objects.get_or_create(
        name=PROVINCE[0], defaults={"level": OrgLevel.PROVINCE, "division_id": _division(PROVINCE[1])}
    )
    city, _ = Organisation.objects.get_or_create(
        name=CITY[0], defaults={"level": OrgLevel.CITY, "parent": province, "division_id": _division(CITY[1])}
    )
    counties = []
    for name, code in COUNTIES:
        county, _ = Organisation.objects.get_or_create(
            name=name, defaults={"level": OrgLevel.COUNTY, "parent": city, "division_id": _division(code)}
        )
        counties.append(county)
        market, _ = Department.objects.get_or_create(
            organisation=county, name=f"{name}市场监督管理局", defaults={"kind": DepartmentKind.MARKET}
        )
        for kind, unit_name in MARKET_UNITS:
            Unit.objects.get_or_create(department=market, name=unit_name, defaults={"kind": kind})
        for kind, dept_name in OTHER_DEPARTMENTS:
            dept, _ = Department.objects.get_or_create(
                organisation=county, name=f"{name}{dept_name}", defaults={"kind": kind}
            )
            Unit.objects.get_or_create(department=dept, name="执法大队", defaults={"kind": UnitKind.BRIGADE})
    for code, name in EXPERTISE:
        Expertise.objects.get_or_create(code=code, defaults={"name": name})
    return province, counties


def _division(code: str) -> str | None:
    return code if Division.objects.filter(pk=code).exists() else None


def ensure_users(county: Organisation, reset: bool = False) -> dict[str, str]:
    """One user per role in the first county; returns passwords only for users created (or reset) now."""
    market = county.departments.get(kind=DepartmentKind.MARKET)
    taxation = county.departments.get(kind=DepartmentKind.TAXATION)
    passwords: dict[str, str] = {}
    for username, role, full_name in ROLE_USERS:
        department = taxation if role == Role.PARTICIPANT else market
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                full_name=full_name,
                organisation=county,
                department=department,
                is_staff=role == Role.ADMINISTRATOR,
            )
        elif not reset:
            continue
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        UserRole.objects.get_or_create(user=user, role=role)
        passwords[username] = password
    return passwords


def _rows(n: int, rng: random.Random, county: Organisation, industries: list[str]) -> Iterator[tuple]:
    region = county.division_id
    now = timezone.now()
    seen: set[str] = set()
    produced = 0
    while produced < n:
        roll = rng.random()
        if roll < 0.08:
            key = make_registration_number(rng, region or "410000")
            kind = "individual"
        elif roll < 0.40:
            key = make_uscc(rng, "9", "2", region or "410000")
            kind = "individual"
        elif roll < 0.45:
            key = make_uscc(rng, "9", "3", region or "410000")
            kind = "cooperative"
        else:
            key = make_uscc(rng, "9", "1", region or "410000")
            kind = "enterprise"
        if key in seen:
            continue
        seen.add(key)
        produced += 1
        town = rng.choice(TOWNS)
        suffix = (
            "农民专业合作社" if kind == "cooperative" else ("店" if kind == "individual" else rng.choice(SUFFIX[:3]))
        )
        name = f"{county.name}{town}{rng.choice(WORDS)}{rng.choice(TRADES)}{suffix}"
        x = rng.random()
        credit = next(c for bound, c in CLASS_CUM if x <= bound)
        abnormal = rng.random() < (0.02 if credit in "AB" else 0.15)
        serious = rng.random() < (0.001 if credit in "AB" else 0.02)
        complaints = 0 if rng.random() < 0.9 else int(rng.expovariate(0.5)) + 1
        founded = dt.date(1995, 1, 1) + dt.timedelta(days=int(rng.random() * 11000))
        status_roll = rng.random()
        status = "active" if status_roll < 0.9 else ("operating" if status_roll < 0.96 else "deregistered")
        yield (
            county.id,
            key,
            name,
            kind,
            _person(rng),
            f"{county.name}{town}镇{rng.randint(1, 300)}号",
            f"{rng.choice(TRADES)}销售；{rng.choice(TRADES)}服务",
            rng.choice(industries),
            region,
            f"{county.name}市场监督管理局",
            founded,
            status,
            credit,
            abnormal,
            serious,
            complaints,
            now,
            candidate_digest(key),
        )


COLUMNS = (
    "organisation_id, key, name, kind, legal_representative, address, business_scope, industry_id, region_id, "
    "registration_authority, founded, status, credit_class, abnormal_operation, serious_violation, "
    "complaint_count, updated, draw_digest"
)


def create_firms(
    n: int, county: Organisation, seed: int, progress: Callable[[int], None] | None = None, batch: int = 5000
) -> int:
    """Insert n demo firms in one transaction; existing keys are skipped."""
    rng = random.Random(seed)
    industries = list(Industry.objects.filter(level="division").values_list("code", flat=True))
    existing = set(Target.objects.values_list("key", flat=True)) if Target.objects.exists() else set()
    table = Target._meta.db_table
    placeholders = ", ".join(["%s"] * 18)
    sql = f"INSERT INTO {table} ({COLUMNS}) VALUES ({placeholders})"
    inserted = 0
    with transaction.atomic(), namesearch.deferred(), connection.cursor() as cursor:
        chunk: list[tuple] = []
        for row in _rows(n, rng, county, industries):
            if row[1] in existing:
                continue
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                inserted += len(chunk)
                chunk = []
                if progress:
                    progress(inserted)
        if chunk:
            cursor.executemany(sql, chunk)
            inserted += len(chunk)
            if progress:
                progress(inserted)
        audit.record(
            AuditAction.ACTION,
            county,
            after={"demo_firms_created": str(inserted), "seed": str(seed)},
            reason="seed_demo",
        )
    namesearch.catch_up()
    return inserted


def link_inspector_user(county: Organisation) -> Inspector | None:
    """Give the demo ``inspector`` user the directory entry of an active market inspector of ``county``
    (谁检查谁录入: only an inspector in the directory may enter a check); idempotent."""
    user = User.objects.filter(username="inspector").first()
    if user is None:
        return None
    linked = Inspector.objects.filter(user=user).first()
    if linked is not None:
        return linked
    inspector = (
        Inspector.objects.filter(
            organisation=county,
            department__kind=DepartmentKind.MARKET,
            status="active",
            user__isnull=True,
            certificate_expiry__gte=dt.date.today(),
        )
        .order_by("pk")
        .first()
    )
    if inspector is not None:
        inspector.user = user
        inspector.save(update_fields=["user"])
    return inspector


def create_inspectors(county: Organisation, n: int, seed: int) -> int:
    """Insert n inspectors in bulk (one audit entry for the batch)."""
    rng = random.Random(seed + 1)
    if Inspector.objects.filter(organisation=county).exists():
        return 0
    expertise = list(Expertise.objects.all())
    departments = list(county.departments.prefetch_related("units"))
    market = next(d for d in departments if d.kind == DepartmentKind.MARKET)
    today = dt.date.today()
    rows, skills = [], []
    for i in range(n):
        dept = market if i < n * 0.7 else departments[i % len(departments)]
        units = list(dept.units.all())
        rows.append(
            Inspector(
                organisation=county,
                department=dept,
                unit=rng.choice(units) if units else None,
                name=_person(rng),
                position=rng.choice(["科员", "副所长", "所长", "股长", "执法队员", "四级主任科员"]),
                certificate_no=f"{county.division_id or '410000'}{rng.randint(10000000, 99999999)}",
                certificate_expiry=today + dt.timedelta(days=rng.randint(-60, 5 * 365)),
                region_id=county.division_id,
                status=rng.choices(["active", "leave", "transferred"], weights=[92, 5, 3])[0],
            )
        )
        skills.append(rng.sample(expertise, rng.randint(1, 3)))
    through = Inspector.expertise.through
    with transaction.atomic():
        created = Inspector.objects.bulk_create(rows, batch_size=1000)
        through.objects.bulk_create(
            [
                through(inspector_id=ins.pk, expertise_id=e.pk)
                for ins, es in zip(created, skills, strict=True)
                for e in es
            ],
            batch_size=2000,
        )
        audit.record(AuditAction.ACTION, county, after={"demo_inspectors_created": str(n)}, reason="seed_demo")
    return len(created)
