"""ctypes bindings of include/slips.h (the C interface of libSlipsC, API version 1)."""

import ctypes
import os
import pathlib

API_VERSION = 1
OK = 1
ERROR_INVALID = -1
ERROR_CALLBACK = -2
ERROR_CANCELLED = -3
ERROR_FAILED = -4

c_double_p = ctypes.POINTER(ctypes.c_double)

# int32_t (*)(void *context, const double *points, int64_t count, int64_t dim, double *logdensity, double *gradient)
LOGDENSITY_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                                 ctypes.c_void_p, ctypes.c_void_p)

_SIGNATURES = {
    "slips_api_version": (ctypes.c_int32, []),
    "slips_version": (ctypes.c_char_p, []),
    "slips_target_callback": (ctypes.c_int32, [ctypes.c_int64, LOGDENSITY_FN, ctypes.c_void_p, ctypes.c_double,
                                               ctypes.c_double, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                               ctypes.c_size_t]),
    "slips_target_builtin": (ctypes.c_int32, [ctypes.c_char_p, ctypes.c_int64, ctypes.c_char_p,
                                              ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_size_t]),
    "slips_target_dimension": (ctypes.c_int64, [ctypes.c_void_p]),
    "slips_target_evaluate": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_int64, c_double_p, c_double_p,
                                               ctypes.c_char_p, ctypes.c_size_t]),
    "slips_target_free": (None, [ctypes.c_void_p]),
    "slips_run_new": (ctypes.c_void_p, []),
    "slips_run_free": (None, [ctypes.c_void_p]),
    "slips_run_cancel": (None, [ctypes.c_void_p]),
    "slips_run_progress": (None, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64)]),
    "slips_run_sample": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.c_int64, ctypes.c_uint64, ctypes.c_int32, ctypes.c_int64,
                                          ctypes.c_int64, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t]),
    "slips_run_shape": (ctypes.c_int32, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]),
    "slips_run_samples": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_int64]),
    "slips_run_summary_json": (ctypes.c_char_p, [ctypes.c_void_p]),
    "slips_run_array_names": (ctypes.c_char_p, [ctypes.c_void_p]),
    "slips_run_array_length": (ctypes.c_int64, [ctypes.c_void_p, ctypes.c_char_p]),
    "slips_run_array": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_char_p, c_double_p, ctypes.c_int64]),
}


def _candidates():
    """Where libSlipsC.so may be: $SLIPS_LIBRARY, the package's own copy, a build of the checkout it sits in."""
    if os.environ.get("SLIPS_LIBRARY"):
        yield pathlib.Path(os.environ["SLIPS_LIBRARY"])
    here = pathlib.Path(__file__).resolve().parent
    yield here / "_lib" / "libSlipsC.so"
    for root in (here.parent.parent, pathlib.Path.cwd()):
        yield root / ".build" / "release" / "libSlipsC.so"


def load():
    """Loads the library and declares every function's signature; raises ImportError naming where it looked."""
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.restype = restype
                fn.argtypes = argtypes
            if lib.slips_api_version() != API_VERSION:
                raise ImportError(f"{path} has C API version {lib.slips_api_version()}, this package needs {API_VERSION}")
            return lib
    raise ImportError("libSlipsC.so not found (looked at " + ", ".join(tried) + "): install the package with "
                      "`pip install ./python`, or build it with `swift build -c release --product SlipsC` and set "
                      "SLIPS_LIBRARY")


lib = load()
