"""The demo's scenario as data: the organisations, assets and figures of the notice.

Qingdao registers its transport bureau's "city transport analysis data resource set"
(3 categories, 13 items, batch-registered, then registered as one data asset), values it,
passes compliance, waits out a short public notice and certifies it; Xiamen's registrar
and the Shenzhen data exchange recognise the certificate; paid use passes both reviews
and the finance bureau; the finance bureau sets the worked example's schedule
(DOMAIN.md) and a data merchant pays 80,000, 300,000 and 1,000,000 yuan; the operator
records an off-chain payment whose treasury share awaits remittance; the Bank of
Qingdao takes a pledge of 2,000,000 yuan. Other domains: the ocean bureau's data vault
product, certified and contributed to a new company at 1,000,000 yuan, and the health
commission's statistics set, certified and then disposed of.

Names are Chinese and English, as the console shows them. Amounts are in fen.
"""

from __future__ import annotations

from dataclasses import dataclass

YUAN = 100
DAY = 86_400
QINGDAO, XIAMEN, SHENZHEN = 370200, 350200, 440300

#: The notice window the demo sets for the Qingdao registrar, in seconds. Short, so the
#: demo waits it out for real (the chain's clock is never moved); a registrar in
#: production keeps days.
NOTICE_WINDOW_SECONDS = 20
#: The same on the in-process chain (LEDGER_CHAIN=memory), which mines a block only for a
#: transaction and moves its clock at least a second per block: the demo's writes while
#: the notice runs are what carry its clock past the window's end.
MEMORY_CHAIN_NOTICE_WINDOW_SECONDS = 5
#: The longest notice window the demo accepts when the registry's floor is above the
#: one asked for (a registry deployed for production refuses windows of seconds).
MAX_NOTICE_WINDOW_SECONDS = 600
#: The certificate term the demo sets with the window: three years, the default.
CERTIFICATE_TERM_SECONDS = 3 * 365 * DAY


@dataclass(frozen=True)
class Org:
    """An organisation of the demo: ``label`` is the demo's handle for it."""

    label: str
    kind: str
    city: int
    zh: str
    en: str
    #: who admits it: "consortium" (registrars) or the label of its city's registrar
    admitted_by: str
    role: str = "writer"

    @property
    def name(self) -> str:
        return f"{self.zh} {self.en}"


ORGS: tuple[Org, ...] = (
    Org("qd_registrar", "registrar", QINGDAO, "青岛市数据资产登记评价中心",
        "Qingdao Data Asset Registration and Evaluation Centre", "consortium", "admin"),
    Org("xm_registrar", "registrar", XIAMEN, "厦门市数据资产登记中心",
        "Xiamen Data Asset Registration Centre", "consortium", "admin"),
    Org("sz_registrar", "registrar", SHENZHEN, "深圳市数据资产登记中心",
        "Shenzhen Data Asset Registration Centre", "consortium", "admin"),
    Org("transport", "holder", QINGDAO, "青岛市交通运输局",
        "Qingdao Municipal Transport Bureau", "qd_registrar"),
    Org("ocean", "holder", QINGDAO, "青岛市海洋发展局",
        "Qingdao Ocean Development Bureau", "qd_registrar"),
    Org("health", "holder", QINGDAO, "青岛市卫生健康委员会",
        "Qingdao Municipal Health Commission", "qd_registrar"),
    Org("competent", "competent_dept", QINGDAO, "青岛市交通运输局主管部门",
        "Qingdao Transport Authority (competent department)", "qd_registrar"),
    Org("data_admin", "data_administration", QINGDAO, "青岛市大数据发展管理局",
        "Qingdao Big Data Development Administration", "qd_registrar"),
    Org("finance", "finance_dept", QINGDAO, "青岛市财政局",
        "Qingdao Municipal Finance Bureau", "qd_registrar"),
    Org("operator", "operator", QINGDAO, "青岛公共数据运营有限公司",
        "Qingdao Public Data Operation Co., Ltd.", "qd_registrar"),
    Org("merchant", "merchant", QINGDAO, "海云数据科技有限公司",
        "Haiyun Data Technology Co., Ltd.", "qd_registrar"),
    Org("bank", "bank", QINGDAO, "青岛银行", "Bank of Qingdao", "qd_registrar"),
    Org("auditor", "auditor", QINGDAO, "青岛市审计局", "Qingdao Municipal Audit Bureau",
        "qd_registrar"),
    Org("sz_exchange", "exchange", SHENZHEN, "深圳数据交易所", "Shenzhen Data Exchange",
        "sz_registrar"),
)  # fmt: skip

