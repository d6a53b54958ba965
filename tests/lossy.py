"""A lossy UDP relay between a controller and a camera: real sockets, seeded losses.

Packet loss cannot be produced on loopback otherwise; this relay drops a share of the
datagrams in each direction, the same ones every run (a seeded RNG).
"""

from __future__ import annotations

import asyncio
import random


class LossyRelay(asyncio.DatagramProtocol):
    def __init__(self, camera: tuple[str, int], loss: float, seed: int = 7) -> None:
        self.camera = camera
        self.loss = loss
        self.rng = random.Random(seed)
        self.client: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.dropped = {"to camera": 0, "to controller": 0}
        self.port = 0

    @classmethod
    async def start(cls, camera: tuple[str, int], loss: float, host: str = "127.0.0.2") -> "LossyRelay":
        relay = cls(camera, loss)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(lambda: relay, local_addr=(host, 0))
        relay.transport = transport
        relay.port = transport.get_extra_info("sockname")[1]
        return relay

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        to_camera = addr != self.camera
        if to_camera:
            self.client = addr
        if self.rng.random() < self.loss:
            self.dropped["to camera" if to_camera else "to controller"] += 1
            return
        if to_camera:
            self.transport.sendto(data, self.camera)
        elif self.client is not None:
            self.transport.sendto(data, self.client)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
