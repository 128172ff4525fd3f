__version__ = "0.6.0"  # kept equal to SlipsVersion.version (tests/test_slips.py checks)
