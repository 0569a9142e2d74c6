"""In a real browser: an organiser runs a witnessed draw, the public page shows the manifest, and the
downloaded verifier reproduces the result from the downloaded files."""

import re
import subprocess
import sys

import pytest

from draws.tests.helpers import fill_ceremony, make_firms, new_ratio_task
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_witnessed_draw_is_verified_from_the_public_page(page, browser, live_server, live_world, tmp_path):
    make_firms(live_world.county, 150)
    sign_in(page, "coordinator")
    new_ratio_task(page, live_world, "浏览器测试任务")
    page.click("[data-testid=commit]")
    commitment = page.locator("[data-testid=commitment]").inner_text()
    assert len(commitment) == 64
    fill_ceremony(page, "3 1 4 1 5 9")
    rows = page.locator("[data-testid=selections] tbody tr")
    rows.first.wait_for()
    assert rows.count() == 15  # ceil(10% of 150)
    public_url = page.locator("a", has_text=re.compile("公开页面|public page")).first.get_attribute("href")

    visitor = browser.new_context(base_url=live_server.url, accept_downloads=True)
    public = visitor.new_page()
    public.goto(public_url)
    assert public.locator("[data-testid=public-commitment]").inner_text() == commitment
    assert public.locator("[data-testid=public-selections] tbody tr").count() == 15
    files = {}
    for testid in ("manifest-link", "candidates-link", "verifier-link"):
        with public.expect_download() as info:
            public.click(f"[data-testid={testid}]")
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        files[testid] = target
    visitor.close()
    proc = subprocess.run(
        [sys.executable, "-I", str(files["verifier-link"]), str(files["manifest-link"]), str(files["candidates-link"])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


def test_a_large_task_is_frozen_and_drawn_by_jobs_whose_page_follows_them(page, live_server, live_world, settings):
    from jobs.runner import claim_next, run_job

    settings.SUIJI_DRAW_JOB_MIN = 100  # this task's 150 firms make it large
    settings.SUIJI_JOBS_EAGER = False  # queued, run below as the worker would run them
    make_firms(live_world.county, 150)
    sign_in(page, "coordinator")
    task_url = new_ratio_task(page, live_world, "后台抽取测试任务")
    page.click("[data-testid=commit]")
    page.wait_for_url(re.compile(r"/draws/jobs/\d+/$"))
    assert page.locator("[data-state=queued]").is_visible()
    assert page.locator("#job-status li").count() == 3  # the steps of a freeze
    run_job(claim_next())
    page.locator("[data-state=done]").wait_for()  # the page asked again by itself
    assert "候选名单已冻结" in page.locator("#job-status").inner_text()
    page.click("#job-status a[role=button]")
    page.wait_for_url(task_url)
    assert len(page.locator("[data-testid=commitment]").inner_text()) == 64
    fill_ceremony(page, "2 7 1 8")
    page.wait_for_url(re.compile(r"/draws/jobs/\d+/$"))
    run_job(claim_next())
    page.locator("[data-state=done]").wait_for()
    page.click("#job-status a[role=button]")
    rows = page.locator("[data-testid=selections] tbody tr")
    rows.first.wait_for()
    assert rows.count() == 15
