"""The holder's workbench with 1,000 assets: counted by status, shown fifty a page (newest
first) with previous/next links, and found by title, catalogue code or id on any page;
the disposals waiting are counted and paged the same way."""

from __future__ import annotations

import re

import pytest

from api.console import i18n
from chain.indexer.models import AssetRow
from tests.console.conftest import QINGDAO, ConsoleWorld
from tests.console.many_assets import COUNT, asset_row, seed_assets

#: 1-900 registered, 901-960 in notice, 961-1000 certified with a disposal asked
IN_NOTICE, CERTIFIED = range(901, 961), range(961, COUNT + 1)


def _status(i: int) -> str:
    return "in_notice" if i in IN_NOTICE else "certified" if i in CERTIFIED else "registered"



@pytest.fixture(scope="module")
def loaded(console: ConsoleWorld) -> ConsoleWorld:
    holder = console.cast.orgs["holder"]
    def row(i: int) -> AssetRow:
        return asset_row(i, holder, QINGDAO, status=_status(i), compliance="passed",
                         disposal_requested=i in CERTIFIED)  # fmt: skip

    seed_assets(console.runtime, console.app.state.indexer_store, holder, QINGDAO, row=row)
    return console


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def _listed(html: str) -> list[int]:
    """The assets the workbench's list shows, by number, in order."""
    mine = _section(html, 'id="my-assets"')
    return [int(n, 16) for n in re.findall(r'<tr class="asset-row"><td><a href="/console/assets/'
                                       r'0x([0-9a-f]{64})"', mine)]  # fmt: skip


def test_the_holder_sees_the_counts_and_the_newest_page(loaded: ConsoleWorld) -> None:
    client = loaded.login("holder")
    html = client.get("/console/holder?lang=zh").text
    mine = _section(html, 'id="my-assets"')
    assert "共 1000 项资产" in mine
    for status, n in (("Registered", 900), ("InNotice", 60), ("Certified", 40)):
        label = i18n.status_name("zh", status)
        assert f'data-status="{status}">{label} <span class="badge">{n}</span>' in mine
    assert 'data-status="Disposed"' not in mine  # none: not shown
    assert _listed(html) == list(range(1000, 950, -1))
    assert "第 1 / 20 页，共 1000 条" in mine
    assert 'href="/console/holder?q=&amp;assets_page=2#my-assets"' in mine
    assert "负载测试资源 1000（370200-LD-2025-1000）" in mine
    english = _section(client.get("/console/holder?lang=en").text, 'id="my-assets"')
    assert "1000 assets in all" in english and "page 1 of 20, 1000 in all" in english
    # the disposals waiting (40) are counted in the to-do tab, each listed
    todo = _section(html, 'id="todo"')
    assert todo.count('class="pending-disposal"') == 40
    assert re.search(r'href="#todo">待办 <span class="count">40</span>', html)


def test_page_2_and_the_last_page_hold_the_next_rows(loaded: ConsoleWorld) -> None:
    client = loaded.login("holder")
    second = client.get("/console/holder?assets_page=2&lang=en").text
    assert _listed(second) == list(range(950, 900, -1))
    mine = _section(second, 'id="my-assets"')
    assert "page 2 of 20, 1000 in all" in mine
    assert 'href="/console/holder?q=&amp;assets_page=1#my-assets"' in mine
    assert 'href="/console/holder?q=&amp;assets_page=3#my-assets"' in mine
    last = client.get("/console/holder?assets_page=99&lang=zh").text  # past the end: the last page
    assert _listed(last) == list(range(50, 0, -1))
    assert "第 20 / 20 页，共 1000 条" in last and 'rel="next"' not in _section(last, 'id="my-as')


def test_search_by_name_or_code_finds_an_asset_of_a_later_page(loaded: ConsoleWorld) -> None:
    client = loaded.login("holder")
    by_code = client.get("/console/holder", params={"q": "370200-LD-2025-0007", "lang": "zh"}).text
    assert _listed(by_code) == [7]  # on page 20 of the whole list
    assert "第 1 / 1 页，共 1 条" in _section(by_code, 'id="my-assets"')
    assert 'value="370200-LD-2025-0007"' in by_code
    by_name = client.get("/console/holder", params={"q": "负载测试资源 12"}).text
    assert _listed(by_name) == [129, 128, 127, 126, 125, 124, 123, 122, 121, 120, 12]
    by_id = client.get("/console/holder", params={"q": f"{333:064x}"[-6:]}).text
    assert _listed(by_id) == [333]
    many = client.get("/console/holder", params={"q": "负载测试资源 1"}).text
    mine = _section(many, 'id="my-assets"')
    assert "第 1 / 3 页，共 112 条" in mine  # 1, 10-19, 100-199 and 1000
    query = "q=%E8%B4%9F%E8%BD%BD%E6%B5%8B%E8%AF%95%E8%B5%84%E6%BA%90%201&amp;"
    assert f'href="/console/holder?{query}assets_page=2#my-assets"' in mine
    third = client.get("/console/holder", params={"q": "负载测试资源 1", "assets_page": 3}).text
    assert _listed(third) == [100, *range(19, 9, -1), 1]
    for text in ("no-such-asset", "%", "_"):  # no wildcard: nothing holds these
        none = _section(client.get("/console/holder", params={"q": text, "lang": "zh"}).text,
                        'id="my-assets"')  # fmt: skip
        assert "没有符合条件的资产。" in none and "asset-row" not in none, text
