#!/usr/bin/env python3
"""Write public/samples/index.json: the list of lab samples (id, title, pattern, goodPath, files),
read from each sample's manifest.json, so the app can list them without a directory listing.
usage: mkindex.py SAMPLES_DIR"""
import json
import os
import sys

root = sys.argv[1]
items = []
for d in sorted(os.listdir(root)):
    mp = os.path.join(root, d, "manifest.json")
    if not os.path.isfile(mp):
        continue
    with open(mp) as f:
        m = json.load(f)
    files = sorted(x for x in os.listdir(os.path.join(root, d)) if x != "manifest.json")
    items.append({"id": m["id"], "title": m["title"], "pattern": m["pattern"],
                  "goodPath": bool(m.get("goodPath", False)), "files": files})
with open(os.path.join(root, "index.json"), "w") as f:
    json.dump({"samples": items}, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(f"wrote {os.path.join(root, 'index.json')} ({len(items)} samples)")
