"""Optuna hyper-parameter search over the blog post's space for the `seed` network.

Space: learning rate 1e-5..1e-1 (log), decay 1e-7..1e-4 (log), dropout 0.1..0.5, L2
0.01..0.05, kernel 3..5, batch 16/32/64/128. Trials train on a stratified subset of the
training split for a few epochs and report the objective each epoch to a MedianPruner:
validation accuracy (maximised), or validation cross-entropy without the L2 penalty
(minimised), which still ranks trials that are too short to leave the majority class. The
study lives in SQLite storage, so re-running the command resumes it until `--trials` trials
are done. Writes the optimisation-history and parameter-importance plots and the best
parameters as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

import numpy as np

from training.data import load_dataset, make_splits
from training.model import CONFIGS, build_model, configure_tensorflow, get_config
from training.train import add_data_arguments, compile_model, make_dataset, subset


def trial_config(trial, base):
    """The base configuration with the post's hyper-parameters sampled by `trial`.

    The optimiser is the post's: Adam with Keras 2 `decay` (inverse-time schedule).
    """
    dropout = trial.suggest_float("dropout", 0.1, 0.5)
    return base.replace(
        name=f"trial{trial.number}", optimizer="adam", schedule="inverse_time",
        weight_decay=0.0, warmup_epochs=0,
        learning_rate=trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True),
        decay=trial.suggest_float("decay", 1e-7, 1e-4, log=True),
        conv_dropout=dropout, dropout=dropout,
        l2=trial.suggest_float("l2", 0.01, 0.05),
        kernel_size=trial.suggest_int("kernel_size", 3, 5),
        batch_size=trial.suggest_categorical("batch_size", [16, 32, 64, 128]))


OBJECTIVES = {"val_accuracy": "maximize", "val_crossentropy": "minimize"}


def objective(trial, base, splits, epochs: int, seed: int,
              metric: str = "val_accuracy") -> float:
    """Best `metric` (a key of OBJECTIVES) of one trial; reports every epoch for pruning."""
    import keras
    import optuna

    config = trial_config(trial, base)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    compile_model(model, config, -(-len(splits["train"]) // config.batch_size), epochs,
                  metrics=("accuracy", keras.metrics.CategoricalCrossentropy(name="crossentropy")))
    train_ds = make_dataset(splits["train"], config, train=True, seed=seed)
    val_ds = make_dataset(splits["val"], config, train=False, seed=seed)
    better = max if OBJECTIVES[metric] == "maximize" else min
    best = None
    for epoch in range(epochs):
        history = model.fit(train_ds, validation_data=val_ds, epochs=epoch + 1,
                            initial_epoch=epoch, verbose=0, shuffle=False)
        value = float(history.history[metric][-1])
        if not np.isfinite(value):  # diverged: pruned, not recorded as a NaN value
            raise optuna.TrialPruned(f"{metric} is {value}")
        best = value if best is None else better(best, value)
        print(f"trial {trial.number} epoch {epoch + 1}: {metric} {value:.4f}", flush=True)
        trial.report(value, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return best


def save_plots(study, folder: str) -> list[str]:
    """`<study>_history.png` and `<study>_importances.png` (parameter importances) in `folder`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna
    from optuna.visualization import matplotlib as ovm

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    os.makedirs(folder, exist_ok=True)
    paths = []
    plots = {f"{study.study_name}_history.png": ovm.plot_optimization_history,
             f"{study.study_name}_importances.png": ovm.plot_param_importances}
    for name, plot in plots.items():
        try:
            ax = plot(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as error:  # e.g. all values equal
            print(f"no {name}: {error}")
            continue
        fig = ax.figure
        fig.set_size_inches(6.4, 3.8)
        fig.set_dpi(90)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, name))
        plt.close(fig)
        paths.append(os.path.join(folder, name))
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser)
    parser.add_argument("--config", default="seed",
                        help=f"base configuration, one of {sorted(CONFIGS)} or a JSON file")
    parser.add_argument("--storage", default="sqlite:///artifacts/optuna.db",
                        help="Optuna storage URL (default: %(default)s)")
    parser.add_argument("--study", default="emotion-seed",
                        help="study name (also the plots' file-name prefix)")
    parser.add_argument("--objective", choices=sorted(OBJECTIVES), default="val_accuracy",
                        help="what trials are ranked by (default: %(default)s)")
    parser.add_argument("--trials", type=int, default=10, help="total trials of the study")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per trial")
    parser.add_argument("--subset", type=int, default=6000,
                        help="training faces per trial (validation: a fifth of it)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--figures", default="docs/figures", help="folder for the plots")
    parser.add_argument("--best", help="best parameters JSON path "
                        "(default: artifacts/search/<study>_best.json)")
    args = parser.parse_args(argv)

    configure_tensorflow(args.threads)
    import optuna

    splits = make_splits(load_dataset(args.data), args.protocol, args.val_fraction, args.seed)
    splits = {"train": subset(splits["train"], args.subset, args.seed),
              "val": subset(splits["val"], args.subset // 5, args.seed)}
    study = optuna.create_study(
        study_name=args.study, storage=args.storage, load_if_exists=True,
        direction=OBJECTIVES[args.objective], sampler=optuna.samplers.TPESampler(seed=args.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    if study.direction.name.lower() != OBJECTIVES[args.objective]:
        raise SystemExit(f"study {args.study!r} in {args.storage} was made to "
                         f"{study.direction.name.lower()}; use another --study for "
                         f"--objective {args.objective}")
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done = len(study.get_trials(deepcopy=False, states=finished))
    base = get_config(args.config)
    if done < args.trials:
        study.optimize(
            lambda t: objective(t, base, splits, args.epochs, args.seed, args.objective),
            n_trials=args.trials - done)
    trials = study.get_trials(deepcopy=False)
    summary = {
        "study": args.study, "base_config": base.name, "objective": args.objective,
        "direction": OBJECTIVES[args.objective], "epochs_per_trial": args.epochs,
        "train_faces": len(splits["train"]), "val_faces": len(splits["val"]),
        "trials": len(trials),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in trials),
        f"best_{args.objective}": study.best_value, "best_params": study.best_params,
        "best_trial": study.best_trial.number}
    best_path = args.best or os.path.join("artifacts", "search", f"{args.study}_best.json")
    os.makedirs(os.path.dirname(os.path.abspath(best_path)), exist_ok=True)
    with open(best_path, "w") as stream:
        json.dump(summary, stream, indent=1)
    print(json.dumps(summary, indent=1))
    for path in save_plots(study, args.figures):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
