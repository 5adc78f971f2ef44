"""True importance of a designed function: Sobol indices of its noise-free mean, by Monte Carlo.

What is computed, exactly: every parameter is an independent input factor u_i ~ U(0, 1) mapped
to its value by its inverse CDF (`space.materialise`); f(u) is the noise-free metric. With two
independent N x d unit matrices A and B and A_B^i = A with column i taken from B (Saltelli
sampling), for V = Var f over the rows of A and B together,
- total effect (Jansen):      T_i = mean((f(A) - f(A_B^i))²) / (2V)
- first order (Saltelli 2010): S_i = mean((f(B) - mean f) · (f(A_B^i) - f(A))) / V
- share_i = T_i / sum_j T_j: the truth the estimators are scored against.
Failed runs and noise do not enter: the truth is of the mean over the whole space.

Conditional parameters: a child keeps its factor u_child everywhere but the function ignores it
outside its branch (it is NaN there). Hence
- the child's T is E_parent[ 1{branch} · Var_child(f | rest) ] / V: its total effect computed
  within the space where it exists, weighted by the branch's probability (0 elsewhere);
- the parent's T includes the branch: switching the parent with every other factor fixed also
  switches the child in or out, so whatever the child adds inside the branch counts for the
  parent too (e.g. y = 1{opt = sgd} · m, m ~ U(0, 1), P(sgd) = 1/2: T_opt = 4/5, T_m = 2/5).
A parameter the function never reads has T exactly 0 (f(A) = f(A_B^i) row by row): it is dead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.importance_truth.space import DesignedFunction, Param, Values, materialise

DEAD_BELOW = 1e-12


@dataclass(frozen=True)
class SobolIndices:
    total: dict[str, float]
    first: dict[str, float]
    variance: float
    n_base: int

    @property
    def shares(self) -> dict[str, float]:
        whole = sum(self.total.values()) or 1.0
        return {p: t / whole for p, t in self.total.items()}

    @property
    def dead(self) -> list[str]:
        return [p for p, t in self.total.items() if t < DEAD_BELOW]


def sobol_indices(
    params: tuple[Param, ...], mean: Callable[[Values], np.ndarray], *, n_base: int = 2**16, seed: int = 0
) -> SobolIndices:
    """Total-effect (Jansen) and first-order (Saltelli 2010) indices of `mean` over `params`,
    from n_base · (d + 2) evaluations (see the module docstring)."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n_base, len(params))), rng.random((n_base, len(params)))

    def evaluate(unit: np.ndarray) -> np.ndarray:
        y = np.asarray(mean(materialise(params, unit)), dtype=float)
        if not np.all(np.isfinite(y)):
            raise ValueError("the mean is not finite everywhere: does it read a child outside its branch?")
        return y

    f_a, f_b = evaluate(a), evaluate(b)
    variance = float(np.var(np.concatenate([f_a, f_b])))
    centre = float(np.mean(np.concatenate([f_a, f_b])))
    if variance == 0:
        raise ValueError("the mean is constant")
    total, first = {}, {}
    for i, param in enumerate(params):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        f_mixed = evaluate(mixed)
        total[param.name] = float(np.mean((f_a - f_mixed) ** 2) / (2 * variance))
        # centring f(B) leaves the estimator unbiased and cuts its variance when the mean is far from 0
        first[param.name] = float(np.mean((f_b - centre) * (f_mixed - f_a)) / variance)
    return SobolIndices(total, first, variance, n_base)


def true_importance(function: DesignedFunction, *, n_base: int = 2**16, seed: int = 0) -> SobolIndices:
    return sobol_indices(function.params, function.mean, n_base=n_base, seed=seed)
