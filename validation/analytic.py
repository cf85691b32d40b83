"""Closed-form queueing and popularity results the simulator is checked against.

Erlang B and C, M/M/c waiting-time metrics, Engset (finite sources), Little's law and the
expected number of distinct items requested under Zipf popularity. Time units follow the
caller's: give rates per second and times in seconds and the results are in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _check_servers(servers: int) -> int:
    if int(servers) != servers or servers < 0:
        raise ValueError(f"servers must be a non-negative integer, got {servers!r}")
    return int(servers)


def erlang_b(servers: int, offered_erlangs: float) -> float:
    """Blocking probability of an M/G/c/c loss system (Erlang's B formula).

    Uses the recursion ``B(0) = 1``, ``B(k) = A B(k-1) / (k + A B(k-1))``, which never forms
    ``A**c`` or ``c!`` and so stays accurate for thousands of servers.

    Parameters
    ----------
    servers : int
        Number of servers (agents, lines, streams), ``>= 0``.
    offered_erlangs : float
        Offered traffic ``A = arrival rate x mean holding time``, ``>= 0``.

    Returns
    -------
    float
        The share of arrivals that find every server busy and are lost.
    """
    c = _check_servers(servers)
    if offered_erlangs < 0:
        raise ValueError(f"offered_erlangs must be >= 0, got {offered_erlangs!r}")
    b = 1.0
    for k in range(1, c + 1):
        b = offered_erlangs * b / (k + offered_erlangs * b)
    return b


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang's C formula).

    Computed from Erlang B as ``C = c B / (c - A (1 - B))``. Returns 1.0 when the queue is
    unstable (``A >= c``): every arrival eventually waits.

    Parameters
    ----------
    servers : int
        Number of servers, ``>= 1``.
    offered_erlangs : float
        Offered traffic in erlangs.

    Returns
    -------
    float
        ``P(W > 0)``.
    """
    c = _check_servers(servers)
    if c < 1:
        raise ValueError("erlang_c needs at least one server")
    if offered_erlangs >= c:
        return 1.0
    b = erlang_b(c, offered_erlangs)
    return c * b / (c - offered_erlangs * (1.0 - b))


@dataclass(frozen=True)
class MMc:
    """Stationary metrics of the M/M/c queue (FCFS, unlimited waiting room).

    Build with :func:`mmc`. Times are in the unit of ``handle_s`` (seconds by convention).
    """

    servers: int
    arrival_per_s: float
    handle_s: float

    @property
    def offered_erlangs(self) -> float:
        return self.arrival_per_s * self.handle_s

    @property
    def utilisation(self) -> float:
        """Traffic per server ``rho = A / c``."""
        return self.offered_erlangs / self.servers

    @property
    def stable(self) -> bool:
        return self.utilisation < 1.0

    @property
    def wait_prob(self) -> float:
        """``P(W > 0)``, Erlang C."""
        return erlang_c(self.servers, self.offered_erlangs)

    @property
    def _drain_per_s(self) -> float:
        """Rate at which a waiting queue empties, ``c mu - lambda``."""
        return self.servers / self.handle_s - self.arrival_per_s

    @property
    def wait_mean_s(self) -> float:
        """Mean wait in queue ``Wq = C / (c mu - lambda)``; infinite when unstable."""
        return self.wait_prob / self._drain_per_s if self.stable else math.inf

    @property
    def queue_mean(self) -> float:
        """Mean number waiting ``Lq = lambda Wq``."""
        return self.arrival_per_s * self.wait_mean_s if self.stable else math.inf

    @property
    def response_mean_s(self) -> float:
        """Mean time in system ``W = Wq + 1/mu``."""
        return self.wait_mean_s + self.handle_s

    @property
    def in_system_mean(self) -> float:
        """Mean number in system ``L = Lq + A``."""
        return self.queue_mean + self.offered_erlangs

    def service_level(self, within_s: float) -> float:
        """``P(W <= t) = 1 - C exp(-(c mu - lambda) t)``: share answered within ``within_s``."""
        if not self.stable:
            return 0.0
        return 1.0 - self.wait_prob * math.exp(-self._drain_per_s * within_s)

    def wait_quantile(self, p: float) -> float:
        """The ``p``-quantile of the wait.

        The wait is 0 with probability ``1 - C`` and otherwise exponential with rate
        ``c mu - lambda``, so the quantile is 0 for ``p <= 1 - C`` and
        ``ln(C / (1 - p)) / (c mu - lambda)`` above.
        """
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        if not self.stable:
            return math.inf
        pw = self.wait_prob
        if p <= 1.0 - pw:
            return 0.0
        return math.log(pw / (1.0 - p)) / self._drain_per_s


def mmc(arrival_per_s: float, handle_s: float, servers: int) -> MMc:
    """M/M/c metrics for Poisson arrivals at ``arrival_per_s`` and exponential service.

    Parameters
    ----------
    arrival_per_s : float
        Arrival rate (per second, or per any unit used consistently).
    handle_s : float
        Mean service (handling) time in the same time unit.
    servers : int
        Number of servers.

    Returns
    -------
    MMc
        Object whose properties give wait probability, mean wait, mean queue length,
        service level and wait quantiles.
    """
    if arrival_per_s < 0 or handle_s <= 0:
        raise ValueError("arrival_per_s must be >= 0 and handle_s > 0")
    c = _check_servers(servers)
    if c < 1:
        raise ValueError("M/M/c needs at least one server")
    return MMc(c, float(arrival_per_s), float(handle_s))


def engset_time_congestion(servers: int, sources: int, erlangs_per_idle_source: float) -> float:
    """Share of time all servers are busy with ``sources`` finite sources (Engset).

    ``E = C(S, c) beta^c / sum_k C(S, k) beta^k`` with ``beta`` the traffic an idle source
    offers (its call rate while idle x mean holding time), computed by the stable recursion
    ``E_0 = 1``, ``E_k = (S - k + 1) beta E_{k-1} / (k + (S - k + 1) beta E_{k-1})``.
    Zero when there are at least as many servers as sources.
    """
    c = _check_servers(servers)
    s = _check_servers(sources)
    if erlangs_per_idle_source < 0:
        raise ValueError("erlangs_per_idle_source must be >= 0")
    if c > s:
        return 0.0
    e = 1.0
    for k in range(1, c + 1):
        x = (s - k + 1) * erlangs_per_idle_source * e
        e = x / (k + x)
    return e


def engset_blocking(servers: int, sources: int, erlangs_per_idle_source: float) -> float:
    """Share of call attempts that are blocked with finite sources (Engset's call congestion).

    A source that is busy makes no attempts, so an attempt sees the system as it is with one
    source fewer: the call congestion is the time congestion with ``sources - 1``.
    Example: a hotel's ``sources`` rooms sharing ``servers`` video-on-demand streams.

    Parameters
    ----------
    servers : int
        Servers (lines, streams).
    sources : int
        Number of traffic sources (rooms, terminals), ``>= 1``.
    erlangs_per_idle_source : float
        Traffic offered by one idle source: its attempt rate while idle x mean holding time.

    Returns
    -------
    float
        Blocking probability of an attempt; tends to Erlang B as sources grow with the total
        offered traffic fixed.
    """
    if sources < 1:
        raise ValueError("engset_blocking needs at least one source")
    if servers >= sources:
        return 0.0
    return engset_time_congestion(servers, sources - 1, erlangs_per_idle_source)


def littles_law(
    arrival_rate: float | None = None,
    time_in_system: float | None = None,
    number_in_system: float | None = None,
) -> float:
    """Little's law ``L = lambda W``: give two of the three and get the third.

    Parameters
    ----------
    arrival_rate : float, optional
        Long-run arrival (throughput) rate, per time unit.
    time_in_system : float, optional
        Mean time an item spends in the system, same time unit.
    number_in_system : float, optional
        Time-average number of items in the system.

    Returns
    -------
    float
        The one quantity not given.
    """
    given = [v is not None for v in (arrival_rate, time_in_system, number_in_system)]
    if sum(given) != 2:
        raise ValueError("give exactly two of arrival_rate, time_in_system, number_in_system")
    if number_in_system is None:
        assert arrival_rate is not None and time_in_system is not None
        return arrival_rate * time_in_system
    if time_in_system is None:
        assert arrival_rate is not None
        if arrival_rate == 0:
            raise ValueError("arrival_rate must be > 0 to find time_in_system")
        return number_in_system / arrival_rate
    if time_in_system == 0:
        raise ValueError("time_in_system must be > 0 to find arrival_rate")
    return number_in_system / time_in_system


def zipf_probabilities(n_items: int, exponent: float) -> np.ndarray:
    """Zipf popularity ``p_i = i^-s / sum_j j^-s`` of items ranked ``1..n_items``."""
    if n_items < 1:
        raise ValueError("n_items must be >= 1")
    if exponent < 0:
        raise ValueError("exponent must be >= 0")
    w = np.arange(1, n_items + 1, dtype=float) ** -float(exponent)
    return w / w.sum()


def expected_distinct(probabilities: np.ndarray, draws: float) -> float:
    """Expected number of distinct items among ``draws`` independent requests.

    ``E[D] = sum_i [1 - (1 - p_i)^N]``, evaluated as ``-expm1(N log1p(-p_i))`` so that tiny
    probabilities and large ``N`` keep full precision.
    """
    p = np.asarray(probabilities, dtype=float)
    if draws < 0:
        raise ValueError("draws must be >= 0")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    certain = p >= 1.0
    q = np.where(certain, 0.0, p)
    seen = -np.expm1(draws * np.log1p(-q))
    return float(np.sum(np.where(certain, 1.0 if draws > 0 else 0.0, seen)))


def expected_distinct_zipf(n_items: int, exponent: float, draws: float) -> float:
    """Expected distinct items among ``draws`` requests under Zipf(``exponent``) popularity.

    E.g. the expected number of distinct channels watched at an access node when ``draws``
    viewers each pick one of ``n_items`` channels.
    """
    return expected_distinct(zipf_probabilities(n_items, exponent), draws)
