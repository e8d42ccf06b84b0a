"""Verify a certificate with nothing but an RPC URL and the registry address - or, with no
network at all, against a registrar key list exported earlier.

The independent path for a partner city or an exchange: no gateway, no database, no key::

    python -m chain.verify_cli --rpc-url https://rpc.example --registry 0x... cert.json \\
        [--verifier 0x...] [--by ORG_ID ...] [--require-recognition] [--json] [--poa]
    ledger verify --rpc-url URL --registry 0x... --qr photo-of-the-qr.jpg
    ledger verify --rpc-url URL --registry 0x... --pdf certificate.pdf
    ledger verify --offline-keys keys.json [--trust-exporter 0x...] --qr photo.png

The certificate is the document file (JSON, or the QR's text: its link, ``ledger:…`` or
base64url), ``--qr IMAGE`` (a photo, scan or screenshot of the printed QR code, which
carries the signed document itself: :mod:`chain.compact`) or ``--pdf FILE`` (the
certificate PDF: its attached document, else the QR on its page).

``--offline-keys FILE`` (from ``ledger keys export``) checks authenticity with no network:
the signature, and that its signer was a key of the issuing registrar when the
certificate was issued, as of the list's export time, which the answer states; whether the
certificate is revoked or expired now needs the chain. ``--trust-exporter`` pins who must
have signed the key list.

The registry is the AssetRegistryV2 the document names as its EIP-712 verifying contract.
``--verifier`` (optional) is the CertificateVerifier deployed with it: each of its answers
(status, dispute, registrar standing, usability, signature and key-compromise check) is then
one eth_call; without it the same views are read from the registry and the OrgDirectory.

``--by`` names organisations (bytes32 org ids) whose recognition is reported; with
``--require-recognition`` the first of them is the verifying organisation and the
certificate must be recognised by it. Use ``-`` as the document to read standard input.

Exit codes: 0 valid (offline: authentic), 1 invalid, 2 usage, file, key list or chain
errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from chain import keylist, scan
from chain.documents import CertificateDocument, DocumentError
from chain.verdict import Reason, Verdict
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
    parser.add_argument("--rpc-url", help="Ethereum JSON-RPC endpoint (not with --offline-keys)")
    parser.add_argument(
        "--registry",
        help="AssetRegistryV2 contract address (the document's verifying contract)",
    )  # fmt: skip
    parser.add_argument(
        "--verifier",
        help="CertificateVerifier address deployed with the registry (optional: each of its "
        "answers is one eth_call; without it the registry's views are read one by one)",
    )
    parser.add_argument(
        "document", nargs="?",
        help="the signed certificate document (JSON or the QR's text; a file, or -)",
    )  # fmt: skip
    parser.add_argument("--qr", metavar="IMAGE", help="a picture of the certificate's QR code")
    parser.add_argument("--pdf", metavar="FILE", help="the certificate PDF")
    parser.add_argument(
        "--offline-keys", metavar="FILE",
        help="verify with no network against this key list (ledger keys export)",
    )  # fmt: skip
    parser.add_argument(
        "--trust-exporter", action="append", default=[], metavar="ADDRESS",
        help="the key list must be signed by this address; repeatable",
    )  # fmt: skip
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


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


class _Unreadable(Exception):
    """The certificate cannot be read from what was given (exit 2)."""


def _read_input(args: argparse.Namespace) -> tuple[CertificateDocument | str, str]:
    """The document (or JSON text for the verifier to judge) and where it was read from."""
    options = (("document", args.document), ("--qr", args.qr), ("--pdf", args.pdf))
    given = [(flag, value) for flag, value in options if value]
    if len(given) != 1:
        raise _Unreadable("give the certificate once: a document file, --qr IMAGE or --pdf FILE")
    flag, name = given[0]
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise _Unreadable(f"cannot read the document {name}: {exc.strerror}") from exc
    try:
        kind = scan.kind_of(data)
        want = {"--qr": "image", "--pdf": "pdf"}.get(flag)
        if want is not None and kind != want:
            raise _Unreadable(f"{name} is not {'an image' if want == 'image' else 'a PDF'}")
        text = data.decode("utf-8").strip().lstrip("\ufeff") if kind == "text" else ""
        if kind == "text" and (not text or text.startswith("{")):
            return text, "the JSON document"
        found = scan.read_document(data)
    except (scan.UnsupportedUpload, scan.NothingFound) as exc:
        raise _Unreadable(f"{name}: {exc}") from exc
    where = {"qr-image": f"the QR code in {name}", "pdf-qr": f"the QR code on {name}",
             "pdf-attachment": f"the document attached to {name}",
             "pdf-keywords": f"the PDF metadata of {name}",
             "compact": "the QR's compact document", "json": "the JSON document"}  # fmt: skip
    return found.document, where[found.source]


def _format_failure(detail: str) -> Verdict:
    return Verdict(valid=False, status="Unknown",
                   reasons=[Reason(code="format", ok=False, detail=detail)])  # fmt: skip


def _offline(args: argparse.Namespace, document: CertificateDocument | str) -> Verdict | int:
    try:
        keys = keylist.load(Path(args.offline_keys).read_bytes())
    except OSError as exc:
        return _fail(f"cannot read the key list {args.offline_keys}: {exc.strerror}")
    except keylist.KeyListError as exc:
        return _fail(f"{args.offline_keys}: {exc}")
    return keylist.verify_offline(document, keys, args.trust_exporter)


def main(argv: Sequence[str] | None = None, prog: str = "python -m chain.verify_cli") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    for address in args.trust_exporter:
        if not Web3.is_address(address):
            return _fail(f"--trust-exporter {address!r} is not an address")
    if args.offline_keys is not None:
        if args.rpc_url is not None:
            return _fail("--offline-keys verifies with no network; leave out --rpc-url")
        try:
            document, source = _read_input(args)
        except _Unreadable as exc:
            return _fail(str(exc))
        except DocumentError as exc:
            return _print(args, _format_failure(str(exc)), "the given text")
        verdict = _offline(args, document)
        return verdict if isinstance(verdict, int) else _print(args, verdict, source)
    if args.rpc_url is None or args.registry is None:
        return _fail("give --rpc-url and --registry (or --offline-keys FILE to verify offline)")
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
        text, source = _read_input(args)
    except _Unreadable as exc:
        return _fail(str(exc))
    except DocumentError as exc:
        return _print(args, _format_failure(str(exc)), "the given text")

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

    return _print(args, verdict, source)


def _print(args: argparse.Namespace, verdict: Verdict, source: str) -> int:
    if args.json:
        print(json.dumps(verdict.model_dump(mode="json"), indent=2, sort_keys=True))
    else:
        print("\n".join([*verdict.sentences(), f"Read from {source}."]))
    return EXIT_VALID if verdict.valid else EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
