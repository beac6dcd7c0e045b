#!/usr/bin/env python3
# delayproxy.py --- a TCP proxy on 127.0.0.1 that holds every chunk of bytes
# for DELAY_MS before passing it on, in each direction: a round trip through
# it costs 2 x DELAY_MS more, as a link with that one-way latency would.
# The S3 benchmark puts it in front of radosgw to measure what a client pays
# for round trips (tests/bench/s3-bench.sh), where tc netem is not available
# (this machine's kernel has no sch_netem).  Order is kept per direction;
# bandwidth is not limited.
#
#   delayproxy.py LISTEN_PORT TARGET_PORT DELAY_MS
#
# Prints "ready" once it listens.
import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
        writer.close()


async def handle(creader, cwriter, target, delay):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(
        pump(creader, swriter, delay),
        pump(sreader, cwriter, delay),
        return_exceptions=True,
    )
    swriter.close()
    cwriter.close()


async def main():
    listen, target, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target, delay_ms / 1000.0),
        "127.0.0.1",
        listen,
        backlog=512,
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: delayproxy.py LISTEN_PORT TARGET_PORT DELAY_MS")
    asyncio.run(main())
