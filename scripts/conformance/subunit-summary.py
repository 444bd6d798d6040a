"""Reads a subunit v2 stream on stdin and writes, in the directory given as the first
argument, passed.txt, failed.txt (test id, then its traceback indented), skipped.txt (test
id and the skip reason) and summary.txt ending in 'N passed, N failed, N skipped'.

A setUpClass that skips or fails is reported once, as 'setUpClass (module.Class)'. With a
second argument, the file of test ids `stestr list` gave, each test of that class without
a result of its own gets the class's status and reason, so the figures count tests."""

import os
import sys

import subunit
import testtools

out_dir = sys.argv[1]
results = {}


def on_test(test):
    test_id = test["id"]
    if test_id.startswith("subunit.parser"):
        return
    details = test.get("details", {})
    text = ""
    for key in ("reason", "traceback"):
        if key in details:
            text = details[key].as_text()
            break
    results[test_id] = (test["status"], text)


stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
result = testtools.StreamToDict(on_test)
result.startTestRun()
stream.run(result)
result.stopTestRun()

if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        listed = [line.split("[")[0].strip() for line in f if line.strip()]
    for test_id, (status, text) in list(results.items()):
        if not test_id.startswith("setUpClass ("):
            continue
        cls = test_id[len("setUpClass (") : -1]
        members = [
            t
            for t in listed
            if t.startswith(cls + ".") and results.get(t, ("exists",))[0] in ("exists", "inprogress")
        ]
        if members:
            del results[test_id]
            for member in members:
                results[member] = (status, f"(setUpClass) {text}")

passed, failed, skipped = [], [], []
for test_id in sorted(results):
    status, text = results[test_id]
    if status in ("success", "xfail"):
        passed.append(test_id)
    elif status == "skip":
        reason = " ".join(text.split())
        skipped.append(f"{test_id}  -- {reason}")
    elif status in ("exists", "inprogress"):
        continue
    else:
        indented = "\n".join("    " + line for line in text.splitlines())
        failed.append(f"{test_id}\n{indented}")


def write(name, lines):
    with open(os.path.join(out_dir, name), "w") as f:
        f.write("".join(line + "\n" for line in lines))


write("passed.txt", passed)
write("failed.txt", failed)
write("skipped.txt", skipped)
write("summary.txt", [f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped"])
