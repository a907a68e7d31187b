"""Test-only: give an older result's histograms the "bins_by_value" member.

run-bench now writes bins_by_value itself (results/SCHEMA.md); results made
before it have only the raw [index, count] pairs of the "log-linear-6"
scheme. The tests add the member to copies of such results so the product
code, which reads bins_by_value only, can be checked against them. This is
the one place outside run-bench that knows the bucket arithmetic, and it is
not shipped: bucket i < 64 holds the raw value i; above, group g = i / 64
and sub-bucket i % 64 hold 2^(g-1) raw values from (64 + sub) << (g - 1).
Raw values scale to the member's unit by max / raw.max.
"""


def bucket_range(i):
    """[lo, hi] raw values of bucket i, both included."""
    if i < 64:
        return i, i
    g, sub = divmod(i, 64)
    width = 1 << (g - 1)
    lo = (64 + sub) * width
    return lo, lo + width - 1


def add_bins_by_value(hist):
    raw_max = float(hist["raw"]["max"])
    scale = hist["max"] / raw_max if raw_max > 0 else 0.001
    out = []
    for i, count in sorted(hist.get("bins") or []):
        lo, hi = bucket_range(i)
        out.append({"lo": lo * scale, "hi": hi * scale, "count": count})
    hist["bins_by_value"] = out
    return hist


def add_to_result(doc):
    """Every histogram member (an object with "bins") of a result, in place."""
    if isinstance(doc, dict):
        if isinstance(doc.get("bins"), list) and "raw" in doc:
            add_bins_by_value(doc)
        for v in doc.values():
            add_to_result(v)
    elif isinstance(doc, list):
        for v in doc:
            add_to_result(v)
    return doc
