#!/usr/bin/env python3
"""Trains the risk model and its logistic-regression baseline on the scenario generator's ground truth and
writes them into Sources/Processing/RiskEngine/DefaultRiskModels.swift (generated: the committed default).

Each training seed's scenario set (benign background with every typology injected, labelled) is analysed by
the release binary, which writes every transaction's risk features and label (`csic bench detection --seed S
--export-features FILE`); xgboost (PyPI) trains gradient-boosted trees (`gbtree`) and a logistic regression
(`gblinear`) on the same rows; both are scored on a held-out seed and saved in XGBoost's JSON model format.
The seeds here are never the benchmark's (`csic bench detection` defaults to 20261206).

    swift build -c release && python3 tools/train_risk_model.py [--binary .build/release/csic]
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile

import numpy
import xgboost

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUTPUT = os.path.join(ROOT, "Sources", "Processing", "RiskEngine", "DefaultRiskModels.swift")
TREE_PARAMETERS = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "min_child_weight": 2, "subsample": 0.9,
                   "tree_method": "hist", "seed": 7, "nthread": 1, "eval_metric": "aucpr"}
LINEAR_PARAMETERS = {"objective": "binary:logistic", "booster": "gblinear", "eta": 0.5, "lambda": 0.001, "seed": 7, "nthread": 1,
                     "eval_metric": "aucpr"}
# What inference reads; the rest of xgboost's JSON (gains, base weights, parents) is left out of the embedded copy.
TREE_FIELDS = ["left_children", "right_children", "split_indices", "split_conditions", "default_left", "sum_hessian"]


def features(binary, seed, background, directory):
    """The feature rows of one seed's scenario set: names, rows (NaN for missing) and labels."""
    path = os.path.join(directory, f"features-{seed}.csv")
    subprocess.run([binary, "bench", "detection", "--seed", str(seed), "--transactions", str(background), "--export-features", path,
                    "--json"], check=True, stdout=subprocess.DEVNULL)
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows, labels = [], []
        for record in reader:
            labels.append(int(record[1]))
            rows.append([float(value) if value else numpy.nan for value in record[2:]])
    return header[2:], numpy.array(rows, dtype=numpy.float32), numpy.array(labels)


def average_precision(scores, labels):
    """The precision-recall AUC as average precision, thresholds at distinct scores (as the Swift benchmark)."""
    order = numpy.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    positives = labels.sum()
    area, previous_recall, true_positives, seen, position = 0.0, 0.0, 0, 0, 0
    while position < len(scores):
        end = position
        while end < len(scores) and scores[end] == scores[position]:
            end += 1
        true_positives += int(labels[position:end].sum())
        seen += end - position
        recall = true_positives / positives
        area += (recall - previous_recall) * true_positives / seen
        previous_recall, position = recall, end
    return area


def trimmed(booster):
    """The model's JSON with what inference needs only."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.json")
        booster.save_model(path)
        with open(path) as handle:
            model = json.load(handle)
    learner = model["learner"]
    gradient_booster = learner["gradient_booster"]
    if gradient_booster["name"] == "gbtree":
        trees = gradient_booster["model"]["trees"]
        gradient_booster = {"name": "gbtree", "model": {"trees": [{field: tree[field] for field in TREE_FIELDS} for tree in trees]}}
    else:
        gradient_booster = {"name": "gblinear", "model": {"weights": gradient_booster["model"]["weights"]}}
    kept = {"learner": {"objective": {"name": learner["objective"]["name"]}, "gradient_booster": gradient_booster,
                        "learner_model_param": learner["learner_model_param"], "feature_names": learner["feature_names"]},
            "version": model["version"]}
    return json.dumps(kept, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "csic"))
    parser.add_argument("--seeds", default="101,102,103,104", help="training seeds")
    parser.add_argument("--holdout", type=int, default=105, help="the seed scored after training")
    parser.add_argument("--background", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--name", default="scenario-gbtree-2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        parts = [features(args.binary, int(seed), args.background, directory) for seed in args.seeds.split(",")]
        names = parts[0][0]
        train = xgboost.DMatrix(numpy.vstack([p[1] for p in parts]), label=numpy.concatenate([p[2] for p in parts]), missing=numpy.nan,
                                feature_names=names)
        _, holdout_rows, holdout_labels = features(args.binary, args.holdout, args.background, directory)
    holdout = xgboost.DMatrix(holdout_rows, missing=numpy.nan, feature_names=names)
    trees = xgboost.train(TREE_PARAMETERS, train, num_boost_round=args.rounds)
    linear = xgboost.train(LINEAR_PARAMETERS, train, num_boost_round=args.rounds)
    print(f"training rows {train.num_row()} ({int(train.get_label().sum())} injected), {len(names)} features")
    print(f"held-out seed {args.holdout}: PR-AUC trees {average_precision(trees.predict(holdout), holdout_labels):.3f}, "
          f"logistic regression {average_precision(linear.predict(holdout), holdout_labels):.3f}")
    swift = f'''// Generated by tools/train_risk_model.py: do not edit.

/// The committed risk model and its logistic-regression baseline (XGBoost JSON, trained on the scenario
/// generator's ground truth by `tools/train_risk_model.py`), so that a fresh installation scores from its first
/// transaction. Empty before the first training.
public enum DefaultRiskModels {{
    /// The model's name; its version on assessments adds a digest of ``model``.
    public static let name = "{args.name}"
    /// Gradient-boosted trees (`gbtree`, `binary:logistic`): {args.rounds} rounds, depth {TREE_PARAMETERS["max_depth"]}, seeds {args.seeds}.
    public static let model = #"{trimmed(trees)}"#
    /// A logistic regression on the same features (`gblinear`, `binary:logistic`).
    public static let baseline = #"{trimmed(linear)}"#
}}
'''
    with open(OUTPUT, "w") as handle:
        handle.write(swift)
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)} ({len(swift) // 1024} KiB)")


if __name__ == "__main__":
    main()
