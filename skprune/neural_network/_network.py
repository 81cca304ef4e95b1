"""Forward and backward passes, and surgery, on fitted scikit-learn MLPs.

scikit-learn's own ``_forward_pass`` / ``_backprop`` changed signature between
releases (``sample_weight`` arrived in 1.7), so the pruner runs its own passes
with the estimator's activation functions; they compute exactly what the
estimator's solver computes (canonical link: the output delta is
``output - target``; the L2 term ``alpha * W`` is divided by the batch weight).
"""

import numpy as np
from scipy.special import xlogy
from sklearn.base import is_classifier
from sklearn.neural_network._base import ACTIVATIONS, DERIVATIVES


def forward(mlp, X, coefs=None, intercepts=None):
    """Activations of every layer, ``[X, hidden_1, ..., output]``.

    ``coefs`` / ``intercepts`` default to the estimator's own.
    """
    coefs = mlp.coefs_ if coefs is None else coefs
    intercepts = mlp.intercepts_ if intercepts is None else intercepts
    activations = [X]
    last = len(coefs) - 1
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        # The matmul operator, not safe_sparse_dot: the same product for NumPy
        # and SciPy sparse inputs, without its per-call dispatch overhead
        # (measurable on the many small batches of fine-tuning).
        z = activations[-1] @ coef
        z += intercept
        name = mlp.activation if i < last else mlp.out_activation_
        ACTIVATIONS[name](z)
        activations.append(z)
    return activations


def output_deltas(activations, targets, sample_weight):
    """Gradient of the per-sample loss with respect to the output pre-activation.

    For each (output activation, loss) pair scikit-learn uses (softmax or
    logistic with log-loss, identity with squared error, exp with Poisson),
    this is ``output - target``, soft targets included.
    """
    delta = activations[-1] - targets
    if sample_weight is not None:
        delta *= sample_weight[:, np.newaxis]
    return delta


def backward(mlp, activations, targets, sample_weight, coefs, alpha):
    """Gradients of scikit-learn's MLP objective (mean loss + L2) on a batch.

    Returns ``(coef_grads, intercept_grads)``. Like scikit-learn, the L2 term
    is ``alpha * W`` divided by the (weighted) batch size.
    """
    n_layers = len(coefs)
    denom = activations[0].shape[0] if sample_weight is None else sample_weight.sum()
    coef_grads = [None] * n_layers
    intercept_grads = [None] * n_layers
    delta = output_deltas(activations, targets, sample_weight)
    derivative = DERIVATIVES[mlp.activation]
    for i in range(n_layers - 1, -1, -1):
        grad = np.asarray(activations[i].T @ delta)
        grad += alpha * coefs[i]
        grad /= denom
        coef_grads[i] = grad
        intercept_grads[i] = delta.sum(axis=0) / denom
        if i > 0:
            delta = delta @ coefs[i].T
            derivative(activations[i], delta)
    return coef_grads, intercept_grads


def data_loss(mlp, output, targets, sample_weight):
    """Mean loss (without the L2 term) whose output gradient is ``output - target``.

    Squared error is ``0.5 * sum over outputs``, Poisson drops the constant
    term: both then match the gradient :func:`backward` computes.
    """
    if mlp.out_activation_ in ("softmax", "logistic"):
        eps = np.finfo(output.dtype).eps
        prob = np.clip(output, eps, 1 - eps)
        per_sample = -xlogy(targets, prob)
        if mlp.out_activation_ == "logistic":
            per_sample -= xlogy(1 - targets, 1 - prob)
    elif mlp.out_activation_ == "exp":
        per_sample = output - targets * np.log(np.maximum(output, 1e-300))
    else:
        per_sample = 0.5 * (output - targets) ** 2
    per_sample = per_sample.sum(axis=1)
    if sample_weight is None:
        return float(per_sample.mean())
    return float(np.dot(per_sample, sample_weight) / sample_weight.sum())


