#!/usr/bin/env bash
# `colcon build && colcon test` in a throw-away ROS 2 workspace (build/colcon-ws, this
# checkout's files copied to src/emotion_ros), as README "Build in a ROS 2 workspace" does,
# with .venv (scripts/setup.sh) standing in for /opt/ros/$ROS_DISTRO. Prints colcon
# test-result's summary; exits non-zero when the build or a test fails.
#   scripts/colcon_test.sh            VENV=.venv-jazzy scripts/colcon_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=$(realpath "${VENV:-$root/.venv}")
ws=$root/build/colcon-ws
[ -x "$venv/bin/colcon" ] || { echo "no colcon in $venv: run scripts/setup.sh first" >&2; exit 1; }
rm -rf "$ws"
mkdir -p "$ws/src/emotion_ros"
touch "$ws/COLCON_IGNORE"  # keep setup.sh's colcon, which crawls this checkout, out of here
git ls-files -co --exclude-standard | tar -c -T - | tar -x -C "$ws/src/emotion_ros"
export AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv" PATH="$venv/bin:$PATH"
colcon=("$venv/bin/colcon" --log-base "$ws/log")
paths=(--base-paths "$ws/src" --build-base "$ws/build" --install-base "$ws/install")
echo "== colcon build --cmake-args -DBUILD_TESTING=ON   (in $ws)"
"${colcon[@]}" build "${paths[@]}" --cmake-args -DPython3_EXECUTABLE="$venv/bin/python" -DBUILD_TESTING=ON \
  --event-handlers console_direct+ >"$ws/build.log" 2>&1 ||
  { tail -n 40 "$ws/build.log"; echo "colcon build failed: $ws/build.log" >&2; exit 1; }
echo "== colcon test"
status=0
"${colcon[@]}" test "${paths[@]}" --event-handlers console_direct+ >"$ws/test.log" 2>&1 || status=$?
grep -E "=+ .*(passed|failed|error).* in .*=+$" "$ws/test.log" | tail -n 1 || true
"${colcon[@]}" test-result --test-result-base "$ws/build" || status=1
exit $status
