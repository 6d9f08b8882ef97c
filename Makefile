# Short names for the commands in README.md. `make demo` and `make test` run the set-up first
# when it has not run (or requirements, messages, CMakeLists.txt or config changed): the stamp
# .venv/.emotion_ros-setup is written by scripts/setup.sh's last step.
PYTHON := .venv/bin/python
STAMP := .venv/.emotion_ros-setup
SETUP_INPUTS := scripts/setup.sh $(wildcard requirements/*.txt msg/*.msg config/*.yaml launch/*.py) \
                CMakeLists.txt package.xml emotion_ros/graph.py

.PHONY: setup test demo benchmark soak
setup:            ## Debian packages, .venv, ROS 2 wheels, messages built and installed
	scripts/setup.sh
	touch $(STAMP)

$(STAMP): $(SETUP_INPUTS)
	scripts/setup.sh
	touch $(STAMP)

test: $(STAMP)    ## the test suite
	$(PYTHON) -m pytest -q test

demo: $(STAMP)    ## the pipeline on the bundled sample: /person_emotions echoed, annotated video written
	$(PYTHON) -m emotion_ros.demo --video annotated_sample.mp4

benchmark: $(STAMP) ## figures: detector and emotion-model latency, pipeline FPS and latency at 30/60/90 FPS
	$(PYTHON) scripts/benchmark_detection.py
	$(PYTHON) scripts/benchmark_pipeline.py

soak: $(STAMP)    ## 10 minutes on the looping sample: per-minute FPS, p95 latency, RSS and its slope
	$(PYTHON) scripts/soak.py
