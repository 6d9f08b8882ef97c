"""Training, evaluation, export and benchmarking of the emotion model.

Needs the training extras (tensorflow, tf2onnx, optuna, matplotlib); see training/README.md.
"""
