"""Tasks and the draw ceremony: validation, commitment, one run only, voiding, verification."""

import importlib.util
import json
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from core.audit import verify_chain
from core.models import AuditEntry
from draws import services
from draws.models import Draw, DrawState, Selection, Task, TaskState, Witness
from draws.tests.helpers import INPUTS, WITNESSES, class_params, firm_key, make_firms, make_task, params

ROOT = Path(settings.BASE_DIR)


def load_verifier():
    spec = importlib.util.spec_from_file_location("verify_draw", ROOT / "verify_draw.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify(draw: Draw, tmp_path) -> tuple[int, str]:
    import subprocess
    import sys

    m = tmp_path / "m.json"
    c = tmp_path / "c.csv"
    m.write_text(draw.manifest, encoding="utf-8")
    with default_storage.open(draw.candidates_file, "rb") as fh:
        c.write_bytes(fh.read())
    proc = subprocess.run(
        [sys.executable, str(ROOT / "verify_draw.py"), str(m), str(c)], capture_output=True, text=True
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_it_refuses_a_ratio_under_five_percent(world):
    with pytest.raises(services.WorkflowError) as exc:
        make_task(world, params=params("0.04"))
    assert exc.value.code == "ratio_too_low" and "5%" in exc.value.message_zh
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "extra, code",
    [
        ({"scope": {"colour": ["red"]}}, "bad_scope"),
        ({"scope": {"credit_classes": ["E"]}}, "bad_scope"),
        ({"weights": {"class": {"A": -1}}}, "bad_weights"),
        ({"weights": {"class": {"A": 0}}}, "bad_weights"),
        ({"params": {"parts": []}}, "bad_params"),
        ({"params": params("1.5")}, None),
    ],
)
def test_it_refuses_bad_task_definitions_and_stores_nothing(world, extra, code):
    with pytest.raises(services.WorkflowError) as exc:
        make_task(world, **extra)
    if code:
        assert exc.value.code == code
    assert exc.value.message_zh and exc.value.message_en
    assert not Task.objects.exists()


def test_a_department_of_another_organisation_is_refused(world):
    with pytest.raises(services.WorkflowError):
        make_task(world, department=world.other_market)


def test_an_inspector_cannot_create_a_task(world):
    with pytest.raises(services.WorkflowError) as exc:
        make_task(world, user=world.users["inspector"])
    assert exc.value.status == 403


def test_commit_freezes_the_pool_and_publishes_a_commitment_but_not_the_secret(world):
    make_firms(world.county, 200)
    make_firms(world.other_county, 50)
    task = make_task(world)
    draw = services.do_commit(task, world.users["coordinator"])
    assert draw.pool_size == 200  # only the task's own organisation
    announcement = json.loads(draw.announcement)
    assert announcement["commitment"] == draw.commitment
    assert draw.secret not in draw.announcement
    with default_storage.open(draw.candidates_file, "rb") as fh:
        body = fh.read().decode()
    assert body.startswith("key,stratum,weight,recent,forced,excluded\n")
    task.refresh_from_db()
    assert task.state == TaskState.ANNOUNCED
    with pytest.raises(services.WorkflowError) as exc:
        services.do_commit(task, world.users["coordinator"])
    assert exc.value.status == 409


def test_commit_refuses_an_impossible_design_before_anything_is_stored(world):
    make_firms(world.county, 10)
    task = make_task(world, params={"parts": [{"name": "main", "method": "uniform", "overall": {"count": 50}}]})
    with pytest.raises(services.WorkflowError):
        services.do_commit(task, world.users["coordinator"])
    assert not Draw.objects.exists()


def test_an_empty_scope_is_refused(world):
    task = make_task(world, scope={"credit_classes": ["D"]})
    with pytest.raises(services.WorkflowError) as exc:
        services.do_commit(task, world.users["coordinator"])
    assert exc.value.code == "empty_pool"


def test_the_ceremony_draws_once_and_the_stdlib_verifier_reproduces_it(world, tmp_path):
    make_firms(world.county, 200)
    task = make_task(
        world,
        params=class_params({"A": "0.1", "B": "0.1", "C": "0.3", "D": "0.5"}),
        stratify_by="credit_class",
        weights={"class": {"A": 1, "B": 2, "C": 4, "D": 8}},
        force_complaints=5,
    )
    draw = services.do_commit(task, world.users["coordinator"])
    draw = services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    assert draw.state == DrawState.DRAWN
    sel = list(draw.selections.order_by("position"))
    assert [s.position for s in sel] == list(range(1, len(sel) + 1))
    assert len({s.key for s in sel}) == len(sel)
    forced = {s.key for s in sel if s.forced == "complaint"}
    assert forced == {firm_key(world.county, i) for i in range(0, 200, 50)}
    assert all(s.target_id for s in sel)
    assert Witness.objects.get(draw=draw).role == "纪检监察"
    manifest = json.loads(draw.manifest)
    assert manifest["secret"] == draw.secret
    assert manifest["seed"] == draw.seed
    code, out = verify(draw, tmp_path)
    assert code == 0 and "OK" in out
    with pytest.raises(services.WorkflowError) as exc:
        services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    assert exc.value.status == 409
    assert draw.selections.count() == len(sel)
    draw.refresh_from_db()
    assert draw.selected == len(sel) > 0  # the count the oversight figures read
    assert verify_chain().ok


def test_the_same_inputs_give_the_same_selection_but_a_new_commitment_gives_another(world):
    make_firms(world.county, 300)
    task = make_task(world)
    first = services.do_draw(
        services.do_commit(task, world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    keys1 = list(first.selections.values_list("key", flat=True))
    services.do_request_void(first, world.users["coordinator"], "见证人未到场，重新抽取")
    services.do_approve_void(first, world.users["approver"])
    second = services.do_draw(
        services.do_commit(task, world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    keys2 = list(second.selections.values_list("key", flat=True))
    # Fresh secret, fresh seed: the same witness numbers do not repeat the selection.
    assert first.seed != second.seed and keys1 != keys2
    assert Draw.objects.filter(task=task).count() == 2
    assert Draw.objects.get(pk=first.pk).state == DrawState.VOIDED
    assert Selection.objects.filter(draw=first).count() == len(keys1)  # the void keeps its result visible


def test_a_bad_witness_input_stores_nothing(world):
    make_firms(world.county, 50)
    draw = services.do_commit(make_task(world), world.users["coordinator"])
    with pytest.raises(services.WorkflowError) as exc:
        services.do_draw(draw, world.users["coordinator"], WITNESSES, [("见证人", "12; DROP TABLE")])
    assert exc.value.status == 422
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and not draw.seed
    assert not Selection.objects.exists() and not Witness.objects.exists()
    with pytest.raises(services.WorkflowError):
        services.do_draw(draw, world.users["coordinator"], [], INPUTS)


def test_an_altered_candidate_file_stops_the_ceremony(world):
    make_firms(world.county, 50)
    draw = services.do_commit(make_task(world), world.users["coordinator"])
    with default_storage.open(draw.candidates_file, "rb") as fh:
        data = fh.read()
    default_storage.delete(draw.candidates_file)
    lines = data.decode().splitlines()
    default_storage.save(draw.candidates_file, ContentFile(("\n".join(lines[:-1]) + "\n").encode()))
    with pytest.raises(services.WorkflowError):
        services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_voiding_needs_a_reason_and_a_different_approver(world):
    make_firms(world.county, 50)
    draw = services.do_draw(
        services.do_commit(make_task(world), world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    with pytest.raises(services.WorkflowError):
        services.do_request_void(draw, world.users["coordinator"], "")
    with pytest.raises(services.WorkflowError) as exc:
        services.do_approve_void(draw, world.users["approver"])
    assert exc.value.code == "no_request"
    services.do_request_void(draw, world.users["coordinator"], "抽取时网络中断")
    with pytest.raises(services.WorkflowError) as exc:
        services.do_approve_void(draw, world.users["coordinator"])
    assert exc.value.status == 403
    services.do_approve_void(draw, world.users["approver"])
    draw.refresh_from_db()
    assert draw.state == DrawState.VOIDED and draw.void_reason == "抽取时网络中断"
    assert AuditEntry.objects.filter(object_type="draws.Draw", reason="抽取时网络中断").exists()


def test_the_verifier_module_agrees_with_the_engine(world, tmp_path):
    make_firms(world.county, 120)
    draw = services.do_draw(
        services.do_commit(make_task(world, params=params("0.2", "weighted")), world.users["coordinator"]),
        world.users["coordinator"],
        WITNESSES,
        INPUTS,
    )
    code, out = verify(draw, tmp_path)
    assert code == 0, out
    tampered = json.loads(draw.manifest)
    tampered["result"] = json.loads(
        json.dumps(tampered["result"]).replace(draw.selections.first().key, "91000000MA00000000", 1)
    )
    (tmp_path / "m.json").write_text(json.dumps(tampered), encoding="utf-8")
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(ROOT / "verify_draw.py"), str(tmp_path / "m.json"), str(tmp_path / "c.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_organisers_starting_the_same_draw_at_once_exactly_one_succeeds(world_tx):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SKIPPED on SQLite: the concurrent-ceremony test needs PostgreSQL (run by `make test` when it answers)"
        )
    world = world_tx
    make_firms(world.county, 300)
    draw = services.do_commit(make_task(world), world.users["coordinator"])
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(user):
        from django.db import connection as conn

        try:
            barrier.wait()
            services.do_draw(draw, user, WITNESSES, INPUTS)
            results.append("ok")
        except services.WorkflowError as exc:
            results.append(exc.code)
        finally:
            conn.close()

    threads = [threading.Thread(target=attempt, args=(world.users[r],)) for r in ("coordinator", "organiser")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_drawn", "ok"]
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN
    assert Witness.objects.filter(draw=draw).count() == 1


def test_the_ceremony_gives_the_same_result_without_the_stored_digests(world, tmp_path):
    make_firms(world.county, 120)
    first = services.do_commit(make_task(world), world.users["coordinator"])
    default_storage.delete(services._digests_path(first.candidates_file))
    drawn = services.do_draw(first, world.users["coordinator"], WITNESSES, INPUTS)
    code, out = verify(drawn, tmp_path)
    assert code == 0, out


def test_a_stale_stored_digest_is_refused_at_commit(world):
    make_firms(world.county, 50)
    from directory.models import Target

    Target.objects.filter(pk=Target.objects.order_by("key").first().pk).update(draw_digest=12345)
    with pytest.raises(services.WorkflowError) as exc:
        services.do_commit(make_task(world), world.users["coordinator"])
    assert exc.value.code == "stale_digest"


@pytest.mark.parametrize("count", [1, 4])
def test_the_stored_selection_is_the_manifest_in_order_with_strata_reasons_and_directory_links(world, count):
    """One selection and several: the ceremony's single set-based insert (each database's own form)."""
    firms = {t.key: t for t in make_firms(world.county, n=10)}
    overall = {"count": count, "ratio": None}
    task = make_task(
        world,
        params={"parts": [{"name": "main", "method": "uniform", "overall": overall, "strata": [], "recent": "keep"}]},
        force_complaints=5 if count > 1 else None,
    )
    draw = services.do_draw(services.do_commit(task, world.users["coordinator"]), world.users["coordinator"],
                            WITNESSES, INPUTS)  # fmt: skip
    manifest = json.loads(draw.manifest)
    expected = [entry["key"] for entry in manifest["result"]["selected"]]
    rows = list(draw.selections.order_by("position").values_list("position", "key", "target_id", "stratum", "forced"))
    assert [r[1] for r in rows] == expected and [r[0] for r in rows] == list(range(1, len(expected) + 1))
    assert all(target_id == firms[key].pk for _, key, target_id, _, _ in rows)
    assert {r[3] for r in rows} == {"all"}
    if count > 1:  # firm 0 has 7 complaints: forced in, and said so
        assert [r[4] for r in rows if r[1] == firm_key(world.county, 0)] == ["complaint"]
        assert all(r[4] == "" for r in rows if r[1] != firm_key(world.county, 0))
    assert draw.selected == len(rows)


def test_the_selection_is_stored_from_a_second_thread_inside_the_ceremony_transaction(world, monkeypatch):
    """The selection's insert runs beside the manifest's construction, on the same connection: a
    failure of either, or of anything after them, leaves the draw committed with nothing stored."""
    make_firms(world.county, 40)
    user = world.users["coordinator"]
    ran_in = []
    run = services._Beside._run

    def spy(self, sql, params):
        ran_in.append(threading.current_thread().name)
        run(self, sql, params)

    monkeypatch.setattr(services._Beside, "_run", spy)

    def fails(*args, **kwargs):
        raise RuntimeError("after the selection")

    # Something after the insert fails: the rows written by the second thread are rolled back with it.
    draw = services.do_commit(make_task(world), user)
    with monkeypatch.context() as m:
        m.setattr(services.Witness.objects, "bulk_create", fails)
        with pytest.raises(RuntimeError, match="after the selection"):
            services.do_draw(draw, user, WITNESSES, INPUTS)
    assert ran_in == ["suiji-selection"]
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and not Selection.objects.exists() and not Witness.objects.exists()

    # The manifest fails while the insert runs: the insert is waited for, then everything rolled back.
    with monkeypatch.context() as m:
        m.setattr(services.sd, "build_manifest_text", fails)
        with pytest.raises(RuntimeError, match="after the selection"):
            services.do_draw(draw, user, WITNESSES, INPUTS)
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and not Selection.objects.exists()

    # The insert itself fails: its error is raised in the ceremony's thread.
    with monkeypatch.context() as m:
        m.setattr(services, "_selection_statement", lambda *a: ("INSERT INTO no_such_table VALUES (1)", []))
        with pytest.raises(Exception, match="no_such_table"):
            services.do_draw(draw, user, WITNESSES, INPUTS)
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and not Selection.objects.exists()

    # And then the ceremony runs once, whole.
    draw = services.do_draw(draw, user, WITNESSES, INPUTS)
    assert draw.state == DrawState.DRAWN and draw.selections.count() == draw.selected > 0
    assert ran_in[-1] == "suiji-selection"


@pytest.mark.django_db
def test_manifests_are_stored_with_lz4_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("SKIPPED on SQLite: the manifest's compression method is a PostgreSQL setting")
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
    except DatabaseError:
        pytest.skip("SKIPPED: this PostgreSQL server was built without LZ4, so manifests keep pglz")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'draws_draw'::regclass "
            "AND attname IN ('manifest', 'announcement') ORDER BY attname"
        )
        assert cursor.fetchall() == [("announcement", "l"), ("manifest", "l")]
    make_firms(world.county, 40)
    user = world.users["coordinator"]
    draw = services.do_draw(services.do_commit(make_task(world), user), user, WITNESSES, INPUTS)
    stored = Draw.objects.get(pk=draw.pk)
    assert stored.manifest == draw.manifest and stored.manifest_digest == draw.manifest_digest
