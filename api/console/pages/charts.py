"""The data behind the dashboard charts, as JSON for the ECharts script (served from the
project's own npm copy, never a CDN): the finance department's city, or every city for the
auditor. Each answers only whom its page opens for, with that page's refusal otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from api.console import dashboard, gates, i18n, lists, session
from api.console.gates import Gate
from api.console.pages.rendering import denied, login_redirect, runtime_of
from chain.errors import LedgerError
from chain.paths import NODE_MODULES

router = APIRouter(include_in_schema=False)
#: Scripts from npm packages the console serves (package.json pins their versions).
VENDOR = {"echarts.min.js": NODE_MODULES / "echarts" / "dist" / "echarts.common.min.js"}


@router.get("/console/static/vendor/{name}")
def vendor(name: str) -> Response:
    path = VENDOR.get(name)
    if path is None or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


def _charts(request: Request, gate: Gate, city_of_user: bool) -> Response:
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    lang = i18n.lang_of(request)
    try:
        gate(user)
    except LedgerError as exc:
        return denied(request, lang, user, exc)
    with lists.reading(request) as store:
        board = dashboard.build(store, user.city_code if city_of_user else None)
    return JSONResponse(dashboard.chart_data(board, lang, cities=not city_of_user))


@router.get("/console/finance/charts.json")
def finance_charts(request: Request) -> Response:
    return _charts(request, gates.finance, city_of_user=True)


@router.get("/console/auditor/charts.json")
def auditor_charts(request: Request) -> Response:
    return _charts(request, gates.auditor, city_of_user=False)
