#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A matrix-nio client that an integration test drives, one command a line.

    nio-peer.py HOMESERVER USER_ID DEVICE_ID ACCESS_TOKEN

Reads JSON commands on standard input, one a line, and answers each with
one line of JSON: {"ok": RESULT} or {"error": "why"}. It starts by printing
{"ok": "ready"}. tests/integration/peer.c (peer_new_nio()) runs it with
CONFAB_PEER_PYTHON, whose venv has matrix-nio 0.26: everything the peer
sends or reads then goes through another client's implementation of the
spec, and what it saw is the server's JSON as nio received it (`source`).

Commands ({"op": NAME, ...}):
  create_room name            → room id (private chat, "Topic of NAME")
  invite room_id user_id      → null
  join room_id / leave room_id → null
  send room_id type content   → event id
  redact room_id event_id     → the redaction's event id
  set_state room_id type state_key content → event id
  messages room_id limit      → the events, newest first, as the server sent them
  mark_sync                   → null: later waits see only what comes after
  wait_event room_id type msgtype body sender timeout_ms
                              → the first matching timeline event (null: any)
  wait_ephemeral room_id type timeout_ms
                              → the content of the next ephemeral event of that type
  upload content_type data_base64 → content URI
"""

import asyncio
import base64
import io
import json
import sys
import time

from nio import (AsyncClient, AsyncClientConfig, JoinResponse, MessageDirection,
                 ReceiptEvent, RoomCreateResponse, RoomInviteResponse, RoomLeaveResponse,
                 RoomMessagesResponse, RoomPreset, RoomPutStateResponse, RoomRedactResponse,
                 RoomSendResponse, SyncResponse, TypingNoticeEvent, UploadResponse)

SYNC_FILTER = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 50}},
}


class PeerError(Exception):
    pass


def expect(response, kind, what):
    if not isinstance(response, kind):
        raise PeerError(f"{what}: {response}")
    return response


def matches(value, wanted):
    return wanted is None or value == wanted


def ephemeral_content(event):
    """An ephemeral event as the spec writes it (nio keeps no source for them)."""
    if isinstance(event, TypingNoticeEvent):
        return "m.typing", {"user_ids": list(event.users)}
    if isinstance(event, ReceiptEvent):
        content = {}
        for receipt in event.receipts:
            kind = getattr(receipt.receipt_type, "value", receipt.receipt_type)
            content.setdefault(receipt.event_id, {}).setdefault(kind, {})[
                receipt.user_id] = {"ts": receipt.timestamp}
        return "m.receipt", content
    return None, None


class Peer:
    def __init__(self, homeserver, user_id, device_id, token):
        self.client = AsyncClient(homeserver, user_id, device_id=device_id,
                                  config=AsyncClientConfig(encryption_enabled=False))
        self.client.user_id = user_id
        self.client.device_id = device_id
        self.client.access_token = token

    async def sync(self, timeout_ms):
        return expect(await self.client.sync(timeout=max(0, int(timeout_ms)),
                                             sync_filter=SYNC_FILTER),
                      SyncResponse, "sync")

    async def op_create_room(self, name):
        response = await self.client.room_create(name=name, topic=f"Topic of {name}",
                                                 preset=RoomPreset.private_chat)
        return expect(response, RoomCreateResponse, "create_room").room_id

    async def op_invite(self, room_id, user_id):
        expect(await self.client.room_invite(room_id, user_id), RoomInviteResponse, "invite")

    async def op_join(self, room_id):
        expect(await self.client.join(room_id), JoinResponse, "join")

    async def op_leave(self, room_id):
        expect(await self.client.room_leave(room_id), RoomLeaveResponse, "leave")

    async def op_send(self, room_id, type, content):
        response = await self.client.room_send(room_id, type, content)
        return expect(response, RoomSendResponse, "send").event_id

    async def op_redact(self, room_id, event_id):
        response = await self.client.room_redact(room_id, event_id)
        return expect(response, RoomRedactResponse, "redact").event_id

    async def op_set_state(self, room_id, type, state_key, content):
        response = await self.client.room_put_state(room_id, type, content, state_key=state_key)
        return expect(response, RoomPutStateResponse, "set_state").event_id

    async def op_messages(self, room_id, limit):
        if not self.client.next_batch:
            await self.sync(0)
        response = await self.client.room_messages(room_id, start=self.client.next_batch,
                                                   direction=MessageDirection.back, limit=limit)
        return [event.source for event in expect(response, RoomMessagesResponse, "messages").chunk]

    async def op_mark_sync(self):
        await self.sync(0)

    async def op_wait_event(self, room_id, type, msgtype, body, sender, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            left = (deadline - time.monotonic()) * 1000
            if left <= 0:
                raise PeerError(f"no {type} event ({body or 'any body'}) in {room_id} "
                                f"within {timeout_ms} ms")
            response = await self.sync(left)
            room = response.rooms.join.get(room_id)
            for event in room.timeline.events if room else []:
                source = event.source
                content = source.get("content", {})
                if (matches(source.get("type"), type) and matches(source.get("sender"), sender)
                        and matches(content.get("msgtype"), msgtype)
                        and matches(content.get("body"), body)):
                    return source

    async def op_wait_ephemeral(self, room_id, type, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            left = (deadline - time.monotonic()) * 1000
            if left <= 0:
                raise PeerError(f"no {type} in {room_id} within {timeout_ms} ms")
            response = await self.sync(left)
            room = response.rooms.join.get(room_id)
            for event in room.ephemeral if room else []:
                event_type, content = ephemeral_content(event)
                if event_type == type:
                    return content

    async def op_upload(self, content_type, data_base64):
        data = base64.b64decode(data_base64)
        response, _ = await self.client.upload(io.BytesIO(data), content_type=content_type,
                                               filesize=len(data))
        return expect(response, UploadResponse, "upload").content_uri


async def serve(peer):
    print(json.dumps({"ok": "ready"}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        try:
            command = json.loads(line)
            handler = getattr(peer, "op_" + command.pop("op"))
            reply = {"ok": await handler(**command)}
        except Exception as e:  # reported to the test, which fails with it
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)
    await peer.client.close()


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(Peer(*sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
