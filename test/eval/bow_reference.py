"""scikit-learn's LogisticRegression on given bag-of-words features, for test/eval/bag-of-words.test.ts.

    .venv/bin/python test/eval/bow_reference.py problems.json
        problems.json: {"problems": [{"d": vocabulary size, "C": inverse regularization
                        (1 / (l2 * n_train)), "train": [[[index, value], ...], ...] one sparse row per
                        text, "y": [class index, ...], "query": [[[index, value], ...], ...]}, ...]}
        Prints JSON: {"sklearn": version, "results": [{"proba": class probabilities of each query
                      row, "train_accuracy", "coef", "intercept", "n_iter"}, ...]}, one per problem
        (several problems in one run: importing scikit-learn takes seconds).

Two classes give the sigmoid model, more give the multinomial (softmax) one; lbfgs, the bias not
penalized: the same objective as src/eval/bag-of-words.ts, scaled by C * n.
"""
import json
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression


def sparse_rows(rows, d):
    data, indices, indptr = [], [], [0]
    for row in rows:
        for j, v in row:
            indices.append(j)
            data.append(v)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(rows), d))


def fit(spec):
    X = sparse_rows(spec["train"], spec["d"])
    y = np.array(spec["y"])
    model = LogisticRegression(C=spec["C"], solver="lbfgs", tol=1e-10, max_iter=100000)
    model.fit(X, y)
    return {
        "proba": model.predict_proba(sparse_rows(spec["query"], spec["d"])).tolist(),
        "train_accuracy": float(model.score(X, y)),
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "n_iter": int(np.max(model.n_iter_)),
    }


with open(sys.argv[1]) as f:
    problems = json.load(f)["problems"]
print(json.dumps({"sklearn": sklearn.__version__, "results": [fit(p) for p in problems]}))
