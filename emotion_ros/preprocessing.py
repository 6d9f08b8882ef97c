"""The one preprocessing step of the emotion model, shared by training and runtime.

A face crop of any size, grey or BGR, 8-bit, becomes a float32 array of shape (48, 48, 1)
with values in [0, 1]: grey, resized to 48x48 with area interpolation, **histogram-equalised**,
divided by 255.

Why equalised: every image of the FER2013 image-folder copy the model learns from is
histogram-equalised (flat pooled histogram, each face mean ~128, std ~74), while the original
`fer2013.csv` and every camera give raw pixels. Equalising here, after the resize, gives all
three the same distribution: a dim or low-contrast camera crop and the same face in FER2013
become near-identical model inputs, and equalising an already-equalised face changes it little.
Training (`training/`) and the emotion node call these functions, never a copy.
"""

import cv2
import numpy as np

INPUT_SIZE = 48
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)
NORMALISATION = "histogram equalisation of the 48x48 grey face, then / 255"

# FER2013's framing relative to YuNet's box, measured by `python -m training.framing` on 1,465
# train faces (upscaled 5x on a grey canvas): the 48x48 frame's side is 0.96 (quartiles
# 0.87-1.06) times the box's longer side, and its centre lies 0.02 box sides above the box
# centre (quartiles -0.05..+0.02; horizontally 0.00). The detector crops faces this way
# (`detection.crop_face`) so the model sees camera faces framed as in training.
EMOTION_CROP_SCALE = 0.96
EMOTION_CROP_OFFSET_Y = -0.02


def to_gray(face: np.ndarray, min_side: int = 2) -> np.ndarray:
    """An 8-bit grey (HxW) crop from a grey (HxW, HxWx1) or BGR (HxWx3) uint8 one, at least
    `min_side` pixels each way; ValueError naming the problem otherwise."""
    face = np.asarray(face)
    if face.dtype != np.uint8:
        raise ValueError(f"face crop must be uint8, got {face.dtype}")
    if face.ndim == 3 and face.shape[2] == 3:
        face = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
    elif face.ndim == 3 and face.shape[2] == 1:
        face = face[:, :, 0]
    if face.ndim != 2 or face.shape[0] < min_side or face.shape[1] < min_side:
        raise ValueError(f"face crop must be HxW or HxWx3 with H, W >= {min_side}, got shape {face.shape}")
    return face


def normalise_face(face: np.ndarray) -> np.ndarray:
    """The 48x48 uint8 face the model sees: grey, area-resized, histogram-equalised."""
    face = to_gray(face)
    if face.shape != (INPUT_SIZE, INPUT_SIZE):
        face = cv2.resize(face, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
    return cv2.equalizeHist(np.ascontiguousarray(face))


def preprocess_face(face: np.ndarray) -> np.ndarray:
    """Return one model input (48, 48, 1) float32 in [0, 1] from an 8-bit grey or BGR crop."""
    return (normalise_face(face).astype(np.float32) * (1.0 / 255.0))[:, :, np.newaxis]


def preprocess_batch(faces) -> np.ndarray:
    """Stack `preprocess_face` of each crop into an (N, 48, 48, 1) float32 batch."""
    if len(faces) == 0:
        return np.zeros((0, *INPUT_SHAPE), np.float32)
    return np.stack([preprocess_face(face) for face in faces])
