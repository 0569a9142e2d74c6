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
