"""The event loop's JSON-RPC connections: answers parsed as their bytes arrive (in any
pieces, of known length, chunked or up to the connection's end), malformed answers and
silent nodes refused, and a head request whose caller gives up still serving the others."""

from __future__ import annotations

import asyncio
import time

import pytest
from web3 import Web3

from chain.async_rpc import AsyncRpc, NodeConnection, parse_answer
from chain.errors import ChainUnavailable
from chain.json_http import JsonHttp
from chain.reader import ChainReader

BODY = b'{"jsonrpc":"2.0","id":1,"result":"0x2a"}'
SIZED = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\n" + BODY[:5] + b"\r\n" + b"%x;ext=1\r\n" % (len(BODY) - 5) + BODY[5:] + b"\r\n"
    b"0\r\nX-Trailer: yes\r\n\r\n"
)


@pytest.mark.parametrize("raw", [SIZED, CHUNKED], ids=["sized", "chunked"])
def test_an_answer_is_whole_only_with_its_last_byte(raw: bytes) -> None:
    for cut in range(len(raw)):
        assert parse_answer(bytearray(raw[:cut]), eof=False) is None, cut
    parsed = parse_answer(bytearray(raw + b"HTTP/1.1 next"), eof=False)
    assert parsed == ((200, BODY, True), len(raw))


def test_a_body_without_a_length_ends_with_the_connection() -> None:
    raw = bytearray(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY)
    assert parse_answer(raw, eof=False) is None
    assert parse_answer(raw, eof=True) == ((200, BODY, False), len(raw))
    closing = bytearray(
        SIZED.replace(b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nConnection: close\r\n")
    )
    assert parse_answer(closing, eof=False) == ((200, BODY, False), len(closing))


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    ],
)
def test_what_is_not_an_http_answer_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_answer(bytearray(raw), eof=False)


async def _server(handler: object) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def test_an_answer_in_pieces_and_a_garbled_one() -> None:
    async def scenario() -> None:
        async def pieces(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(len(b'{"m":1}'))
            for n in range(0, len(SIZED), 7):  # a byte run at a time
                writer.write(SIZED[n : n + 7])
                await writer.drain()
                await asyncio.sleep(0.001)

        async def garbled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"garbage\r\n\r\n")
            await writer.drain()

        for handler, expected in ((pieces, True), (garbled, False)):
            server, url = await _server(handler)
            async with server:
                rpc = AsyncRpc(JsonHttp(url, 2.0), iter(range(1, 100)))  # type: ignore[arg-type]
                if expected:
                    assert await rpc.post({"m": 1}) == {"jsonrpc": "2.0", "id": 1, "result": "0x2a"}
                    assert len(rpc.idle) == 1  # kept for the next request
                else:
                    with pytest.raises(ChainUnavailable, match="ValueError"):
                        await rpc.post({"m": 1})
                    assert rpc.idle == []

    asyncio.run(scenario())


def test_a_silent_node_is_chain_unavailable_within_the_timeout() -> None:
    async def scenario() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)
            await asyncio.sleep(5)  # never answers

        server, url = await _server(handle)
        async with server:
            reader = ChainReader(Web3(Web3.HTTPProvider(url)), timeout=0.2)
            started = time.monotonic()
            with pytest.raises(ChainUnavailable):
                await reader.head_async()
            assert time.monotonic() - started < 2.0

    asyncio.run(scenario())


def test_a_prefetch_the_node_leaves_unanswered_is_given_up_and_asked_again() -> None:
    async def scenario() -> None:
        answered = connections = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal answered, connections
            connections += 1
            await reader.readuntil(b"\r\n\r\n")
            body = (
                b'{"jsonrpc":"2.0","id":1,"result":{"number":"0x1","hash":"0x%s",'
                b'"timestamp":"0x1"}}' % (b"cd" * 32)
            )
            if answered == 0:
                answered += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
            await asyncio.sleep(5)  # then silent, on every connection

        server, url = await _server(handle)
        async with server:
            reader = ChainReader(Web3(Web3.HTTPProvider(url)), timeout=0.2)
            assert (await reader.head_async()).number == 1
            arrived = time.monotonic()
            reader.prefetch_head()  # on the kept-alive connection; never answered
            started = time.monotonic()
            with pytest.raises(ChainUnavailable):  # given up, asked again, given up
                await reader.head_async(arrived)
            assert time.monotonic() - started < 3.0
            assert answered == 1 and connections == 2  # the prefetch's, then a new one

    asyncio.run(scenario())


def test_a_caller_that_gives_up_leaves_the_head_request_to_the_others() -> None:
    async def scenario() -> None:
        asked = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal asked
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                request = await reader.readexactly(length)
                asked += 1
                await asyncio.sleep(0.05)
                first = int(request.split(b'"id":')[1].split(b",")[0])
                body = (
                    b'{"jsonrpc":"2.0","id":%d,"result":{"number":"0x7","hash":"0x%s",'
                    b'"timestamp":"0x1"}}' % (first, b"ab" * 32)
                )
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()

        server, url = await _server(handle)
        async with server:
            reader = ChainReader(Web3(Web3.HTTPProvider(url)), timeout=2)
            await reader.head_async()  # a kept-alive connection is idle now
            arrived = time.monotonic()
            reader.prefetch_head()  # sent on it at once, answered where it lands
            quitter = asyncio.ensure_future(reader.head_async(arrived))
            stayer = asyncio.ensure_future(reader.head_async(arrived))
            await asyncio.sleep(0.01)
            quitter.cancel()
            head = await stayer
            assert head.number == 7 and head.hash == "0x" + "ab" * 32
            assert quitter.cancelled()
            assert asked == 2  # one at start, one for both callers

    asyncio.run(scenario())


def test_a_connection_refuses_a_request_once_closed() -> None:
    conn = NodeConnection()
    conn.close()
    with pytest.raises(ConnectionError):
        conn.send(b"POST / HTTP/1.1\r\n\r\n", lambda c, o: None)


def test_a_node_gone_silent_costs_one_timeout_not_one_per_idle_connection() -> None:
    async def scenario() -> None:
        silent = False

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(len(b'{"m":1}'))
                except asyncio.IncompleteReadError:
                    return
                if silent:
                    await asyncio.sleep(5)
                    return
                await asyncio.sleep(0.02)  # the callers overlap: a connection each
                writer.write(SIZED)
                await writer.drain()

        server, url = await _server(handle)
        async with server:
            rpc = AsyncRpc(JsonHttp(url, 0.3), iter(range(1, 100)))  # type: ignore[arg-type]
            await asyncio.gather(*(rpc.post({"m": 1}) for _ in range(4)))
            assert len(rpc.idle) == 4
            silent = True
            started = time.monotonic()
            with pytest.raises(ChainUnavailable, match="TimeoutError"):
                await rpc.post({"m": 1})
            assert time.monotonic() - started < 0.9  # not 4 x 0.3 s

    asyncio.run(scenario())
