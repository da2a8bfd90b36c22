"""Open an untrusted LightGBM text model without risking the process that asks.

LightGBM's C++ parser aborts the whole process (SIGABRT, or SIGSEGV) on a truncated model or an
edited `num_leaves=` / `split_feature=` line, and when predicting it trusts the indices stored in
the trees. So the trees are first checked here for indices that would read outside their arrays
or loop; then the text is parsed, and predicts a row of NaNs and a row of zeros, in a short-lived
child process with a time and memory limit. Only text that passes both is handed to LightGBM.

Run as a script, this module is that child: it reads the model text on stdin and uses only the
standard library and LightGBM's C API, so it starts in a fraction of a second.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

PROBE_SECONDS = 60.0
PROBE_MEMORY_BYTES = 4 << 30  # plus 16 bytes per byte of model text
_EXIT_REFUSED = 3


class ModelRefused(Exception):
    """The model text failed the probe; the message says why in a few words."""


def probe_lightgbm_text(text: str, seconds: float | None = None) -> None:
    """Raise ModelRefused unless the trees in `text` are sound and it parses and predicts in a child process."""
    seconds = PROBE_SECONDS if seconds is None else seconds
    if "\x00" in text:
        raise ModelRefused("it contains NUL bytes, which a LightGBM text model never does")
    problem = tree_problem(text)
    if problem:
        raise ModelRefused(problem)
    data = text.encode("utf-8")
    limit = PROBE_MEMORY_BYTES + 16 * len(data)
    cmd = [sys.executable, "-I", __file__, _library_path(), str(limit)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=seconds, env=env)
    except subprocess.TimeoutExpired:
        raise ModelRefused(f"parsing it took longer than {seconds:g} s") from None
    if proc.returncode != 0:
        raise ModelRefused(_failure(proc.returncode, proc.stdout + proc.stderr))


def _library_path() -> str:
    from lightgbm import basic

    return basic._LIB._name


def _failure(returncode: int, output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    fatal = [ln.split("[Fatal]", 1)[1].strip() for ln in lines if "[Fatal]" in ln]
    reason = f" ({fatal[-1][:200]})" if fatal and fatal[-1] else ""
    if returncode == _EXIT_REFUSED:  # LightGBM reported the error itself; its message is the last line
        return lines[-1][:200] if lines else "LightGBM refused it"
    if returncode == -signal.SIGABRT:
        return "the parser aborted" + reason
    if returncode < 0:
        return f"the parser crashed ({signal.Signals(-returncode).name})" + reason
    return f"the parser failed (exit status {returncode})" + reason


# ---------------------------------------------------------------------------------------------
# Checks of the tree arrays. LightGBM checks their lengths when it parses, not the indices inside them,
# which prediction follows blindly: a child index pointing back up the tree loops forever.

def _ints(value: str) -> list[int]:
    return [int(float(v)) for v in value.split()] if value.strip() else []


def _sections(text: str) -> tuple[dict, list[dict]]:
    header, trees, current = {}, [], None
    for line in text.splitlines():
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif line.startswith("end of trees"):
            break
        elif "=" in line:
            key, value = line.split("=", 1)
            (header if current is None else current)[key.strip()] = value
    return header, trees


def tree_problem(text: str) -> str | None:
    """Why predicting with this model could read outside its arrays or never end, or None if neither."""
    header, trees = _sections(text)
    try:
        n_features = int(header["max_feature_idx"]) + 1
        n_class = int(header.get("num_class", "1"))
        per_iteration = int(header.get("num_tree_per_iteration", "1"))
    except (KeyError, ValueError):
        return "its header lacks max_feature_idx, num_class or num_tree_per_iteration"
    objective_classes = re.search(r"num_class:(\d+)", header.get("objective", ""))
    if n_class != per_iteration or (objective_classes and int(objective_classes.group(1)) != n_class):
        return "its class counts disagree (num_class, num_tree_per_iteration, objective)"
    for number, tree in enumerate(trees):
        try:
            problem = _node_problem(tree, n_features)
        except (KeyError, ValueError, IndexError):
            problem = "its arrays are malformed"
        if problem:
            return f"tree {number}: {problem}"
    return None


def _node_problem(tree: dict, n_features: int) -> str | None:
    n_leaves = int(tree["num_leaves"])
    if n_leaves <= 1:
        return None
    n_nodes = n_leaves - 1
    features = _ints(tree["split_feature"])
    if any(not 0 <= f < n_features for f in features):
        return f"a split uses feature index {max(features)} of a model with {n_features} features"
    for side in ("left_child", "right_child"):
        for node, child in enumerate(_ints(tree[side])):
            inside = node < child < n_nodes if child >= 0 else ~child < n_leaves
            if not inside:
                return f"node {node} points to {side.split('_')[0]} child {child}, outside the tree"
    categorical = [node for node, kind in enumerate(_ints(tree["decision_type"])) if kind & 1]
    if categorical:
        n_cat = int(tree["num_cat"])
        bounds, words = _ints(tree["cat_boundaries"]), _ints(tree["cat_threshold"])
        thresholds = _ints(tree["threshold"])
        if (len(bounds) != n_cat + 1 or bounds[0] != 0 or bounds[-1] != len(words)
                or any(b > a for a, b in zip(bounds[1:], bounds))):
            return "its category boundaries are inconsistent"
        if any(not 0 <= thresholds[node] < n_cat for node in categorical):
            return "a categorical split points outside the category table"
    if tree.get("is_linear", "0").strip() == "1":
        if any(not 0 <= f < n_features for f in _ints(tree.get("leaf_features", ""))):
            return "a linear leaf uses a feature index outside the model"
    return None


# ---------------------------------------------------------------------------------------------
# The child process.

def _child(library: str, memory_limit: int) -> int:
    import ctypes

    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    except (ImportError, ValueError, OSError):
        pass
    lib = ctypes.CDLL(library)
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    model = sys.stdin.buffer.read()
    handle, iterations = ctypes.c_void_p(), ctypes.c_int()
    if lib.LGBM_BoosterLoadModelFromString(ctypes.c_char_p(model), ctypes.byref(iterations), ctypes.byref(handle)):
        print(lib.LGBM_GetLastError().decode("utf-8", "replace"), file=sys.stderr)
        return _EXIT_REFUSED
    n_features, n_classes, out_len = ctypes.c_int(), ctypes.c_int(), ctypes.c_int64()
    lib.LGBM_BoosterGetNumFeature(handle, ctypes.byref(n_features))
    lib.LGBM_BoosterGetNumClasses(handle, ctypes.byref(n_classes))
    for value in (float("nan"), 0.0):
        row = (ctypes.c_double * max(1, n_features.value))(*([value] * max(1, n_features.value)))
        out = (ctypes.c_double * max(1, n_classes.value))()
        # handle, data, float64, 1 row, ncol, row-major, normal prediction, all iterations, no parameters
        if lib.LGBM_BoosterPredictForMat(handle, row, 1, 1, n_features.value, 1, 0, 0, -1, b"",
                                         ctypes.byref(out_len), out):
            print(lib.LGBM_GetLastError().decode("utf-8", "replace"), file=sys.stderr)
            return _EXIT_REFUSED
    lib.LGBM_BoosterFree(handle)
    print("ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1], int(sys.argv[2])))
