"""Pages with 1,000 assets in the store: the holder's, the registrar's and the finance
workbenches and the asset list answer with the assets they should list (their speed is
measured in ``bench/console_pages.py``, not here)."""

from __future__ import annotations

import pytest

from tests.console.conftest import QINGDAO, ConsoleWorld
from tests.console.many_assets import seed_assets


@pytest.fixture(scope="module")
def loaded(console: ConsoleWorld) -> ConsoleWorld:
    holder = console.cast.orgs["holder"]
    seed_assets(console.runtime, console.app.state.indexer_store, holder, QINGDAO)
    return console


@pytest.mark.parametrize("label, path", [
    ("holder", "/console/holder"), ("registrar", "/console/registrar"),
    ("finance", "/console/finance"), ("bank", "/console/assets?q=负载"),
])  # fmt: skip
def test_a_page_lists_the_assets_of_a_store_of_1000(
    loaded: ConsoleWorld, label: str, path: str
) -> None:
    client = loaded.login(label)
    page = client.get(path)
    assert page.status_code == 200, page.text[-500:]
    if label != "finance":  # finance lists certified assets only
        assert "负载测试资源" in page.text
    else:
        assert "负载测试资源" not in page.text


def test_the_registrar_queue_is_counted_and_paged(loaded: ConsoleWorld) -> None:
    """1,000 assets awaiting compliance review: the count says 1,000, the page lists the
    newest 50, the next page the 50 after them, and no page lists them all."""
    client = loaded.login("registrar")
    first = client.get("/console/registrar")
    assert first.status_code == 200
    assert "第 1 / 20 页，共 1000 条" in first.text
    assert 'href="/console/registrar?to_review=2#to-review"' in first.text
    assert "负载测试资源 1000（370200-LD-2025-1000）" in first.text
    assert "负载测试资源 950（" not in first.text
    assert first.text.count('/compliance" class="row-form"') == 50
    second = client.get("/console/registrar?to_review=2&lang=en")
    assert "page 2 of 20, 1000 in all" in second.text
    assert "负载测试资源 950（" in second.text and "负载测试资源 951（" not in second.text
    assert 'href="/console/registrar?to_review=1#to-review"' in second.text
    last = client.get("/console/registrar?to_review=99")  # past the end: the last page
    assert "负载测试资源 1（370200-LD-2025-0001）" in last.text


def _disposal(html: str) -> str:
    start = html.index('id="disposal"')
    return html[start : html.index("</section>", start)]


def test_the_disposal_picker_finds_any_of_1000_assets_by_name_or_code(
    loaded: ConsoleWorld,
) -> None:
    """More than fifty assets to dispose of: the picker pages through all of them and
    finds any one by catalogue code or title, beyond the first page."""
    client = loaded.login("holder")
    section = _disposal(client.get("/console/holder?lang=zh").text)
    assert "第 1 / 20 页，共 1000 条" in section and section.count("<option ") == 50
    assert 'href="/console/holder?dispose_q=&amp;dispose_page=2#disposal"' in section
    last = _disposal(client.get("/console/holder?dispose_page=20").text)
    assert f'<option value="0x{1:064x}">负载测试资源 1（370200-LD-2025-0001）</option>' in last
    by_code = _disposal(client.get("/console/holder?dispose_q=370200-LD-2025-0007").text)
    assert "共 1 条" in by_code and by_code.count("<option ") == 1
    assert f'<option value="0x{7:064x}">' in by_code
    by_name = _disposal(client.get("/console/holder", params={"dispose_q": "负载测试资源 1"}).text)
    assert "第 1 / 3 页，共 112 条" in by_name  # 1, 10-19, 100-199 and 1000
    assert "dispose_q=%E8%B4%9F%E8%BD%BD%E6%B5%8B%E8%AF%95%E8%B5%84%E6%BA%90%201&amp;" in by_name
    third = client.get("/console/holder", params={"dispose_q": "负载测试资源 1", "dispose_page": 3})
    assert f'<option value="0x{1:064x}">' in _disposal(third.text)
    none = _disposal(client.get("/console/holder?dispose_q=no-such-asset").text)
    assert "没有符合条件的可处置资产" in none and "<option " not in none
