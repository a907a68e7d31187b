"""Shared by the self-tests: the test data, scratch copies of it, fake run-bench."""

import json
import os
import shutil
import stat
import tempfile

import binsvalue

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(os.path.dirname(HERE), "testdata")
TOP = os.path.dirname(os.path.dirname(HERE))


def read(path):
    with open(path) as f:
        return f.read()


def expected(name):
    return read(os.path.join(TESTDATA, "expected", name))


class Scratch:
    """A temporary directory, removed by cleanup()."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="dbreport-test-")

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def join(self, *parts):
        return os.path.join(self.path, *parts)


def run_copy(scratch, columns=None, keyed=True, extra_rows=(), name="run"):
    """A copy of testdata/run in scratch: index.tsv cut to `columns` columns
    (16: the format before the busy-host columns), the results given
    bins_by_value when keyed, and extra index rows appended."""
    d = scratch.join(name)
    shutil.copytree(os.path.join(TESTDATA, "run"), d)
    index = os.path.join(d, "index.tsv")
    rows = [l.rstrip("\n").split("\t") for l in open(index)]
    with open(index, "w") as f:
        for r in rows + [list(x) for x in extra_rows]:
            f.write("\t".join(r[:columns] if columns else r) + "\n")
    if keyed:
        for name in os.listdir(os.path.join(d, "runs")):
            path = os.path.join(d, "runs", name)
            doc = binsvalue.add_to_result(json.loads(read(path)))
            with open(path, "w") as f:
                json.dump(doc, f)
    return d


def index_row(seq, strategy, workload, status, rc, reason, groups="matrix", rate="60"):
    """An index.tsv row of a run without a result."""
    return [str(seq), groups, strategy, workload, "1920x1080", rate, "-", "-", "1", status, str(rc),
            "0.2", "-", reason, "0", "-", "0.00", "0"]


def fake_bench(scratch, body):
    """An executable shell script standing in for run-bench; body sees "$@"."""
    path = scratch.join("run-bench")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path
