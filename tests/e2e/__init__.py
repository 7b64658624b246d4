"""End-to-end tests of the local stack as ``make run`` starts it."""
