"""The scheduler: schedule, publish now, cancel, retry, freezes; the dispatcher and the worker's publish step."""
