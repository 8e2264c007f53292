#!/usr/bin/env python3
"""Compare gpushare's MIG profile list (info --json) with nvidia-smi mig -lgip and -lgipp.

Prints one line per profile and every mismatch; exits 1 on any mismatch or when either side
lists nothing, so an empty comparison can never pass.
"""
import json
import re
import sys

LGIP_ROW = re.compile(r"^\|\s+\d+\s+(MIG \S+)\s+(\d+)\s+\d+/(\d+)\s+([\d.]+)\s+\w+\s+(\d+)\s+(\d+)\s+(\d+)")
LGIP_ROW2 = re.compile(r"^\|\s+(\d+)\s+(\d+)\s+(\d+)\s+\|$")
LGIPP_ROW = re.compile(r"Profile ID\s+(\d+)\s+Placements?\s*:\s*\{([\d,]+)\}:(\d+)")


def parse_lgip(text):
    rows, last = {}, None
    for line in text.splitlines():
        m, m2 = LGIP_ROW.match(line), LGIP_ROW2.match(line)
        if m:
            name, pid, total, gib, sms, dec, enc = m.groups()
            last = rows[int(pid)] = {"name": name, "instances": int(total), "gib": float(gib),
                                     "sms": int(sms), "dec": int(dec), "enc": int(enc)}
        elif m2 and last is not None:
            last["ce"], last["jpeg"], last["ofa"] = (int(g) for g in m2.groups())
            last = None
    return rows


def parse_lgipp(text):
    rows = {}
    for m in LGIPP_ROW.finditer(text):
        pid, starts, size = m.groups()
        rows[int(pid)] = sorted((int(s), int(size)) for s in starts.split(","))
    return rows


def main(info_path, lgip_path, lgipp_path):
    doc = json.load(open(info_path))
    ours = {p["id"]: p for p in doc["info"]["mig"]["gpu_instance_profiles"] or []}
    smi = parse_lgip(open(lgip_path).read())
    smi_pl = parse_lgipp(open(lgipp_path).read())
    bad = []
    if not ours or not smi:
        bad.append(f"empty side: gpushare lists {len(ours)}, nvidia-smi {len(smi)} profiles")
    for pid in sorted(set(ours) | set(smi)):
        o, s = ours.get(pid), smi.get(pid)
        if o is None or s is None:
            bad.append(f"profile {pid}: only in {'nvidia-smi' if o is None else 'gpushare'}")
            continue
        mine_pl = sorted((p["start"], p["size"]) for p in o["placements"])
        checks = [("name", o["name"], s["name"]), ("instances", o["instances"], s["instances"]),
                  ("sms", o["sms"], s["sms"]), ("copy engines", o["copy_engines"], s.get("ce")),
                  ("decoders", o["decoders"], s["dec"]), ("encoders", o["encoders"], s["enc"]),
                  ("jpeg", o["jpegs"], s.get("jpeg")), ("ofa", o["ofas"], s.get("ofa")),
                  ("memory GiB", round(o["memory_mib"] / 1024, 2), s["gib"]),
                  ("placements", mine_pl, smi_pl.get(pid))]
        for what, a, b in checks:
            if a != b:
                bad.append(f"profile {pid} {o['name']}: {what}: gpushare {a}, nvidia-smi {b}")
        print(f"profile {pid:3d} {o['name']:<18} instances {o['instances']} SMs {o['sms']:3d} "
              f"placements {' '.join(f'{a}:{b}' for a, b in mine_pl)}")
    for line in bad:
        print("MISMATCH", line)
    print(f"{len(ours)} profiles compared, {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
