"""Benchmark ConvPruner: accuracy, size and CPU inference time of pruned CNNs.

``load_digits`` (1797 8x8 images, pixels divided by 16, as float32 tensors of
shape (n, 1, 8, 8)), split 75/25 (stratified) into training and test sets,
once per seed. The network is :class:`skprune.torch.DigitsCNN` with widths
(32, 64): Conv(1->32, 3x3) - BN - ReLU - Conv(32->64, 3x3) - BN - ReLU -
MaxPool(2) - Flatten - Linear(1024 -> 10), in a skorch
``NeuralNetClassifier`` (cross-entropy, Adam at ``--lr``, batches of 64,
``--epochs`` epochs, no validation split).

For every seed, in one run:

1. **The unpruned network** (rate 0): test accuracy, parameters, FLOPs per
   image (Conv2d and Linear, a multiply-add counts as two) and inference
   time.
2. **Pruned networks** at rates 0.25, 0.5 and 0.75, pruned from the fitted
   network (``FrozenEstimator``) by ``ConvPruner`` with
   ``method="filter"`` (L1 norm, Li et al. 2017) and ``method="channel"``
   (BatchNorm scale, Liu et al. 2017), one-shot, each followed by
   ``--fine-tune-epochs`` epochs of the net's own ``partial_fit``.
3. **From scratch**: the same ``DigitsCNN`` class with the pruned widths
   (``ceil((1 - rate) * 32)``, ``ceil((1 - rate) * 64)``), trained like the
   unpruned one for ``--epochs + --fine-tune-epochs`` epochs (as many as the
   pruned networks saw in total; Liu et al. 2019).

Inference time: the module's forward pass in evaluation mode under
``torch.no_grad`` on one batch of ``--batch`` test images (the test set
repeated), and skorch's ``predict_proba`` on the test set (its DataLoader,
batches of 64). Every model is timed in alternation, round after round
(``--rounds``), and the best round of each is kept, so that load on a shared
machine hits all models alike. torch runs on one thread
(``torch.set_num_threads(1)``), BLAS too (``threadpoolctl``). The ratio is
unpruned time / model time (> 1: faster).

Target: 50% filter pruning with fine-tuning loses <= 1 accuracy
point with >= 1.5x faster CPU inference on a batch.

Results are printed as a table and written to ``benchmarks/results/`` as
``bench_cnn.json`` and (matplotlib) ``bench_cnn.png``. Run from the
repository root, with the optional extra installed::

    pip install "torch==2.13.0" && pip install -e ".[torch]"

then::

    python benchmarks/bench_cnn.py             # 5 seeds, ~5 min on 1 core
    python benchmarks/bench_cnn.py --quick     # smoke test, < 1 min

``--quick`` writes ``bench_cnn_quick.json`` / ``.png``.

**Against Torch-Pruning** (``--vs-torch-pruning``, needs ``torch-pruning``
from the ``benchmark`` extra): a small ResNet for digits (``DigitsResNet``
below: a stem, two basic blocks with identity shortcuts, one stride-2 block
with a 1x1-convolution shortcut, global average pooling, a two-layer head),
trained as above, then 50% of the filters of every coupled group removed
by ConvPruner (L1 norm of the filters, a coupled group scored by the mean)
and by Torch-Pruning's ``MetaPruner`` (``GroupMagnitudeImportance(p=1)``,
its L1 group importance with mean reduction; the Linear head ignored, so
that both prune the same layers), each followed by the same fine-tuning
(``--fine-tune-epochs`` of skorch's ``partial_fit``, a fresh optimizer),
and the pruned widths trained from scratch for ``--epochs +
--fine-tune-epochs`` epochs. Accuracy, parameters, FLOPs and the forward
time on a batch, per seed;
written to ``bench_cnn_vs_torch_pruning.json``::

    python benchmarks/bench_cnn.py --vs-torch-pruning --seeds 3
"""

import copy
import importlib.metadata
import math
import statistics
import time
from functools import partial

