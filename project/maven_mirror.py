"""Prints the URL of the Maven mirror that serves Central on this machine, or nothing.

Reads the same settings files Maven reads (user settings, then the installation's), so the build
follows whatever route Maven uses without naming any registry host in the repository.
"""
import os
import shutil
import sys
import xml.etree.ElementTree as ET


def settings_files():
    yield os.path.expanduser("~/.m2/settings.xml")
    home = os.environ.get("MAVEN_HOME") or os.environ.get("M2_HOME")
    if not home and shutil.which("mvn"):
        home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("mvn"))))
    if home:
        yield os.path.join(home, "conf", "settings.xml")


def serves_central(mirror_of):
    patterns = [p.strip() for p in mirror_of.split(",")]
    if "!central" in patterns:
        return False
    return any(p in ("central", "*", "external:*", "external:https:*") for p in patterns)


def find_mirror():
    for path in settings_files():
        if not os.path.isfile(path):
            continue
        root = ET.parse(path).getroot()
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        for m in root.iter(f"{ns}mirror"):
            url = (m.findtext(f"{ns}url") or "").strip()
            blocked = (m.findtext(f"{ns}blocked") or "false").strip() == "true"
            if url and not blocked and serves_central(m.findtext(f"{ns}mirrorOf") or ""):
                return url
    return ""


if __name__ == "__main__":
    sys.stdout.write(find_mirror())
