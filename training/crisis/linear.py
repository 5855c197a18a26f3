"""L2-regularised logistic regression in plain numpy, deterministic to the bit.

No BLAS call anywhere (no `@`, `dot` or `matmul`): sparse products are `np.bincount` sums,
vector products are `np.sum` of elementwise products. Both are single-threaded loops in a
fixed order, so the same input gives the same bits on every run, whatever the thread count.
The optimiser is L-BFGS with a backtracking line search and a fixed iteration budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Sparse:
    """A row-major sparse matrix as three parallel arrays (row, column, value)."""

    rows: I64
    cols: I64
    vals: F64
    n_rows: int
    n_cols: int

    def matvec(self, w: F64) -> F64:
        return np.bincount(self.rows, weights=self.vals * w[self.cols], minlength=self.n_rows)

    def rmatvec(self, g: F64) -> F64:
        return np.bincount(self.cols, weights=self.vals * g[self.rows], minlength=self.n_cols)

    def take_rows(self, keep: NDArray[np.bool_]) -> Sparse:
        new_index = np.cumsum(keep) - 1
        mask = keep[self.rows]
        return Sparse(
            new_index[self.rows[mask]].astype(np.int64),
            self.cols[mask],
            self.vals[mask],
            int(keep.sum()),
            self.n_cols,
        )


def _dot(a: F64, b: F64) -> float:
    return float(np.sum(a * b))


def _loss_grad(
    x: Sparse, y: F64, sw: F64, theta: F64, lam: float
) -> tuple[float, F64]:
    """theta = [bias, w...]; labels y in {0, 1}; sample weights sw."""
    b, w = theta[0], theta[1:]
    z = x.matvec(w) + b
    # log(1 + exp(-m)) with m = z for y=1 and -z for y=0, computed stably.
    m = np.where(y > 0.5, z, -z)
    loss = float(np.sum(sw * np.logaddexp(0.0, -m))) + 0.5 * lam * _dot(w, w)
    p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow
    r = sw * (p - y)
    grad = np.empty_like(theta)
    grad[0] = float(np.sum(r))
    grad[1:] = x.rmatvec(r) + lam * w
    return loss, grad


def fit_logistic(
    x: Sparse,
    y: F64,
    sample_weight: F64 | None = None,
    lam: float = 1.0,
    iters: int = 300,
    memory: int = 10,
    tol: float = 1e-6,
) -> tuple[float, F64]:
    """Minimise sum_i sw_i * logloss_i + lam/2 * |w|^2 (bias not penalised).

    Returns (bias, weights)."""
    sw = np.ones(x.n_rows) if sample_weight is None else sample_weight.astype(np.float64)
    theta = np.zeros(x.n_cols + 1)
    loss, grad = _loss_grad(x, y, sw, theta, lam)
    s_hist: list[F64] = []
    y_hist: list[F64] = []
    g0 = max(float(np.sqrt(_dot(grad, grad))), 1e-12)
    for _ in range(iters):
        # Two-loop recursion.
        q = grad.copy()
        alphas = []
        for s, yv in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / _dot(yv, s)
            a = rho * _dot(s, q)
            alphas.append((rho, a))
            q -= a * yv
        gamma = (_dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])) if s_hist else 1 / g0
        r = gamma * q
        for (s, yv), (rho, a) in zip(zip(s_hist, y_hist, strict=True), reversed(alphas),
                                     strict=True):
            beta = rho * _dot(yv, r)
            r += (a - beta) * s
        direction = -r
        slope = _dot(grad, direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction = -grad / g0
            slope = _dot(grad, direction)
        step = 1.0
        for _ls in range(40):
            new_theta = theta + step * direction
            new_loss, new_grad = _loss_grad(x, y, sw, new_theta, lam)
            if new_loss <= loss + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break
        s_vec = new_theta - theta
        y_vec = new_grad - grad
        if _dot(s_vec, y_vec) > 1e-12:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        theta, grad = new_theta, new_grad
        improvement = loss - new_loss
        loss = new_loss
        if float(np.sqrt(_dot(grad, grad))) <= tol * g0 or improvement <= 1e-10 * abs(loss):
            break
    return float(theta[0]), theta[1:]
