"""``prune_rate="auto"``: walk candidate rates, keep one by a stated rule."""

from ._log import log

# Rates tried in turn by the progressive "auto" of the neural networks
# (MLPPruner, ConvPruner); ForestPruner adds 0.0 to them.
AUTO_RATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def choose_candidate(candidates, evaluate, *, rule, floor=None):
    """The candidate kept by ``rule``, and what ``evaluate`` made of it.

    Parameters
    ----------
    candidates : iterable
        Rates (or other candidates), in the order they are evaluated.

    evaluate : callable
        ``evaluate(candidate) -> (value, result)``: a held-out score (rules
        with a ``floor``) or a loss (``"least"``), and the pruned model (or
        whatever the caller needs back).

    rule : {"first_at_floor", "last_at_floor", "least"}
        - ``"first_at_floor"``: stop at the first candidate whose score is at
          least ``floor`` (candidates ordered from the smallest model up);
        - ``"last_at_floor"``: evaluate every candidate, keep the last one
          whose score is at least ``floor``;
        - ``"least"``: evaluate every candidate, keep the one of least value,
          the later one among ties.

    floor : float, default=None
        The least accepted score of the ``*_at_floor`` rules.

    Returns
    -------
    candidate, result
        The kept candidate and its result; ``(None, None)`` when no candidate
        reaches ``floor``.
    """
    chosen, chosen_result, best = None, None, None
    for candidate in candidates:
        value, result = evaluate(candidate)
        if rule == "least":
            accepted = best is None or value <= best
        else:
            accepted = value >= floor
        if accepted:
            chosen, chosen_result, best = candidate, result, value
            if rule == "first_at_floor":
                break
    return chosen, chosen_result


def floor_message(score, floor, what):
    """The progress line of one candidate of a rule with a floor."""
    side = "at or above" if score >= floor else "below"
    return f"auto: held-out score {score:.4f} {what} ({side} the floor {floor:.4f})"


def prune_progressively(session, held_out_score, floor, pruner):
    """Prune ``session`` through ``AUTO_RATES``; keep the largest rate within tol.

    ``session`` prunes (and fine-tunes) with ``step(rate)``, and saves and
    brings back its network with ``snapshot()`` / ``restore(snapshot)``;
    ``held_out_score()`` scores its current network on the held-out rows.
    The session ends with the network of the largest rate whose score is at
    least ``floor`` (the unpruned one if none is).

    Returns
    -------
    rate : float
        The largest accepted rate, or 0.0.
    """
    unpruned = session.snapshot()

    def evaluate(rate):
        session.step(rate)
        score = held_out_score()
        log(pruner, floor_message(score, floor, f"at rate {rate:.3g}"))
        return score, session.snapshot()

    # Every rate is tried: a short fine-tuning round at a high learning rate
    # can dip below the floor at one rate and recover at the next.
    rate, snapshot = choose_candidate(
        AUTO_RATES, evaluate, rule="last_at_floor", floor=floor
    )
    session.restore(unpruned if rate is None else snapshot)
    return 0.0 if rate is None else rate
