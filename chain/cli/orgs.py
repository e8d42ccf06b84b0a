"""Organisations, signing keys, users and the caller: ``ledger org|key|user|me``."""

from __future__ import annotations

import argparse
from typing import Any

from chain.accounts import normalise_org_id
from chain.cli.context import Ctx
from chain.cli.parsing import CommandTree, model
from chain.errors import NotAuthorised


def org_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    body = model(orgs.OrgCreate, name=a.name, kind=a.kind, city_code=a.city,
                 signer_address=a.signer)  # fmt: skip
    return orgs.create_org(ctx.runtime, ctx.principal(), body, **ctx.opts(body))


def org_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.list_orgs(ctx.runtime, ctx.principal())


def org_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.get_org(ctx.runtime, ctx.principal(), a.target)


def org_import(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    body = model(orgs.OrgImport, org_id=a.target, name=a.name, key_id=a.key)
    return orgs.import_org(ctx.runtime, ctx.principal(), body)


def key_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.create_key(ctx.runtime, ctx.principal())


def key_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.list_keys(ctx.runtime, ctx.principal())


def org_rotate_key(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.rotate_key(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def user_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    """A user of an organisation (its admin, or the consortium admin); key shown once."""
    principal = ctx.principal()
    org_id = normalise_org_id(a.target)
    if not principal.is_consortium_admin and not (
        principal.org_id == org_id and principal.role == "admin"
    ):
        raise NotAuthorised(
            f"users of {org_id} are created by an admin of that organisation or the "
            f"consortium admin; this key is a {principal.role} of {principal.org_id}"
        )
    user, key = ctx.runtime.accounts.create_user(org_id, a.name, a.role)
    return {"id": user.id, "org_id": user.org_id, "name": user.name, "role": user.role,
            "api_key": key, "note": "the API key is shown once: store it now"}  # fmt: skip


def me(ctx: Ctx, a: argparse.Namespace) -> Any:
    return ctx.principal()


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("org", "organisations")
    p = g.leaf("create", org_create, "admit an organisation (registrar: consortium admin; "
             "others: the admin of the city's registrar)")  # fmt: skip
    p.add_argument("--kind", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--city", type=int, help="city code (required for a registrar)")
    p.add_argument("--signer", help="signing address whose key another gateway holds (from "
                   "its `ledger key create`); the org is then external here")  # fmt: skip
    p = g.leaf("import", org_import, "sign for an org admitted elsewhere with a key of this "
             "gateway (the chain must show the key signing for it)", target="ORG")  # fmt: skip
    p.add_argument("--name", required=True, help="the name the org was admitted with")
    p.add_argument("--key", required=True, help="the key id from `ledger key create`")
    g.leaf("list", org_list, "organisations known to this gateway", parent=tree.reader)
    g.leaf("show", org_show, "one organisation with its on-chain record", parent=tree.reader,
         target="ORG")  # fmt: skip
    g.leaf("rotate-key", org_rotate_key, "new signing key on chain, old one removed",
         target="ORG")  # fmt: skip

    g = tree.group("key", "signing keys held by this gateway")
    g.leaf("create", key_create, "create a signing key bound to no org yet; give its address "
         "to the gateway that admits the org")  # fmt: skip
    g.leaf("list", key_list, "keys created with `ledger key create`", parent=tree.reader)

    g = tree.group("user", "users and API keys")
    p = g.leaf("create", user_create, "create a user of an organisation; its API key is "
             "printed once", target="ORG")  # fmt: skip
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["admin", "writer", "reader"])

    tree.top.leaf("me", me, "the user of the API key", parent=tree.reader)
