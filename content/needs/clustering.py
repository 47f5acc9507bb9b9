"""Greedy centroid clustering of question embeddings (pure numpy, tested on its own).

Distinct wordings are taken most-asked first; each joins the cluster whose centroid it is most
similar to, when at least `threshold` (cosine), else starts a new one. Frequent phrasings thus
anchor clusters, and one pass over n wordings and k clusters costs O(n·k) dot products, which is
plenty for the few thousand unanswered questions of a quarter.
"""

from __future__ import annotations

import numpy as np


def cluster_vectors(vectors: np.ndarray, weights: list[int], threshold: float) -> list[list[int]]:
    """Rows of `vectors` (unit length) in the order given, grouped; returns lists of row indexes.

    `weights` (how often each wording was asked) weigh the centroids.
    """
    if len(vectors) == 0:
        return []
    centroids: list[np.ndarray] = []
    mass: list[float] = []
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        best, best_similarity = -1, threshold
        if centroids:
            matrix = np.stack(centroids)
            norms = np.linalg.norm(matrix, axis=1)
            norms[norms == 0] = 1.0
            similarities = (matrix @ vector) / norms
            candidate = int(np.argmax(similarities))
            if similarities[candidate] >= best_similarity:
                best, best_similarity = candidate, float(similarities[candidate])
        if best < 0:
            centroids.append(vector.astype(np.float32) * weights[index])
            mass.append(float(weights[index]))
            members.append([index])
        else:
            centroids[best] = centroids[best] + vector * weights[index]
            mass[best] += weights[index]
            members[best].append(index)
    return members
