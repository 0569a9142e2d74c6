import re

from django.utils import timezone

from directory.models import Target
from draws import services
from draws.models import Draw, Selection


def firm_key(org, i: int) -> str:
    """An 18-character key unique per organisation and index (the engine needs no check character)."""
    return f"91411722MA{org.pk % 100:02d}{i:06d}"


def make_firms(org, n=200, classes="AABBBBBCCD"):
    """n firms with distinct keys (draws key by string, any printable key serves the engine)."""
    rows = []
    for i in range(n):
        rows.append(
            Target(
                organisation=org,
                key=firm_key(org, i),
                name=f"测试企业{i}",
                credit_class=classes[i % len(classes)],
                complaint_count=7 if i % 50 == 0 else 0,
            )
        )
    Target.objects.bulk_create(rows)
    return rows


def params(ratio="0.1", method="uniform"):
    return {"parts": [{"name": "main", "method": method, "overall": {"ratio": ratio}, "strata": [], "recent": "keep"}]}


def class_params(ratios, method="weighted"):
    strata = [{"stratum": c, "ratio": r} for c, r in ratios.items()]
    return {"parts": [{"name": "main", "method": method, "overall": None, "strata": strata, "recent": "keep"}]}


def make_task(world, user=None, **extra):
    user = user or world.users["coordinator"]
    fields = {
        "organisation": world.county,
        "department": world.market,
        "name": "2026年食品经营者随机抽查",
        "scope": {},
        "params": params(),
        "stratify_by": "none",
    }
    fields.update(extra)
    return services.do_create_task(user, **fields)


WITNESSES = [services.WitnessIn("李某", "纪检监察", "县纪委监委派驻纪检组")]
INPUTS = [("见证人甲", "3 1 4 1 5"), ("骰子", "6 2 3")]

#: The ceremony page's form with one witness and one input, as posted.
CEREMONY_FORM = {
    "w-TOTAL_FORMS": "1",
    "w-INITIAL_FORMS": "0",
    "w-0-name": "王某",
    "w-0-role": "人大代表",
    "i-TOTAL_FORMS": "1",
    "i-INITIAL_FORMS": "0",
    "i-0-label": "见证人",
    "i-0-value": "9 3 1 9",
}


def make_draw(task, user, number, targets, pool=None, state="drawn"):
    """A draw stored as drawn (or voided) with these targets selected, without a ceremony: for tests
    of what comes after a draw (records, matching, statistics)."""
    draw = Draw.objects.create(
        task=task,
        number=number,
        state=state,
        pool_size=pool if pool is not None else len(targets),
        pool_digest="0" * 64,
        candidates_file="x",
        params_digest="0" * 64,
        commitment="0" * 64,
        secret="0" * 64,
        announcement="a",
        committed_by=user,
        committed_at=timezone.now(),
    )
    for pos, target in enumerate(targets, start=1):
        Selection.objects.create(draw=draw, position=pos, key=target.key, target=target)
    draw.selected = len(targets)
    draw.save(update_fields=["selected"])
    return draw


def new_ratio_task(page, world, name: str) -> str:
    """Create a task drawing 10% of the county's firms through the task form; its page's URL."""
    page.goto("/tasks/new/")
    page.fill("input[name=name]", name)
    page.select_option("select[name=department]", str(world.market.pk))
    page.select_option("select[name=allocation]", "ratio")
    page.fill("input[name=ratio]", "10%")
    page.click("[data-testid=task-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/tasks/\d+/$"))
    return page.url


def fill_ceremony(page, numbers: str) -> None:
    """One witness and one witness input on the task page, then run the draw."""
    page.fill("input[name=w-0-name]", "王某")
    page.fill("input[name=w-0-role]", "纪检监察")
    page.fill("input[name=i-0-label]", "见证人")
    page.fill("input[name=i-0-value]", numbers)
    page.click("[data-testid=run-draw]")
