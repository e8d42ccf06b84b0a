"""Console strings in Chinese and English, and errors as sentences.

The language comes from the ``lang`` query parameter (remembered in a cookie), else the
``console_lang`` cookie, else Chinese. :func:`error_sentence` turns any
:class:`~chain.errors.LedgerError` (contract reverts by their error name) into a sentence
in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request

from api.console import next_steps
from api.console.i18n_admin import ADMIN_ERRORS, ADMIN_STRINGS
from api.console.i18n_more import MORE_STATUS, MORE_STRINGS
from api.console.i18n_workbench import WORKBENCH_STATUS, WORKBENCH_STRINGS
from chain.bindings.errors import messages as contract_error_messages
from chain.errors import ContractRevert, LedgerError
from chain.revocation import describe as describe_revocation

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "console_lang"

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "app_title": "公共数据资产登记账本",
        "login": "登录",
        "logout": "退出",
        "login_title": "使用 API 密钥登录",
        "login_help": "粘贴您所在单位为您签发的 API 密钥。密钥仅用于本次验证，不会保存在浏览器中。",
        "api_key": "API 密钥",
        "login_failed": "API 密钥无效或已被吊销，请检查后重试。",
        "logged_out": "您已安全退出。",
        "home": "首页",
        "org": "单位",
        "kind": "单位类型",
        "city": "城市代码",
        "role": "角色",
        "verify": "证书验证",
        "nothing": "暂无记录。",
        "asset": "资产",
        "asset_id": "资产编号",
        "status": "状态",
        "value": "评估价值",
        "compliance": "合规审查",
        "catalogue_code": "目录编码",
        "domain_code": "领域代码",
        "title": "名称",
        "categories": "类别数",
        "items": "数据项数",
        "register": "登记",
        "register_asset": "登记数据资源",
        "my_assets": "我的数据资产",
        "apply_paid_use": "申请有偿使用",
        "my_applications": "我的有偿使用申请",
        "scope": "使用范围",
        "apply": "提交申请",
        "steps": "审批步骤",
        "queue": "待办队列",
        "to_value": "待价值评估",
        "to_review": "待合规审查",
        "in_notice": "公示中",
        "to_certify": "待发证",
        "notice_ends": "公示截止",
        "value_yuan": "价值（元）",
        "method_code": "评估方法代码",
        "report_ref": "报告编号",
        "record_valuation": "记录评估",
        "passed": "通过",
        "failed": "不通过",
        "record_compliance": "记录审查结论",
        "certify": "颁发登记证书",
        "certificate": "证书",
        "certificates": "证书",
        "recognitions": "互认",
        "agreements": "互认协议",
        "recognise": "认可",
        "finance_title": "财政部门工作台",
        "approvals": "待审批的有偿使用申请",
        "approve": "批准",
        "schedules": "收益分配方案",
        "set_schedule": "设定分配方案",
        "quote_amount": "试算金额（分）",
        "operator_share": "运营机构分成",
        "treasury_share": "国库（持有单位）分成",
        "payments": "收款记录",
        "outstanding": "待缴国库款项",
        "amount": "金额",
        "remitted": "已缴库",
        "not_remitted": "未缴库",
        "version": "版本",
        "bank_title": "银行工作台",
        "pledges": "质押",
        "confirm": "确认",
        "release": "解除",
        "auditor_title": "审计监督",
        "explorer": "浏览器",
        "search": "搜索",
        "search_help": "资产编号（0x 开头的 64 位十六进制）、目录编码哈希片段或领域代码",
        "history": "资产历史",
        "block": "区块",
        "tx_hash": "交易哈希",
        "event": "事件",
        "export": "导出",
        "consistency": "一致性报告",
        "verify_title": "数据资产登记证书验证",
        "document": "证书文件（JSON）",
        "upload": "上传文件",
        "check": "验证",
        "operation": "链上操作",
        "op_pending": "操作 {op} 已提交，正在等待上链（当前状态：{state}）。本页会自动刷新。",
        "op_mined": "操作 {op} 已上链，区块 {block}。",
        "op_failed": "操作 {op} 未成功（{state}）：{reason}",
        "continue": "继续",
        "other_kind": "您的单位类型（{kind}）没有专属工作台。可用页面：",
        "admin_hint": "联盟管理员请在“管理”页面管理用户与登记中心。",
        "yes": "是",
        "no": "否",
        "lang_switch": "English",
        "submit": "提交",
        "index_lag": "列表来自索引库，目前已索引至区块 {indexed}（链上最新区块 {head}）；"
        "刚上链的操作稍后显示。",
        "op_indexing": "列表将在索引库追上区块 {block} 后显示此操作"
        "（目前已索引至区块 {indexed}）。",
        "issued_at": "发证时间",
        "valid_until": "有效期至",
        "revocation_reason": "撤销原因",
        "revoke": "撤销证书",
        "revoke_confirm": "撤销后证书将永久失效，且无法恢复。确定撤销吗？",
        "onchain_status": "链上当前状态：{status}",
        "onchain_not_indexed": "该资产已在链上（状态：{status}），索引库尚未收录，"
        "稍后即可查看其历史。",
        "consistency_none": "索引库尚未索引任何区块。",
        "consistency_at": "在已索引的区块 {block} 上将索引库与链上记录逐项核对：",
        "consistency_ok": "一致，未发现差异。",
        "consistency_bad": "发现 {n} 处差异。",
        "checked": "已核对",
        "checked_certificates": "证书",
        "checked_recognitions": "有效互认",
        "checked_payments": "有收款的资产",
        "diff_kind": "差异类型",
        "diff_record": "记录",
        "diff_field": "字段 / 单位",
        "diff_store": "索引库",
        "diff_chain": "链上",
        "diff_certificate_status": "证书状态",
        "diff_recognition": "证书互认",
        "diff_payment_totals": "收款合计",
        "diff_row_changed": "索引行被改动",
        "diff_row_missing": "索引行缺失",
        "diff_row_extra": "多出的索引行",
        "checked_events": "事件",
        "checked_blocks": "区块",
        "review_title": "{kind}审核",
        "review_awaiting": "待本部门审核的有偿使用申请",
        "review_all": "本市其他有偿使用申请",
        "applied_at": "申请时间",
        "reject": "驳回",
        "reason_ref": "驳回理由编号（驳回时填写）",
    },
    "en": {
        "app_title": "Public Data Asset Ledger",
        "login": "Log in",
        "logout": "Log out",
        "login_title": "Log in with your API key",
        "login_help": "Paste the API key your organisation issued to you. It is checked once "
        "and never stored in the browser.",
        "api_key": "API key",
        "login_failed": "The API key is not valid or was revoked; check it and try again.",
        "logged_out": "You are logged out.",
        "home": "Home",
        "org": "Organisation",
        "kind": "Kind",
        "city": "City code",
        "role": "Role",
        "verify": "Verify a certificate",
        "nothing": "Nothing here yet.",
        "asset": "Asset",
        "asset_id": "Asset id",
        "status": "Status",
        "value": "Value",
        "compliance": "Compliance",
        "catalogue_code": "Catalogue code",
        "domain_code": "Domain code",
        "title": "Title",
        "categories": "Categories",
        "items": "Items",
        "register": "Register",
        "register_asset": "Register a data resource",
        "my_assets": "My data assets",
        "apply_paid_use": "Apply for paid use",
        "my_applications": "My paid-use applications",
        "scope": "Scope of use",
        "apply": "Apply",
        "steps": "Approval steps",
        "queue": "Queue",
        "to_value": "To value",
        "to_review": "Compliance review",
        "in_notice": "In public notice",
        "to_certify": "To certify",
        "notice_ends": "Notice ends",
        "value_yuan": "Value (yuan)",
        "method_code": "Method code",
        "report_ref": "Report reference",
        "record_valuation": "Record valuation",
        "passed": "Passed",
        "failed": "Failed",
        "record_compliance": "Record review",
        "certify": "Issue certificate",
        "certificate": "Certificate",
        "certificates": "Certificates",
        "recognitions": "Recognitions",
        "agreements": "Agreements",
        "recognise": "Recognise",
        "finance_title": "Finance department",
        "approvals": "Paid-use applications awaiting approval",
        "approve": "Approve",
        "schedules": "Revenue split schedules",
        "set_schedule": "Set schedule",
        "quote_amount": "Amount to quote (fen)",
        "operator_share": "Operator share",
        "treasury_share": "Treasury (holder) share",
        "payments": "Payments",
        "outstanding": "Outstanding remittances",
        "amount": "Amount",
        "remitted": "remitted",
        "not_remitted": "not remitted",
        "version": "Version",
        "bank_title": "Bank",
        "pledges": "Pledges",
        "confirm": "Confirm",
        "release": "Release",
        "auditor_title": "Audit and supervision",
        "explorer": "Explorer",
        "search": "Search",
        "search_help": "An asset id (0x and 64 hex digits), part of a catalogue hash, or a "
        "domain code",
        "history": "Asset history",
        "block": "Block",
        "tx_hash": "Tx hash",
        "event": "Event",
        "export": "Export",
        "consistency": "Consistency report",
        "verify_title": "Verify a data asset registration certificate",
        "document": "Certificate document (JSON)",
        "upload": "Upload a file",
        "check": "Verify",
        "operation": "Operation on chain",
        "op_pending": "Operation {op} was submitted and is waiting to be mined (now {state}). "
        "This page refreshes itself.",
        "op_mined": "Operation {op} was mined in block {block}.",
        "op_failed": "Operation {op} did not succeed ({state}): {reason}",
        "continue": "Continue",
        "other_kind": "Your organisation kind ({kind}) has no workbench of its own. Pages:",
        "admin_hint": "Consortium admins manage users and registrars on the Administration page.",
        "yes": "yes",
        "no": "no",
        "lang_switch": "中文",
        "submit": "Submit",
        "index_lag": "Lists come from the index, indexed up to block {indexed} of {head}; "
        "operations just mined appear shortly.",
        "op_indexing": "Lists show this operation once the index reaches block {block} "
        "(indexed up to block {indexed} now).",
        "issued_at": "Issued",
        "valid_until": "Valid until",
        "revocation_reason": "Reason for revocation",
        "revoke": "Revoke",
        "revoke_confirm": "A revoked certificate stays invalid for good. Revoke it?",
        "onchain_status": "on chain now: {status}",
        "onchain_not_indexed": "This asset is on chain ({status}) but not indexed yet; its "
        "history appears shortly.",
        "consistency_none": "The index has not stored any block yet.",
        "consistency_at": "The index compared with the chain at indexed block {block}:",
        "consistency_ok": "consistent, no differences.",
        "consistency_bad": "{n} differences found.",
        "checked": "Checked",
        "checked_certificates": "certificates",
        "checked_recognitions": "active recognitions",
        "checked_payments": "assets with payments",
        "diff_kind": "Difference",
        "diff_record": "Record",
        "diff_field": "Field / organisation",
        "diff_store": "Index",
        "diff_chain": "Chain",
        "diff_certificate_status": "certificate status",
        "diff_recognition": "recognition",
        "diff_payment_totals": "payment totals",
        "diff_row_changed": "changed row",
        "diff_row_missing": "missing row",
        "diff_row_extra": "extra row",
        "checked_events": "events",
        "checked_blocks": "blocks",
        "review_title": "Review by the {kind}",
        "review_awaiting": "Paid-use applications awaiting your review",
        "review_all": "Other paid-use applications of the city",
        "applied_at": "applied",
        "reject": "Reject",
        "reason_ref": "Reason reference (when rejecting)",
    },
}

#: Status names of assets, certificates and applications.
STATUS_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "None": "无", "Registered": "已登记", "InNotice": "公示中", "Certified": "已发证",
        "Disposed": "已处置", "Deregistered": "已注销", "Active": "有效", "Revoked": "已撤销",
        "Expired": "已过期", "Superseded": "已被替换", "Unknown": "未知", "Passed": "通过",
        "Failed": "不通过", "Applied": "已申请", "Approved": "已批准", "Rejected": "已驳回",
        "Proposed": "已提议", "Withdrawn": "已撤回", "Requested": "已申请",
        "Released": "已解除", "Recorded": "已记录",
    },
    "en": {
        "None": "none", "Registered": "registered", "InNotice": "in public notice",
        "Certified": "certified", "Disposed": "disposed", "Deregistered": "deregistered",
        "Active": "active", "Revoked": "revoked", "Expired": "expired",
        "Superseded": "superseded", "Unknown": "unknown", "Passed": "passed",
        "Failed": "failed", "Applied": "applied", "Approved": "approved",
        "Rejected": "rejected", "Proposed": "proposed", "Withdrawn": "withdrawn",
        "Requested": "requested", "Released": "released", "Recorded": "recorded",
    },
}  # fmt: skip

KIND_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "holder": "行政事业单位", "registrar": "数据资产登记评价中心",
        "competent_dept": "主管部门", "data_administration": "数据管理部门",
        "finance_dept": "财政部门", "operator": "授权运营机构", "merchant": "数商",
        "exchange": "数据交易所", "bank": "银行", "auditor": "审计监督",
        "consortium": "联盟管理",
    },
    "en": {
        "holder": "holder", "registrar": "registrar", "competent_dept": "competent department",
        "data_administration": "data administration", "finance_dept": "finance department",
        "operator": "authorised operator", "merchant": "data merchant", "exchange": "exchange",
        "bank": "bank", "auditor": "auditor", "consortium": "consortium",
    },
}  # fmt: skip

#: Verifier reason codes -> (sentence when ok, sentence when failed).
REASONS: dict[str, dict[str, tuple[str, str]]] = {
    "zh": {
        "format": ("文件格式正确。", "文件不是有效的证书文件。"),
        "types": ("签名结构与证书模式一致。", "签名结构不是证书模式。"),
        "domain": ("签名域是本登记合约的域。", "签名域不是本登记合约的域。"),
        "chain_id": ("签名属于本链，不是其他链上的重放。", "签名属于另一条链（疑似重放）。"),
        "verifying_contract": ("签名指向本登记合约。", "签名指向另一个合约（疑似重放）。"),
        "certificate_exists": ("证书编号在链上存在。", "链上没有这个证书编号。"),
        "field_mismatch": ("签名字段与链上一致。", "有签名字段与链上记录不一致。"),
        "fields": ("所有签名字段与链上证书一致。", "签名字段与链上证书不一致。"),
        "signature_canonical": ("签名格式规范（低 s 值）。", "签名格式不规范。"),
        "signature": ("签名有效，可恢复出文件所载签名人。", "签名无效，恢复出的签名人与文件不符。"),
        "contract_signature": ("登记合约确认签名有效。", "登记合约不认可该签名。"),
        "signer_registrar": (
            "签名人是发证登记中心在发证时有效的签名账户（现用或曾用密钥）。",
            "签名人不是发证登记中心的签名账户。",
        ),
        "status": ("链上状态为有效。", "证书在链上已不处于有效状态。"),
        "recognised": ("证书已被验证方认可。", "证书未被验证方认可。"),
    },
    "en": {
        "format": ("The document is well formed.", "The document is not a certificate document."),
        "types": ("The signed types are the certificate schema.",
                  "The signed types are not the certificate schema."),
        "domain": ("The signing domain is this registry's.",
                   "The signing domain is not this registry's."),
        "chain_id": ("The signature is for this chain, not a replay from another.",
                     "The signature is for another chain (a replay)."),
        "verifying_contract": ("The signature names this registry contract.",
                               "The signature names another contract (a replay)."),
        "certificate_exists": ("The certificate id is on chain.",
                               "There is no such certificate on chain."),
        "field_mismatch": ("The signed field matches the chain.",
                           "A signed field differs from the chain."),
        "fields": ("Every signed field equals the certificate on chain.",
                   "The signed fields differ from the certificate on chain."),
        "signature_canonical": ("The signature is canonical (low s).",
                                "The signature is not canonical."),
        "signature": ("The signature is valid and recovers to the document's signer.",
                      "The signature does not recover to the document's signer."),
        "contract_signature": ("The registry contract confirms the signature.",
                               "The registry contract rejects the signature."),
        "signer_registrar": (
            "The signer is a signing key of the issuing registrar valid at the issue time "
            "(current or former key).",
            "The signer is not a signing key of the issuing registrar.",
        ),
        "status": ("The certificate is active on chain.",
                   "The certificate is no longer active on chain."),
        "recognised": ("The verifying organisation recognises the certificate.",
                       "The verifying organisation does not recognise the certificate."),
    },
}  # fmt: skip

#: Error codes of the gateway -> sentences; contract errors come from the one error table
#: (``chain.bindings.errors``), merged in below.
ERRORS: dict[str, dict[str, str]] = {
    "zh": {
        "not-authenticated": "需要登录：API 密钥无效或已被吊销。",
        "not-authorised": "您的单位或角色无权执行此操作。",
        "not-found": "没有找到所请求的记录。",
        "illegal-transition": "该记录当前的状态不允许此操作。",
        "conflict": "该记录已经存在或与现有记录冲突。",
        "idempotency-conflict": "同一请求编号已用于另一内容的请求。",
        "validation-failed": "输入有误，请检查各项填写。",
        "backpressure": "当前待上链交易过多，请稍后再试。",
        "too-many-attempts": "API 密钥错误次数过多，请稍后再试。",
        "chain-unavailable": "区块链节点暂时无法访问，请稍后再试。",
        "keystore-unavailable": "本单位的签名密钥暂时无法使用，请联系管理员。",
        "renderer-unavailable": "本网关缺少生成证书文件所需的字体，请联系管理员。",
        "operation-failed": "链上操作失败。",
    },
    "en": {
        "not-authenticated": "You need to log in: the API key is not valid or was revoked.",
        "not-authorised": "Your organisation or role may not do this.",
        "not-found": "The record asked for was not found.",
        "illegal-transition": "The record's current state does not allow this.",
        "conflict": "The record exists already or conflicts with an existing one.",
        "idempotency-conflict": "The same request key was used for another request.",
        "validation-failed": "Some input is not valid; check the fields.",
        "backpressure": "Too many transactions are waiting; try again shortly.",
        "too-many-attempts": "Too many wrong API keys; wait a moment before trying again.",
        "chain-unavailable": "The chain node cannot be reached; try again shortly.",
        "keystore-unavailable": "Your organisation's signing key cannot be used; "
        "ask an administrator.",
        "renderer-unavailable": "This gateway lacks the font needed to print the certificate; "
        "ask an administrator.",
        "operation-failed": "The operation on chain failed.",
    },
}  # fmt: skip
for _lang in LANGS:
    ERRORS[_lang].update(contract_error_messages(_lang))


EVENT_LABELS_ZH: dict[str, str] = {
    "ResourceRegistered": "数据资源登记", "ResourceBatchRegistered": "批量登记",
    "AssetValued": "价值评估", "ComplianceReviewed": "合规审查", "NoticeOpened": "开始公示",
    "ObjectionLodged": "提出异议", "ObjectionResolved": "异议处理",
    "DisputeRecorded": "权属争议", "DisputeResolved": "争议解决",
    "CertificateIssued": "颁发登记证书", "CertificateSuperseded": "证书被替换",
    "CertificateRenewed": "证书续期", "CertificateRevoked": "证书撤销",
    "CertificateRecognised": "证书互认", "RecognitionWithdrawn": "撤回互认",
    "AssetDeregistered": "注销登记", "PaidUseApplied": "申请有偿使用",
    "PaidUseReviewed": "有偿使用审核", "PaidUseApproved": "有偿使用获批",
    "PaidUseRejected": "有偿使用驳回", "PledgeRequested": "申请质押",
    "PledgeConfirmed": "质押确认", "PledgeReleased": "质押解除",
    "CreditLineRecorded": "授信登记", "EquityContributed": "作价入股",
    "DisposalRequested": "申请处置", "AssetDisposed": "资产处置",
    "ScheduleSet": "设定收益分配方案", "PaymentSettled": "收款结算",
    "OffchainPaymentRecorded": "登记线下收款", "RemittanceConfirmed": "确认缴入国库",
    "PaymentContextSet": "设定收款主体", "TreasuryAccountSet": "设定国库账户",
    "PayoutAccountSet": "设定运营收款账户", "AgreementProposed": "提议互认协议",
    "AgreementAccepted": "签署互认协议", "AgreementWithdrawn": "撤回互认协议",
    "OrgAdmitted": "机构准入", "OrgActivationChanged": "机构启用状态变更",
    "RegistrarTermsSet": "设定登记条款", "SigningAccountAdded": "新增签名账户",
    "SigningAccountRemoved": "移除签名账户", "AccountOrgSet": "账户归属设定",
    "ReturnedToRegistered": "退回登记", "Certified": "登记完成",
    "CertificateSuspended": "证书暂停", "PaidUseCancelled": "撤回有偿使用申请",
    "PaidUseExpired": "有偿使用申请过期", "PaidUseOperatorSet": "运营单位变更",
    "PledgeCancelled": "撤回质押申请", "PledgeExpired": "质押申请过期",
}  # fmt: skip


def event_label(lang: str, name: str) -> str:
    """A Chinese label for a registry event; English pages show the event name."""
    return EVENT_LABELS_ZH.get(name, name) if lang == "zh" else name


def lang_of(request: Request) -> str:
    """``?lang=`` first, then the cookie, else Chinese."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    return DEFAULT_LANG


