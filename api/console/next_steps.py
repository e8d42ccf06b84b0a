"""What to do next after the contract refused a write, in the page's language, from the
arguments of its error (a timestamp in Beijing time, a count): the sentence that follows
the error catalogue's, so no one reads raw revert text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from api.console import money

NEXT_STEPS: dict[str, dict[str, str]] = {
    "zh": {
        "NoticeWindowOpen": "公示期至 {noticeEndsAt} 结束，届时可发证。",
        "NoticeWindowClosed": "公示期已于 {noticeEndsAt} 结束。",
        "ObjectionsOpen": "尚有 {count} 项异议未处理，处理完毕后方可发证。",
        "AssetPledged": "请先由质权银行解除质押。",
        "ReviewsIncomplete": "请等待主管部门和数据管理部门都审核通过后再审批。",
        "NoSchedule": "请财政部门先为该资产设定收益分配方案。",
        "CertificateNotActive": "如需继续使用，请向登记机构申请重新登记或续期。",
        "AlreadyReviewed": "无需重复审核。",
        "AlreadyRemitted": "无需重复确认。",
        "AlreadyRecognised": "无需重复认可。",
        "PaidUseNotApproved": "请先申请有偿使用并等待审批通过。",
        "WrongCity": "此操作须由城市 {expected} 的机构办理。",
        "OrgInactive": "请联系所在城市的登记机构重新启用本单位。",
        "IllegalTransition": "请刷新页面查看该资产的当前状态。",
    },
    "en": {
        "NoticeWindowOpen": "The notice period ends {noticeEndsAt}; the certificate can be "
        "issued then.",
        "NoticeWindowClosed": "The notice period ended {noticeEndsAt}.",
        "ObjectionsOpen": "{count} objection(s) are still open; resolve them first.",
        "AssetPledged": "Have the pledgee bank release the pledge first.",
        "ReviewsIncomplete": "Wait until both the competent department and the data "
        "administration have approved.",
        "NoSchedule": "Have the finance department set a revenue schedule first.",
        "CertificateNotActive": "Ask the registrar to renew or register it again.",
        "AlreadyReviewed": "Nothing more to do.",
        "AlreadyRemitted": "Nothing more to do.",
        "AlreadyRecognised": "Nothing more to do.",
        "PaidUseNotApproved": "Apply for paid use and wait for the approval first.",
        "WrongCity": "This is done by an organisation of city {expected}.",
        "OrgInactive": "Ask your city's registrar to reactivate your organisation.",
        "IllegalTransition": "Reload the page to see the asset's current status.",
    },
}
UNKNOWN = {"zh": "（错误代码 {name}）", "en": " (error code {name})"}
_ARG = re.compile(r"(\w+)=([^,()\s]+)")


def _shown(lang: str, name: str, value: Any) -> str:
    if name.endswith("At") and str(value).isdigit():
        return money.beijing(int(str(value)), lang)
    return str(value)


def step(lang: str, name: str, args: Mapping[str, Any]) -> str:
    """The next-step sentence for a revert ``name`` with ``args`` ('' when none is known
    or an argument it names is missing)."""
    template = NEXT_STEPS.get(lang, NEXT_STEPS["en"]).get(name)
    if template is None:
        return ""
    try:
        return template.format(**{k: _shown(lang, k, v) for k, v in args.items()})
    except (KeyError, IndexError):
        return ""


def args_of(detail: str | None) -> dict[str, str]:
    """The ``name=value`` arguments in a recorded revert detail."""
    return dict(_ARG.findall(detail or ""))


def code_note(lang: str, name: str) -> str:
    """The error's code, for a refusal the catalogue has no sentence for."""
    return UNKNOWN.get(lang, UNKNOWN["en"]).format(name=name)
