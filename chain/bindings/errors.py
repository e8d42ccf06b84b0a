"""The one error table: every custom error of the deployed contracts -> HTTP status and a
sentence in English and Chinese.

``chain.errors.revert_status`` reads the status from here (no guessing from names); the
console shows the sentences. ``tests/chain/test_bindings.py`` fails when a contract error
has no entry or an entry names no contract error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorEntry:
    status: int
    en: str
    zh: str


FORBIDDEN, NOT_FOUND, CONFLICT, INVALID, RATE_LIMITED = 403, 404, 409, 422, 429


def _e(status: int, en: str, zh: str) -> ErrorEntry:
    return ErrorEntry(status, en, zh)


ERROR_TABLE: dict[str, ErrorEntry] = {
    # -- who may act (403)
    "NotOrgOfKind": _e(FORBIDDEN, "Your kind of organisation may not do this.",
                       "您的单位类型不能执行此操作。"),
    "KindNotAllowed": _e(FORBIDDEN, "Your kind of organisation may not do this.",
                         "您的单位类型不能执行此操作。"),
    "NotHolder": _e(FORBIDDEN, "Only the asset's holder may do this.",
                    "只有资产的持有单位可以执行此操作。"),
    "WrongCity": _e(FORBIDDEN, "This is done by an organisation of the asset's city.",
                    "此操作须由资产所在城市的机构执行。"),
    "NotOrgKey": _e(FORBIDDEN, "Only a live key of that organisation may do this.",
                    "只有该单位的有效签名密钥可以执行此操作。"),
    "NotBootstrapper": _e(FORBIDDEN, "Only the deploying account may do this, before the "
                          "handover to the registrars.", "只有部署账户在移交前可以执行此操作。"),
    "NotCounterparty": _e(FORBIDDEN, "Only the financing's counterparty may do this.",
                          "只有该融资的相对方可以执行此操作。"),
    "NotFinanceDepartment": _e(FORBIDDEN, "Only the finance department of the asset's city "
                               "may do this.", "只有资产所在城市的财政部门可以执行此操作。"),
    "NotOperator": _e(FORBIDDEN, "Only an operator may do this.", "只有运营机构可以执行此操作。"),
    "NotAuthorisedOperator": _e(FORBIDDEN, "Only the asset's authorised operator may do this.",
                                "只有获授权的运营机构可以执行此操作。"),
    "NotPayer": _e(FORBIDDEN, "Only a merchant or an operator may pay.",
                   "只有商户或运营机构可以付款。"),
    "NotGovernance": _e(FORBIDDEN, "Only the registrars' governance may do this.",
                        "只有登记机构的共同治理可以执行此操作。"),
    "NotMinter": _e(FORBIDDEN, "Only the token's minter may mint.", "只有发行方可以铸造代币。"),
    "NotUseAndFinance": _e(FORBIDDEN, "Only the use-and-finance contract may do this.",
                           "只有使用与融资合约可以执行此操作。"),
    "SelfRecognition": _e(FORBIDDEN, "An organisation cannot recognise its own certificates.",
                          "不能认可本单位签发的证书。"),
    "SelfAgreement": _e(FORBIDDEN, "A registrar cannot make an agreement with itself.",
                        "登记机构不能与自身签订互认协议。"),
    "OrgInactive": _e(FORBIDDEN, "The organisation is suspended.", "该单位已被暂停。"),
    # -- what is not there (404)
    "UnknownAsset": _e(NOT_FOUND, "There is no such asset on chain.", "链上没有这个资产。"),
    "UnknownBatch": _e(NOT_FOUND, "There is no such batch on chain.", "链上没有这个批次。"),
    "UnknownOrg": _e(NOT_FOUND, "There is no such organisation on chain.", "链上没有这个单位。"),
    "UnknownPayment": _e(NOT_FOUND, "There is no such payment on chain.", "链上没有这笔付款。"),
    "UnknownProposal": _e(NOT_FOUND, "There is no such governance proposal.", "没有这个治理提案。"),
    "UnknownRegistrar": _e(NOT_FOUND, "There is no such registrar.", "没有这个登记机构。"),
    # -- the state does not allow it (409)
    "AssetNotUsable": _e(CONFLICT, "The asset cannot be used now.", "该资产目前不可使用。"),
    "AssetExists": _e(CONFLICT, "This data resource is registered already.",
                      "该数据资源已经登记过。"),
    "BatchExists": _e(CONFLICT, "This batch is registered already.", "该批次已经登记过。"),
    "BatchComplete": _e(CONFLICT, "Every resource of this batch is materialised already.",
                        "该批次的数据资源已全部登记。"),
    "IllegalTransition": _e(CONFLICT, "The asset's current status does not allow this.",
                            "资产当前状态不允许此操作。"),
    "NoticeWindowClosed": _e(CONFLICT, "The public notice period has ended; objections are "
                             "closed.", "公示期已结束，不能再提出异议。"),
    "NoticeWindowOpen": _e(CONFLICT, "The public notice period has not ended; a certificate "
                           "can be issued once it has.", "公示期尚未结束，公示期满后才能发证。"),
    "ObjectionsOpen": _e(CONFLICT, "Objections are still open; resolve them before "
                         "certifying.", "仍有未处理的异议，处理完毕后才能发证。"),
    "ObjectionExists": _e(CONFLICT, "This objection was lodged already.", "该异议已经提出过。"),
    "ObjectionNotOpen": _e(CONFLICT, "The objection is not open.", "该异议已处理。"),
    "TooManyOpenObjections": _e(CONFLICT, "The asset has too many open objections.",
                                "该资产未处理的异议过多。"),
    "OwnershipDisputed": _e(CONFLICT, "The ownership is disputed; this cannot proceed.",
                            "权属存在争议，暂不能登记。"),
    "NoDispute": _e(CONFLICT, "The asset's ownership is not disputed.", "该资产没有权属争议。"),
    "CertificateNotActive": _e(CONFLICT, "The certificate is no longer active.",
                               "该证书已不处于有效状态。"),
    "NotCurrentCertificate": _e(CONFLICT, "This is not the asset's current certificate.",
                                "这不是该资产的现行证书。"),
    "NotReissuable": _e(CONFLICT, "Only a current certificate revoked for a registration "
                        "error or a key compromise is re-issued.",
                        "只有因登记错误或密钥泄露而撤销的现行证书可以重新颁发。"),
    "AlreadyRecognised": _e(CONFLICT, "The certificate is recognised already.",
                            "该证书已被认可过。"),
    "NotRecognised": _e(CONFLICT, "The certificate is not recognised by this organisation.",
                        "本单位未认可该证书。"),
    "AssetPledged": _e(CONFLICT, "This asset is pledged; this cannot be done now.",
                       "该资产已质押，不能执行此操作。"),
    "AlreadyBound": _e(CONFLICT, "The registry is bound already.", "登记合约已绑定。"),
    "IllegalApplicationTransition": _e(CONFLICT, "The application's status does not allow "
                                       "this.", "该申请当前状态不允许此操作。"),
    "ApplicationExpired": _e(CONFLICT, "The application has lapsed.", "该申请已过期。"),
    "AlreadyReviewed": _e(CONFLICT, "Your organisation reviewed this application already.",
                          "您的单位已审核过此申请。"),
    "ReviewsIncomplete": _e(CONFLICT, "The competent department and the data administration "
                            "have not both reviewed it yet.",
                            "主管部门和数据管理部门的审核尚未全部完成。"),
    "IllegalFinancingTransition": _e(CONFLICT, "The financing's status does not allow this.",
                                     "该融资当前状态不允许此操作。"),
    "PledgeRequestExpired": _e(CONFLICT, "The pledge request has lapsed.", "该质押申请已过期。"),
    "NoDisposalRequest": _e(CONFLICT, "No disposal was requested for this asset.",
                            "该资产没有处置申请。"),
    "PaidUseNotApproved": _e(CONFLICT, "Paid use of this asset is not approved.",
                             "该资产的有偿使用尚未获批。"),
    "NoSchedule": _e(CONFLICT, "The asset has no revenue split schedule yet.",
                     "该资产尚未设定收益分配方案。"),
    "NoPendingAccount": _e(CONFLICT, "No account change is pending.", "没有待生效的账户变更。"),
    "AccountChangeNotDue": _e(CONFLICT, "The account change takes effect only after the "
                              "delay.", "账户变更尚未到生效时间。"),
    "DuplicatePayment": _e(CONFLICT, "This payment is recorded already.", "该笔付款已记录过。"),
    "NotOffchainPayment": _e(CONFLICT, "This payment was not made off chain.",
                             "该笔付款不是线下付款。"),
    "AlreadyRemitted": _e(CONFLICT, "This payment was remitted to the treasury already.",
                          "该笔款项已缴入国库。"),
    "NoTreasuryAccount": _e(CONFLICT, "The city has no treasury account yet.",
                            "该城市尚未设定国库账户。"),
    "NoPayoutAccount": _e(CONFLICT, "The operator has no payout account yet.",
                          "该运营机构尚未设定收款账户。"),
    "HandoverState": _e(CONFLICT, "The handover to the registrars is not in a state that "
                        "allows this.", "向登记机构的移交状态不允许此操作。"),
    "GovernanceNotLive": _e(CONFLICT, "Governance starts after the handover.",
                            "移交完成后才能进行共同治理。"),
    "OrgExists": _e(CONFLICT, "The organisation exists already.", "该单位已存在。"),
    "RegistrarExists": _e(CONFLICT, "The city has a registrar already.", "该城市已有登记机构。"),
    "AccountInUse": _e(CONFLICT, "The account belongs (or belonged) to an organisation.",
                       "该账户已属于（或曾属于）某个单位。"),
    "NoPendingKey": _e(CONFLICT, "No key was proposed for this account.",
                       "该账户没有待接受的密钥。"),
    "KeyNotLive": _e(CONFLICT, "The key is not live.", "该密钥不在有效期内。"),
    "TooManyKeys": _e(CONFLICT, "The organisation has the most keys allowed.",
                      "该单位的密钥数量已达上限。"),
    "IllegalAgreementTransition": _e(CONFLICT, "The agreement's status does not allow this.",
                                     "该互认协议当前状态不允许此操作。"),
    "ProposalNotOpen": _e(CONFLICT, "The proposal is not open.", "该提案已结束。"),
    "ProposalExpired": _e(CONFLICT, "The proposal has lapsed.", "该提案已过期。"),
    "AlreadyApproved": _e(CONFLICT, "Your registrar approved this proposal already.",
                          "本登记机构已批准过该提案。"),
    # -- too often (429)
    "ObjectionRateLimited": _e(RATE_LIMITED, "Organisations of another city may object only "
                               "a few times per period.",
                               "外地单位在一个周期内提出异议的次数有限。"),
    # -- invalid input (422)
    "InvalidProof": _e(INVALID, "The Merkle proof does not match the batch.",
                       "默克尔证明与批次不符。"),
    "InvalidRegistrationKind": _e(INVALID, "That registration kind is not allowed here.",
                                  "此处不允许该登记类型。"),
    "InvalidRevocationReason": _e(INVALID, "That revocation reason is not allowed.",
                                  "该撤销原因不可用。"),
    "ZeroValue": _e(INVALID, "The value must not be zero.", "数值不能为零。"),
    "ZeroAmount": _e(INVALID, "The amount must be greater than zero.", "金额必须大于零。"),
    "InvalidOrgKind": _e(INVALID, "That kind of organisation is not allowed here.",
                         "此处不允许该单位类型。"),
    "InvalidCompromiseTime": _e(INVALID, "The compromise time lies outside the key's window.",
                                "泄露时间不在该密钥的有效期内。"),
    "TermsOutOfBounds": _e(INVALID, "The notice window or certificate term lies outside the "
                           "bounds.", "公示期或证书有效期超出允许范围。"),
    "InvalidTermBounds": _e(INVALID, "The bounds lie outside the hard limits.",
                            "该范围超出硬性限制。"),
    "InvalidThreshold": _e(INVALID, "The threshold must be at least 2 and at most the active "
                           "registrars.", "门限须不小于 2 且不大于在任登记机构数。"),
    "InvalidProposal": _e(INVALID, "The proposal's parameters are not valid.",
                          "提案参数无效。"),
    "BoundTooLarge": _e(INVALID, "A bracket bound is too large.", "分配方案的档位下限过大。"),
    "AmountTooLarge": _e(INVALID, "The amount is too large.", "金额过大。"),
    "InvalidAccount": _e(INVALID, "That account cannot receive payments (zero, the split "
                         "contract or the token).", "该账户不能作为收款账户。"),
    "EmptyReference": _e(INVALID, "A reference is required.", "必须提供参考编号。"),
    "SplitFirstBoundNotZero": _e(INVALID, "The first bracket's lower bound must be 0.",
                                 "分配方案第一档的下限必须为 0。"),
    "SplitBoundsNotIncreasing": _e(INVALID, "The brackets' lower bounds must strictly "
                                   "increase.", "分配方案各档下限必须严格递增。"),
    "SplitRateDecreasing": _e(INVALID, "The operator's share may not decrease from one "
                              "bracket to the next.", "运营机构分成比例不能随档位降低。"),
    "SplitRateAboveMax": _e(INVALID, "A share cannot exceed 10,000 basis points (100%).",
                            "分成比例不能超过 10000 基点（100%）。"),
    "SplitLengthMismatch": _e(INVALID, "There must be as many shares as lower bounds.",
                              "下限与分成比例的个数必须相同。"),
    "SplitScheduleEmpty": _e(INVALID, "A schedule needs at least one bracket.",
                             "分配方案至少需要一档。"),
    "SplitTooManyBrackets": _e(INVALID, "The schedule has too many brackets.",
                               "分配方案的档位过多。"),
    "ERC20InsufficientBalance": _e(INVALID, "The payer's token balance is too low.",
                                   "付款方的代币余额不足。"),
    "ERC20InsufficientAllowance": _e(INVALID, "The payer has not allowed the split contract "
                                     "enough tokens.", "付款方授权的代币额度不足。"),
    "ERC20InvalidApprover": _e(INVALID, "Invalid token approver.", "代币授权方无效。"),
    "ERC20InvalidReceiver": _e(INVALID, "Invalid token receiver.", "代币接收方无效。"),
    "ERC20InvalidSender": _e(INVALID, "Invalid token sender.", "代币发送方无效。"),
    "ERC20InvalidSpender": _e(INVALID, "Invalid token spender.", "代币使用方无效。"),
    "SafeERC20FailedOperation": _e(INVALID, "The token transfer failed.", "代币转账失败。"),
}  # fmt: skip

#: Status of a revert whose name is in no table (Error(string), Panic, unknown selectors).
DEFAULT_STATUS = INVALID


def status_of(name: str) -> int:
    entry = ERROR_TABLE.get(name)
    return entry.status if entry is not None else DEFAULT_STATUS


def message_of(name: str, lang: str = "en") -> str | None:
    entry = ERROR_TABLE.get(name)
    if entry is None:
        return None
    return entry.zh if lang == "zh" else entry.en


def messages(lang: str) -> dict[str, str]:
    """Every contract error's sentence in ``lang`` (for a message catalogue)."""
    return {name: (e.zh if lang == "zh" else e.en) for name, e in ERROR_TABLE.items()}
