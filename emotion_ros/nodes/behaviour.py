"""Example behaviour node: what a robot would do with /person_emotions (here, log changes)."""

from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.msg import PersonEmotion
from emotion_ros.nodes.common import ManagedNode, Param, main_for


class Behaviour(ManagedNode):
    NAME = "behaviour"
    PARAMETERS = (
        Param("min_confidence", "ignore identities below this confidence", range=(0.0, 1.0), live=True),
    )

    def configure(self):
        self.last_emotion = {}

    def apply(self):
        self.min_confidence = self.param("min_confidence")

    def activate(self):
        self.add_subscription(PersonEmotion, "person_emotions", self.on_person_emotion, 10)

    def on_person_emotion(self, msg: PersonEmotion):
        """Log when a person's confirmed emotion changes, as a robot would react to it."""
        known = msg.person != UNKNOWN_PERSON and msg.identity_confidence >= self.min_confidence
        who = msg.person if known else f"stranger #{msg.track_id}"
        state = (msg.emotion_label, msg.confirmed)
        if self.last_emotion.get(who) == state:
            return
        self.last_emotion[who] = state
        if msg.confirmed:
            self.get_logger().info(f"{who} looks {msg.emotion_label} ({msg.emotion_share:.0%} of the window)")
        else:
            self.get_logger().info(f"{who} is in view, no clear emotion yet")


def main(args=None):
    main_for(Behaviour, args)


if __name__ == "__main__":
    main()
