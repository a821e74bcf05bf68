#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The other side of the media integration test: a matrix-nio client.

    media-peer.py send HOMESERVER USER PASSWORD ROOM IMAGE PDF
        joins ROOM, uploads IMAGE (a PNG) and PDF with nio and sends them as
        m.image (with info: mimetype, size, w, h) and m.file; prints a JSON
        object with their event ids, content URIs and SHA-256 sums.

    media-peer.py fetch HOMESERVER USER PASSWORD ROOM EVENT
        reads EVENT as the server gives it to this user, downloads its url
        with nio, and prints its content and the bytes' SHA-256 and size.

Run by tests/integration/test-media.c with CONFAB_PEER_PYTHON; any failure
exits non-zero with the reason on stderr.
"""

import asyncio
import hashlib
import json
import os
import struct
import sys

from nio import (AsyncClient, DownloadResponse, JoinResponse, LoginResponse,
                 RoomGetEventResponse, RoomSendResponse, UploadResponse)


def fail(what, response):
    print(f"media-peer: {what}: {response}", file=sys.stderr)
    sys.exit(1)


def png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        fail("not a PNG", path)
    return struct.unpack(">II", header[16:24])


async def logged_in(homeserver, user, password, room):
    client = AsyncClient(homeserver, user)
    response = await client.login(password, device_name="media-peer")
    if not isinstance(response, LoginResponse):
        fail("login", response)
    response = await client.join(room)
    if not isinstance(response, JoinResponse):
        fail("join", response)
    return client


async def upload(client, path, content_type):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        response, _ = await client.upload(f, content_type=content_type,
                                          filename=os.path.basename(path), filesize=size)
    if not isinstance(response, UploadResponse):
        fail("upload", response)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return response.content_uri, size, digest


async def send(client, room, content):
    response = await client.room_send(room, "m.room.message", content)
    if not isinstance(response, RoomSendResponse):
        fail("send", response)
    return response.event_id


async def cmd_send(homeserver, user, password, room, image, pdf):
    client = await logged_in(homeserver, user, password, room)
    try:
        image_uri, image_size, image_sum = await upload(client, image, "image/png")
        width, height = png_size(image)
        image_event = await send(client, room, {
            "msgtype": "m.image", "body": os.path.basename(image), "url": image_uri,
            "info": {"mimetype": "image/png", "size": image_size, "w": width, "h": height},
        })
        pdf_uri, pdf_size, pdf_sum = await upload(client, pdf, "application/pdf")
        pdf_event = await send(client, room, {
            "msgtype": "m.file", "body": os.path.basename(pdf), "url": pdf_uri,
            "info": {"mimetype": "application/pdf", "size": pdf_size},
        })
        print(json.dumps({
            "image_event": image_event, "image_uri": image_uri, "image_sha256": image_sum,
            "pdf_event": pdf_event, "pdf_uri": pdf_uri, "pdf_sha256": pdf_sum,
        }))
    finally:
        await client.close()


async def cmd_fetch(homeserver, user, password, room, event_id):
    client = await logged_in(homeserver, user, password, room)
    try:
        response = await client.room_get_event(room, event_id)
        if not isinstance(response, RoomGetEventResponse):
            fail("event", response)
        content = response.event.source.get("content", {})
        download = await client.download(mxc=content.get("url", ""))
        if not isinstance(download, DownloadResponse):
            fail("download", download)
        print(json.dumps({
            "content": content,
            "sha256": hashlib.sha256(download.body).hexdigest(),
            "size": len(download.body),
            "content_type": download.content_type,
        }))
    finally:
        await client.close()


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "send":
        asyncio.run(cmd_send(*sys.argv[2:]))
    elif len(sys.argv) == 7 and sys.argv[1] == "fetch":
        asyncio.run(cmd_fetch(*sys.argv[2:]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
