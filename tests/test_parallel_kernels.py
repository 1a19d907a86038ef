"""The fused, chunked country kernels give the same results on 1 and 2 Numba threads, bit for
bit, in fresh processes (NUMBA_NUM_THREADS is read once, at start-up; small runs would drop to
one thread, TOLQYN_PARALLEL_MIN_AGENTS=0 keeps both). The population is
large enough for several chunks, so the fixed-order reduction of the per-chunk rows is
exercised; a whole country run is compared too. Exact test: no false-failure rate."""

import json
import os
import subprocess
import sys

_CHILD = r"""
import hashlib, json
import numpy as np
from tolqyn.core.chunks import CHUNK_AGENTS, count_status_by, n_chunks
from tolqyn.core.random import Stream
from tolqyn.models.country.model import record_kernel
from tolqyn.mechanisms.bandwagon import voice_willing_kernel
from tolqyn.mechanisms.emigration import emigrate_count_kernel
from tolqyn.mechanisms.information import active_counts
from tolqyn.mechanisms.repression import release_arrest_kernel
from tolqyn.api import run_one

n = 4 * CHUNK_AGENTS + 12345
assert n_chunks(n) == 4
g = Stream(3, "test").generator(0)
status = g.integers(0, 5, n).astype(np.int8)
region = g.integers(0, 17, n).astype(np.int16)
site = g.integers(0, 300, n).astype(np.int32)
loc = g.integers(0, 300, n).astype(np.int32)
ever = g.integers(0, 2, n).astype(np.uint8)
griev = g.random(n).astype(np.float32)
legit = g.random(n).astype(np.float32)
out = {}
c, e, s = record_kernel(status, region, ever, griev, legit, 17, 5)
out["record"] = [c.tolist(), e.tolist(), s.tolist()]
a = np.zeros(300); b = np.zeros(300)
active_counts(status, site, loc, 300, a, b)
out["active"] = [a.tolist(), b.tolist()]
cnt = np.zeros(300)
count_status_by(status, 1, site, cnt)
out["count"] = cnt.tolist()
assert np.array_equal(cnt, np.bincount(site[status == 1], minlength=300))
voice = np.zeros(n, np.uint8); will = np.zeros(300)
voice_willing_kernel(status, griev, griev, site, g.random(300), region, np.zeros(17),
                     g.random(n).astype(np.float32), 0.3, 0.25, True, 0.4, voice, will,
                     np.full(n, -1, np.int16), np.zeros(300), np.zeros(0))
out["voice"] = [hashlib.sha1(voice.tobytes()).hexdigest(), will.tolist()]
st = status.copy(); rel = g.integers(0, 9, n).astype(np.int32); arr = np.zeros(n, np.uint8)
ar = np.zeros(17); asite = np.zeros(300)
release_arrest_kernel(Stream(1, "arrest").key, 5, st, site, region, ever, g.random(300) * 0.5,
                      np.full(17, 0.1), 2.0, 15.0, 1.0, rel, arr, ar, asite)
out["arrest"] = [hashlib.sha1(st.tobytes() + rel.tobytes()).hexdigest(), ar.tolist(), asite.tolist()]
st2 = status.copy(); left = np.zeros(n, np.uint8); er = np.zeros(17)
emigrate_count_kernel(Stream(1, "emigrate").key, 3, st2, griev, legit, np.zeros(n, np.int8), 0.01,
                      2.0, 1.5, 0.5, 0.0, 1.0, left, 0, region, er)
out["emig"] = [hashlib.sha1(st2.tobytes()).hexdigest(), er.tolist()]
import numba
from tolqyn.core import sim as core_sim
assert core_sim.PARALLEL_MIN_AGENTS == 0
r = run_one("kazakhstan-2022", seed=3, overrides={"scale": 2000.0})
out["run"] = hashlib.sha1(r.columns["value"].tobytes()).hexdigest()
print(json.dumps(out))
"""


def test_chunked_kernels_and_country_run_same_on_1_and_2_threads():
    res = []
    for n in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": n, "TOLQYN_PARALLEL_MIN_AGENTS": "0"}
        p = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=600
        )
        assert p.returncode == 0, p.stderr[-3000:]
        res.append(json.loads(p.stdout.strip().splitlines()[-1]))
    for k in res[0]:
        assert res[0][k] == res[1][k], k
    # the counts are right, not only equal: the arrest count by region matches the flags
    assert sum(res[0]["arrest"][1]) == sum(res[0]["arrest"][2]) > 0
    assert res[0]["count"] == res[0]["active"][0]
