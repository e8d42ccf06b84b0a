"""Organisations, signing keys, users and the caller: ``ledger org|key|user|me``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree


def org_create(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"name": a.name, "kind": a.kind, "city_code": a.city, "signer_address": a.signer}
    return ctx.send("POST", "/v1/orgs", {k: v for k, v in body.items() if v is not None},
                    kind="org")  # fmt: skip


def org_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read("/v1/orgs")


def org_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/orgs/{seg(a.target)}")


def org_import(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"org_id": a.target, "name": a.name, "key_id": a.key}
    return ctx.send("POST", "/v1/orgs/import", body)


def org_rotate_key(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/orgs/{seg(a.target)}/keys/rotation", kind="signing key")


def org_terms(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    """The registrar's terms; with ``--notice-window`` or ``--certificate-term`` set them
    (the term not given keeps its current value)."""
    path = f"/v1/orgs/{seg(a.target)}/terms"
    if a.notice_window is None and a.certificate_term is None:
        return ctx.read(path)
    terms = {"notice_window_seconds": a.notice_window,
             "certificate_term_seconds": a.certificate_term}  # fmt: skip
    if None in terms.values():
        current = ctx.read(path).data
        terms = {k: current[k] if v is None else v for k, v in terms.items()}
    return ctx.send("PUT", path, terms)


def org_activate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/orgs/{seg(a.target)}/activation", {"active": True})


def org_deactivate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/orgs/{seg(a.target)}/activation", {"active": False})


def key_create(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", "/v1/keys")


def key_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read("/v1/keys")


def user_create(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    """A user of an organisation (its admin, or the consortium admin); key shown once."""
    return ctx.send("POST", f"/v1/orgs/{seg(a.target)}/users", {"name": a.name, "role": a.role})


def user_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/orgs/{seg(a.target)}/users")


def user_revoke(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/users/{seg(a.target)}/revocation")


def user_rotate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/users/{seg(a.target)}/key")


def me(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read("/v1/me")


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
    p = g.leaf("terms", org_terms, "a registrar's notice window and certificate term; set "
               "them with --notice-window and --certificate-term (that registrar)",
               target="ORG")  # fmt: skip
    p.add_argument("--notice-window", type=int, metavar="SECONDS")
    p.add_argument("--certificate-term", type=int, metavar="SECONDS")
    g.leaf("activate", org_activate, "activate an organisation (its city's registrar)",
           target="ORG")  # fmt: skip
    g.leaf("deactivate", org_deactivate, "deactivate an organisation: it can no longer act "
           "on chain (its city's registrar)", target="ORG")  # fmt: skip

    g = tree.group("key", "signing keys held by this gateway")
    g.leaf("create", key_create, "create a signing key bound to no org yet; give its address "
         "to the gateway that admits the org")  # fmt: skip
    g.leaf("list", key_list, "keys created with `ledger key create`", parent=tree.reader)

    g = tree.group("user", "users and API keys")
    p = g.leaf("create", user_create, "create a user of an organisation; its API key is "
             "printed once", target="ORG")  # fmt: skip
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["admin", "writer", "reader"])
    g.leaf("list", user_list, "users of an organisation and their API keys (never the keys "
           "themselves)", parent=tree.reader, target="ORG")  # fmt: skip
    g.leaf("revoke", user_revoke, "revoke a user's API key at once", target="USER")
    g.leaf("rotate", user_rotate, "a new API key for a user, printed once; the old one stops "
           "working", target="USER")  # fmt: skip

    tree.top.leaf("me", me, "the user of the API key", parent=tree.reader)