def l2_penalty(coefs, alpha, denom):
    """scikit-learn's L2 term, ``0.5 * alpha * sum(W ** 2) / n``."""
    return 0.5 * alpha * sum(float(np.vdot(c, c)) for c in coefs) / denom


def targets_of(mlp, y, dtype):
    """The 2-D targets the estimator trains on (binarized labels for classifiers)."""
    if is_classifier(mlp):
        targets = mlp._label_binarizer.transform(y)
    else:
        targets = np.asarray(y)
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    return np.asarray(targets, dtype=dtype)


def hidden_sizes(mlp):
    """Number of units of each hidden layer of a fitted MLP."""
    return [coef.shape[1] for coef in mlp.coefs_[:-1]]


def remove_units(mlp, layer, keep, removed_mean=None):
    """Keep only the units ``keep`` of hidden layer ``layer`` (in place).

    Deletes the columns of ``coefs_[layer]``, the entries of
    ``intercepts_[layer]`` and the rows of ``coefs_[layer + 1]``. When
    ``removed_mean`` (the mean activation of every unit of the layer) is
    given, the removed units' mean contribution is folded into the next
    layer's bias: a unit that is constant on the data is then removed
    exactly, and the next layer keeps its average input.
    """
    keep = np.sort(np.asarray(keep, dtype=np.intp))
    removed = np.setdiff1d(np.arange(mlp.coefs_[layer].shape[1]), keep)
    next_coef = mlp.coefs_[layer + 1]
    if removed_mean is not None and removed.size:
        mlp.intercepts_[layer + 1] = mlp.intercepts_[layer + 1] + (
            removed_mean[removed] @ next_coef[removed]
        ).astype(next_coef.dtype)
    mlp.coefs_[layer] = np.ascontiguousarray(mlp.coefs_[layer][:, keep])
    mlp.intercepts_[layer] = np.ascontiguousarray(mlp.intercepts_[layer][keep])
    mlp.coefs_[layer + 1] = np.ascontiguousarray(next_coef[keep])


def set_hidden_layer_sizes(mlp, template):
    """Make ``hidden_layer_sizes`` describe the current ``coefs_``.

    An int stays an int for a one-layer network, any other form becomes a
    tuple, so that ``clone(mlp).fit`` grows a network of the pruned shape.
    """
    sizes = tuple(int(size) for size in hidden_sizes(mlp))
    if not hasattr(template, "__iter__") and len(sizes) == 1:
        mlp.hidden_layer_sizes = sizes[0]
    else:
        mlp.hidden_layer_sizes = sizes


def strip_training_state(mlp):
    """Leave ``mlp`` with its weights and no stale solver state (in place).

    - ``_optimizer`` (Adam keeps two moment arrays per parameter) is deleted:
      its shapes no longer match after neuron pruning and its moments would
      regrow pruned weights. ``partial_fit`` builds a fresh one.
    - ``_best_coefs`` / ``_best_intercepts`` (a copy of the *initial* weights
      without early stopping, of the best ones with it) are aliased to the
      current weights: the pickle does not carry them twice, and a later
      early-stopping warm start that never improves keeps the pruned weights
      instead of restoring unpruned ones.
    - ``_no_improvement_count``, ``best_loss_`` and ``best_validation_score_``
      describe the unpruned model's training; they are reset so that a
      ``warm_start`` fit of the pruned model trains for its own epochs instead
      of stopping after one.
    - L-BFGS's packing offsets are dropped; ``fit`` recomputes them.
    """
    for name in ("_optimizer", "_coef_indptr", "_intercept_indptr"):
        if hasattr(mlp, name):
            delattr(mlp, name)
    mlp._best_coefs = mlp.coefs_
    mlp._best_intercepts = mlp.intercepts_
    if hasattr(mlp, "_no_improvement_count"):
        mlp._no_improvement_count = 0
    if getattr(mlp, "best_loss_", None) is not None:
        mlp.best_loss_ = np.inf
    if getattr(mlp, "best_validation_score_", None) is not None:
        mlp.best_validation_score_ = -np.inf
