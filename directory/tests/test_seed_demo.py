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
    call_command("seed_demo", "--firms", "50", "--quiet", "--seed", "7", stdout=StringIO())
    first = list(Target.objects.order_by("key").values_list("key", "name", "credit_class"))
    Target.objects.all().delete()
    call_command("seed_demo", "--firms", "50", "--quiet", "--seed", "7", stdout=StringIO())
    assert list(Target.objects.order_by("key").values_list("key", "name", "credit_class")) == first
