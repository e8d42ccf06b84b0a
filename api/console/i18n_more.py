"""Console strings of the workbench pages added beside the original set (merged into
:data:`api.console.i18n.STRINGS`)."""

from __future__ import annotations

MORE_STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "denied_title": "无权打开此页面",
        "back_home": "返回我的工作台",
    },
    "en": {
        "denied_title": "You may not open this page",
        "back_home": "Back to my workbench",
    },
}
