#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest offline, as far as that goes without the GNOME
runtime: it parses, names the app id of the desktop file and metainfo that
the build installs, runs the program that meson builds, asks for no more than
the app uses (network, display, GPU; printing goes through the portal), and
builds this tree without the backend. With flatpak-builder installed it also
lets flatpak-builder parse it (--show-manifest)."""
import json
import os
import re
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
path = os.path.join(here, "io.github.leapboxoffice.BoxOffice.json")
failures = []

with open(path) as f:
    manifest = json.load(f)

app_id = manifest.get("id") or manifest.get("app-id")
if app_id != "io.github.leapboxoffice.BoxOffice":
    failures.append(f"app id is {app_id!r}")
for suffix in (".desktop", ".metainfo.xml", ".gschema.xml"):
    if not os.path.exists(os.path.join(root, "data", app_id + suffix)):
        failures.append(f"data/{app_id}{suffix} is missing")
for icon in (app_id + ".svg", app_id + "-symbolic.svg"):
    if not os.path.exists(os.path.join(root, "data", "icons", icon)):
        failures.append(f"data/icons/{icon} is missing")
with open(os.path.join(root, "data", app_id + ".desktop")) as f:
    desktop = f.read()
if not re.search(r"^Exec=" + re.escape(manifest.get("command", "?")) + r"(\s|$)", desktop, re.M):
    failures.append("the desktop file does not run the manifest's command")
allowed = {"--share=network", "--share=ipc", "--socket=fallback-x11", "--socket=wayland",
           "--device=dri"}
extra = set(manifest.get("finish-args", [])) - allowed
if extra:
    failures.append(f"finish-args beyond what the app uses: {sorted(extra)}")
module = manifest["modules"][-1]
if module.get("buildsystem") != "meson" or "-Dserver=false" not in module.get("config-opts", []):
    failures.append("the last module must build this tree with meson, without the backend")
# Libraries the app links that the GNOME runtime does not ship are built
# by modules of their own, before the app.
with open(os.path.join(root, "app", "meson.build")) as f:
    app_meson = f.read()
names = [m.get("name") for m in manifest["modules"][:-1]]
for library in ("qrencode", "sodium"):
    if library in app_meson and "lib" + library not in names:
        failures.append(f"the app links lib{library}, which no module builds")
if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
    failures.append("the runtime must be GNOME's")

builder = shutil.which("flatpak-builder")
if builder:
    r = subprocess.run([builder, "--show-manifest", path], capture_output=True, text=True)
    if r.returncode != 0 or app_id not in r.stdout:
        failures.append("flatpak-builder --show-manifest failed: " + r.stderr.strip())

for failure in failures:
    print("FAIL:", failure)
print("flatpak manifest:", "ok" if not failures else f"{len(failures)} problems",
      "(flatpak-builder checked)" if builder else "(without flatpak-builder)")
sys.exit(1 if failures else 0)
