"""Reads a subunit v2 stream on stdin and writes, in the directory given as the only
argument, passed.txt, failed.txt (test id, then its traceback indented), skipped.txt (test
id and the skip reason) and summary.txt ending in 'N passed, N failed, N skipped'.
A class-level setUpClass failure or skip counts as one entry under the class's id."""

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
