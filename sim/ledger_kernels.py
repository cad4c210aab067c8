"""The compiled parts of the ledger: the pair index and compaction.

The pair index is a sorted array of pair keys (``exporter * n_buyers + buyer``) with the current row
of each pair; the cooling index holds the keys of archived pairs still cooling down after a
dissolution, with the tick each dissolved. ``admit`` walks new candidates in key order against both;
``compact_index`` renumbers the index when dissolved rows leave the ledger's arrays.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel
from .vocab import AWARENESS, DISSOLVED

U = np.uintp


@kernel
def append_rows(id_, exporter_col, buyer_col, stage, born, since, ended, start, first_id, exporter, buyer, tick):
    """Ledger._append's writes: new awareness rows from ``start`` on, ids from ``first_id`` on."""
    for k in range(exporter.size):
        i = U(start + k)
        id_[i] = first_id + k
        exporter_col[i] = exporter[k]
        buyer_col[i] = buyer[k]
        stage[i] = AWARENESS
        born[i] = tick
        since[i] = tick
        ended[i] = -1


@kernel
def gallop(sorted_keys, key, lo):
    """First position >= lo whose key is >= ``key`` (``sorted_keys[lo - 1] < key``): exponential then binary
    search, so that a walk over needles in key order costs O(log gap) per needle."""
    n = sorted_keys.size
    step = 1
    hi = lo
    while hi < n and sorted_keys[U(hi)] < key:
        lo = hi + 1
        hi = lo + step
        step *= 2
    hi = min(hi, n)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_keys[U(mid)] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def admit(keys, order, index_keys, index_rows, stage, ended, cool_keys, cool_ended, tick, cooldown):
    """Ledger.admit: walk the candidates in key order (``order``, stable); keep the first of each pair unless
    its current row is live or ended less than ``cooldown`` ago, or it is cooling down (Ledger.blocked).
    Returns the kept positions (ascending), for each the pair-index position of its old row (-1 if none),
    and the keys of kept pairs new to the index (ascending) with their ranks among the kept."""
    n = keys.size
    keep = np.zeros(n, np.bool_)
    hit_at = np.full(n, -1, np.int64)
    new_k = np.empty(n, np.int64)  # original positions of kept candidates new to the index, in key order
    n_new = 0
    j = np.int64(0)
    c = np.int64(0)
    prev = np.int64(0)
    for idx in range(n):
        k = U(order[idx])
        key = keys[k]
        if idx > 0 and key == prev:
            continue  # not the first candidate of this pair
        prev = key
        j = gallop(index_keys, key, j)
        blocked = False
        found = j < index_keys.size and index_keys[U(j)] == key
        if found:
            r = U(index_rows[U(j)])
            blocked = stage[r] != DISSOLVED or np.int64(tick) - np.int64(ended[r]) < cooldown
        c = gallop(cool_keys, key, c)
        if c < cool_keys.size and cool_keys[U(c)] == key and np.int64(tick) - np.int64(cool_ended[U(c)]) < cooldown:
            blocked = True
        if not blocked:
            keep[k] = True
            if found:
                hit_at[k] = j
            else:
                new_k[n_new] = k
                n_new += 1
    rank = np.empty(n, np.int64)
    m = 0
    for k in range(n):
        rank[k] = m
        m += keep[k]
    pos = np.empty(m, np.int64)
    hit = np.empty(m, np.int64)
    m = 0
    for k in range(n):
        if keep[k]:
            pos[m] = k
            hit[m] = hit_at[k]
            m += 1
    new_keys = np.empty(n_new, np.int64)
    new_rank = np.empty(n_new, np.int64)
    for q in range(n_new):
        k = U(new_k[q])
        new_keys[q] = keys[k]
        new_rank[q] = rank[k]
    return pos, hit, new_keys, new_rank


