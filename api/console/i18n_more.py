"""Console strings of the workbench pages added beside the original set (merged into
:data:`api.console.i18n.STRINGS` and :data:`api.console.i18n.STATUS_NAMES`)."""

from __future__ import annotations

MORE_STATUS: dict[str, dict[str, str]] = {
    "zh": {"CertificateRevoked": "证书已撤销", "CertificateExpired": "证书已过期"},
    "en": {"CertificateRevoked": "certificate revoked",
           "CertificateExpired": "certificate expired"},
}

MORE_STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "denied_title": "无权打开此页面",
        "back_home": "返回我的工作台",
        "problem_title": "无法显示此页面",
        "copy": "复制",
        "copied": "已复制",
        "term_months_n": "期限 {n} 个月",
        "asset_list": "数据资产",
        "assets_nav": "资产查询",
        "search_names_help": "名称、目录编码、单位名称或编号",
        "all": "全部",
        "asset_name": "资产名称（目录编码）",
        "holder": "持有单位",
        "registrar": "登记机构",
        "next_page": "下一页",
        "applications": "有偿使用申请",
        "application": "有偿使用申请",
        "payment": "收款记录",
        "cert_revoked_banner": "此证书已撤销，不再有效",
        "recognised_by_label": "互认城市机构",
        "certificate_no": "证书编号",
        "download_pdf": "下载证书 PDF",
        "held_assets": "持有的资产",
        "term_months": "期限（月）",
        "no_applicable_assets": "没有可申请有偿使用的资产：须已发证、证书有效且未质押。",
    },
    "en": {
        "denied_title": "You may not open this page",
        "back_home": "Back to my workbench",
        "problem_title": "This page cannot be shown",
        "copy": "Copy",
        "copied": "Copied",
        "term_months_n": "term {n} months",
        "asset_list": "Data assets",
        "assets_nav": "Assets",
        "search_names_help": "name, catalogue code, organisation or id",
        "all": "all",
        "asset_name": "Asset (catalogue code)",
        "holder": "Holder",
        "registrar": "Registrar",
        "next_page": "Next page",
        "applications": "Paid-use applications",
        "application": "Paid-use application",
        "payment": "Payment",
        "cert_revoked_banner": "This certificate is REVOKED and no longer valid",
        "recognised_by_label": "Recognised by",
        "certificate_no": "Certificate number",
        "download_pdf": "Download certificate PDF",
        "held_assets": "Assets held",
        "term_months": "Term (months)",
        "no_applicable_assets": "No asset can be applied for: it must be certified, its "
        "certificate in force and not pledged.",
    },
}
