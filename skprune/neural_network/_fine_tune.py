"""Fine-tuning of a pruned MLP, with pruned weights held at exactly zero.

The loop is the pruner's own rather than the estimator's ``partial_fit``:

- a weight mask must be applied after every mini-batch update, not after
  every epoch: within an epoch Adam and momentum move the pruned weights away
  from zero, and zeroing them only at the end of the epoch throws away the
  updates the kept weights made in their presence. The gradients of
  pruned weights are masked too, so a fresh Adam state never accumulates
  moments for them (their updates are then exactly zero);
- the targets can be soft (distillation from the unpruned model), which
  ``partial_fit`` does not accept;
- there is no state of the estimator's solver to fight: no warm-start
  no-improvement counter, no early-stopping restore of the unpruned weights,
  no optimizer whose moment arrays have the unpruned shapes.

The objective is the estimator's own (its loss and its L2 ``alpha``); the
optimizer follows its ``solver`` (Adam with its betas and epsilon, SGD with
its momentum, or full-batch L-BFGS), with a learning rate that decays
linearly to zero over the fine-tuning epochs.
"""

import numpy as np
import scipy.optimize
from sklearn.utils import check_random_state, gen_batches

from ._network import backward, data_loss, forward, l2_penalty


def fine_tune(
    mlp, X, targets, sample_weight, *, epochs, masks, learning_rate, random_state
):
    """Train ``mlp`` in place for ``epochs`` epochs; return the final epoch's loss.

    ``masks`` is None or one 0/1 array per ``coefs_`` layer; masked weights are
    zero on return. For ``solver="lbfgs"``, ``epochs`` is the number of
    L-BFGS iterations on the whole data.
    """
    if epochs == 0:
        return None
    if mlp.solver == "lbfgs":
        loss = _fine_tune_lbfgs(mlp, X, targets, sample_weight, epochs, masks)
    else:
        loss = _fine_tune_stochastic(
            mlp,
            X,
            targets,
            sample_weight,
            epochs,
            masks,
            learning_rate,
            check_random_state(random_state),
        )
    _apply_masks(mlp.coefs_, masks)
    return loss


def _apply_masks(arrays, masks):
    if masks is not None:
        for array, mask in zip(arrays, masks, strict=True):
            array *= mask


class _Adam:
    """Adam as scikit-learn's ``AdamOptimizer`` computes it, updating in place."""

    def __init__(self, params, beta_1, beta_2, epsilon):
        self.params = params
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]
        self.buffers = [np.empty_like(p) for p in params]

    def step(self, grads, learning_rate):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        step_size = learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v, tmp in zip(
            self.params, grads, self.ms, self.vs, self.buffers, strict=True
        ):
            # In place, through one buffer: no temporaries of the weights' size.
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += self.epsilon
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


class _SGD:
    """Momentum SGD as scikit-learn's ``SGDOptimizer`` computes it."""

    def __init__(self, params, momentum, nesterov):
        self.params = params
        self.momentum, self.nesterov = momentum, nesterov
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, grads, learning_rate):
        for p, g, v in zip(self.params, grads, self.velocities, strict=True):
            v *= self.momentum
            v -= learning_rate * g
            if self.nesterov:
                p += self.momentum * v - learning_rate * g
            else:
                p += v


def _fine_tune_stochastic(
    mlp, X, targets, sample_weight, epochs, masks, learning_rate, rng
):
    coefs, intercepts = mlp.coefs_, mlp.intercepts_
    params = coefs + intercepts
    if mlp.solver == "adam":
        optimizer = _Adam(params, mlp.beta_1, mlp.beta_2, mlp.epsilon)
    else:
        optimizer = _SGD(params, mlp.momentum, mlp.nesterovs_momentum)
    n_samples = X.shape[0]
    batch_size = (
        min(200, n_samples)
        if mlp.batch_size == "auto"
        else int(np.clip(mlp.batch_size, 1, n_samples))
    )
    batches = list(gen_batches(n_samples, batch_size))
    n_steps, step = epochs * len(batches), 0
    for epoch in range(epochs):
        order = rng.permutation(n_samples) if mlp.shuffle else np.arange(n_samples)
        # Only the last epoch's loss is returned: spare the others computing it.
        last_epoch = epoch == epochs - 1
        total_loss = 0.0
        for batch in batches:
            index = order[batch]
            # NumPy arrays and SciPy sparse matrices both index rows so.
            X_batch = X[index]
            weight = None if sample_weight is None else sample_weight[index]
            activations = forward(mlp, X_batch)
            coef_grads, intercept_grads = backward(
                mlp, activations, targets[index], weight, coefs, mlp.alpha
            )
            _apply_masks(coef_grads, masks)
            # Linear decay to zero: the last updates are small, so the epoch
            # ends near a minimum instead of wherever the last big step left it.
            optimizer.step(
                coef_grads + intercept_grads, learning_rate * (1 - step / n_steps)
            )
            _apply_masks(coefs, masks)
            step += 1
            if last_epoch:
                loss = data_loss(mlp, activations[-1], targets[index], weight)
                total_loss += loss * len(index)
    return total_loss / n_samples


def _fine_tune_lbfgs(mlp, X, targets, sample_weight, max_iter, masks):
    coefs, intercepts = mlp.coefs_, mlp.intercepts_
    shapes = [p.shape for p in coefs + intercepts]
    bounds = np.cumsum([0] + [int(np.prod(shape)) for shape in shapes])
    denom = X.shape[0] if sample_weight is None else sample_weight.sum()
    dtype = coefs[0].dtype

    def unpack(packed):
        params = [
            packed[start:stop].reshape(shape).astype(dtype, copy=False)
            for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes, strict=True)
        ]
        return params[: len(coefs)], params[len(coefs) :]

    def loss_and_grad(packed):
        layer_coefs, layer_intercepts = unpack(packed)
        activations = forward(mlp, X, layer_coefs, layer_intercepts)
        loss = data_loss(mlp, activations[-1], targets, sample_weight)
        loss += l2_penalty(layer_coefs, mlp.alpha, denom)
        coef_grads, intercept_grads = backward(
            mlp, activations, targets, sample_weight, layer_coefs, mlp.alpha
        )
        # A masked gradient keeps L-BFGS's steps, built from gradients and
        # their differences, exactly zero on the pruned weights.
        _apply_masks(coef_grads, masks)
        return loss, np.concatenate([g.ravel() for g in coef_grads + intercept_grads])

    start = np.concatenate([p.ravel() for p in coefs + intercepts]).astype(np.float64)
    result = scipy.optimize.minimize(
        loss_and_grad,
        start,
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "maxfun": mlp.max_fun, "gtol": mlp.tol},
    )
    new_coefs, new_intercepts = unpack(result.x)
    coefs[:] = [np.array(c, dtype=dtype) for c in new_coefs]
    intercepts[:] = [np.array(b, dtype=dtype) for b in new_intercepts]
    return float(result.fun)