import numpy as np
from _common import (
    BenchmarkParser,
    best_times,
    load,
    metadata,
    plot_rows,
    pyplot,
    save_figure,
    write_results,
)
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

try:
    from skprune.torch import ConvPruner, DigitsCNN
except ImportError as error:
    # The message names the command that installs the optional torch extra.
    raise SystemExit(f"bench_cnn.py: {error}") from error

import skorch  # noqa: E402
import torch  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402

RATES = (0.25, 0.5, 0.75)
METHODS = {"filter": dict(method="filter"), "channel": dict(method="channel")}


def parse_args():
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_sized_argument("--seeds", 5, 1, "splits and initialisations", type=int)
    parser.add_sized_argument("--epochs", 30, 4, "epochs of the unpruned net", type=int)
    parser.add_sized_argument(
        "--fine-tune-epochs", 10, 2, "epochs after pruning", type=int
    )
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--channels", type=int, nargs=2, default=(32, 64))
    parser.add_sized_argument(
        "--batch", 1024, 256, "images of the timed batch", type=int
    )
    parser.add_sized_argument("--rounds", 15, 3, "timing rounds, best kept", type=int)
    parser.add_argument(
        "--vs-torch-pruning",
        action="store_true",
        help="compare with Torch-Pruning on a small ResNet",
    )
    return parser.parse_args()


def digits_images():
    X, y = load("digits")
    return (X / 16).astype(np.float32).reshape(-1, 1, 8, 8), y


def make_net(args, channels, epochs, module=DigitsCNN):
    return NeuralNetClassifier(
        module,
        module__channels=tuple(channels),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=args.lr,
        batch_size=64,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
    )


def n_params(net):
    return sum(p.numel() for p in net.module_.parameters())


def flops(net, X):
    """Floating-point operations of the Conv2d and Linear layers per image.

    A multiply-add counts as two; activations, normalisation and pooling are
    not counted (a few percent in small CNNs). One forward pass of an image
    in evaluation mode, every module's training flag restored after.
    """
    macs = []

    def count(layer, inputs, output):
        # Multiply-adds per output value: the weights of one output unit.
        macs.append(output.numel() * layer.weight[0].numel())

    module = net.module_
    modes = [(m, m.training) for m in module.modules()]
    layers = [
        m for m in module.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)
    ]
    hooks = [layer.register_forward_hook(count) for layer in layers]
    try:
        module.eval()
        with torch.no_grad():
            module(torch.as_tensor(X[:1]))
    finally:
        for hook in hooks:
            hook.remove()
        for m, training in modes:
            m.train(training)
    return 2 * sum(macs)


def forward(module, batch):
    with torch.no_grad():
        return module(batch)


def time_models(models, X_batch, X_test, rounds):
    """Best-of-rounds forward and predict_proba times, models in alternation."""
    batch = torch.as_tensor(X_batch)
    calls = {}
    for name, net in models.items():
        net.module_.eval()
        calls[name, "forward"] = partial(forward, net.module_, batch)
        calls[name, "predict_proba"] = partial(net.predict_proba, X_test)
    for call in calls.values():  # warm-up: allocator, first-call overheads
        call()
    best = best_times(calls, rounds)
    return {
        name: [best[name, "forward"], best[name, "predict_proba"]] for name in models
    }


