#!/usr/bin/env python3
"""Gradient-boosted tree scoring, CSIC against xgboost on the same model and rows, in one run: trains a
100-tree depth-6 binary:logistic model with xgboost on seeded random rows (32 features, 5 % missing), writes
it in XGBoost's JSON format with 100,000 rows (float32), times xgboost's own `inplace_predict` on one thread,
then `csic bench model` (one core) on the same files, and prints both throughputs.

    python3 -m pip install xgboost numpy
    python3 tools/bench_model.py --binary .build/release/csic
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy
import xgboost


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    rng = numpy.random.default_rng(1206)
    features, rows = 32, 100_000
    x = rng.normal(size=(20_000, features)).astype(numpy.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] - x[:, 3] + rng.normal(scale=0.5, size=len(x)) > 0).astype(int)
    x[rng.random(size=x.shape) < 0.05] = numpy.nan
    parameters = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "tree_method": "hist", "nthread": 1, "seed": 3}
    booster = xgboost.train(parameters, xgboost.DMatrix(x, label=y, missing=numpy.nan), num_boost_round=100)
    test = rng.normal(size=(rows, features)).astype(numpy.float32)
    test[rng.random(size=test.shape) < 0.05] = numpy.nan
    with tempfile.TemporaryDirectory() as work:
        model_path, rows_path = os.path.join(work, "model.json"), os.path.join(work, "rows.f32")
        booster.save_model(model_path)
        test.astype("<f4").tofile(rows_path)
        booster.set_param({"nthread": 1})
        scored, started = 0, time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            booster.inplace_predict(test, missing=numpy.nan)
            scored += rows
        xgboost_rate = scored / (time.perf_counter() - started)
        done = subprocess.run([args.binary, "bench", "model", "--file", model_path, "--rows", rows_path, "--duration", str(args.seconds),
                               "--json"], capture_output=True, text=True, check=True)
        csic = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({"xgboost": xgboost.__version__, "trees": 100, "depth": 6, "features": features, "rows": rows,
                      "xgboost_scores_per_s": round(xgboost_rate), "csic_scores_per_s": round(csic["throughput_per_s"]),
                      "csic_over_xgboost": round(csic["throughput_per_s"] / xgboost_rate, 2)}))


if __name__ == "__main__":
    main()
