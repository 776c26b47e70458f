#!/usr/bin/env python3
"""peer.py: the kernel's side of the stack tests, run in the peer namespace.

  peer.py serve PORT [--send FILE] [--sha-out FILE] [--order both|recv-first|send-first]
                     [--expect-reset] [--rst-after SECONDS] [--ready FILE]
      accept one TCP connection; send FILE (then shut down the write side)
      and receive until EOF, both at once or one after the other; write
      "SHA256 BYTES" of what came in to --sha-out (or stdout)
  peer.py connect ADDR PORT [--send FILE] [--sha-out FILE] [--order ...]
      the same as a client (retries the connect for up to 10 s)
  peer.py echo PORT [--ready FILE]
      TCP echo for any number of connections at once, until killed; each
      connection is shut down after the client's EOF, once all is echoed
  peer.py udp-echo PORT [--ready FILE]
  peer.py udp-send ADDR PORT --sizes S,S,... [--burst]
      one datagram of each size (same pattern as stackprobe), each echo
      checked; prints "ok SIZE"; with --burst all are sent before any
      echo is read, and the echoes must be the same datagrams, each whole

  peer.py invert <IN >OUT
      every byte inverted (what --invert sends instead of FILE)
  peer.py pace MIB_PER_S <IN >OUT
      copy, at most MIB_PER_S MiB a second (a transfer that lasts)

--ready FILE is created once the socket listens.  Exit status 0 on
success; 1 with a reason on stderr otherwise.
"""
import argparse
import hashlib
import os
import selectors
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 18
INVERT = bytes(255 - i for i in range(256))


def die(msg):
    sys.stderr.write("peer: %s\n" % msg)
    sys.stderr.flush()
    os._exit(1)


def ready(path):
    if path:
        with open(path, "w") as f:
            f.write("%d\n" % os.getpid())


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def send_file(sock, path, invert=False):
    """Send a file (each byte inverted if asked), then shut down the write
    side; returns the sha256 of what was sent."""
    h = hashlib.sha256()
    n = 0
    if path:
        with open(path, "rb") as f:
            while True:
                b = f.read(CHUNK)
                if not b:
                    break
                if invert:
                    b = b.translate(INVERT)
                sock.sendall(b)
                h.update(b)
                n += len(b)
    sock.shutdown(socket.SHUT_WR)
    return h.hexdigest(), n


def recv_all(sock):
    """Receive until EOF; returns (sha256, bytes)."""
    h = hashlib.sha256()
    n = 0
    while True:
        b = sock.recv(CHUNK)
        if not b:
            break
        h.update(b)
        n += len(b)
    return h.hexdigest(), n


def transfer(sock, args):
    out = {}
    err = []

    def sender():
        try:
            send_file(sock, args.send, args.invert)
        except OSError as e:
            err.append("send: %s" % e)

    if args.order == "send-first":
        sender()
        out["rx"] = recv_all(sock)
    elif args.order == "recv-first":
        out["rx"] = recv_all(sock)
        sender()
    else:
        t = threading.Thread(target=sender)
        t.start()
        try:
            out["rx"] = recv_all(sock)
        except OSError as e:
            err.append("recv: %s" % e)
        t.join()
    if err:
        die("; ".join(err))
    sha, n = out["rx"]
    line = "%s %d\n" % (sha, n)
    if args.sha_out:
        with open(args.sha_out, "w") as f:
            f.write(line)
    else:
        sys.stdout.write(line)
    sock.close()


def listener(port, proto=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET6, proto)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if proto == socket.SOCK_STREAM:
        s.listen(4096)
    return s


def cmd_serve(args):
    ls = listener(args.port)
    ready(args.ready)
    s, _ = ls.accept()
    ls.close()
    if args.rst_after is not None:
        time.sleep(args.rst_after)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        return
    if args.expect_reset:
        try:
            while True:
                b = s.recv(CHUNK)
                if not b:
                    die("a clean EOF, not a reset")
        except ConnectionResetError:
            print("reset")
            return
    transfer(s, args)


def cmd_connect(args):
    deadline = time.time() + 10
    while True:
        try:
            s = socket.create_connection((args.addr, args.port), timeout=10)
            break
        except OSError as e:
            if time.time() > deadline:
                die("connect: %s" % e)
            time.sleep(0.1)
    s.settimeout(None)
    transfer(s, args)


