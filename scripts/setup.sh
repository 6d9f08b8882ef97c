#!/usr/bin/env bash
# One-command set-up on Debian 12 / Python 3.11 without apt ROS 2: Debian build tools,
# .venv with the ROS 2 wheels and pinned dependencies, the messages built with colcon and
# the package installed into .venv. Safe and fast to run again.
#   scripts/setup.sh              everything (runtime, Kinect, training tools, tests)
#   EMOTION_ROS_NO_TRAINING=1 scripts/setup.sh   skip TensorFlow and the training tools
#   EMOTION_ROS_DESCRIPTOR=1 scripts/setup.sh    add the optional descriptor identity back-end (dlib)
#   ROS_DISTRO=jazzy VENV=.venv-jazzy scripts/setup.sh   ROS 2 Jazzy wheels (default: kilted)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=$(realpath -m "${VENV:-$root/.venv}")
distro=${ROS_DISTRO:-kilted}
case "$distro" in
  kilted) ros_reqs=requirements/ros.txt ;;
  jazzy) ros_reqs=requirements/ros-jazzy.txt ;;
  *) echo "ROS_DISTRO=$distro: this set-up installs the ROS 2 wheels of kilted or jazzy only" \
       "(with apt ROS 2 of another distribution, build in a workspace: README)" >&2; exit 1 ;;
esac
if [ -f "$venv/.emotion_ros-distro" ] && [ "$(cat "$venv/.emotion_ros-distro")" != "$distro" ]; then
  echo "$venv holds ROS 2 $(cat "$venv/.emotion_ros-distro") wheels, not $distro: remove it or" \
       "choose another with VENV=" >&2
  exit 1
fi
# one colcon build directory per venv: a CMake cache knows one distribution's paths
build_base=build/colcon
[ "$venv" = "$root/.venv" ] || build_base="build/colcon-$(basename "$venv")"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3

debs=(cmake g++ make libfreenect-dev libfreenect-bin)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  echo "== installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ -x "$venv/bin/python" ] || { echo "== creating $venv (ROS 2 $distro)"; "$python" -m venv "$venv"; }
echo "$distro" > "$venv/.emotion_ros-distro"
touch "$venv/COLCON_IGNORE"  # its share/*/package.xml are installed packages, not sources to build
pip="$venv/bin/python -m pip"
reqs=(-r "$ros_reqs" -r requirements/runtime.txt -r requirements/kinect.txt -r requirements/test.txt)
[ -n "${EMOTION_ROS_NO_TRAINING:-}" ] || reqs+=(-r requirements/training.txt)
[ -z "${EMOTION_ROS_DESCRIPTOR:-}" ] || reqs+=(-r requirements/descriptor.txt)
stamp="$venv/.emotion_ros-requirements"
wanted=$(cat requirements/*.txt; echo "${reqs[*]}")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "== installing Python requirements"
  # (this machine's pip config names local indexes that may be empty: drop those warnings)
  $pip install -q --upgrade pip wheel 'setuptools<80' 2> >(grep -v "^WARNING: Location 'file:" >&2)
  $pip install -q "${reqs[@]}" 2> >(grep -v "^WARNING: Location 'file:" >&2)
  echo "$wanted" > "$stamp"
fi

# The ROS wheels' generated CMake files name the Python and numpy of the machine that
# built them: point them at this venv so our messages' Python bindings compile.
py_include=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_include=$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')
for f in "$venv"/share/*/cmake/*rosidl_generator_pyExport.cmake; do
  sed -i -E "s#INTERFACE_INCLUDE_DIRECTORIES \"/opt/python[^\"]*\"#INTERFACE_INCLUDE_DIRECTORIES \"$py_include;$np_include\"#" "$f"
done

echo "== building messages and installing emotion_ros into $venv"
mkdir -p build
export AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv" PATH="$venv/bin:$PATH"
"$venv/bin/colcon" --log-base "$build_base-log" build \
  --base-paths "$root" --build-base "$build_base" --install-base "$venv" --merge-install \
  --cmake-args -DPython3_EXECUTABLE="$venv/bin/python" -DBUILD_TESTING=OFF \
  --event-handlers console_direct- >"$build_base.log" 2>&1 ||
  { tail -n 60 "$build_base.log"; echo "colcon build failed: full log in $build_base.log"; exit 1; }

(cd / && "$venv/bin/python" -c "from emotion_ros.msg import PersonEmotion, FaceArray; print('emotion_ros ready (ROS 2 $distro):', PersonEmotion.__module__)")
touch "$venv/.emotion_ros-setup"  # the stamp that `make demo` and `make test` look for
