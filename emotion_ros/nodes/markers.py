"""Markers node: each person on /person_emotions as a sphere at the face's depth and a label
("alice: Happy 75 %") on /person_markers (visualization_msgs/MarkerArray), for rviz2."""

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo
from visualization_msgs.msg import Marker, MarkerArray

from emotion_ros import markers
from emotion_ros.msg import PersonEmotion
from emotion_ros.nodes.common import Param, declare_parameters, main_for

KINDS = {"sphere": Marker.SPHERE, "text": Marker.TEXT_VIEW_FACING}


class Markers(Node):
    """Not a managed pipeline node: a viewer's helper started on its own."""

    PARAMETERS = (
        Param("lifetime_s", "a marker disappears this long after its face", range=(0.01, 60.0)),
        Param("distance_without_depth_m", "place faces without depth at this distance; 0 = do not draw them",
              range=(0.0, 20.0)),
    )

    def __init__(self, **node_options):
        super().__init__("markers", **node_options)
        problems = declare_parameters(self, "markers", self.PARAMETERS)
        if problems:
            raise ValueError("bad parameter: " + "; ".join(problems))
        self.lifetime = Duration(seconds=self.get_parameter("lifetime_s").value)
        self.fallback_m = self.get_parameter("distance_without_depth_m").value
        self.intrinsics = None
        self.publisher = self.create_publisher(MarkerArray, "person_markers", 10)
        self.create_subscription(CameraInfo, "camera/camera_info", self.on_camera_info, qos_profile_sensor_data)
        self.create_subscription(PersonEmotion, "person_emotions", self.on_person_emotion, 100)

    def on_camera_info(self, msg: CameraInfo):
        try:
            self.intrinsics = markers.Intrinsics.from_k(msg.k)
        except ValueError as error:
            self.get_logger().error(f"cannot place faces in 3D: {error}", once=True)

    def on_person_emotion(self, msg: PersonEmotion):
        if self.intrinsics is None:
            self.get_logger().warning("no CameraInfo on camera/camera_info yet: no markers", once=True)
            return
        roi = (msg.roi.x_offset, msg.roi.y_offset, msg.roi.width, msg.roi.height)
        specs = markers.person_markers(self.intrinsics, track_id=msg.track_id, person=msg.person,
                                       emotion=msg.emotion, share=msg.emotion_share, confirmed=msg.confirmed,
                                       roi=roi, distance_m=msg.distance_m, fallback_distance_m=self.fallback_m)
        if specs:
            self.publisher.publish(MarkerArray(markers=[self.marker(msg.header, spec) for spec in specs]))

    def marker(self, header, spec: markers.MarkerSpec) -> Marker:
        marker = Marker(header=header, ns="person_emotions", id=spec.marker_id, type=KINDS[spec.kind],
                        action=Marker.ADD, lifetime=self.lifetime.to_msg(), text=spec.text)
        marker.pose.position.x, marker.pose.position.y, marker.pose.position.z = spec.position
        marker.pose.orientation.w = 1.0
        marker.scale.x = marker.scale.y = marker.scale.z = spec.scale
        marker.color.r, marker.color.g, marker.color.b, marker.color.a = spec.rgba
        return marker


def main(args=None):
    main_for(Markers, args)


if __name__ == "__main__":
    main()
