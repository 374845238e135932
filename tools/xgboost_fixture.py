#!/usr/bin/env python3
"""Writes Tests/Fixtures/xgboost: a binary:logistic model trained by xgboost on seeded synthetic rows (some
features missing) and a logistic regression (gblinear) on the same rows, saved in XGBoost's JSON model format,
and rows with xgboost's own predictions (margin, probability and feature contributions), which the Swift readers
must reproduce. Run with xgboost from PyPI:
`python3 -m pip install xgboost && python3 tools/xgboost_fixture.py`."""
import json
import os

import numpy
import xgboost

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "xgboost")


def main():
    rng = numpy.random.default_rng(20261206)
    rows, features = 2_000, 8
    x = rng.normal(size=(rows, features)).astype(numpy.float32)
    x[:, 3] = rng.integers(0, 5, size=rows)
    y = ((x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - 0.3 * x[:, 3] + rng.normal(scale=0.5, size=rows)) > 0).astype(int)
    x[rng.random(size=(rows, features)) < 0.05] = numpy.nan
    parameters = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "base_score": 0.4, "tree_method": "hist", "seed": 7}
    booster = xgboost.train(parameters, xgboost.DMatrix(x, label=y, missing=numpy.nan), num_boost_round=30)
    os.makedirs(OUT, exist_ok=True)
    booster.save_model(os.path.join(OUT, "binary-logistic.json"))
    test = rng.normal(size=(200, features)).astype(numpy.float32)
    test[rng.random(size=test.shape) < 0.1] = numpy.nan
    matrix = xgboost.DMatrix(test, missing=numpy.nan)
    write_predictions(booster, test, "binary-logistic-predictions.json")
    linear = xgboost.train({"objective": "binary:logistic", "booster": "gblinear", "eta": 0.5, "lambda": 0.01, "seed": 7},
                           xgboost.DMatrix(x, label=y, missing=numpy.nan), num_boost_round=40)
    linear.save_model(os.path.join(OUT, "linear-logistic.json"))
    write_predictions(linear, test, "linear-logistic-predictions.json")


def write_predictions(booster, test, name):
    """xgboost's margins, probabilities and feature contributions (approximate, the Saabas method, for trees;
    exact for a linear model) for each test row."""
    matrix = xgboost.DMatrix(test, missing=numpy.nan)
    margins = booster.predict(matrix, output_margin=True)
    probabilities = booster.predict(matrix)
    contributions = booster.predict(matrix, pred_contribs=True, approx_contribs=True)
    cases = [{"features": [None if numpy.isnan(v) else float(v) for v in row], "margin": float(m), "probability": float(p),
              "contributions": [float(c) for c in cs]}
             for row, m, p, cs in zip(test, margins, probabilities, contributions)]
    with open(os.path.join(OUT, name), "w") as out:
        json.dump({"xgboost": xgboost.__version__, "cases": cases}, out, indent=0)


if __name__ == "__main__":
    main()