def t(lang: str, key: str, **values: Any) -> str:
    table = STRINGS.get(lang, STRINGS[DEFAULT_LANG])
    text = table.get(key) or STRINGS["en"].get(key) or key
    return text.format(**values) if values else text


def status_name(lang: str, status: str) -> str:
    return STATUS_NAMES.get(lang, {}).get(status, status)


def revocation_label(lang: str, code: int) -> str:
    """A revocation reason in the page's language, from the catalogue."""
    label = describe_revocation(code)
    return label.zh if lang == "zh" else label.en


def kind_label(lang: str, kind: str) -> str:
    return KIND_LABELS.get(lang, {}).get(kind, kind.replace("_", " "))


def reason_sentence(lang: str, code: str, ok: bool) -> str:
    pair = REASONS.get(lang, REASONS["en"]).get(code)
    if pair is None:
        return code
    return pair[0] if ok else pair[1]


def code_sentence(lang: str, code: str) -> str | None:
    return ERRORS.get(lang, ERRORS["en"]).get(code)


def revert_sentence(lang: str, name: str, args: Mapping[str, Any]) -> str:
    """A contract's refusal: the catalogue's sentence and what to do next, never the raw
    revert text."""
    base = code_sentence(lang, name)
    if base is None:
        failed = (code_sentence(lang, "operation-failed") or "").rstrip("。.")
        base = failed + next_steps.code_note(lang, name) + ("。" if lang == "zh" else ".")
    step = next_steps.step(lang, name, args)
    return f"{base}{step}" if lang == "zh" else f"{base} {step}".strip()


