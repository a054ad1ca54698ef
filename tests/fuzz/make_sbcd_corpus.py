#!/usr/bin/env python3
"""Writes the seed corpus of the whole-daemon fuzz target (tests/fuzz/sbcd_fuzz.cpp) into
tests/fuzz/corpus/sbcd_fuzz/: scripted sessions (register, call both ways, re-INVITE, UPDATE,
CANCEL, BYE), the torture messages of issue 10, and every message of the parser corpora
(tests/fuzz/corpus/sip_message_fuzz, tests/sip/rfc4475) sent by a registered client.

Run it again after changing a seed; the files it writes are committed.
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "corpus" / "sbcd_fuzz"

CLIENT, CLOSE, ADVANCE, OSV_CALLS, OSV_MODE, VIEWS = 0, 3, 4, 5, 6, 7
NORMAL, NO_CHALLENGE, UNAVAILABLE, SILENT, REFUSE, EARLY = range(6)


def record(op: int, arg: int = 0, payload: bytes = b"") -> bytes:
    payload = payload[:65535]
    return struct.pack("<BBH", op, arg, len(payload)) + payload


def client(msg: bytes, slot: int = 0, source: int = 0) -> bytes:
    return record(CLIENT, slot | (source << 2), msg)


def key(fill: int) -> str:
    import base64
    return base64.b64encode(bytes([fill]) * 30).decode()


def sdp(crypto: str | None = None, proto: str = "RTP/SAVP", conn: bytes = b"IN IP4 10.1.0.2",
        extra: bytes = b"") -> bytes:
    crypto = f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key(0x11)}\r\n" if crypto is None \
        else crypto
    return (b"v=0\r\no=zoom 1 1 IN IP4 10.1.0.2\r\ns=zoom\r\nc=" + conn + b"\r\nt=0 0\r\n"
            b"m=audio 4000 " + proto.encode() + b" 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
            + crypto.encode() + extra + b"a=sendrecv\r\n")


def msg(start: str, headers: list[str], body: bytes = b"",
        content_type: str = "application/sdp") -> bytes:
    head = start + "\r\n" + "".join(h + "\r\n" for h in headers)
    if body:
        head += f"Content-Type: {content_type}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


def register(user: str = "alice", cseq: int = 1, auth: bool = False, call_id: str = "r1",
             extra: list[str] | None = None, contact: str | None = None) -> bytes:
    h = [f"Via: SIP/2.0/TLS 10.1.0.2:5061;branch=z9hG4bK-r{cseq}{call_id};rport",
         "Max-Forwards: 70",
         f'From: "Alice" <sip:{user}@pbx.local>;tag=rt-{call_id}',
         f"To: <sip:{user}@pbx.local>",
         f"Call-ID: {call_id}@10.1.0.2",
         f"CSeq: {cseq} REGISTER",
         contact or f"Contact: <sip:{user}@10.1.0.2:5061;transport=tls>",
         "Expires: 300",
         "User-Agent: ZoomPbxPhone/6.0 (Windows)"]
    if auth:
        h.append('Authorization: Digest username="alice", realm="pbx.local", nonce="n0nce", '
                 'uri="sip:pbx.local", response="0123456789abcdef0123456789abcdef", algorithm=MD5')
    return msg("REGISTER sip:pbx.local SIP/2.0", h + (extra or []))


def registered(user: str = "alice") -> bytes:
    return client(register(user)) + client(register(user, 2, True))


def invite(body: bytes = b"", extra: list[str] | None = None, call_id: str = "c1",
           content_type: str = "application/sdp", display: str = '"Alice"',
           ua: str = "ZoomPbxPhone/6.0") -> bytes:
    h = [f"Via: SIP/2.0/TLS 10.1.0.2:5061;branch=z9hG4bK-i{call_id}",
         "Max-Forwards: 70",
         f"From: {display} <sip:alice@pbx.local>;tag=it-{call_id}",
         "To: <sip:bob@pbx.local>",
         f"Call-ID: {call_id}@10.1.0.2",
         "CSeq: 1 INVITE",
         "Contact: <sip:alice@10.1.0.2:5061;transport=tls>",
         "Allow: INVITE, ACK, BYE, CANCEL, UPDATE, OPTIONS",
         "Supported: timer",
         "Session-Expires: 1800",
         f"User-Agent: {ua}"]
    return msg("INVITE sip:bob@pbx.local SIP/2.0", h + (extra or []), body, content_type)


def in_dialog(method: str, cseq: int, call_id: str = "c1", body: bytes = b"") -> bytes:
    h = [f"Via: SIP/2.0/TLS 10.1.0.2:5061;branch=z9hG4bK-{method}{cseq}{call_id}",
         "Max-Forwards: 70",
         f'From: "Alice" <sip:alice@pbx.local>;tag=it-{call_id}',
         "To: <sip:bob@pbx.local>;tag=$G",
         f"Call-ID: {call_id}@10.1.0.2",
         f"CSeq: {cseq} {method}",
         "Contact: <sip:alice@10.1.0.2:5061;transport=tls>"]
    return msg(f"{method} $K SIP/2.0", h, body)


def answer(code: int, reason: str, body: bytes = b"") -> bytes:
    h = ["Via: $V", "From: $F", "To: $T;tag=cl-1", "Call-ID: $I", "CSeq: $S",
         "Contact: <sip:alice@10.1.0.2:5061;transport=tls>"]
    return msg(f"SIP/2.0 {code} {reason}", h, body)


def sessions() -> dict[str, bytes]:
    s: dict[str, bytes] = {}
    s["register_challenge_then_ok"] = registered()
    s["call_out_answered_and_hung_up"] = (
        registered() + client(invite(sdp())) + client(in_dialog("ACK", 1))
        + record(ADVANCE, 20) + client(in_dialog("BYE", 2)))
    s["call_out_reinvite_update_hold"] = (
        registered() + client(invite(sdp())) + client(in_dialog("ACK", 1))
        + client(in_dialog("INVITE", 2, body=sdp(extra=b"a=sendonly\r\n")))
        + client(in_dialog("ACK", 2)) + client(in_dialog("UPDATE", 3))
        + client(in_dialog("INFO", 4)) + record(VIEWS) + client(in_dialog("BYE", 5)))
    s["call_out_cancelled"] = (
        registered() + record(OSV_MODE, SILENT) + client(invite(sdp()))
        + client(msg("CANCEL sip:bob@pbx.local SIP/2.0",
                     ["Via: SIP/2.0/TLS 10.1.0.2:5061;branch=z9hG4bK-ic1", "Max-Forwards: 70",
                      'From: "Alice" <sip:alice@pbx.local>;tag=it-c1', "To: <sip:bob@pbx.local>",
                      "Call-ID: c1@10.1.0.2", "CSeq: 1 CANCEL"])))
    s["call_out_early_media_busy"] = (
        registered() + record(OSV_MODE, EARLY) + client(invite(sdp()))
        + record(OSV_MODE, REFUSE) + client(invite(sdp(), call_id="c2")))
    s["call_in_answered"] = (
        record(OSV_MODE, NO_CHALLENGE) + client(register()) + record(OSV_MODE, NORMAL)
        + record(OSV_CALLS, 0) + client(answer(180, "Ringing"))
        + client(answer(200, "OK", sdp())) + record(ADVANCE, 100) + record(VIEWS))
    s["call_in_connection_lost"] = (
        record(OSV_MODE, NO_CHALLENGE) + client(register()) + record(OSV_CALLS, 0)
        + record(CLOSE, 0) + record(ADVANCE, 255))
    s["two_clients_and_a_deregister"] = (
        registered() + client(register("bob", call_id="rb"), 1, 1)
        + client(register("bob", 2, True, "rb"), 1, 1)
        + client(register(cseq=3, auth=True, extra=["Expires: 0"]))
        + client(register("carol", contact="Contact: *", extra=["Expires: 0"]), 2, 2))
    s["osv_unavailable_then_silent"] = (
        record(OSV_MODE, UNAVAILABLE) + client(register()) + record(OSV_MODE, SILENT)
        + client(register(cseq=2)) + record(ADVANCE, 255) + client(invite(sdp())))
    return s


def torture() -> dict[str, bytes]:
    """The robustness run's findings (issue 10) and their relatives, from a registered client."""
    t: dict[str, bytes] = {}
    pre = registered()
    t["ff_in_c_line"] = pre + client(invite(sdp(conn=b"IN\xff IP4 10.1.1.2")))
    t["ff_in_s_m_crypto"] = pre + client(invite(
        sdp(crypto="a=crypto:1 AES_CM_128_HMAC\xff inline:x\r\n", proto="RTP/SAVP\xff")))
    t["ff_in_display_name_and_user_agent"] = pre + client(invite(
        sdp(), display='"Al\xffce"', ua="Zoom\xffPhone"))
    t["overlong_utf8_in_call_id"] = pre + client(
        invite(sdp(), call_id="c\xc0\xaf\xe0\x80\x80x"))
    t["bare_cr_in_user_agent"] = pre + client(invite(sdp(), ua="Zoom\rPhone"))
    t["nul_in_reason"] = pre + client(invite(sdp())) + client(in_dialog("ACK", 1)) + client(
        in_dialog("BYE", 2) .replace(b"Content-Length", b"Reason: SIP;cause=200;text=\"a\x00b\"\r\nContent-Length"))
    t["sdp_attribute_20k"] = pre + client(invite(sdp(extra=b"a=x-pad:" + b"x" * 20000 + b"\r\n")))
    t["register_18k"] = client(register(extra=["X-Pad: " + "p" * 1900] * 9))
    t["two_7k_accept_headers"] = client(register(extra=["Accept: " + "a" * 7000] * 2))
    t["unknown_body_type"] = pre + client(invite(b"<xml/>", content_type="application/x-odd"))
    t["rtp_avp_with_crypto"] = pre + client(invite(sdp(proto="RTP/AVP")))
    t["mki_32_bytes"] = pre + client(invite(sdp(
        crypto=f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key(0x22)}|2^31|1:32\r\n")))
    t["unknown_crypto_session_param"] = pre + client(invite(sdp(
        crypto=f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key(0x22)} FOO=1\r\n"
               f"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{key(0x23)}\r\n")))
    t["register_two_contacts"] = client(register(
        contact="Contact: <sip:a@10.1.0.2:5061;transport=tls>, <sip:b@10.1.0.2:5061>"))
    t["client_answer_with_ff_and_big_header"] = (
        record(OSV_MODE, NO_CHALLENGE) + client(register()) + record(OSV_CALLS, 0)
        + client(answer(200, "OK\xff", sdp(conn=b"IN IP4 10.1.0.\xff")).replace(
            b"Content-Length", b"Server: " + b"s" * 3000 + b"\r\nContent-Length")))
    return t


def parser_corpora() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    pre = registered()
    for path in sorted((ROOT / "tests" / "fuzz" / "corpus" / "sip_message_fuzz").iterdir()):
        out["sip_message_" + path.name] = pre + client(path.read_bytes())
    for path in sorted((ROOT / "tests" / "sip" / "rfc4475").glob("*.dat")):
        out["rfc4475_" + path.stem] = pre + client(path.read_bytes())
    return out


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {**sessions(), **torture(), **parser_corpora()}
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
