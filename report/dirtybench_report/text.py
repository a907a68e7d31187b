"""Numbers as text, JSON out, and lookups in results.

The report's tables, data files and runs.json were written by jq before this
program; numbers are printed the way jq printed them (shortest round-trip
digits, exponent form below 1e-4 or past 17 digits, integral values without
".0") so a report regenerated from the same results reads the same.
"""

import decimal
import json
import math

DASH = "\u2014"  # what a table shows for a missing value


def _float_text(x):
    """A double as jq prints it."""
    if x != x:
        return "null"
    x = max(-1.7976931348623157e308, min(1.7976931348623157e308, x))
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    sign, digits, exp = decimal.Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0")
    decpt = len(digits) + exp  # position of the decimal point after ds[0..]
    out = "-" if sign else ""
    if decpt <= -4 or decpt > len(ds) + 15:
        e = decpt - 1
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return "%s%se%s%02d" % (out, mant, "-" if e < 0 else "+", abs(e))
    if decpt <= 0:
        return out + "0." + "0" * -decpt + ds
    if decpt >= len(ds):
        return out + ds + "0" * (decpt - len(ds))
    return out + ds[:decpt] + "." + ds[decpt:]


def tostring(v):
    """Any JSON value as text, as jq's tostring and string interpolation do."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):  # exact (jq would round past 2^53; results keep raw sums)
        return str(v)
    if isinstance(v, float):
        return _float_text(v)
    return dump_json(v, compact=True)


def alt(v, default):
    """jq's `v // default`: the default when v is null or false."""
    return default if v is None or v is False else v


def c_round(x):
    """C's round(): halves away from zero (Python's round() goes to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def num(v):
    """Three significant digits, integers from 100 up; a dash for null."""
    if v is None:
        return DASH
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)))
    if e >= 2:
        return tostring(c_round(v))
    p = math.pow(10, 2 - e)
    return tostring(c_round(v * p) / p)


def pct(v):
    return DASH if v is None else num(v * 100) + " %"


def yn(v):
    return "yes" if v is True else "no" if v is False else DASH


def median(values):
    v = sorted(values)
    if not v:
        return None
    if len(v) % 2:
        return v[len(v) // 2]
    return (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def cv(values):
    """Coefficient of variation (sample stddev / mean); None below 2 values."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    if m == 0:
        return None
    return math.sqrt(sum((x - m) * (x - m) for x in values) / (len(values) - 1)) / m


def get(obj, path):
    """obj's member at a dotted path ("scan.time_us.p50"), None where absent."""
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _json_str(s):
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_json(v, compact=False, indent=0):
    """JSON laid out as jq prints it: 2-space indents, or compact (jq -c)."""
    if isinstance(v, str):
        return _json_str(v)
    if not isinstance(v, (dict, list)):
        return tostring(v)
    if not v:
        return "{}" if isinstance(v, dict) else "[]"
    items = v.items() if isinstance(v, dict) else ((None, x) for x in v)
    sep, pad, end = (",", "", "") if compact else (",\n", " " * (indent + 2), "\n" + " " * indent)
    colon = ":" if compact else ": "
    parts = [pad + ("" if k is None else _json_str(k) + colon) + dump_json(x, compact, indent + 2)
             for k, x in items]
    opening, closing = ("{", "}") if isinstance(v, dict) else ("[", "]")
    return opening + ("" if compact else "\n") + sep.join(parts) + ("" if compact else end) + closing
