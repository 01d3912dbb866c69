import pytest
from tests.browser.pages import analysis_question_of
pytestmark = pytest.mark.browser

def test_shots(site):
    site.login("analyst")
    for t in ["single", "multiple", "number", "matrix", ""]:
        analysis_question_of(t)(site)
        site.page.wait_for_timeout(1500)
        charts = site.page.locator(".chart-figure")
        for i in range(min(charts.count(), 2)):
            charts.nth(i).screenshot(path=f"/tmp/wt37-{t or 'overview'}-{i}.png")
        if not t:
            site.page.locator(".headline").screenshot(path="/tmp/wt37-headline.png")