def cmd_echo(args):
    ls = listener(args.port)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    conns = {}
    ready(args.ready)

    def close(c):
        sel.unregister(c)
        del conns[c]
        c.close()

    def want(c, st):
        ev = selectors.EVENT_WRITE if st["buf"] else 0
        if not st["eof"] and len(st["buf"]) < CHUNK:
            ev |= selectors.EVENT_READ
        sel.modify(c, ev, st)

    while True:
        for key, mask in sel.select():
            if key.data is None:
                while True:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    st = {"buf": bytearray(), "eof": False}
                    conns[c] = st
                    sel.register(c, selectors.EVENT_READ, st)
                continue
            c, st = key.fileobj, key.data
            try:
                if mask & selectors.EVENT_READ:
                    b = c.recv(CHUNK)
                    if b:
                        st["buf"] += b
                    else:
                        st["eof"] = True
                if st["buf"]:
                    try:
                        n = c.send(st["buf"])
                        del st["buf"][:n]
                    except BlockingIOError:
                        pass
                if st["eof"] and not st["buf"]:
                    c.shutdown(socket.SHUT_WR)
                    close(c)
                    continue
                want(c, st)
            except OSError as e:
                sys.stderr.write("peer: echo: %s\n" % e)
                close(c)


def cmd_udp_echo(args):
    s = listener(args.port, socket.SOCK_DGRAM)
    ready(args.ready)
    while True:
        b, a = s.recvfrom(65535)
        s.sendto(b, a)


def cmd_invert(args):
    while True:
        b = sys.stdin.buffer.read(CHUNK)
        if not b:
            break
        sys.stdout.buffer.write(b.translate(INVERT))
    sys.stdout.buffer.flush()


def cmd_pace(args):
    chunk = 1 << 18
    t0 = time.monotonic()
    sent = 0
    while True:
        b = sys.stdin.buffer.read(chunk)
        if not b:
            break
        sys.stdout.buffer.write(b)
        sys.stdout.buffer.flush()
        sent += len(b)
        ahead = sent / (args.rate * 1048576.0) - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)


def pattern(size):
    # stackprobe's dgram_byte(size, j)
    return bytes(((j * 7 + size * 13 + (j >> 8)) & 0xFF) for j in range(size))


def udp_burst(s, args, sizes):
    """Every datagram at once, then every echo: each one whole."""
    sent = [pattern(n) for n in sizes]
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    for d in sent:
        s.sendto(d, (args.addr, args.port))
    got = []
    try:
        while len(got) < len(sent):
            b, a = s.recvfrom(65535)
            got.append(b)
    except socket.timeout:
        die("burst: %d of %d echoes" % (len(got), len(sent)))
    if sorted(got) != sorted(sent):
        die("burst: sent sizes %s, echoes %s" % (sorted(sizes), sorted(len(b) for b in got)))
    print("burst ok %d" % len(got), flush=True)


def cmd_udp_send(args):
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    s.settimeout(2)
    if args.burst:
        return udp_burst(s, args, [int(t) for t in args.sizes.split(",")])
    for tok in args.sizes.split(","):
        size = int(tok)
        data = pattern(size)
        for attempt in range(3):
            s.sendto(data, (args.addr, args.port))
            try:
                b, a = s.recvfrom(65535)
                break
            except socket.timeout:
                continue
        else:
            die("size %d: no echo" % size)
        if len(b) != size:
            die("size %d: the echo has %d bytes" % (size, len(b)))
        if b != data:
            die("size %d: the echo differs" % size)
        print("ok %d" % size, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def xfer(q):
        q.add_argument("--send")
        q.add_argument("--sha-out")
        q.add_argument("--invert", action="store_true")
        q.add_argument("--order", default="both",
                       choices=["both", "recv-first", "send-first"])

    q = sub.add_parser("serve")
    q.add_argument("port", type=int)
    xfer(q)
    q.add_argument("--expect-reset", action="store_true")
    q.add_argument("--rst-after", type=float)
    q.add_argument("--ready")
    q = sub.add_parser("connect")
    q.add_argument("addr")
    q.add_argument("port", type=int)
    xfer(q)
    q = sub.add_parser("echo")
    q.add_argument("port", type=int)
    q.add_argument("--ready")
    q = sub.add_parser("udp-echo")
    q.add_argument("port", type=int)
    q.add_argument("--ready")
    sub.add_parser("invert")
    q = sub.add_parser("pace")
    q.add_argument("rate", type=float)
    q = sub.add_parser("udp-send")
    q.add_argument("addr")
    q.add_argument("port", type=int)
    q.add_argument("--sizes", required=True)
    q.add_argument("--burst", action="store_true")
    args = p.parse_args()
    {"invert": cmd_invert, "pace": cmd_pace, "serve": cmd_serve, "connect": cmd_connect, "echo": cmd_echo,
     "udp-echo": cmd_udp_echo, "udp-send": cmd_udp_send}[args.cmd](args)


if __name__ == "__main__":
    main()
