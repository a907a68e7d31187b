"""What a run-bench binary offers, from `run-bench --list --json`.

The listing (schema "dirtybench-list/1", README "run-bench(1)") names the
strategies and workloads in registry order, which is the order and colour of
every figure, with each option's type and default. Nothing here reads the
human --list.
"""

import json
import os
import subprocess

SCHEMA = "dirtybench-list/1"


class ListingError(Exception):
    pass


def option_text(value):
    """An option's value as it is spelled in --wopt/--sopt."""
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _one_line(text):
    return str(text or "").replace("\t", " ").replace("\n", " ")


class Listing:
    """The parsed listing: strategies and workloads as the JSON has them."""

    def __init__(self, doc):
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise ListingError("not a %s listing" % SCHEMA)
        try:
            self.strategies = list(doc["strategies"])
            self.workloads = list(doc["workloads"])
            for entry in self.strategies + self.workloads:
                if not isinstance(entry.get("name"), str):
                    raise ListingError("an entry without a name")
        except (KeyError, TypeError, AttributeError) as e:
            raise ListingError("malformed listing: %s" % e) from e
        self.backend = doc.get("backend")

    def strategy_names(self):
        return [s["name"] for s in self.strategies]

    def workload_names(self):
        """Those a matrix can run with their defaults: a workload with a required
        option (a string whose default is "", trace's file) needs a value no
        matrix has, so it is left out (scripts/figures-traces runs the traces)."""
        return [w["name"] for w in self.workloads
                if not any(o.get("type") == "string" and o.get("default") == ""
                           for o in w.get("options", []))]

    def unsupported(self):
        """{strategy: reason} of those this host cannot run on this back end."""
        return {s["name"]: s.get("reason") or "unsupported"
                for s in self.strategies if s.get("supported") is False}

    def workload_defaults(self):
        """{workload: {option: default as text}}."""
        return {w["name"]: {o["name"]: option_text(o.get("default"))
                            for o in w.get("options") or [] if "name" in o}
                for w in self.workloads}

    def write_tsv(self, directory):
        """strategies.tsv, workloads.tsv (name, description) and wdefaults.tsv
        (workload, option, default): the run's own record of the binary."""
        def write(name, rows):
            with open(os.path.join(directory, name), "w") as f:
                f.writelines("\t".join(r) + "\n" for r in rows)

        write("strategies.tsv", [(s["name"], _one_line(s.get("description"))) for s in self.strategies])
        write("workloads.tsv", [(w["name"], _one_line(w.get("description"))) for w in self.workloads])
        write("wdefaults.tsv", [(w, o, v) for w, opts in self.workload_defaults().items()
                                for o, v in opts.items()])


def parse(text):
    try:
        return Listing(json.loads(text))
    except ValueError as e:
        raise ListingError("run-bench --list --json is not JSON: %s" % e) from e


def load(bench, extra_args=(), save_to=None):
    """Run BENCH --list --json; the Listing, its text kept in save_to if given."""
    try:
        p = subprocess.run([bench, "--list", "--json", *extra_args], capture_output=True,
                           text=True, check=False)
    except OSError as e:
        raise ListingError("cannot run %s: %s" % (bench, e)) from e
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no message"])[-1]
        raise ListingError("%s --list --json exited %d: %s" % (bench, p.returncode, last))
    if save_to:
        with open(save_to, "w") as f:
            f.write(p.stdout)
    return parse(p.stdout)


def _same_value(a, b):
    """Option values compare as numbers when both are numbers ("0.5" is "0.50")."""
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def canon_options(opts, defaults):
    """Options "k=v,..." without those equal to their default, sorted; "-" when
    none is left: two spellings of one configuration become one run."""
    keep = []
    for kv in (opts or "-").split(","):
        if kv in ("", "-"):
            continue
        key, _, value = kv.partition("=")
        if key in defaults and _same_value(defaults[key], value):
            continue
        keep.append(kv)
    return ",".join(sorted(keep)) or "-"
