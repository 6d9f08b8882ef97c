"""Command-line tools: `enrol` (collect face photos) and `train_identity` (train LBPH)."""
