#!/usr/bin/python3
"""Count test results for scripts/test.

  count_tests.py meson BUILD_DIR   -> reads BUILD_DIR/meson-logs/testlog.json
  count_tests.py junit FILE.xml    -> reads a pytest junit report

Prints "PASSED FAILED" on stdout and the names of failed tests on stderr.
cmocka binaries run with CMOCKA_MESSAGE_OUTPUT=TAP, so each of their cases
counts as one test. A binary without TAP lines whose stdout has a line
"N passed, M failed" (the vector runners; the last such line counts) counts
N passed and M failed, plus one failure if it did not end OK yet reported
M = 0. Any other binary whose output has no TAP lines counts as one.
A binary that crashed after some TAP lines counts its cases plus one failure.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

TAP = re.compile(r"^(not ok|ok) \d+ - (.*)$", re.M)
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def meson(build):
    passed = failed = 0
    with open(f"{build}/meson-logs/testlog.json") as f:
        for line in f:
            t = json.loads(line)
            ok = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
            out = t.get("stdout") or ""
            cases = TAP.findall(out)
            summary = SUMMARY.findall(out)
            if cases:
                for status, name in cases:
                    if status == "ok":
                        passed += 1
                    else:
                        failed += 1
                        print(f"FAIL {t['name']}: {name}", file=sys.stderr)
                if not ok and all(s == "ok" for s, _ in cases):
                    failed += 1
                    print(f"FAIL {t['name']}: exited {t.get('returncode')}", file=sys.stderr)
            elif summary:
                p, f = (int(n) for n in summary[-1])
                passed += p
                failed += f
                if f:
                    print(f"FAIL {t['name']}: {f} failed", file=sys.stderr)
                if not ok and f == 0:
                    failed += 1
                    print(f"FAIL {t['name']}: {t['result']}, exited {t.get('returncode')}",
                          file=sys.stderr)
            elif ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {t['name']}: {t['result']}", file=sys.stderr)
    return passed, failed


def junit(path):
    passed = failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        if case.find("skipped") is not None:
            continue
        if bad:
            failed += 1
            print(f"FAIL {case.get('classname')}::{case.get('name')}", file=sys.stderr)
        else:
            passed += 1
    return passed, failed


if __name__ == "__main__":
    kind, arg = sys.argv[1], sys.argv[2]
    p, f = meson(arg) if kind == "meson" else junit(arg)
    print(p, f)
