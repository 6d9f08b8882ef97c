"""`pip install .`: the ROS-free core, tools and shipped models, for machines without ROS 2.

With ROS 2, build the package with colcon instead (package.xml, CMakeLists.txt): that also
generates the messages and installs the nodes. `pip install .[training]` adds the training
dependencies, `pip install .[descriptor]` the optional descriptor identity back-end (dlib); the
`training/` modules run from a source checkout (`python -m training.train`), so no generic
top-level `training` package lands in site-packages.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent


def requirements(name: str) -> list[str]:
    lines = (ROOT / "requirements" / f"{name}.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


setup(
    name="emotion_ros",
    version="0.1.0",
    description="Who is in front of the robot and what emotion they show (ROS 2 package core)",
    long_description=(ROOT / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["emotion_ros", "emotion_ros.*"]),
    package_data={"emotion_ros": ["models/*", "data/*", "data/*/*", "data/*/*/*"]},
    install_requires=requirements("runtime"),
    extras_require={"training": requirements("training"), "kinect": requirements("kinect"),
                    "test": requirements("test"), "descriptor": requirements("descriptor")},
    entry_points={"console_scripts": [
        "emotion-ros-enrol = emotion_ros.tools.enrol:main",
        "emotion-ros-train-identity = emotion_ros.tools.train_identity:main",
        "emotion-ros-record = emotion_ros.tools.record:main",
    ]},
)
