"""The growth loop of `BinnedTree`, compiled with numba (the row loops are most of a fit's time).

One function, `grow`, takes a table already binned and returns the tree as arrays. A node's split
depends only on its rows, so the partition does not depend on the order nodes are split in:
depth first here, smaller child first (memory for a few histograms only), then renumbered level
by level. Each node's rows sit in one stretch of a row array, kept in row order when a node
splits (so label sums add up in the same order whichever child they are counted in). Of two
children, the smaller one's histogram is counted from its rows, the larger one's is the
parent's minus it.
"""

from __future__ import annotations

import numba
import numpy as np


def _compiled(function):
    """`function` compiled without the GIL (other sessions keep running), cached on disk where numba
    finds a writable place (a new process then loads it in about 0.3 s instead of compiling for 5 s)."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # numba found no writable cache location: compile once per process
        return numba.njit(nogil=True)(function)


@_compiled
def whole_number_bins(Z, max_bin, codes, counts):
    """Bin every column of Z (rows x features) that holds whole numbers spanning at most `max_bin`
    values one value a bin: code = value - lowest, missing (NaN) the bin after the values, into
    `codes` (features x rows); `counts` (features x max_bin + 1) gets the rows of every bin.

    Returns per column the lowest value and the number of value bins: 0 for a column with no
    value, -1 for one that does not qualify (its codes and counts are left to the caller).
    """
    n, d = Z.shape
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    whole = np.ones(d, dtype=np.bool_)
    for i in range(n):  # row by row: Z is stored that way
        for j in range(d):
            v = Z[i, j]
            if np.isnan(v):
                continue
            if not (np.isfinite(v) and v == np.floor(v) and -9.2e18 < v < 9.2e18):
                whole[j] = False
            lo[j] = min(lo[j], v)
            hi[j] = max(hi[j], v)
    lowest = np.zeros(d, dtype=np.int64)
    width = np.full(d, -1, dtype=np.int64)
    for j in range(d):
        if not whole[j]:
            continue
        if lo[j] > hi[j]:  # no value: every row in the one (missing) bin
            width[j] = 0
        elif hi[j] - lo[j] + 1 <= max_bin:  # compared as floats: a span past int64 does not wrap
            lowest[j], width[j] = np.int64(lo[j]), np.int64(hi[j]) - np.int64(lo[j]) + 1
        counts[j, :] = 0
    for i in range(n):
        for j in range(d):
            if width[j] < 0:
                continue
            v = Z[i, j]
            code = width[j] if np.isnan(v) else np.int64(v) - lowest[j]
            codes[j, i] = code
            counts[j, code] += 1
    return lowest, width


@_compiled
def _best_split(hist, starts, widths, with_missing, k):
    """(gain, bin, missing_left, rows) of a node's best split and the node's row count; gain is -1.0
    where no split keeps k a side.

    Candidates are scored in a fixed order: every bin of every feature with missing values sent
    right, then, for each feature that has missing values, its value bins with the missing bin
    added to the left. The first of equal gains wins. Left sums are running sums over all bins
    minus (feature index) x node totals. Both keep the earlier numpy version's tree, bit for bit.
    """
    d = len(starts)
    n_bins = hist.shape[0]
    total_n, total_s = 0.0, 0.0
    for b in range(widths[0]):
        total_n += hist[b, 0]
        total_s += hist[b, 1]
    best_gain, best_bin, best_missing_left = -np.inf, 0, False
    cum_n, cum_s = 0.0, 0.0
    left_n = np.empty(n_bins)
    left_s = np.empty(n_bins)
    for f in range(d):
        for b in range(starts[f], starts[f] + widths[f]):
            cum_n += hist[b, 0]
            cum_s += hist[b, 1]
            left_n[b] = cum_n - f * total_n
            left_s[b] = cum_s - f * total_s
    for step in range(2):
        for f in range(d):
            if step == 1 and not with_missing[f]:
                continue
            last = starts[f] + widths[f] - (1 if step == 1 else 0)
            for b in range(starts[f], last):
                nl, sl = left_n[b], left_s[b]
                if step == 1:
                    nl += hist[last, 0]
                    sl += hist[last, 1]
                nr, sr = total_n - nl, total_s - sl
                gain = -1.0
                if nl >= k and nr >= k:
                    gain = nl * nr * (sl / nl - sr / nr) ** 2
                if gain > best_gain:
                    best_gain, best_bin, best_missing_left = gain, b, step == 1
    return best_gain, best_bin, best_missing_left, total_n


@_compiled
def _count(hist, codes, starts, y, order, lo, hi):
    """Add rows order[lo:hi] to `hist` (bin, [rows, label sum])."""
    d = len(starts)
    for i in range(lo, hi):
        r = order[i]
        for f in range(d):
            b = starts[f] + codes[f, r]
            hist[b, 0] += 1.0
            hist[b, 1] += y[r]


@_compiled
def grow(codes, widths, with_missing, y, k, tolerance):
    """Grow the tree on `codes` (features x rows, each feature's bins 0..width-1, the last one the
    missing values) and the guide `y` (0/1 or centred floats).

    Returns (feature, cut, left, missing_left, node_of_row): per node its split feature (-1 at a
    leaf), the last bin going left, its left child (the right one is left + 1) and whether the
    missing bin goes left; and per row its leaf node. Nodes are numbered level by level.
    """
    d, n = codes.shape
    starts = np.zeros(d, dtype=np.int64)
    for f in range(1, d):
        starts[f] = starts[f - 1] + widths[f - 1]
    n_bins = starts[d - 1] + widths[d - 1]
    max_nodes = 2 * (n // max(k, 1)) + 3
    feature = np.full(max_nodes, -1, dtype=np.int64)
    cut = np.full(max_nodes, -1, dtype=np.int64)
    left = np.full(max_nodes, -1, dtype=np.int64)
    missing_left = np.zeros(max_nodes, dtype=np.bool_)
    seg_lo = np.zeros(max_nodes, dtype=np.int64)
    seg_hi = np.zeros(max_nodes, dtype=np.int64)
    order = np.arange(n)
    spill = np.empty(n, dtype=np.int64)
    n_nodes = 1
    seg_hi[0] = n
    # Waiting nodes sit on a stack with their histograms in slots of a pool. The smaller child is
    # split first, so every waiting node is at least twice the size of the one being split, and
    # at most log2(n) + 1 wait at once (as in quicksort).
    max_waiting = 2 * int(np.log2(max(n, 2))) + 4
    pool = np.zeros((max_waiting + 1, n_bins, 2))
    free = list(range(max_waiting + 1))
    stack_node = np.empty(max_waiting, dtype=np.int64)
    stack_slot = np.empty(max_waiting, dtype=np.int64)
    top = 0
    if n >= 2 * k:
        slot = free.pop()
        _count(pool[slot], codes, starts, y, order, 0, n)
        stack_node[0], stack_slot[0] = 0, slot
        top = 1
    while top > 0:
        top -= 1
        node, slot = stack_node[top], stack_slot[top]
        hist = pool[slot]
        gain, b, miss_left, total = _best_split(hist, starts, widths, with_missing, k)
        lo, hi = seg_lo[node], seg_hi[node]
        if not gain / total > tolerance * total:
            free.append(slot)
            continue
        f = 0
        while f + 1 < d and starts[f + 1] <= b:
            f += 1
        c = b - starts[f]
        missing_bin = widths[f] - 1
        # split the node's rows, each side in row order; without branches (a row's side is not
        # predictable, and mispredicted branches made this loop most of the growth's time)
        n_left, n_right = lo, 0
        for i in range(lo, hi):
            r = order[i]
            code = codes[f, r]
            left_side = (code <= c) | (miss_left & (code == missing_bin))
            order[n_left] = r
            spill[n_right] = r
            n_left += left_side
            n_right += 1 - left_side
        order[n_left:hi] = spill[:n_right]
        child = n_nodes
        n_nodes += 2
        feature[node], cut[node], left[node], missing_left[node] = f, c, child, miss_left
        seg_lo[child], seg_hi[child] = lo, n_left
        seg_lo[child + 1], seg_hi[child + 1] = n_left, hi
        stay_left, stay_right = n_left - lo >= 2 * k, n_right >= 2 * k
        if not (stay_left or stay_right):
            free.append(slot)
            continue
        small = child + 1 if n_right < n_left - lo else child
        small_slot = free.pop()
        small_hist = pool[small_slot]
        small_hist[:] = 0.0
        _count(small_hist, codes, starts, y, order, seg_lo[small], seg_hi[small])
        hist -= small_hist  # the parent's slot now holds the larger child's histogram
        large, large_slot = (child if small == child + 1 else child + 1), slot
        for waiting, waiting_slot in ((large, large_slot), (small, small_slot)):  # the small one on top
            if seg_hi[waiting] - seg_lo[waiting] >= 2 * k:
                if top == max_waiting:  # cannot happen (see above); never write past the stack
                    raise RuntimeError("BinnedTree: more nodes waiting than the bound allows")
                stack_node[top], stack_slot[top] = waiting, waiting_slot
                top += 1
            else:
                free.append(waiting_slot)
    return _level_order(feature[:n_nodes], cut[:n_nodes], left[:n_nodes], missing_left[:n_nodes],
                        seg_lo, seg_hi, order)


@_compiled
def _level_order(feature, cut, left, missing_left, seg_lo, seg_hi, order):
    """The tree renumbered level by level (children in the order of their parents), and the
    leaf node of every row."""
    n_nodes = len(feature)
    new_id = np.empty(n_nodes, dtype=np.int64)
    queue = np.empty(n_nodes, dtype=np.int64)
    queue[0], new_id[0] = 0, 0
    head, tail = 0, 1
    while head < tail:
        node = queue[head]
        head += 1
        if left[node] >= 0:
            for child in (left[node], left[node] + 1):
                new_id[child] = tail
                queue[tail] = child
                tail += 1
    out_feature = np.empty(n_nodes, dtype=np.int64)
    out_cut = np.empty(n_nodes, dtype=np.int64)
    out_left = np.empty(n_nodes, dtype=np.int64)
    out_missing_left = np.empty(n_nodes, dtype=np.bool_)
    node_of_row = np.empty(len(order), dtype=np.int64)
    for node in range(n_nodes):
        i = new_id[node]
        out_feature[i], out_cut[i], out_missing_left[i] = feature[node], cut[node], missing_left[node]
        out_left[i] = new_id[left[node]] if left[node] >= 0 else -1
        if left[node] < 0:
            for j in range(seg_lo[node], seg_hi[node]):
                node_of_row[order[j]] = i
    return out_feature, out_cut, out_left, out_missing_left, node_of_row
