"""The portal on a 375 px phone screen: readable, no horizontal scrolling."""

from directory.models import Target


def test_portal_pages_fit_a_phone_screen(browser, live_server, live_world, tmp_path):
    Target.objects.create(
        organisation=live_world.county,
        key="91411722MA9XYZ1234",
        name="上蔡县蔡都街道某某超长名称食品销售有限责任公司第一分公司",
        address="上蔡县蔡都街道人民路中段东侧第一百二十三号附五号",
    )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        for path in ("/portal/", "/portal/firms/?q=上蔡县", "/portal/firms/91411722MA9XYZ1234/", "/portal/data/"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
        page.goto("/portal/")
        page.fill("input[name=q]", "91411722MA9XYZ1234")
        page.click("form[role=search] button")
        page.click("[data-testid=firm] a")
        assert "91411722MA9XYZ1234" in page.inner_text("[data-testid=firm-facts]")
        page.screenshot(path=str(tmp_path / "portal-firm-375.png"), full_page=True)
    finally:
        context.close()