@kernel
def merge_keys(index_keys, index_rows, hit, rows, new_keys, new_rows):
    """The pair index after admitting ``rows``: keys already there (``hit`` >= 0) point at their new row,
    new keys (ascending) are merged in. Returns fresh arrays (as np.insert does)."""
    for q in range(hit.size):
        if hit[q] >= 0:
            index_rows[U(hit[q])] = rows[q]
    n, m = index_keys.size, new_keys.size
    keys_out = np.empty(n + m, np.int64)
    rows_out = np.empty(n + m, index_rows.dtype)
    i = j = 0
    for o in range(n + m):
        if j >= m or (i < n and index_keys[U(i)] < new_keys[U(j)]):
            keys_out[o] = index_keys[U(i)]
            rows_out[o] = index_rows[U(i)]
            i += 1
        else:
            keys_out[o] = new_keys[U(j)]
            rows_out[o] = new_rows[U(j)]
            j += 1
    return keys_out, rows_out


@kernel
def new_rows(keep, buyer, n_buyers, by_buyer):
    """Where each row goes when the rows not kept are dropped (-1) and, with ``by_buyer``, the rest put in
    buyer order (a stable counting sort); and the old row of each new row."""
    n = keep.size
    new_row = np.full(n, -1, np.int32)
    m = 0
    for i in range(n):
        m += keep[i]
    order = np.empty(m, np.int32)
    if by_buyer:
        start = np.zeros(n_buyers + 1, np.int64)
        for i in range(n):
            start[U(buyer[i]) + 1] += keep[i]
        for b in range(n_buyers):
            start[b + 1] += start[b]
        for i in range(n):
            if keep[i]:
                b = U(buyer[i])
                j = start[b]
                start[b] = j + 1
                new_row[i] = j
                order[U(j)] = i
    else:
        j = 0
        for i in range(n):
            if keep[i]:
                new_row[i] = j
                order[j] = i
                j += 1
    return new_row, order


@kernel
def compact_index(keys, key_rows, new_row, ended, cool_keys, cool_ended, tick, cooldown):
    """Ledger.compact's index work in one walk: entries of kept rows (``new_row`` >= 0) stay (in place,
    renumbered to ``new_row``); entries of
    dropped rows go, in key order, into the cooling index, merged with its entries (latest dissolution per
    pair) and pruned to those still cooling. Returns the kept entries' count and the new cooling index.

    A dissolved row the index no longer points at belongs to a pair that met again after cooling down, so
    its dissolution cools no longer.
    """
    n_gone = 0
    for i in range(new_row.size):
        n_gone += new_row[i] < 0
    gone_keys = np.empty(n_gone, np.int64)  # each dropped row has at most one index entry
    gone_ended = np.empty(n_gone, np.int32)
    m = g = 0
    for k in range(keys.size):
        r = U(key_rows[k])
        if new_row[r] >= 0:
            keys[m] = keys[k]
            key_rows[m] = new_row[r]
            m += 1
        else:
            gone_keys[g] = keys[k]
            gone_ended[g] = ended[r]
            g += 1
    n_old = cool_keys.size
    out_keys = np.empty(n_old + g, np.int64)
    out_ended = np.empty(n_old + g, np.int32)
    a = b = o = 0
    while a < n_old or b < g:
        if b >= g or (a < n_old and cool_keys[U(a)] < gone_keys[U(b)]):
            key, end = cool_keys[U(a)], cool_ended[U(a)]
            a += 1
        elif a >= n_old or gone_keys[U(b)] < cool_keys[U(a)]:
            key, end = gone_keys[U(b)], gone_ended[U(b)]
            b += 1
        else:  # the pair in both: its latest dissolution
            key, end = cool_keys[U(a)], max(cool_ended[U(a)], gone_ended[U(b)])
            a += 1
            b += 1
        out_keys[o], out_ended[o] = key, end
        o += np.int64(tick) - np.int64(end) < cooldown
    return m, out_keys[:o], out_ended[:o]


@kernel
def take(col, order, buf, n):
    """col[:order.size] = col[order] through ``buf``; rows order.size..n cleared."""
    m = order.size
    for j in range(m):
        buf[j] = col[U(order[j])]
    for j in range(m):
        col[j] = buf[j]
    for j in range(m, n):
        col[j] = 0


@kernel
def move_rows(col, kept, n):
    """col[:kept.size] = col[kept] in place (kept ascending: no row is overwritten before it is read); zero rows kept.size..n."""
    for j in range(kept.size):
        col[j] = col[U(kept[j])]
    for j in range(kept.size, n):
        col[j] = 0
