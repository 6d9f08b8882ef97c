"""Training, evaluation, export and benchmarking of the emotion model (needs the training extras: tensorflow, tf2onnx, optuna, matplotlib)."""
