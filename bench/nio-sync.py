#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""matrix-nio handling the same initial /sync body as bench-sync.

    nio-sync.py FILE

What nio's AsyncClient.sync() does with a response body, minus the HTTP:
json.loads (AsyncClient.parse_body), SyncResponse.from_dict (which validates
against nio's JSON schema and builds the event objects), then
AsyncClient.receive_response, which builds a MatrixRoom per joined room with
its state, members (MatrixUser with display names), summary, unread counts
and timeline events. Leaving out the HTTP favours nio. One run per process;
prints one JSON object with the time, CPU time and peak RSS.
"""

import asyncio
import json
import resource
import sys
import time

from nio import AsyncClient, SyncResponse


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1e3


async def main(path):
    with open(path, "rb") as f:
        data = f.read()

    client = AsyncClient("http://127.0.0.1:1", "@me:example.org")
    client.user_id = "@me:example.org"
    client.access_token = "bench-token"

    cpu_start = cpu_ms()
    start = time.perf_counter()
    parsed = json.loads(data)
    response = SyncResponse.from_dict(parsed)
    if not isinstance(response, SyncResponse):
        raise SystemExit(f"nio refused the body: {response}")
    await client.receive_response(response)
    end = time.perf_counter()

    rooms = len(client.rooms)
    members = sum(len(room.users) for room in client.rooms.values())
    timeline = sum(len(info.timeline.events) for info in response.rooms.join.values())
    print(json.dumps({
        "ms": round((end - start) * 1e3, 3),
        "cpu_ms": round(cpu_ms() - cpu_start, 3),
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rooms": rooms,
        "members": members,
        "timeline_events": timeline,
    }))
    await client.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1]))