def error_sentence(lang: str, exc: Exception) -> str:
    """One sentence for the user; a contract's refusal with what to do next, other errors
    with the gateway's detail in English when useful."""
    if isinstance(exc, ContractRevert):
        return revert_sentence(lang, exc.name, exc.args_by_name)
    if isinstance(exc, LedgerError):
        code = exc.error_code
        base = code_sentence(lang, code)
        if base is None:
            fallback = "operation-failed" if isinstance(exc, ContractRevert) else exc.code
            base = code_sentence(lang, fallback) or code_sentence(lang, "operation-failed") or ""
        detail = str(exc)
        return f"{base} ({detail})" if detail and detail != base else base
    return code_sentence(lang, "operation-failed") or "error"


def operation_error_sentence(lang: str, code: str | None, detail: str | None) -> str:
    if code and code_sentence(lang, code) is not None and code[:1].isupper():
        return revert_sentence(lang, code, next_steps.args_of(detail))
    base = code_sentence(lang, code or "") or code_sentence(lang, "operation-failed") or ""
    return f"{base} ({detail})" if detail else base


for _lang in LANGS:
    STRINGS[_lang].update(ADMIN_STRINGS[_lang])
    ERRORS[_lang].update(ADMIN_ERRORS[_lang])
    STRINGS[_lang].update(MORE_STRINGS[_lang])
    STATUS_NAMES[_lang].update(MORE_STATUS[_lang])
    STRINGS[_lang].update(WORKBENCH_STRINGS[_lang])
    STATUS_NAMES[_lang].update(WORKBENCH_STATUS[_lang])
