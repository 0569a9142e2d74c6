"""Demo scenario for ``seed_demo``: a published item list and one witnessed draw.

With firms alone a new user opens an empty dashboard, an empty portal and nothing to
verify. This adds, through the same services the pages use (so every step is in the
audit trail): three published inspection items of the market department, and one
ad-hoc task on two of them, stratified by credit class, whose candidates are frozen
and drawn at a ceremony with a witness. The task is public and its selected list is
published with the notice, so the portal shows the task, its manifest and the
candidate list that ``verify_draw.py`` checks. The demo inspector then enters the
checks of the first twelve firms drawn (two with a problem ordered corrected) and the
demo approver approves and publishes eight of them, so the dashboard has checks to
count and the portal results to show; four wait in the approver's queue. Idempotent:
nothing is added when the county already has items.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import InspectionItem, VersionStatus
from catalog.services import VersionData, do_create_item, do_publish
from directory.models import Target
from draws.models import Draw, Task
from orgs.models import DepartmentKind, Organisation

TASK_NAME = "{year}年食品经营者“双随机”抽查（演示）"

ITEMS = [
    {
        "field": "食品安全",
        "name": "食品经营者监督检查",
        "sub_item": "经营场所与贮存条件",
        "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
        "object_type": "食品经营者",
        "content": "经营场所环境卫生、食品贮存条件、进货查验记录",
        "methods": ["onsite", "written"],
        "category": "key",
        "ratio_min": Decimal("0.05"),
        "ratio_max": None,
        "frequency": "每年不少于1次",
        "points": [
            ("经营场所是否保持清洁", "onsite", "有积水、污垢或有害生物痕迹"),
            ("是否建立进货查验记录", "written", "无记录或记录不全"),
        ],
    },
    {
        "field": "食品安全",
        "name": "食品经营许可情况检查",
        "sub_item": "许可证件与经营项目",
        "legal_basis": "《食品经营许可和备案管理办法》",
        "object_type": "食品经营者",
        "content": "是否持证经营、经营项目是否超出许可范围",
        "methods": ["onsite"],
        "category": "key",
        "ratio_min": Decimal("0.05"),
        "ratio_max": None,
        "frequency": "每年不少于1次",
        "points": [("是否在醒目位置公示许可证", "onsite", "未公示或证件过期")],
    },
    {
        "field": "企业信息公示",
        "name": "企业公示信息情况检查",
        "sub_item": "年度报告公示信息",
        "legal_basis": "《企业信息公示暂行条例》第十三条",
        "object_type": "企业",
        "content": "年度报告公示信息的真实性",
        "methods": ["written", "online"],
        "category": "general",
        "ratio_min": Decimal("0.05"),
        "ratio_max": Decimal("0.10"),
        "frequency": "每年1次",
        "points": [("年度报告所填住所与登记是否一致", "written", "不一致")],
    },
]

#: Share drawn per credit class: higher risk, more checks (all at or above the items' 5% floor).
RATIOS = {"A": "0.05", "B": "0.05", "C": "0.1", "D": "0.2"}
WITNESS = ("王某", "县纪委监委派驻纪检监察组", "县纪委监委")
INPUTS = [("见证人王某", "27 3 15 8 41"), ("现场掷骰", "4 6 1")]
#: Twelve checks are entered, the first eight published; every sixth found a problem.
ENTERED = 12
PUBLISHED = 8
PROBLEMS_EVERY = 6
#: What ``ensure_scenario`` reports when it adds nothing.
NOTHING = {"items": 0, "drawn": 0, "records": 0, "published": 0}


def ensure_scenario(county: Organisation) -> dict[str, Any]:
    """Create the demo items, the drawn task and its checks in ``county``, all or nothing (nothing when
    it has items already, or no firms)."""
    if InspectionItem.objects.filter(organisation=county).exists():
        return dict(NOTHING)
    if not Target.objects.filter(organisation=county).exists():
        return dict(NOTHING)
    with transaction.atomic():
        return _scenario(county)


def _scenario(county: Organisation) -> dict[str, Any]:
    from draws import services

    market = county.departments.get(kind=DepartmentKind.MARKET)
    organiser = User.objects.get(username="organiser")
    versions = []
    for spec in ITEMS:
        fields = {k: v for k, v in spec.items() if k != "points"}
        points = [{"text": t, "method": m, "finding_criteria": f} for t, m, f in spec["points"]]
        item = do_create_item(organiser, county, market, VersionData(fields=fields, checkpoints=points))
        version = item.versions.get(status=VersionStatus.DRAFT)
        versions.append(do_publish(organiser, version))
    today = timezone.localdate()
    task = services.do_create_task(
        organiser,
        organisation=county,
        department=market,
        name=TASK_NAME.format(year=today.year),
        scope={"statuses": ["active", "operating"]},
        params={
            "parts": [
                {
                    "name": "main",
                    "method": "uniform",
                    "overall": None,
                    "strata": [{"stratum": c, "ratio": r} for c, r in RATIOS.items()],
                    "recent": "keep",
                }
            ]
        },
        stratify_by="credit_class",
        items=[v.pk for v in versions[:2]],
        window_start=today,
        window_end=today + dt.timedelta(days=60),
    )
    draw = services.do_commit(task, organiser)
    draw = services.do_draw(draw, organiser, [services.WitnessIn(*WITNESS)], INPUTS)
    records, published = _checks(task, draw)
    return {"items": len(versions), "drawn": draw.selected, "records": records, "published": published, "task": task}


def _checks(task: Task, draw: Draw) -> tuple[int, int]:
    """The first twelve visits entered by the demo inspector; eight approved and published."""
    from catalog.models import CheckPoint
    from inspections import services as checks
    from inspections.models import Outcome, ResultCategory

    inspector = User.objects.filter(username="inspector", inspector__isnull=False).first()
    approver = User.objects.filter(username="approver").first()
    if inspector is None or approver is None:
        return 0, 0
    items = list(task.items.all())
    points = list(CheckPoint.objects.filter(version__in=items).order_by("pk"))
    selections = list(draw.selections.filter(target__isnull=False).order_by("position")[:ENTERED])
    entered = published = 0
    for n, selection in enumerate(selections, start=1):
        problem = n % PROBLEMS_EVERY == 0
        category = ResultCategory.CORRECTED if problem else ResultCategory.NO_PROBLEM
        findings = {p.pk: (Outcome.OK, "") for p in points}
        if problem:
            findings[points[0].pk] = (Outcome.PROBLEM, "进货查验记录不全，已当场责令改正")
        record, _created = checks.do_submit_record(
            inspector,
            checks.Submission(
                task=task,
                target_key=selection.key,
                idempotency_key=f"demo-{task.pk}-{selection.position}",
                checked_on=timezone.localdate(),
                categories={v.pk: (category if v == items[0] else ResultCategory.NO_PROBLEM) for v in items},
                findings=findings,
                methods=["onsite"],
                item_ids=[v.pk for v in items],
                place=selection.target.address[:200] if selection.target else "",
                signature_kind="missing",
                signature_missing_reason="演示数据：未采集签字",
            ),
        )
        entered += 1
        if n <= PUBLISHED:
            checks.do_approve_record(approver, record)
            checks.do_publish_record(approver, record)
            published += 1
    return entered, published