ORG_BY_LABEL = {o.label: o for o in ORGS}


@dataclass(frozen=True)
class Asset:
    label: str
    holder: str
    catalogue_code: str
    domain_code: int
    zh: str
    en: str
    value_fen: int
    #: valuation method code (1 cost, 2 income, 3 market)
    method_code: int

    def metadata(self, **extra: object) -> dict[str, object]:
        return {"title": self.en, "title_zh": self.zh, **extra}


#: The resource set: 3 categories, 13 items (one data resource each).
RESOURCE_SET_CATEGORIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("公共交通", "public transport", (
        ("公交车辆GPS轨迹", "bus GPS traces"),
        ("公交线路与站点", "bus routes and stops"),
        ("地铁客流统计", "metro passenger flow"),
        ("出租车运营记录", "taxi operation records"),
        ("公交刷卡汇总", "bus card tap totals"),
    )),
    ("道路交通", "road traffic", (
        ("路口流量监测", "junction traffic counts"),
        ("道路拥堵指数", "road congestion index"),
        ("交通事故统计", "traffic accident statistics"),
        ("停车场泊位", "car park occupancy"),
    )),
    ("综合交通", "integrated transport", (
        ("港口集疏运", "port collection and distribution"),
        ("机场客流", "airport passenger flow"),
        ("共享单车订单汇总", "shared bicycle trip totals"),
        ("交通出行OD分析", "origin-destination travel analysis"),
    )),
)  # fmt: skip
RESOURCE_SET_ITEMS = sum(len(items) for _, _, items in RESOURCE_SET_CATEGORIES)

MAIN = Asset("resource_set", "transport", "370200-JT-2025-0001", 7, "城市交通分析数据资源集",
             "city transport analysis data resource set", 12_500_000 * YUAN, 2)
VAULT = Asset("data_vault", "ocean", "370200-HY-2025-0001", 11, "海洋数据保险箱产品",
              "ocean data vault product", 1_000_000 * YUAN, 1)
HEALTH = Asset("health_stats", "health", "370200-WS-2025-0001", 3, "公共卫生统计数据集",
               "public health statistics data set", 800_000 * YUAN, 1)
ASSETS: tuple[Asset, ...] = (MAIN, VAULT, HEALTH)


def batch_items() -> list[dict[str, object]]:
    """The 13 items of the resource set, as the body of ``POST /v1/assets/batches``."""
    items: list[dict[str, object]] = []
    n = 0
    for c, (cat_zh, cat_en, entries) in enumerate(RESOURCE_SET_CATEGORIES, start=1):
        for zh, en in entries:
            n += 1
            items.append({
                "catalogue_code": f"370200-JT-2025-0001-{c:02d}-{n:02d}",
                "domain_code": MAIN.domain_code,
                "metadata": {"title": en, "title_zh": zh, "category": cat_en,
                             "category_zh": cat_zh, "set": MAIN.catalogue_code},
            })  # fmt: skip
    return items


# -- revenue: DOMAIN.md's worked example -------------------------------------------------
SCHEDULE_LOWER_BOUNDS = [0, 100_000 * YUAN, 500_000 * YUAN]
SCHEDULE_OPERATOR_BPS = [2_000, 3_500, 5_000]
#: (amount, operator share, treasury share), fen
PAYMENTS: tuple[tuple[int, int, int], ...] = (
    (80_000 * YUAN, 16_000 * YUAN, 64_000 * YUAN),
    (300_000 * YUAN, 90_000 * YUAN, 210_000 * YUAN),
    (1_000_000 * YUAN, 410_000 * YUAN, 590_000 * YUAN),
)
#: the operator's off-chain payment, its treasury share awaiting remittance
OFFCHAIN_PAYMENT = (300_000 * YUAN, 90_000 * YUAN, 210_000 * YUAN)
OFFCHAIN_BANK_REF = "BOQ-20251125-0001"
MERCHANT_FUNDS = 2_000_000 * YUAN

PLEDGE_FEN = 2_000_000 * YUAN
EQUITY_FEN = 1_000_000 * YUAN
