# Short names for the commands in README.md.
PYTHON := .venv/bin/python

.PHONY: setup test demo benchmark
setup:            ## Debian packages, .venv, ROS 2 wheels, messages built and installed
	scripts/setup.sh

test:             ## the test suite
	$(PYTHON) -m pytest -q test

demo:             ## the pipeline on the bundled sample: /person_emotions echoed, annotated video written
	$(PYTHON) -m emotion_ros.demo --video annotated_sample.mp4

benchmark:        ## figures: detector and emotion-model latency, pipeline FPS and latency
	$(PYTHON) scripts/benchmark_detection.py
	$(PYTHON) scripts/benchmark_pipeline.py
