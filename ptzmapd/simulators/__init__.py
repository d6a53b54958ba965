"""simulators layer."""
