#!/usr/bin/env python3
"""Turn a scenario's manifest template into public/samples/<id>/manifest.json.

Frame numbers are never typed by hand: they are resolved from the capture that the scenario
just recorded, with Wireshark display filters, so a rebuilt capture gets a correct manifest.

Template values (strings) that start with "=" are expanded:
  "=frames:FILTER"        -> list of frame numbers of capture.pcap matching FILTER (must be non-empty)
  "=frames[a:b]:FILTER"   -> the same list, Python-sliced (e.g. [1:] = all but the first)
  "=frames?:FILTER"       -> like =frames but may be empty
  "=srcchanges[a:b]:FILTER" -> (slice optional) frames matching FILTER whose (ip.src, udp.srcport) differs from the
                             previous matching frame's (an RTP stream's source changes)
  "=callid:FILTER"        -> the SIP Call-ID of the first frame matching FILTER
  "=software"             -> the versions of the programs installed on this machine
  "=text:FORMAT"          -> FORMAT with {FILTER} blocks replaced by the first matching frame number,
                             and {=FIELD:FILTER} blocks by that tshark field of the first matching frame
                             (e.g. {=udp.srcport:rtp && ip.src==203.0.113.1}: a port chosen at run time)
A "frames" list may also mix numbers and such strings; nested lists are flattened and sorted.

usage: mkmanifest.py TEMPLATE.json OUTDIR
"""
import json
import os
import re
import subprocess
import sys

KINDS = {
    "via-private-address", "via-missing-rport", "response-to-wrong-port", "contact-private-address",
    "contact-missing-port", "in-dialog-request-misrouted", "ack-missing", "excessive-nat-fixup",
    "invite-timeout", "new-connection-mid-dialog", "tls-handshake-failed",
    "connection-closed-mid-dialog", "bye-not-delivered", "dialog-not-terminated",
    "nat-binding-expired", "sip-alg-suspected", "sdp-private-address", "rtp-one-way",
    "rtp-source-changed", "rtp-icmp-unreachable", "rtp-to-unlatched-address", "malformed-sip",
}


def tshark(pcap, flt, field, extra=()):
    cmd = ["tshark", "-r", pcap, *extra, "-Y", flt, "-T", "fields", "-e", field]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"tshark failed for filter {flt!r}: {out.stderr.strip()}")
    return [l for l in out.stdout.splitlines() if l.strip()]


def versions():
    def sh(c):
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    return {
        "kamailio": sh("kamailio -v | sed -n 's/^version: \\(kamailio [^ ]*\\).*/\\1/p'"),
        "sipp": sh("sipp -v | grep -o 'SIPp v[0-9.]*' | head -1"),
        "baresip": sh("dpkg-query -W -f='baresip ${Version}' baresip-core") + " (" + sh("dpkg-query -W -f='libre ${Version}' libre0") + ")",
        "openssl": sh("openssl version"),
        "tcpdump": sh("tcpdump --version | head -1"),
        "linux": "Linux " + sh("uname -r") + " netfilter NAT",
    }


class Ctx:
    def __init__(self, pcap, tls_keylog=None):
        self.pcap = pcap
        self.extra = ("-o", f"tls.keylog_file:{tls_keylog}") if tls_keylog else ()
        self.decode = []

    def frames(self, flt):
        return [int(x) for x in tshark(self.pcap, flt, "frame.number", self.extra + tuple(self.decode))]


def expand(v, ctx, software):
    if isinstance(v, dict):
        return {k: expand(x, ctx, software) for k, x in v.items()}
    if isinstance(v, list):
        out = [expand(x, ctx, software) for x in v]
        if any(isinstance(x, str) and (x.startswith("=frames") or x.startswith("=srcchanges")) for x in v):
            flat = []
            for x in out:
                flat.extend(x if isinstance(x, list) else [x])
            return sorted(set(flat))
        return out
    if not isinstance(v, str) or not v.startswith("="):
        return v
    if v == "=software":
        return software
    m = re.match(r"^=frames(\?)?(\[(-?\d*):(-?\d*)\])?:(.*)$", v, re.S)
    if m:
        fr = ctx.frames(m.group(5))
        if m.group(2):
            a = int(m.group(3)) if m.group(3) else None
            b = int(m.group(4)) if m.group(4) else None
            fr = fr[a:b]
        if not fr and not m.group(1):
            sys.exit(f"no frames for {v!r} in {ctx.pcap}")
        return fr
    m = re.match(r"^=srcchanges(\[(-?\d*):(-?\d*)\])?:(.*)$", v, re.S)
    if m:
        flt = m.group(4)
        cmd = ["tshark", "-r", ctx.pcap, "-Y", flt, "-T", "fields", "-e", "frame.number", "-e", "ip.src",
               "-e", "udp.srcport"]
        rows = [l.split("\t") for l in subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines() if l]
        out, prev = [], None
        for r in rows:
            key = (r[1], r[2])
            if prev is not None and key != prev:
                out.append(int(r[0]))
            prev = key
        if m.group(1):
            out = out[int(m.group(2)) if m.group(2) else None:int(m.group(3)) if m.group(3) else None]
        if not out:
            sys.exit(f"no source change for {v!r}")
        return out
    if v.startswith("=callid:"):
        ids = tshark(ctx.pcap, v[len("=callid:"):], "sip.Call-ID", ctx.extra + tuple(ctx.decode))
        if not ids:
            sys.exit(f"no Call-ID for {v!r}")
        return ids[0]
    if v.startswith("=text:"):
        def rep(mm):
            fm = re.match(r"^=([A-Za-z0-9_.-]+):(.*)$", mm.group(1), re.S)
            if fm:
                vals = tshark(ctx.pcap, fm.group(2), fm.group(1), ctx.extra + tuple(ctx.decode))
                if not vals:
                    sys.exit(f"no value of {fm.group(1)} for {{{mm.group(1)}}} in text")
                return vals[0].split(",")[0]
            fr = ctx.frames(mm.group(1))
            if not fr:
                sys.exit(f"no frame for {{{mm.group(1)}}} in text")
            return str(fr[0])
        return re.sub(r"\{([^{}]+)\}", rep, v[len("=text:"):])
    sys.exit(f"unknown template value {v!r}")


def main():
    tpl_path, outdir = sys.argv[1], sys.argv[2]
    with open(tpl_path) as f:
        tpl = json.load(f)
    pcap = os.path.join(outdir, "capture.pcap")
    keylog = os.path.join(outdir, "keylog.txt")
    ctx = Ctx(pcap, keylog if os.path.exists(keylog) else None)
    for d in tpl.pop("_decodeAs", []):
        ctx.decode += ["-d", d]
    sw = tpl.get("software", "")
    vers = versions()
    software = sw + ". Versions: " + ", ".join(v for v in vers.values() if v)
    man = expand(tpl, ctx, software)
    man["software"] = software
    # sanity: kinds exist, quiz answer is the pattern, captures are small
    kinds = [man["pattern"], man["quiz"]["answer"], *man["quiz"]["distractors"]]
    kinds += [f["kind"] for f in man["expectedFindings"]]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        sys.exit(f"unknown finding kinds: {bad}")
    if not 4 <= len(man["walkthrough"]) <= 7:
        sys.exit("walkthrough must have 4-7 steps")
    for fn in os.listdir(outdir):
        if fn.endswith(".pcap") and os.path.getsize(os.path.join(outdir, fn)) > 300 * 1024:
            sys.exit(f"{fn} is larger than 300 KB")
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.join(outdir, 'manifest.json')}")


if __name__ == "__main__":
    main()
