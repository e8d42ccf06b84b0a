"""The reader's async side against a scripted JSON-RPC node: concurrent callers share one
head request, a caller never gets a head asked for before it arrived, a route answer is
built once per head and key and dropped when the head moves, and the asyncio client copes
with chunked bodies and with keep-alive connections the node closes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from web3 import Web3

from chain.errors import ChainUnavailable
from chain.reader import ChainReader
from chain.txpipe.rpc import RevertError


@dataclass
class FakeNode:
    """Answers ``eth_getBlockByNumber`` with its current block and ``eth_call`` with the
    block number in a word (reverting for calldata ``0xdead``); counts what it was asked."""

    block: int = 1
    delay: float = 0.0
    chunked: bool = False
    close_after_answer: bool = False
    methods: list[str] = field(default_factory=list)
    posts: int = 0
    connections: int = 0

    def answer(self, item: dict[str, Any]) -> dict[str, Any]:
        self.methods.append(item["method"])
        out: dict[str, Any] = {"jsonrpc": "2.0", "id": item["id"]}
        if item["method"] == "eth_getBlockByNumber":
            out["result"] = {
                "number": hex(self.block),
                "hash": f"0x{self.block:064x}",
                "timestamp": hex(1_700_000_000 + self.block),
            }
        elif item["params"][0]["data"] == "0xdead":
            out["error"] = {"code": 3, "message": "execution reverted", "data": "0x"}
        else:
            out["result"] = f"0x{int(item['params'][1], 16):064x}"
        return out

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))  # fmt: skip
                request = json.loads(await reader.readexactly(length))
                self.posts += 1
                if isinstance(request, list):  # answered as of the block when it arrived
                    body = json.dumps([self.answer(item) for item in request]).encode()
                else:
                    body = json.dumps(self.answer(request)).encode()
                if self.delay:
                    await asyncio.sleep(self.delay)
                if self.chunked:
                    half = len(body) // 2
                    parts = (body[:half], body[half:])
                    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
                    )
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def running(node: FakeNode) -> AsyncIterator[ChainReader]:
    server = await asyncio.start_server(node.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield ChainReader(Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}")), timeout=5)
    finally:
        server.close()


TARGET = "0x" + "11" * 20


def test_concurrent_heads_share_one_request_and_a_later_caller_asks_again() -> None:
    async def scenario() -> None:
        node = FakeNode(delay=0.05)
        async with running(node) as reader:
            heads = await asyncio.gather(*(reader.head_async() for _ in range(32)))
            assert {h.number for h in heads} == {1}
            assert node.methods.count("eth_getBlockByNumber") == 1
            node.block = 2
            assert (await reader.head_async()).number == 2  # asked after the block
            assert node.methods.count("eth_getBlockByNumber") == 2
            # the sync side shares the head and the cache
            assert (await asyncio.to_thread(reader.head)).number == 2

    asyncio.run(scenario())


def test_a_caller_arriving_while_a_head_request_is_out_waits_for_the_next() -> None:
    async def scenario() -> None:
        node = FakeNode(delay=0.1)
        async with running(node) as reader:
            first = asyncio.ensure_future(reader.head_async())
            await asyncio.sleep(0.03)  # the first request is on its way, still block 1
            node.block = 2
            late = await reader.head_async()
            assert (await first).number == 1
            assert late.number == 2
            assert node.methods.count("eth_getBlockByNumber") == 2

    asyncio.run(scenario())


def test_answers_built_once_per_head_and_dropped_when_the_head_moves() -> None:
    async def scenario() -> None:
        node = FakeNode(delay=0.02)
        async with running(node) as reader:
            builds = 0

            async def answer() -> bytes:
                head = await reader.head_async()

                async def build() -> tuple[bytes, int]:
                    nonlocal builds
                    builds += 1
                    (raw,) = await reader.raw_calls_async(head, [(TARGET, b"\x01")])
                    return b'{"block": %d}' % int.from_bytes(raw, "big"), 1

                return await reader.answer_async(head, ("route", "x"), build)

            bodies = await asyncio.gather(*(answer() for _ in range(16)))
            assert set(bodies) == {b'{"block": 1}'} and builds == 1
            assert node.methods.count("eth_call") == 1
            hits = reader.hits
            assert await answer() == b'{"block": 1}' and builds == 1
            assert reader.hits == hits + 1  # the view it was built from, from memory
            node.block = 2
            assert await answer() == b'{"block": 2}' and builds == 2
            assert node.methods.count("eth_call") == 2

    asyncio.run(scenario())


def test_a_failed_build_is_not_kept() -> None:
    async def scenario() -> None:
        node = FakeNode()
        async with running(node) as reader:
            head = await reader.head_async()

            async def reverting() -> tuple[bytes, int]:
                await reader.raw_calls_async(head, [(TARGET, bytes.fromhex("dead"))])
                return b"never", 1

            for _ in range(2):
                with pytest.raises(RevertError):
                    await reader.answer_async(head, "k", reverting)
            assert reader.answer(head, "k") is None
            assert node.methods.count("eth_call") == 2

    asyncio.run(scenario())


def test_chunked_answers_and_connections_the_node_closes() -> None:
    async def scenario() -> None:
        node = FakeNode(chunked=True, close_after_answer=True)
        async with running(node) as reader:
            for block in (1, 2, 3):
                node.block = block
                head = await reader.head_async()
                raws = await reader.raw_calls_async(head, [(TARGET, b"\x01"), (TARGET, b"\x02")])
                assert [int.from_bytes(r, "big") for r in raws] == [block, block]
            assert node.posts == 6 and node.connections >= 2

    asyncio.run(scenario())


def test_no_node_is_chain_unavailable() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        reader = ChainReader(Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}")), timeout=2)
        with pytest.raises(ChainUnavailable):
            await reader.head_async()

    asyncio.run(scenario())


def test_a_prefetched_head_is_sent_at_once_and_taken_by_the_request_that_arrived_before() -> None:
    async def scenario() -> None:
        node = FakeNode(delay=0.05)
        async with running(node) as reader:
            await reader.head_async()  # a kept-alive connection is idle now
            asked = len(node.methods)
            arrived = time.monotonic()
            reader.prefetch_head()  # written on the idle connection before returning
            await asyncio.sleep(0.01)  # the route is still parsing: the node has it
            assert node.methods[asked:] == ["eth_getBlockByNumber"]
            node.block = 2  # mined after the prefetch was sent
            head = await reader.head_async(arrived)
            assert head.number == 1  # sent after the request arrived: a fresh answer
            assert node.methods.count("eth_getBlockByNumber") == 2
            # a request that arrives after that head was asked gets a newer one
            assert (await reader.head_async()).number == 2
            assert node.methods.count("eth_getBlockByNumber") == 3
            # while one is on its way, a prefetch sends nothing more
            pending = asyncio.ensure_future(reader.head_async())
            await asyncio.sleep(0.01)
            reader.prefetch_head()
            await pending
            assert node.methods.count("eth_getBlockByNumber") == 4

    asyncio.run(scenario())


def test_a_prefetch_on_a_connection_the_node_closed_is_asked_again() -> None:
    async def scenario() -> None:
        node = FakeNode(close_after_answer=True)
        async with running(node) as reader:
            await reader.head_async()  # kept as idle; the node closes it after answering
            await asyncio.sleep(0.05)
            arrived = time.monotonic()
            reader.prefetch_head()
            node.block = 5
            assert (await reader.head_async(arrived)).number == 5
            assert node.connections >= 2

    asyncio.run(scenario())
