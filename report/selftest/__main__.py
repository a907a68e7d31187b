"""The report pipeline's self-test: python3 report/selftest (exit 0: all passed).

Standard library unittest; no VM is booted (run-bench is replaced by small
fake scripts where a run is needed), so it needs no machine lock.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))  # dirtybench_report
sys.path.insert(0, HERE)                   # support, binsvalue

if __name__ == "__main__":
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2 if "-v" in sys.argv else 1).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