def split_seed(args, seed, X, y):
    """Train/test split of a seed, and the timing batch (the test set repeated)."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    repeats = math.ceil(args.batch / len(X_test))
    X_batch = np.concatenate([X_test] * repeats)[: args.batch]
    return X_train, X_test, y_train, y_test, X_batch


def run_seed(args, seed, X, y):
    X_train, X_test, y_train, y_test, X_batch = split_seed(args, seed, X, y)
    rows, models = [], {}

    def record(name, method, rate, net, fit_time, widths):
        models[name] = net
        rows.append(
            dict(
                seed=seed,
                name=name,
                method=method,
                rate=rate,
                widths=list(widths),
                accuracy=float(net.score(X_test, y_test)),
                params=n_params(net),
                flops=flops(net, X_test),
                fit_time=fit_time,
            )
        )

    torch.manual_seed(seed)
    start = time.perf_counter()
    base = make_net(args, args.channels, args.epochs).fit(X_train, y_train)
    record(
        "unpruned", "unpruned", 0.0, base, time.perf_counter() - start, args.channels
    )

    for method, params in METHODS.items():
        for rate in RATES:
            start = time.perf_counter()
            pruner = ConvPruner(
                FrozenEstimator(base),
                prune_rate=rate,
                fine_tune_epochs=args.fine_tune_epochs,
                random_state=seed,
                **params,
            ).fit(X_train, y_train)
            widths = [after for _, after in pruner.layer_widths_.values()]
            record(
                f"{method} {rate}",
                method,
                rate,
                pruner.estimator_,
                time.perf_counter() - start,
                widths,
            )

    for rate in RATES:
        widths = [math.ceil(round((1 - rate) * c, 9)) for c in args.channels]
        torch.manual_seed(seed)
        start = time.perf_counter()
        scratch = make_net(args, widths, args.epochs + args.fine_tune_epochs)
        scratch.fit(X_train, y_train)
        record(
            f"scratch {rate}",
            "scratch",
            rate,
            scratch,
            time.perf_counter() - start,
            widths,
        )

    times = time_models(models, X_batch, X_test, args.rounds)
    for row in rows:
        forward, predict = times[row["name"]]
        row["forward_time"], row["predict_time"] = forward, predict
        row["forward_speedup"] = times["unpruned"][0] / forward
        row["predict_speedup"] = times["unpruned"][1] / predict
    return rows


def summarise(rows):
    """Mean over seeds per model, with accuracy change against the unpruned net."""
    base = {r["seed"]: r for r in rows if r["name"] == "unpruned"}
    summary = []
    for name in dict.fromkeys(r["name"] for r in rows):
        group = [r for r in rows if r["name"] == name]
        first = group[0]
        summary.append(
            dict(
                name=name,
                method=first["method"],
                rate=first["rate"],
                widths=first["widths"],
                accuracy=statistics.mean(r["accuracy"] for r in group),
                accuracy_change_points=100
                * statistics.mean(
                    r["accuracy"] - base[r["seed"]]["accuracy"] for r in group
                ),
                params_ratio=first["params"] / base[first["seed"]]["params"],
                flops_ratio=first["flops"] / base[first["seed"]]["flops"],
                forward_speedup=statistics.mean(r["forward_speedup"] for r in group),
                predict_speedup=statistics.mean(r["predict_speedup"] for r in group),
                fit_time=statistics.mean(r["fit_time"] for r in group),
            )
        )
    return summary


def print_table(summary, args):
    print(
        f"\nload_digits, DigitsCNN{tuple(args.channels)}, {args.seeds} seed(s), "
        f"{args.epochs} epochs + {args.fine_tune_epochs} fine-tuning; "
        f"speed-ups: forward on a batch of {args.batch}, skorch predict_proba"
    )
    header = (
        f"{'model':<14}{'widths':>10}{'accuracy':>10}{'change':>9}"
        f"{'params':>9}{'FLOPs':>8}{'fwd x':>8}{'pred x':>8}{'fit s':>8}"
    )
    print(header)
    print("-" * len(header))
    for s in summary:
        print(
            f"{s['name']:<14}{'x'.join(map(str, s['widths'])):>10}"
            f"{s['accuracy']:>10.4f}{s['accuracy_change_points']:>+8.2f}p"
            f"{s['params_ratio']:>9.3f}{s['flops_ratio']:>8.3f}"
            f"{s['forward_speedup']:>8.2f}{s['predict_speedup']:>8.2f}"
            f"{s['fit_time']:>8.1f}"
        )


def check_target(summary):
    row = next(s for s in summary if s["name"] == "filter 0.5")
    met = row["accuracy_change_points"] >= -1 and row["forward_speedup"] >= 1.5
    print(
        f"\nTarget (50% filter: <= 1 point lost, >= 1.5x faster on a batch): "
        f"{row['accuracy_change_points']:+.2f} points, "
        f"{row['forward_speedup']:.2f}x forward, "
        f"{row['predict_speedup']:.2f}x predict_proba -> {'met' if met else 'MISSED'}"
    )
    return dict(
        accuracy_change_points=row["accuracy_change_points"],
        forward_speedup=row["forward_speedup"],
        predict_speedup=row["predict_speedup"],
        met=met,
    )


def plot(summary, path):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_acc, ax_speed) = plt.subplots(1, 2, figsize=(11, 4))
    base = next(s for s in summary if s["name"] == "unpruned")
    for method, marker in (("filter", "o"), ("channel", "s"), ("scratch", "^")):
        group = [base] + [s for s in summary if s["method"] == method]
        rates = [s["rate"] for s in group]
        ax_acc.plot(
            rates, [100 * s["accuracy"] for s in group], marker=marker, label=method
        )
        if method != "scratch":
            label = f"{method}, forward on a batch"
            plot_rows(
                ax_speed, group, "rate", "forward_speedup", marker=marker, label=label
            )
            label = f"{method}, skorch predict_proba"
            plot_rows(
                ax_speed,
                group,
                "rate",
                "predict_speedup",
                "--",
                marker=marker,
                label=label,
            )
    ax_speed.plot(
        [base["rate"]] + list(RATES),
        [
            1 / s["flops_ratio"]
            for s in [base] + [s for s in summary if s["method"] == "filter"]
        ],
        color="grey",
        linestyle=":",
        label="FLOPs ratio",
    )
    ax_acc.set(xlabel="prune_rate", ylabel="test accuracy (%)", title="Accuracy")
    ax_speed.set(
        xlabel="prune_rate",
        ylabel="unpruned time / pruned time",
        title="CPU inference speed-up (1 thread)",
        yscale="log",
    )
    ax_acc.legend()
    ax_speed.legend(fontsize=8)
    save_figure(fig, path, dpi=120)


class BasicBlock(torch.nn.Module):
    """ResNet's basic block; a 1x1 stride-s convolution shortcut when shapes change."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(c_out),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class DigitsResNet(torch.nn.Module):
    """Stem, two identity blocks, a stride-2 block, GAP, a two-layer head."""

    def __init__(self, channels=(32, 64), n_classes=10):
        super().__init__()
        nn = torch.nn
        a, b = channels
        self.stem = nn.Conv2d(1, a, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(a)
        self.layer1 = nn.Sequential(BasicBlock(a, a), BasicBlock(a, a))
        self.layer2 = BasicBlock(a, b, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(b, 64)
        self.fc2 = nn.Linear(64, n_classes)

    def forward(self, X):
        x = torch.relu(self.bn(self.stem(X)))
        x = torch.flatten(self.pool(self.layer2(self.layer1(x))), 1)
        return self.fc2(torch.relu(self.fc1(x)))


def prune_with_torch_pruning(base, X_train, y_train, args):
    """Torch-Pruning's L1 group pruning at 50%, then the same fine-tuning."""
    import torch_pruning as tp

    net = copy.deepcopy(base)
    module = net.module_.eval()
    pruner = tp.pruner.MetaPruner(
        module,
        torch.as_tensor(X_train[:2]),
        importance=tp.importance.GroupMagnitudeImportance(p=1),
        pruning_ratio=0.5,
        ignored_layers=[module.fc1, module.fc2],
    )
    pruner.step()
    net.initialize_optimizer()
    net.partial_fit(X_train, y_train, epochs=args.fine_tune_epochs)
    return net


def run_seed_vs_torch_pruning(args, seed, X, y):
    X_train, X_test, y_train, y_test, X_batch = split_seed(args, seed, X, y)
    torch.manual_seed(seed)
    start = time.perf_counter()
    base = make_net(args, args.channels, args.epochs, DigitsResNet)
    base.fit(X_train, y_train)
    fits = {"unpruned": time.perf_counter() - start}
    models = {"unpruned": base}
    torch.manual_seed(seed)
    start = time.perf_counter()
    models["skprune"] = (
        ConvPruner(
            FrozenEstimator(base),
            prune_rate=0.5,
            fine_tune_epochs=args.fine_tune_epochs,
            random_state=seed,
        )
        .fit(X_train, y_train)
        .estimator_
    )
    fits["skprune"] = time.perf_counter() - start
    torch.manual_seed(seed)
    start = time.perf_counter()
    models["torch_pruning"] = prune_with_torch_pruning(base, X_train, y_train, args)
    fits["torch_pruning"] = time.perf_counter() - start
    # The pruned widths trained from scratch for as many epochs in all.
    widths = conv_widths(models["skprune"])
    torch.manual_seed(seed)
    start = time.perf_counter()
    models["scratch"] = make_net(
        args, (widths[0], widths[-1]), args.epochs + args.fine_tune_epochs, DigitsResNet
    ).fit(X_train, y_train)
    fits["scratch"] = time.perf_counter() - start
    times = time_models(models, X_batch, X_test, args.rounds)
    rows = []
    for name, net in models.items():
        rows.append(
            dict(
                seed=seed,
                name=name,
                accuracy=float(net.score(X_test, y_test)),
                params=n_params(net),
                flops=flops(net, X_test),
                prune_and_fine_tune_time=fits[name],
                forward_time=times[name][0],
                forward_speedup=times["unpruned"][0] / times[name][0],
                widths=conv_widths(net),
            )
        )
    return rows


def conv_widths(net):
    """Output channels of every Conv2d of a fitted net, in module order."""
    return [
        m.out_channels for m in net.module_.modules() if isinstance(m, torch.nn.Conv2d)
    ]


def run_seeds(args, run_one):
    """Rows of ``run_one(args, seed, X, y)`` for every seed, on one CPU thread."""
    torch.set_num_threads(1)
    X, y = digits_images()
    rows = []
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for seed in range(args.seeds):
            rows += run_one(args, seed, X, y)
            print(f"seed {seed} done ({time.perf_counter() - start:.0f} s)")
    return rows


def main_vs_torch_pruning(args):
    start = time.perf_counter()
    rows = run_seeds(args, run_seed_vs_torch_pruning)
    print(f"{'model':<14}{'accuracy':>10}{'params':>9}{'FLOPs':>10}{'forward':>9}")
    summary = {}
    for name in ("unpruned", "skprune", "torch_pruning", "scratch"):
        mine = [r for r in rows if r["name"] == name]
        summary[name] = {
            key: statistics.mean(r[key] for r in mine)
            for key in ("accuracy", "params", "flops", "forward_speedup")
        }
        s = summary[name]
        print(
            f"{name:<14}{s['accuracy']:>10.4f}{s['params']:>9.0f}"
            f"{s['flops']:>10.0f}{s['forward_speedup']:>8.2f}x"
        )
    write_result(
        args,
        "bench_cnn_vs_torch_pruning",
        # The distribution's version: the package's own __version__ can lag.
        dict(torch_pruning=importlib.metadata.version("torch-pruning")),
        total_time=time.perf_counter() - start,
        summary=summary,
        rows=rows,
    )


def main():
    args = parse_args()
    if args.vs_torch_pruning:
        return main_vs_torch_pruning(args)
    start = time.perf_counter()
    rows = run_seeds(args, run_seed)
    summary = summarise(rows)
    print_table(summary, args)
    target = check_target(summary)
    path = write_result(
        args,
        "bench_cnn",
        {},
        total_time=time.perf_counter() - start,
        target=target,
        summary=summary,
        rows=rows,
    )
    plot(summary, path.with_suffix(".png"))


def write_result(args, stem, versions, **fields):
    """Write the run's settings, versions and ``fields`` as ``<stem>.json``.

    ``--quick`` runs write ``<stem>_quick.json``, to ``--output-dir``.
    Returns the path written.
    """
    result = dict(
        benchmark=stem,
        meta=metadata(torch=torch.__version__, skorch=skorch.__version__, **versions),
        config={
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in vars(args).items()
            if k != "output_dir"
        },
        **fields,
    )
    return write_results(args, stem, result)


if __name__ == "__main__":
    main()
