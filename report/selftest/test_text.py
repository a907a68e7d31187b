"""Numbers as the report prints them (as jq did), and JSON layout."""

import unittest

from dirtybench_report import text


class TextTest(unittest.TestCase):
    def test_tostring_like_jq(self):
        cases = [(3.0, "3"), (0.1, "0.1"), (1e-4, "0.0001"), (1e-5, "1e-05"), (2.5e-300, "2.5e-300"),
                 (1e15, "1000000000000000"), (1e16, "1e+16"), (123456789012345678.0, "123456789012345680"),
                 (-0.0, "-0"), (0.0, "0"), (-2.5e-6, "-2.5e-06"), (123.456, "123.456"), (60, "60"),
                 (None, "null"), (True, "true"), ("x", "x"), (float("nan"), "null")]
        for v, want in cases:
            self.assertEqual(text.tostring(v), want, repr(v))

    def test_num_three_digits(self):
        self.assertEqual(text.num(None), "\u2014")
        self.assertEqual(text.num(0), "0")
        self.assertEqual(text.num(1011.5), "1012")  # half away from zero, as C's round()
        self.assertEqual(text.num(2.345678), "2.35")
        self.assertEqual(text.num(0.000532), "0.000532")
        self.assertEqual(text.num(2.3528105125327348e-06), "2.35e-06")
        self.assertEqual(text.num(-12.25), "-12.3")
        self.assertEqual(text.pct(0.000532), "0.0532 %")

    def test_c_round(self):
        self.assertEqual(text.c_round(2.5), 3)
        self.assertEqual(text.c_round(-2.5), -3)
        self.assertEqual(text.c_round(0.49), 0)

    def test_median_cv(self):
        self.assertIsNone(text.median([]))
        self.assertEqual(text.median([3, 1, 2]), 2)
        self.assertEqual(text.median([4, 1, 3, 2]), 2.5)
        self.assertIsNone(text.cv([5]))
        self.assertAlmostEqual(text.cv([1, 3]), 2 ** 0.5 / 2)

    def test_get_and_alt(self):
        doc = {"a": {"b": {"c": 0}}, "f": False}
        self.assertEqual(text.get(doc, "a.b.c"), 0)
        self.assertIsNone(text.get(doc, "a.x.c"))
        self.assertIsNone(text.get(doc, "a.b.c.d"))
        self.assertEqual(text.alt(0, 5), 0)
        self.assertEqual(text.alt(False, 5), 5)
        self.assertEqual(text.alt(None, 5), 5)

    def test_json_layouts(self):
        doc = {"a": [1, 2.0, {"b": None}], "c": {}, "d": [], "e": "\u00b5s\x7f\n", "f": 2 ** 63}
        self.assertEqual(text.dump_json(doc, compact=True),
                         '{"a":[1,2,{"b":null}],"c":{},"d":[],"e":"\u00b5s\\u007f\\n","f":9223372036854775808}')
        self.assertEqual(text.dump_json({"a": [1, {"b": True}], "c": {}}),
                         '{\n  "a": [\n    1,\n    {\n      "b": true\n    }\n  ],\n  "c": {}\n}')


if __name__ == "__main__":
    unittest.main()
