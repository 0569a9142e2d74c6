"""The demo generator: a whole county with valid identifiers, users of every role, firms and inspectors."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Role, User
from core.audit import verify_chain
from core.uscc import validate_entity_id
from directory.models import Inspector, Target


def test_it_creates_a_demo_county_with_valid_identifiers_and_prints_passwords_once(db):
    out = StringIO()
    call_command("seed_demo", "--firms", "500", "--quiet", stdout=out)
    text = out.getvalue()
    for role in Role.values:
        user = User.objects.get(roles__role=role)
        password = next(line.split()[1] for line in text.splitlines() if line.strip().startswith(user.username + " "))
        assert user.check_password(password)
    shangcai = Target.objects.filter(organisation__name="上蔡县")
    assert shangcai.count() == 500
    assert Target.objects.filter(organisation__name="西平县").count() == 50
    for target in Target.objects.all():
        normalised, kind = validate_entity_id(target.key)
        assert normalised == target.key
    classes = set(shangcai.values_list("credit_class", flat=True))
    assert classes == {"A", "B", "C", "D"}
    assert shangcai.filter(abnormal_operation=True).exists()
    assert shangcai.filter(complaint_count__gt=0).exists()
    assert Inspector.objects.filter(certificate_no__regex=r"^\d{14}$").count() == Inspector.objects.count() > 0
    assert Inspector.objects.filter(expertise__isnull=False).distinct().count() == Inspector.objects.count()
    assert verify_chain().ok

    again = StringIO()
    call_command("seed_demo", "--firms", "500", "--quiet", stdout=again)
    assert "passwords are shown only now" not in again.getvalue()
    assert Target.objects.count() == 550


def test_it_is_reproducible_from_its_seed(db):
    call_command("seed_demo", "--firms", "50", "--quiet", "--seed", "7", "--no-draw", stdout=StringIO())
    first = list(Target.objects.order_by("key").values_list("key", "name", "credit_class"))
    Target.objects.all().delete()
    call_command("seed_demo", "--firms", "50", "--quiet", "--seed", "7", "--no-draw", stdout=StringIO())
    assert list(Target.objects.order_by("key").values_list("key", "name", "credit_class")) == first


def test_it_adds_a_published_item_list_and_a_witnessed_draw_anyone_can_verify(db, client, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings
    from django.core.files.storage import default_storage

    from catalog.models import ItemVersion, VersionStatus
    from draws.models import Draw, DrawState, Task

    out = StringIO()
    call_command("seed_demo", "--firms", "500", "--quiet", stdout=out)
    assert ItemVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == 3
    task = Task.objects.get()
    draw = Draw.objects.get(task=task)
    assert draw.state == DrawState.DRAWN and draw.selected == draw.selections.count() > 0
    assert f"{draw.selected} firms selected" in out.getvalue()
    assert task.items.count() == 2 and draw.witnesses.count() == 1
    # The published manifest and the frozen list reproduce the selection with the stdlib verifier.
    manifest, candidates = tmp_path / "m.json", tmp_path / "c.csv"
    manifest.write_text(draw.manifest, encoding="utf-8")
    with default_storage.open(draw.candidates_file, "rb") as fh:
        candidates.write_bytes(fh.read())
    verifier = Path(settings.BASE_DIR) / "verify_draw.py"
    command = [sys.executable, str(verifier), str(manifest), str(candidates)]
    proc = subprocess.run(command, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout + proc.stderr
    assert verify_chain().ok
    # The public portal lists the task; the coordinator's dashboard counts its items and drawn firms.
    assert task.name in client.get("/portal/tasks/").content.decode()

    client.force_login(User.objects.get(username="coordinator"))
    page = client.get("/oversight/").content.decode()
    assert f'data-testid="n-drawn">{draw.selected}<' in page
    assert 'data-testid="n-items_covered">2<' in page and 'data-testid="n-items_listed">3<' in page
    # Twelve checks entered by the demo inspector (谁检查谁录入), eight approved and published.
    from inspections.models import Record, RecordState, Result

    records = Record.objects.filter(task=task)
    assert records.count() == 12 and records.filter(state=RecordState.PUBLISHED).count() == 8
    assert set(records.values_list("entered_by__username", flat=True)) == {"inspector"}
    assert records.filter(state=RecordState.SUBMITTED).count() == 4
    assert Result.objects.filter(record__task=task, category="ordered_to_correct").count() == 2
    assert 'data-testid="n-checked">12<' in page and 'data-testid="n-published">8<' in page
    published_key = records.filter(state=RecordState.PUBLISHED).values_list("target__key", flat=True).first()
    assert "未发现问题" in client.get(f"/portal/firms/{published_key}/").content.decode()
    # Run again: nothing more is added.
    call_command("seed_demo", "--firms", "500", "--quiet", stdout=StringIO())
    assert Task.objects.count() == 1 and ItemVersion.objects.count() == 3 and records.count() == 12


def test_no_draw_leaves_out_the_item_list_and_the_draw(db):
    from catalog.models import InspectionItem
    from draws.models import Task

    call_command("seed_demo", "--firms", "50", "--quiet", "--no-draw", stdout=StringIO())
    assert Target.objects.count() == 60
    assert not InspectionItem.objects.exists() and not Task.objects.exists()
