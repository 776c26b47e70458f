#!/usr/bin/env python3
"""rawpeer.py: the kernel peer's side of the switch tests.

Sends or receives swprobe-format frames (EtherType 0x88b5, magic, 64-bit
sequence number, FNV-1a checksum of the payload) on a raw AF_PACKET socket.

  rawpeer.py send IFACE DST-MAC COUNT [SIZE]
  rawpeer.py recv IFACE COUNT TIMEOUT-S
      prints "received N lost L dup D reordered R corrupt C"; exit 0 when
      COUNT frames arrived in order and intact
"""
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
MAGIC = 0x50524F42
HDR = 14 + 4 + 8 + 4


def fnv(b):
    h = 2166136261
    for x in b:
        h = ((h ^ x) * 16777619) & 0xFFFFFFFF
    return h


def mac_of(iface):
    with open(f"/sys/class/net/{iface}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def send(iface, dst, count, size):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = mac_of(iface)
    dst = bytes.fromhex(dst.replace(":", ""))
    for seq in range(count):
        body = bytes(((seq + i) & 0xFF) for i in range(HDR, size))
        frame = (dst + src + struct.pack(">HIQI", ETHERTYPE, MAGIC, seq,
                                         fnv(body)) + body)
        s.send(frame)
    print(f"sent {count}")
    return 0


def recv(iface, count, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETHERTYPE))
    # SO_RCVBUFFORCE: room for a burst, whatever rmem_max says.
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    s.bind((iface, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    got = lost = dup = reord = bad = 0
    nxt = 0
    end = time.monotonic() + timeout
    while got < count and time.monotonic() < end:
        try:
            f, addr = s.recvfrom(4096)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or len(f) < HDR:
            continue
        typ, magic, seq, csum = struct.unpack(">HIQI", f[12:HDR])
        if typ != ETHERTYPE or magic != MAGIC:
            continue
        got += 1
        if fnv(f[HDR:]) != csum:
            bad += 1
            continue
        if seq == nxt:
            nxt += 1
        elif seq > nxt:
            lost += seq - nxt
            reord += 1
            nxt = seq + 1
        else:
            dup += 1
    print(f"received {got} lost {lost} dup {dup} reordered {reord} "
          f"corrupt {bad}")
    ok = got == count and nxt == count and dup == 0 and bad == 0
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 5 and argv[1] == "send":
        size = int(argv[5]) if len(argv) > 5 else 64
        return send(argv[2], argv[3], int(argv[4]), size)
    if len(argv) == 5 and argv[1] == "recv":
        return recv(argv[2], int(argv[3]), float(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
