"""Who may open each console workbench: the rules the API and the service layer apply,
named once and used by both.

A workbench shows the work of one kind of organisation, so it opens for a user of that
kind (any role: :func:`chain.service.common.require_org_kind`, the kind half of the
service's write rule); its forms are offered only to users who may write
(:meth:`Principal.can_write`, the other half). The auditor page is the audit API's own rule
(:func:`api.auth.authorise_auditor`). A POST is judged by the service function it calls,
exactly as the API route calling the same function, so the answer is the API's.
"""

from __future__ import annotations

from collections.abc import Callable

from api.auth import authorise_auditor
from chain.accounts import Principal
from chain.errors import NotAuthorised
from chain.service import approvals, certificates, financing, revenue
from chain.service.common import require_org_kind

Gate = Callable[[Principal], object]


def _kinds(what: str, *kinds: str) -> Gate:
    def gate(user: Principal) -> None:
        require_org_kind(user, what, *kinds)

    return gate


holder = _kinds("the holder's workbench", *approvals.APPLICANTS)
registrar = _kinds("the registrar's workbench", *certificates.ISSUERS)
finance = _kinds("the finance department's workbench", *approvals.DECIDERS)
review = _kinds("the review workbench", *approvals.REVIEWERS)
bank = _kinds("the bank's workbench", *financing.PLEDGEES)
auditor: Gate = authorise_auditor
operator = _kinds("the operator's workbench", revenue.OPERATOR)
merchant = _kinds("the merchant's workbench", revenue.MERCHANT)
exchange = _kinds("the exchange's workbench", "exchange")


def governance(user: Principal) -> None:
    """The governance page: whom :func:`chain.service.governance.list_proposals` answers
    (registrars and the consortium admin)."""
    if user.org_kind != "registrar" and not user.is_consortium_admin:
        raise NotAuthorised("governance proposals are read by registrars and the consortium")


#: The gate of each workbench page, by path.
PAGES: dict[str, Gate] = {
    "/console/holder": holder,
    "/console/registrar": registrar,
    "/console/finance": finance,
    "/console/review": review,
    "/console/bank": bank,
    "/console/auditor": auditor,
    "/console/operator": operator,
    "/console/merchant": merchant,
    "/console/exchange": exchange,
    "/console/governance": governance,
}


def opens(user: Principal, path: str) -> bool:
    """Whether ``user`` may open the workbench at ``path``."""
    gate = PAGES.get(path)
    if gate is None:
        return True
    try:
        gate(user)
    except NotAuthorised:
        return False
    return True
