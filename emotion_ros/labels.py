"""Class labels shared by the emotion model, the messages and the nodes.

The order is FER2013's label codes (0 Angry ... 6 Neutral); `msg/PersonEmotion.msg`
declares the same order as constants, and a test keeps the two in step.
"""

EMOTIONS = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")
NEUTRAL = EMOTIONS.index("Neutral")
UNKNOWN_PERSON = "unknown"
