"""`Answer`: one answer a simulated region gave; `AnswerLog`: the last answers of a region, packed
(drills, `GET /requests`, the Azure Monitor metrics and logs are all computed from these).

Every request appends one answer, so the log is on the hot path of bench/simulator and is the one
thing in the simulator that grows with load. It is a ring of fixed capacity in packed columns: the
numbers and the request id in one bytearray (63 bytes an answer), the deployment, operation and
client request id as references (8 bytes each) to objects that already exist (interned names, route
name literals, the client's header bytes). No Python object is made per answer, so the garbage
collector has nothing more to walk as the log fills, and a full log weighs about 17 MB (it was a
NamedTuple, two floats and up to three strings an answer: about 330 bytes, 66 MB at 200,000).
`Answer` tuples are built only when the log is read.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Answer", "AnswerLog"]


class Answer(NamedTuple):
    """One answer, as `AnswerLog` gives it back.

    `status` 0 means the connection ended instead of being answered: cut by a fault or the port
    closing, or left by the client first (a timeout, a hedge won elsewhere); tokens are 0 unless it
    was a 200."""

    arrived: float  # epoch seconds the request arrived: what drills judge against
    deployment: str | None  # the deployment name the request asked for, when it named one
    status: int
    client_request_id: str | None  # the caller's x-ms-client-request-id
    request_id: str | None  # the apim-request-id the region answered with
    operation: str | None  # the route name ("chat", "responses_create", ...); None for unknown paths
    prompt_tokens: int
    completion_tokens: int
    response_ms: float  # time from arrival to the answer starting (Azure's time to response)
    stream: bool


MAX_ID_BYTES = 36  # request ids are kept up to this length (the region's own are UUIDs: 36 ASCII characters)
# arrived, response_ms, prompt_tokens, completion_tokens, status, stream, request_id: little-endian, unpadded
_RECORD = struct.Struct(f"<ddIIH?{MAX_ID_BYTES}s")
RECORD_BYTES = _RECORD.size
_pack_into = _RECORD.pack_into
MAX_CLIENT_ID_BYTES = 256  # a client request id is kept up to this length (uuid4s, as clients send, are 36)
MAX_NAMES = 1024  # distinct deployment names shared between answers; past that each answer keeps its own
MAX_NAME_CHARS = 256  # a deployment name is kept up to this length (a request may send any "model")
_GROW = 4096  # answers the columns grow by until they reach the capacity (a quiet region stays small)


class AnswerLog:
    """The last `capacity` answers, oldest first when iterated. Appends are O(1) and allocate
    nothing once the ring is full; memory is bounded by `capacity` (`RECORD_BYTES` + 24 bytes an
    answer, plus client request ids of at most `MAX_CLIENT_ID_BYTES` and deployment names of at most
    `MAX_NAME_CHARS`).

    Written from the event loop's thread. A reader in another thread (tests) gets a consistent
    snapshot: the ring has one slot more than it shows, the one the next answer is written to, so a
    half-written answer is never read."""

    __slots__ = (
        "_clients",
        "_deployments",
        "_names",
        "_next",
        "_operations",
        "_records",
        "_size",
        "_total",
        "capacity",
    )

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("an answer log needs a capacity of at least 1")
        self.capacity = capacity
        self._names: dict[str, str] = {}
        self.clear()

    def clear(self) -> None:
        self._records = bytearray()
        self._deployments: list[str | None] = []
        self._operations: list[str | None] = []
        self._clients: list[str | bytes | None] = []
        self._size = 0  # slots allocated so far (grows to capacity + 1)
        self._next = 0  # the slot the next answer goes to
        self._total = 0  # answers appended since the last clear (also a sequence number for readers)

    def __len__(self) -> int:
        return min(self._total, self.capacity)

    def append(
        self,
        arrived: float,
        deployment: str | None,
        status: int,
        client_request_id: str | bytes | None,
        request_id: str | None,
        operation: str | None,
        prompt_tokens: int,
        completion_tokens: int,
        response_ms: float,
        stream: bool,
    ) -> None:
        """Remember one answer (in `Answer`'s field order), forgetting the oldest when full.
        `client_request_id` may be the header's raw bytes (decoded as latin-1 when read)."""
        i = self._next
        if i == self._size:
            i = self._grow()
        _pack_into(
            self._records,
            i * RECORD_BYTES,
            arrived,
            response_ms,
            prompt_tokens,
            completion_tokens,
            status,
            stream,
            request_id.encode() if request_id else b"",
        )
        if deployment is not None:
            deployment = self._names.get(deployment) or self._intern(deployment)
        self._deployments[i] = deployment
        self._operations[i] = operation
        if client_request_id is not None and len(client_request_id) > MAX_CLIENT_ID_BYTES:
            client_request_id = client_request_id[:MAX_CLIENT_ID_BYTES]
        self._clients[i] = client_request_id
        self._next = i + 1
        self._total += 1

    def _grow(self) -> int:
        """The slot to write when `_next` reached the allocated end: more slots, or the ring's start."""
        slots = self.capacity + 1
        if self._size == slots:
            return 0
        more = min(_GROW, slots - self._size)
        self._records += bytes(more * RECORD_BYTES)
        for column in (self._deployments, self._operations, self._clients):
            column += [None] * more
        self._size += more
        return self._next

    def _intern(self, name: str) -> str:
        """One shared string per deployment name (each request parses its own copy), up to
        MAX_NAMES; a name is kept up to MAX_NAME_CHARS (Azure's own are at most 64)."""
        kept = name[:MAX_NAME_CHARS]
        if len(self._names) < MAX_NAMES:
            self._names[name] = kept
        return kept

    def __iter__(self) -> Iterator[Answer]:
        while True:  # copies taken between two appends: each is one C call, retry if one slipped in
            total = self._total
            records = bytes(self._records)
            deployments, operations, clients = self._deployments[:], self._operations[:], self._clients[:]
            if self._total == total:
                break
        slots, count = self.capacity + 1, min(total, self.capacity)
        first = (total - count) % slots
        order = (*range(first, min(first + count, slots)), *range(max(0, first + count - slots)))
        rows = list(_RECORD.iter_unpack(records))
        for i in order:
            arrived, response_ms, prompt, completion, status, stream, rid = rows[i]
            client = clients[i]
            yield Answer(
                arrived,
                deployments[i],
                status,
                client.decode("latin-1") if isinstance(client, bytes) else client,
                rid.rstrip(b"\0").decode() or None,
                operations[i],
                prompt,
                completion,
                response_ms,
                stream,
            )
