#!/usr/bin/python3
"""A media peer for the dataplane system test, run inside a network namespace.

veth_peer.py MODE LOCAL_PORT DST_IP DST_PORT COUNT SSRC [KEY_HEX_TX KEY_HEX_RX]

Sends COUNT RTP packets (G.711 sized, 20 ms apart) from LOCAL_PORT to DST_IP:DST_PORT
(protected with KEY_HEX_TX when MODE is srtp) while receiving for COUNT*20 ms + 2 s; prints one
JSON line: {"sent": n, "received": n, "ok": n (decrypted/parsed), "bad": n}.
"""
import json
import socket
import struct
import sys
import time

mode, lport, dst_ip, dport, count, ssrc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6], 0)
tx = rx = None
if mode == "srtp":
    import pylibsrtp
    def session(hexkey, direction):
        p = pylibsrtp.Policy(key=bytes.fromhex(hexkey), ssrc_type=direction,
                             srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80)
        return pylibsrtp.Session(policy=p)
    tx = session(sys.argv[7], pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    rx = session(sys.argv[8], pylibsrtp.Policy.SSRC_ANY_INBOUND)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", lport))
s.setblocking(False)
sent = received = ok = bad = 0
start = time.monotonic()
deadline = start + count * 0.02 + 2.0
next_send = start
seq = 1
while time.monotonic() < deadline:
    now = time.monotonic()
    if sent < count and now >= next_send:
        pkt = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + bytes([0xd5]) * 160
        if tx is not None:
            pkt = tx.protect(pkt)
        s.sendto(pkt, (dst_ip, dport))
        sent += 1
        seq += 1
        next_send += 0.02
    try:
        data, _ = s.recvfrom(2048)
        received += 1
        try:
            if rx is not None:
                data = rx.unprotect(data)
            if len(data) == 172 and data[0] == 0x80:
                ok += 1
            else:
                bad += 1
        except Exception:
            bad += 1
    except BlockingIOError:
        time.sleep(0.001)
print(json.dumps({"sent": sent, "received": received, "ok": ok, "bad": bad}))
