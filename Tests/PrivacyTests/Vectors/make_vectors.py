#!/usr/bin/env python3
"""Writes rdp_vectors.json, the reference values the Privacy tests compare against.

Run from the repository root:

    python3 Tests/PrivacyTests/Vectors/make_vectors.py

It creates the git-ignored virtualenv <repo>/.venv if it is missing, installs the pinned
dp-accounting there, and reruns itself inside it. Nothing here is needed to build or test
Starling: the JSON it writes is committed. It takes about eight minutes, nearly all of it in
the high-precision integrals.

What it records, for a grid of Poisson-subsampled Gaussian mechanisms (sampling rate q,
noise multiplier sigma, steps, delta):
  - epsilon and the order that gave it from dp-accounting's RdpAccountant with the integer
    orders 2...256 ("integer"), and with the library's default orders ("default");
  - "exact_default": epsilon over the default orders when the RDP at each fractional order is
    the Renyi divergence itself, integrated with mpmath at high precision instead of taken from
    the library's fractional-order series (which bounds every coefficient by its absolute value
    and so overstates the divergence, or gives up and leaves the order out);
  - raw per-step RDP per default order, from the library and exact, for a few (q, sigma);
  - delta for a target epsilon, a composition of two different events, and the default orders.
"""

import json
import os
import subprocess
import sys
import venv

DP_ACCOUNTING_VERSION = "0.6.0"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VENV = os.path.join(ROOT, ".venv")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rdp_vectors.json")


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        venv.create(VENV, with_pip=True)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"dp-accounting=={DP_ACCOUNTING_VERSION}"],
        check=True)
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


ensure_venv()

import math  # noqa: E402

import dp_accounting  # noqa: E402
import mpmath as mp  # noqa: E402
from dp_accounting.rdp import rdp_privacy_accountant as rdp  # noqa: E402

Q = [0.001, 0.01, 0.05, 0.1, 0.5, 1.0]
SIGMA = [0.5, 0.8, 1.0, 1.5, 3.0, 10.0]
STEPS = [1, 100, 10000]
DELTA = [1e-5, 1e-7]
INTEGER_ORDERS = list(range(2, 257))
DEFAULT_ORDERS = [float(a) for a in rdp.DEFAULT_RDP_ORDERS]
RAW_POINTS = [(0.01, 1.0), (0.1, 3.0), (0.5, 0.8), (0.05, 10.0), (0.001, 0.5), (1.0, 1.5)]

mp.mp.dps = 24


def finite(x):
    """JSON has no infinity: an order the library leaves out is null."""
    x = float(x)
    return x if math.isfinite(x) else None


def exact_log_a(q, sigma, alpha):
    """log E_{z~N(0,s^2)}[((1-q) + q exp((2z-1)/(2s^2)))^alpha] by mpmath's tanh-sinh quadrature."""
    q, s, a = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)
    f = lambda z: mp.npdf(z, 0, s) * ((1 - q) + q * mp.exp((2 * z - 1) / (2 * s**2))) ** a
    return mp.log(mp.quad(f, [-mp.inf, 0, 0.5, 1, a, mp.inf]))


def exact_rdp(q, sigma, orders):
    """Per-step RDP at each order: the library's exact binomial sum at integer orders, the
    integral at fractional ones."""
    out = []
    for a in orders:
        if q == 1.0 or float(a).is_integer():
            out.append(float(rdp._compute_rdp_poisson_subsampled_gaussian(q, sigma, [a])[0]))
        else:
            out.append(float(exact_log_a(q, sigma, a) / (mp.mpf(a) - 1)))
    return out


def accountant_epsilon(orders, events, delta):
    acc = rdp.RdpAccountant(orders=orders)
    for q, sigma, steps in events:
        acc.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
    eps, order = acc.get_epsilon_and_optimal_order(delta)
    return finite(eps), float(order)


def main():
    points = []
    raw = []
    for q in Q:
        for sigma in SIGMA:
            exact = exact_rdp(q, sigma, DEFAULT_ORDERS)
            if (q, sigma) in RAW_POINTS:
                library = rdp._compute_rdp_poisson_subsampled_gaussian(q, sigma, DEFAULT_ORDERS)
                raw.append({"q": q, "sigma": sigma, "orders": DEFAULT_ORDERS,
                            "library": [finite(x) for x in library], "exact": exact})
            for steps in STEPS:
                for delta in DELTA:
                    eps_int, order_int = accountant_epsilon(INTEGER_ORDERS, [(q, sigma, steps)], delta)
                    eps_def, order_def = accountant_epsilon(DEFAULT_ORDERS, [(q, sigma, steps)], delta)
                    eps_exact, order_exact = rdp.compute_epsilon(
                        DEFAULT_ORDERS, [steps * r for r in exact], delta)
                    points.append({
                        "q": q, "sigma": sigma, "steps": steps, "delta": delta,
                        "integer": {"epsilon": eps_int, "order": order_int},
                        "default": {"epsilon": eps_def, "order": order_def},
                        "exact_default": {"epsilon": finite(eps_exact), "order": float(order_exact)},
                    })
            print(f"q={q} sigma={sigma}", file=sys.stderr)

    deltas = []
    for q, sigma, steps, eps in [(0.01, 1.0, 1000, 1.0), (0.1, 1.5, 100, 2.0), (1.0, 3.0, 10, 0.5),
                                 (0.05, 0.8, 10000, 8.0)]:
        acc = rdp.RdpAccountant(orders=INTEGER_ORDERS)
        acc.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
        delta, order = acc.get_delta_and_optimal_order(eps)
        deltas.append({"q": q, "sigma": sigma, "steps": steps, "epsilon": eps,
                       "delta": float(delta), "order": float(order)})

    events = [(0.01, 1.0, 1000), (0.1, 2.0, 50), (1.0, 5.0, 3)]
    eps, order = accountant_epsilon(INTEGER_ORDERS, events, 1e-5)
    composition = {"events": [{"q": q, "sigma": s, "steps": t} for q, s, t in events],
                   "delta": 1e-5, "integer": {"epsilon": eps, "order": order}}

    document = {
        "library": {"name": "dp-accounting", "version": dp_accounting.__version__
                    if hasattr(dp_accounting, "__version__") else DP_ACCOUNTING_VERSION},
        "integer_orders": INTEGER_ORDERS,
        "default_orders": DEFAULT_ORDERS,
        "points": points,
        "rdp": raw,
        "delta": deltas,
        "composition": composition,
    }
    with open(OUT, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
