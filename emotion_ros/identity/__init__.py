"""Who is in front of the robot: enrolled face photos, two recognisers, per-track evidence.

- `align`: the one identity crop (`align_face`: eyes level, fixed eye distance, lighting
  normalised), used by the face detector node, enrolment and the evaluation scripts.
- `store`: `FaceStore`, the enrolled photos (owner-only files, duplicates refused) and the
  models trained on them, which live inside the store.
- `lbph`: `LbphIdentifier` (OpenCV LBPH, the default back-end).
- `descriptor`: `DescriptorIdentifier` (dlib's 128-d descriptor; optional dependency).
- `decision`: the per-frame rule shared by both (threshold and ratio test).
- `evidence`: `TrackEvidence`, a name per track once enough frames agree.
- `core`: `IdentityCore`, what the identity node runs (rate bound, worker thread, evidence).
"""

from pathlib import Path

from emotion_ros.identity.align import ALIGNED_SIZE, align_face  # noqa: F401
from emotion_ros.identity.core import BACKENDS, IdentityCore  # noqa: F401
from emotion_ros.identity.decision import IdentityResult, best_and_ratio, decide  # noqa: F401
from emotion_ros.identity.evidence import EVIDENCE, Decision, EvidenceConfig, TrackEvidence  # noqa: F401
from emotion_ros.identity.lbph import (DEFAULT_RATIO, DEFAULT_THRESHOLD, GRID, LbphIdentifier,  # noqa: F401
                                       face_region)
from emotion_ros.identity.store import (DuplicatePhoto, FaceStore, default_store_dir, model_path,  # noqa: F401
                                        validate_name)


def load_identifier(backend: str = "lbph", store_dir=None, model_file: str = "", threshold: float | None = None,
                    max_ratio: float | None = None, isolated: bool = False):
    """The trained identifier of `backend` from its model file (default: inside the store);
    `isolated`: the descriptor network runs in a child process (`descriptor.DescriptorProcess`),
    as the identity node needs (close() the identifier to stop it)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown identity backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    path = model_file or model_path(store_dir, backend)
    if backend == "lbph":
        return LbphIdentifier.load(path, threshold, max_ratio)
    from emotion_ros.identity import descriptor
    if not Path(path).is_file():     # before starting a child process for nothing
        raise FileNotFoundError(f"descriptor model file not found: {path} (train one with "
                                "python -m emotion_ros.tools.train_identity --backend descriptor)")
    model = descriptor.DescriptorProcess() if isolated else None
    try:
        return descriptor.DescriptorIdentifier.load(path, threshold, max_ratio, model=model)
    except Exception:
        if model is not None:
            model.close()
        raise
