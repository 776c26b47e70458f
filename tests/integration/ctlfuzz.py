#!/usr/bin/env python3
"""ctlfuzz.py CTL-PATH: malformed control messages against membrane-switch.

Each message goes on its own connection; the switch must answer with an
error (or hang up) and keep serving.  Prints one line per case and exits 0
if every case got a reasoned refusal."""
import socket
import struct
import sys

MAGIC, VERSION = 0x4D425357, 1
ATTACH, ERROR = 1, 9


def hdr(typ, length, magic=MAGIC, version=VERSION):
    return struct.pack("<IHHII", magic, version, typ, length, 1)


def attach(mac=b"\x02\x00\x00\x00\x00\x42", name=b"fuzz"):
    body = mac + struct.pack("<H", 0) + name.ljust(32, b"\0")
    return hdr(ATTACH, 16 + len(body)) + body


CASES = [
    ("empty", b"\0"),
    ("short header", b"\x57\x53\x42"),
    ("bad magic", hdr(ATTACH, 56, magic=0xDEADBEEF) + bytes(40)),
    ("bad version", hdr(ATTACH, 56, version=99) + bytes(40)),
    ("unknown type", hdr(77, 16)),
    ("length lies", hdr(ATTACH, 4000) + bytes(40)),
    ("attach too short", attach()[:30]),
    ("oversized", hdr(ATTACH, 70000) + bytes(69984)),
    ("multicast MAC", attach(mac=b"\x01\x00\x5e\x00\x00\x01")),
    ("zero MAC", attach(mac=bytes(6))),
]


def run(path, name, msg):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(3)
    s.connect(path)
    try:
        s.send(msg)
        ans = s.recv(512)
    except OSError as e:
        return f"{name}: send/recv: {e}", False
    finally:
        s.close()
    if len(ans) >= 16:
        magic, _, typ, length, _ = struct.unpack("<IHHII", ans[:16])
        if magic == MAGIC and typ == ERROR and len(ans) >= 20:
            err = struct.unpack("<i", ans[16:20])[0]
            reason = ans[20:].split(b"\0")[0].decode(errors="replace")
            return f"{name}: refused, errno {err}: {reason}", bool(reason)
    return f"{name}: unexpected answer {ans[:32]!r}", False


def main():
    ok = True
    for name, msg in CASES:
        line, good = run(sys.argv[1], name, msg)
        print(line)
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
