"""Verify a certificate document with nothing but an RPC URL and the registry address.

The independent path for a partner city or an exchange: no gateway, no database, no key::

    python -m chain.verify_cli --rpc-url https://rpc.example --registry 0x... cert.json \\
        [--verifier 0x...] [--by ORG_ID ...] [--require-recognition] [--json] [--poa]

The registry is the AssetRegistryV2 the document names as its EIP-712 verifying contract.
``--verifier`` (optional) is the CertificateVerifier deployed with it: each of its answers
(status, dispute, registrar standing, usability, signature and key-compromise check) is then
one eth_call; without it the same views are read from the registry and the OrgDirectory.

``--by`` names organisations (bytes32 org ids) whose recognition is reported; with
``--require-recognition`` the first of them is the verifying organisation and the
certificate must be recognised by it. Use ``-`` as the document to read standard input.

Exit codes: 0 valid, 1 invalid, 2 usage, document file or chain errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from chain.verifier import VerificationUnavailable, verify_document

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser(prog: str = "python -m chain.verify_cli") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Verify a data asset registration certificate document against the chain.",
    )
    parser.add_argument("--rpc-url", required=True, help="Ethereum JSON-RPC endpoint")
    parser.add_argument(
        "--registry", required=True,
        help="AssetRegistryV2 contract address (the document's verifying contract)",
    )  # fmt: skip
    parser.add_argument(
        "--verifier",
        help="CertificateVerifier address deployed with the registry (optional: each of its "
        "answers is one eth_call; without it the registry's views are read one by one)",
    )
    parser.add_argument("document", help="the signed certificate document (JSON file, or -)")
    parser.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="ORG_ID",
        help="organisation id (0x + 64 hex) to report recognition for; repeatable",
    )
    parser.add_argument(
        "--require-recognition",
        action="store_true",
        help="the certificate must be recognised by the first --by organisation",
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("--poa", action="store_true", help="the chain is a PoA/QBFT chain")
    parser.add_argument("--timeout", type=float, default=30.0, help="RPC timeout in seconds")
    return parser


def _valid_org(value: str) -> bool:
    if not (value.startswith("0x") and len(value) == 66):
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    return True


def main(argv: Sequence[str] | None = None, prog: str = "python -m chain.verify_cli") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    for org in args.by:
        if not _valid_org(org):
            print(f"error: --by {org!r} is not an org id (0x and 64 hex digits)", file=sys.stderr)
            return EXIT_ERROR
    if args.require_recognition and not args.by:
        print("error: --require-recognition needs an org id with --by", file=sys.stderr)
        return EXIT_ERROR
    if not Web3.is_address(args.registry):
        print(f"error: --registry {args.registry!r} is not an address", file=sys.stderr)
        return EXIT_ERROR
    if args.verifier is not None and not Web3.is_address(args.verifier):
        print(f"error: --verifier {args.verifier!r} is not an address", file=sys.stderr)
        return EXIT_ERROR
    try:
        text = sys.stdin.read() if args.document == "-" else Path(args.document).read_text()
    except OSError as exc:
        print(f"error: cannot read the document {args.document}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR

    w3 = Web3(Web3.HTTPProvider(args.rpc_url, request_kwargs={"timeout": args.timeout}))
    if args.poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        verdict = verify_document(
            w3,
            args.registry,
            text,
            by_org_id=args.by[0] if args.require_recognition else None,
            recognisers=args.by,
            verifier_address=args.verifier,
        )
    except VerificationUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a node that stops answering mid-way
        print(f"error: the chain at {args.rpc_url} could not be read: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if args.json:
        print(json.dumps(verdict.model_dump(mode="json"), indent=2, sort_keys=True))
    else:
        print("\n".join(verdict.sentences()))
    return EXIT_VALID if verdict.valid else EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
